"""The analysis workflow for one consultation, end to end and incremental.

``analyze(session, actor, consultation_id)`` reads what is new through
``models.analysis_store``, runs the pure stages of ``pipeline/`` in order and stores what
they found:

1. normalise, 2. mask and 3. split every comment not read yet into suggestions;
4. explicit mapping (``pipeline.references``) of suggestions not mapped yet;
5. semantic mapping (``pipeline.semantic``) of those citing nothing — or 总体意见;
6. duplicate detection of the suggestions not compared yet, with each other and with the
   stored suggestions the stored index says they may repeat (only ever adding to stored
   groups);
7. embeddings (cached per backend and text) and 8. clustering per article, per 总体意见 and
   per 其他 (out of scope) — new suggestions join the nearest stored cluster of their scope
   when close enough, the rest form new clusters;
9. rule-based type and out-of-scope detection (run before dedup and clustering, since a
   cluster's type and an out-of-scope suggestion's scope depend on it; timed as its own stage).

Re-running after new comments arrive processes only what changed. Nothing a reviewer did is
undone: manual links, manual clusters and members, and cluster texts are never touched
(``models.analysis_store`` only adds). A consultation without a draft runs the same way
without mapping: every suggestion is 总体意见 and clustered once.

Stages are chosen by name from ``get_settings().pipeline`` through ``pipeline.components``.
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from minyi.core.drafts import Reference
from minyi.core.errors import ConflictError
from minyi.core.progress import Progress, no_progress
from minyi.services.context import Actor, audit
from minyi.services.sureness import rate_placements
from models.store import get_consultation
from models import analysis_store as store
from models.embedding_store import get_embeddings, put_embeddings
from models.entities import Suggestion
from pipeline import incremental
from pipeline.components import SEMANTIC_MAPPERS, component
from pipeline.embed import embed_cached
from pipeline.citation_check import check_citation
from pipeline.references import DraftIndex, restated_wording

STAGES = ("normalise", "mask", "split", "map_explicit", "map_semantic", "dedup", "embed",
          "classify", "cluster", "store")


@dataclass
class RunSummary:
    run_id: int
    consultation_id: int
    backend: str
    has_draft: bool
    comments: int = 0  # comments read in this run
    suggestions: int = 0  # suggestions created in this run
    mapped_explicit: int = 0
    mapped_semantic: int = 0
    general: int = 0
    out_of_scope: int = 0
    reference_problems: int = 0  # citations of articles the draft does not have
    citation_checks: int = 0  # citations flagged 疑似引用有误 for the reviewer
    not_opinion: int = 0  # host lines, greetings, "同问", replies without context
    duplicate_groups: int = 0  # new groups
    duplicate_groups_extended: int = 0
    dedup_compared: int = 0  # suggestions duplicate detection compared: the new ones and those they may repeat
    clusters: int = 0  # new clusters
    clusters_extended: int = 0
    clustered: int = 0  # memberships added
    personal_data: dict[str, int] = field(default_factory=dict)  # masked spans by kind
    types: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Timer:
    def __init__(self, summary: RunSummary, progress: Progress | None) -> None:
        self.summary, self.progress = summary, progress

    def stage(self, name: str, total: int, part: tuple[int, int] | None = None) -> _Stage:
        """Time ``name`` (seconds add up over calls). ``part`` = (done before, done after)
        when this call does one chunk of the stage's ``total``."""
        return _Stage(self, name, total, part or (0, total))

    def add(self, name: str, spent: float) -> None:
        """Count ``spent`` seconds to stage ``name`` (timed here, or where a partition ran)."""
        seconds = self.summary.seconds
        seconds[name] = round(seconds.get(name, 0.0) + spent, 3)


class _Stage:
    def __init__(self, timer: _Timer, name: str, total: int, part: tuple[int, int]) -> None:
        self.timer, self.name, self.total = timer, name, total
        self.before, self.after = part

    def __enter__(self) -> _Stage:
        self.t0 = time.perf_counter()
        if self.timer.progress:
            self.timer.progress(self.name, self.before, self.total)
        return self

    def tick(self, done: int) -> None:
        if self.timer.progress and (done % 200 == 0):
            self.timer.progress(self.name, self.before + done, self.total)

    def __exit__(self, *exc: object) -> None:
        self.timer.add(self.name, time.perf_counter() - self.t0)
        if self.timer.progress and exc[0] is None:
            self.timer.progress(self.name, self.after, self.total)


def cached_embeddings(session: Session, embedder: Any, texts: list[str]) -> np.ndarray:
    """Embeddings of ``texts`` through the database cache: only new texts are embedded."""
    return embed_cached(
        embedder,
        texts,
        lambda backend, hashes: get_embeddings(session, backend, hashes),
        lambda backend, vectors: put_embeddings(session, backend, vectors),
    )


def load_draft_context(session: Session, consultation_id: int) -> store.DraftContext:
    """The stored draft, with the analysis' index over its articles."""
    ctx = store.load_draft_context(session, consultation_id)
    if ctx.articles:
        ctx.index = DraftIndex(ctx.articles, title=ctx.titles[0], other_titles=ctx.titles[1:])
    return ctx


def analyze(
    session: Session,
    actor: Actor,
    consultation_id: int,
    *,
    backend: str | None = None,
    progress: Progress = no_progress,
    settings: Any = None,
    workers: int | None = None,
    scheduler: str | None = None,
) -> RunSummary:
    """Run the pipeline on what is new in the consultation; returns the run's summary and
    records it as a ``PipelineRun``.

    ``workers`` / ``scheduler``: the reading of each chunk of comments, embedding batches and
    the clustering of each scope run on a Dask cluster (``minyi.services.distributed``);
    the result is the same as in process.
    Results are committed stage by stage, every ``SPLIT_CHUNK`` comments while splitting and
    every ``MAP_CHUNK`` comments while mapping (texts are embedded, and the embedding cache
    committed, before a chunk writes), so other writers wait at most one chunk and a killed
    run is resumed by the next one."""
    from minyi.services.distributed import executor

    consultation = get_consultation(session, consultation_id)
    actor.require("analyze", consultation)
    with store.analysis_lock(session, consultation_id) as held:
        if not held:
            raise ConflictError(
                f"consultation {consultation_id} is being analysed by another run; "
                "try again when it has finished",
                message_zh="该征求意见正在分析中，请在本次分析完成后再试",
            )
        with executor(workers, scheduler) as run_on:
            return _analyze(session, actor, consultation_id, backend, progress, settings, run_on)


def _analyze(session: Session, actor: Actor, consultation_id: int, backend: str | None,
             progress: Progress, settings: Any, run_on: Any) -> RunSummary:
    from minyi.core.settings import get_settings
    from minyi.services.distributed import InProcess, Offload, PartitionedEmbedder, load_embedder, single_threaded
    from pipeline.embed import canonical_backend

    pipe = settings or get_settings().pipeline
    backend_name = canonical_backend(backend or pipe.embedding_backend)
    ctx = load_draft_context(session, consultation_id)
    # A run killed part-way left committed chunks behind: this run finishes its work (what
    # it had mapped, if it was killed while mapping, is mapped again with the rest). This
    # run holds the consultation's analysis lock, so a run still "running" was killed.
    interrupted = store.close_interrupted_runs(session, consultation_id)
    resumed = len(interrupted)
    store.undo_mapping(session, consultation_id,
                       [r.id for r in interrupted if not (r.stats or {}).get("mapping_done")])
    run = store.start_run(
        session, consultation_id, backend_name, {**pipe.model_dump(), "embedding_backend": backend_name}
    )
    _commit(session)
    summary = RunSummary(run.id, consultation_id, backend_name, ctx.has_draft)
    timer = _Timer(summary, progress)
    embedder_box: dict[str, Any] = {}

    def embedder():  # type: ignore[no-untyped-def]
        # Loaded on first use: a run with nothing new never loads a model.
        if "e" not in embedder_box:
            from pipeline.embed import get_embedder

            local = get_embedder(backend_name, pipe)
            embedder_box["e"] = (local if isinstance(run_on, InProcess)
                                 else PartitionedEmbedder(local, backend_name, pipe, run_on))
        return embedder_box["e"]

    if not isinstance(run_on, InProcess):
        # Loading a model takes a worker seconds: done while this process splits. (Only the
        # workers: this process still loads its own on first use.)
        run_on.on_each_worker(load_embedder, (backend_name, single_threaded(pipe)))
    vectors: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        """Rows for ``texts`` through the embedding cache (timed as the "embed" stage)."""
        missing = list(dict.fromkeys(t for t in texts if t not in vectors))
        if missing:
            # The cache lookup would autoflush the calling stage's pending writes: flushed
            # here ("store"), so that "embed" times only the cache and the model.
            _store(session, timer)
            model = embedder()  # loaded before the clock starts: loading is not embedding
            with timer.stage("embed", len(missing)):
                for t, v in zip(missing, cached_embeddings(session, model, missing)):
                    vectors[t] = v
        if not texts:
            return np.zeros((0, embedder().dim), dtype=np.float32)
        return np.stack([vectors[t] for t in texts])

    # Each stage commits what it stored: a chunk is consistent on its own, and the next
    # run's queries (comments not split, suggestions not mapped / classified / clustered)
    # pick up exactly what a killed run left undone.
    # Local processes (a large run without --workers) read the comments. Scoring the
    # mapping and clustering the scopes there were measured slower than here (the mapper,
    # or the scopes' vectors, pickled for every task: bench/RESULTS.md, round 12).
    offload = Offload(run_on, pipe.local_processes)
    try:
        _split_new_comments(session, consultation_id, ctx, pipe, timer, offload)
    finally:
        offload.close()
    replies = _map_new_suggestions(session, consultation_id, ctx, pipe, timer, embedder, embed)
    store.note_run(session, run, mapping_done=True)
    _commit(session)
    # Classify before dedup: out-of-scope marks decide the "other" scope dedup compares in.
    _classify(session, consultation_id, ctx, pipe, timer)
    # Then the replies to posts on no article take where their posts ended up.
    if replies:
        _follow_posts_on_no_article(session, replies)
    _commit(session)
    # The suggestions not compared yet: this run's, and those a killed run left.
    _deduplicate(session, consultation_id, ctx, pipe, timer, embedder, embed)
    _commit(session)
    _cluster(session, consultation_id, ctx, pipe, timer, embedder, embed, run_on)
    _commit(session)
    # The review queue's order for what this run placed (only those: proportional to it).
    rate_placements(session, consultation_id, on_batch=lambda: _commit(session))
    store.finish_run(session, run, summary.to_dict())
    audit(session, actor, "analyze", run, consultation_id=consultation_id,
          after={k: v for k, v in summary.to_dict().items() if k != "seconds"})
    return summary


def _store(session: Session, timer: _Timer) -> None:
    """Send a stage's pending ORM writes to the database, timed as "store"."""
    with timer.stage("store", 0):
        session.flush()


def _commit(session: Session) -> None:
    """End one chunk of the run's writes: other writers wait at most for one chunk."""
    session.commit()


# Comments split, and their suggestions stored, per committed chunk of the split stage.
SPLIT_CHUNK = 2000


# --- 1-3: normalise, mask, split ---------------------------------------------------------


def _split_new_comments(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer,
                        offload: Any) -> None:
    """Normalise, mask and split the comments not read yet, SPLIT_CHUNK comments at a time:
    memory holds a few chunks, and each chunk is committed with its suggestions. The reading
    itself is pure (``read_comments``): on Dask's workers when the run has them, else on
    ``pipe.local_processes`` local processes for a large batch (``offload``);
    they read the next chunks while this process stores one."""
    steps = (pipe.normaliser, pipe.masker, pipe.splitter)
    ids = store.comment_ids_to_split(session, cid)
    timer.summary.comments = len(ids)
    chunks = [ids[start : start + SPLIT_CHUNK] for start in range(0, len(ids), SPLIT_CHUNK)]
    jobs = ((steps, ctx.titles, store.comment_texts(session, chunk)) for chunk in chunks)
    pii: Counter[str] = Counter()
    start = 0
    readers = offload.executor_for(len(chunks), len(ids))
    for chunk, (read, seconds) in zip(chunks, readers.imap(read_comments, jobs)):
        for name, spent in seconds.items():
            timer.add(name, spent)
        with timer.stage("split", len(ids), (start, start + len(chunk))):
            _store_read(session, cid, chunk, read, timer.summary, pii)
        _commit(session)
        start += len(chunk)
    timer.summary.personal_data = dict(pii)


@dataclass(frozen=True)
class _Read:
    """One comment as normalising, masking and splitting leave it: plain values."""

    normalised: str
    masked: str
    removed: list[tuple[str, int]]  # (kind, characters) of what normalising cut out
    set_aside: list[str]  # what the splitter set aside, masked
    personal_data: list[dict[str, Any]]  # the masked spans
    pieces: list[tuple[str, str, dict[str, Any]]]  # (text, masked text, meta) per suggestion


def read_comments(job: tuple[tuple[str, str, str], list[str], list[str]]) -> tuple[list[_Read], dict[str, float]]:
    """``((normaliser, masker, splitter), draft titles, texts)`` → each text read, and the
    seconds each step took. Pure: runs in this process or on a Dask worker."""
    names, titles, texts = job
    normaliser, masker, splitter = (component(stage, name) for stage, name in
                                    zip(("normaliser", "masker", "splitter"), names))
    t0 = time.perf_counter()
    normalised = [normaliser(t) for t in texts]
    t1 = time.perf_counter()
    masked = [masker(n.text) for n in normalised]
    t2 = time.perf_counter()
    read = []
    for n, m in zip(normalised, masked):
        parts = splitter(n.text, titles)
        read.append(_Read(
            normalised=n.text,
            masked=m.text,
            removed=[(k, len(x)) for k, x in n.removed],
            set_aside=[m.piece(x).text for x in parts.dropped],
            personal_data=[s.to_dict() for s in m.spans],
            # Each piece masked with what the whole comment revealed.
            pieces=[(p.text, m.piece(p.text).text, _piece_meta(p, m)) for p in parts.pieces],
        ))
    t3 = time.perf_counter()
    return read, {"normalise": t1 - t0, "mask": t2 - t1, "split": t3 - t2}


def _piece_meta(piece: Any, masked: Any) -> dict[str, Any]:
    """What the split says of a piece beyond its text: that it carries on the previous
    piece's subject, and the head (masked) it stands under."""
    meta: dict[str, Any] = {}
    if getattr(piece, "continues", False):
        meta["continues"] = True
    if getattr(piece, "heading", None):
        meta["heading"] = masked.piece(piece.heading).text
    return meta


def _store_read(session: Session, cid: int, comment_ids: list[int], read: list[_Read], summary: RunSummary,
                pii: Counter[str]) -> None:
    for r in read:
        pii.update(s["kind"] for s in r.personal_data)
    store.save_comment_texts(session, {
        comment_id: (r.normalised, r.masked, {
            "run": summary.run_id,
            # Comment.meta may be shown where personal data may not: cut-out quotes
            # and signatures are recorded by kind and size, set-aside text masked.
            "removed": [{"kind": k, "chars": n} for k, n in r.removed],
            "set_aside": r.set_aside,
            "personal_data": r.personal_data,
        })
        for comment_id, r in zip(comment_ids, read, strict=True)
    })
    # A comment is marked read together with its suggestions, never without.
    summary.suggestions += store.add_suggestions(session, cid, [(c, r.pieces) for c, r in zip(comment_ids, read)])


# --- 4-5: mapping ----------------------------------------------------------------------------


# Comments whose suggestions are mapped per chunk: only one chunk of suggestions is held as
# ORM objects (all at once, about 5 KB each, were the largest step in a run's memory).
MAP_CHUNK = 5_000


@dataclass(frozen=True)
class _Cited:
    """An explicitly cited suggestion, as plain values until its citation is checked."""

    id: int
    text: str
    cited: list[str]
    missing: list[str]
    quotes: list[str]
    wording: dict[str, str] | None = None  # articles whose wording it restates (at most one citation)
    absent: list[str] | None = None  # "第82条没有第5款": a cited part the cited article lacks
    # One point of several of a comment, placed only by the form's list of articles
    # (涉及条款：第三十八条、第二十八条): the comment and the listed articles, to share the
    # list out among its points by content.
    listed_for: int | None = None
    listed: list[str] | None = None


def _map_new_suggestions(session: Session, cid: int, ctx: store.DraftContext, pipe: Any,
                         timer: _Timer, embedder: Callable[[], Any],
                         embed: Callable[[list[str]], np.ndarray]) -> dict[int, list[int]]:
    """Scope and articles of every suggestion not mapped yet (see ``pipeline.scope``):
    非意见 first (host lines, greetings, "同问"), then explicit citations (a cited chapter is
    one 总体意见 row for the chapter; a doubtful citation is flagged, never re-mapped), then
    semantic mapping of the rest, with thread context for forum replies.

    Two passes over the comments, ``MAP_CHUNK`` at a time: the explicit pass first, since
    the whole consultation's cited suggestions are the semantic pass's labelled examples.
    Returns the forum replies that agree with a post on no article (reply → the post's
    suggestions): they are placed with the post once the post's scope is final
    (``_follow_posts_on_no_article``, after the classification)."""
    pending = store.comments_to_map(session, cid)
    if not pending:
        return {}
    chunks = [pending[i : i + MAP_CHUNK] for i in range(0, len(pending), MAP_CHUNK)]
    total = sum(n for _c, n in pending)
    semantic = ctx.has_draft and pipe.mapper in SEMANTIC_MAPPERS
    explicit: list[_Cited] = []
    missing_by_id: dict[int, list[str]] = {}  # unmapped, citing numbers the draft lacks
    left = done = 0
    for chunk in chunks:
        todo = store.suggestions_to_map(session, [c for c, _n in chunk])
        part = (done, done + sum(n for _c, n in chunk))
        unmapped = _map_explicit_chunk(session, ctx, pipe, timer, _opinions(todo, timer.summary),
                                       explicit, part, total)
        done = part[1]
        if semantic:
            missing_by_id.update((s.id, missing) for s, _c, _n, missing in unmapped if missing)
            left += len(unmapped)
        else:
            for s, _c, _n, _m in unmapped:
                s.is_general, s.scope = True, "general"
                store.set_meta(s, mapping="general")
            timer.summary.general += len(unmapped)
        _commit_mapped(session, timer, [s for s, _c, _n in todo])
    if not semantic or (not left and not explicit):
        return {}
    mapper_ = _semantic_mapper(ctx, pipe, timer, embedder, embed)
    # The articles' embeddings just cached: committed, or SQLite's write lock would be held
    # through all the embedding that follows.
    _commit(session)
    _check_explicit_citations(session, timer, mapper_, explicit, embed, ctx.provision_ids)
    del explicit
    # Read once (the explicit pass's links included), then kept up to date in memory: a
    # reply in a later chunk takes the articles of a post mapped in an earlier one.
    with timer.stage("map_semantic", left, (0, 0)):
        threads = store.thread_articles(session, cid, ctx.provision_ids, [c for c, _n in pending])
        turns = store.symposium_turns(session, cid, ctx.provision_ids, [c for c, _n in pending])
    replies_to_no_article: dict[int, list[int]] = {}
    done = 0
    for chunk in chunks:
        # What the explicit pass left of these comments.
        todo = store.suggestions_to_map(session, [c for c, _n in chunk])
        bad = [(s, missing_by_id[s.id]) for s, _c, _n in todo if s.id in missing_by_id]
        _embed_first(session, embed, _semantic_embedding_texts(mapper_, *_semantic_inputs(todo))
                     + [s.masked_text or s.text for s, _m in bad])
        _check_missing_numbers(timer, mapper_, ctx.index, bad, embed)
        if todo:
            _map_semantic(session, ctx, pipe, timer, embed, mapper_, todo, threads, turns, replies_to_no_article,
                          part=(done, done + len(todo)), total=left)
            done += len(todo)
        _commit_mapped(session, timer, [s for s, _c, _n in todo])
    return replies_to_no_article


def _commit_mapped(session: Session, timer: _Timer, suggestions: list[Any]) -> None:
    """End one chunk of the mapping: what it mapped is marked with the run, so that a run
    killed before the mapping ends has it taken back (``store.undo_mapping``), and the
    chunk is written (``store.save_mapped``) and committed: other writers wait for one
    chunk, not for the whole mapping."""
    run = timer.summary.run_id
    for s in suggestions:
        if "mapping" in (s.meta or {}):
            s.meta = {**s.meta, "mapped_in": run}
    with timer.stage("store", 0):
        store.save_mapped(session, suggestions)
    _commit(session)


def _opinions(todo: list[tuple[Any, Any, int]], summary: RunSummary) -> list[tuple[Any, Any, int]]:
    """Marks the 非意见 (host lines, greetings, "同问") and returns the rest."""
    from pipeline import scope as scoping

    rest = []
    for s, c, n in todo:
        reason = scoping.not_opinion(s.masked_text or s.text, speaker_role=(c.meta or {}).get("speaker_role"))
        if reason:
            s.scope = "not_opinion"
            store.set_meta(s, mapping="not_opinion", not_opinion=reason)
            summary.not_opinion += 1
        else:
            rest.append((s, c, n))
    return rest


def _map_explicit_chunk(session: Session, ctx: store.DraftContext, pipe: Any, timer: _Timer,
                        todo: list[tuple[Any, Any, int]], explicit: list[_Cited],
                        part: tuple[int, int], total: int) -> list[tuple[Any, Any, int, list[str]]]:
    """Explicit citations of one chunk: links, or one chapter row; the cited suggestions are
    added to ``explicit``. Returns the rest, each with the cited numbers the draft lacks."""
    summary = timer.summary
    if not ctx.has_draft:
        # Opinions on a topic, not on a text: everything is general.
        return [(s, c, n, []) for s, c, n in todo]
    from pipeline import scope as scoping

    mapper = component("mapper", pipe.mapper)
    unmapped = []
    with timer.stage("map_explicit", total, part) as st:
        first: dict[int, int] = {}
        for s, c, _n in todo:
            first.setdefault(c.id, s.ordinal)  # todo is in (comment, ordinal) order
        # The chunk's writes wait for its commit, so the database is held for that long only.
        with session.no_autoflush:
            context = store.previous_contexts(session, first)
        for i, (s, c, n_parts) in enumerate(todo, 1):
            single = n_parts == 1
            text = s.masked_text or s.text
            res = mapper(
                text,
                ctx.index,
                context=context[c.id],
                declared=c.declared_articles or [],
                declared_mode="union" if single else "fallback",
                quoted_text=c.quoted_text if single else None,
            )
            refs = list(res.references)
            heading = (s.meta or {}).get("heading")
            if heading and all(r.via == "declared" for r in refs):
                # "第三十条建议作两处修改：一是……；二是……": the head, set aside, places its points.
                under = mapper(heading, ctx.index)
                if under.references:
                    refs, res.context = list(under.references), under.context
            if _quotes_only_across_articles(refs) and (res.chapters or scoping.whole_text_cue(text)):
                # "第六章法律责任大多是“依照有关法律处罚”", "全文的“法律委员会”建议统一改为……":
                # wording the chapter or the draft repeats in several articles, quoted about
                # the chapter or the whole text. One row for it, not a copy per article.
                refs = []
            elif refs and all(r.via == "quote" for r in refs) and scoping.under_general_heading(
                    c.masked_text or c.text or "", text):
                # Under the letter's 总体意见 heading only a cited article number places a point.
                refs = []
            if not refs and (s.meta or {}).get("continues") and context[c.id]:
                # "第五十条明码标价好，但建议统一支付方式": the second point is on the same article.
                refs = [Reference(context[c.id], evidence="承接上文所引条款", via="relative")]
            context[c.id] = res.context
            meta: dict[str, Any] = {"reference_context": res.context}
            missing = [m for m in (_missing_key(p.evidence) for p in res.problems
                                   if not p.part) if m]
            if res.problems:
                meta["reference_problems"] = [
                    {"evidence": p.evidence, "reason": p.reason} for p in res.problems
                ]
                summary.reference_problems += len(res.problems)
            if res.cross_references:
                meta["cross_references"] = res.cross_references
            if refs:
                store.add_explicit_links(session, s, refs, ctx.provision_ids, unlinked=True)
                meta["mapping"] = "explicit"
                s.scope = "article"
                summary.mapped_explicit += 1
                cited = [r.article_key for r in refs if r.via in ("article", "list", "range")]
                quotes = [r.article_key for r in refs if r.via == "quote"]
                cited = list(dict.fromkeys(cited))
                wording = restated_wording(text, ctx.index, cited[0] if cited else None) \
                    if len(cited) <= 1 else None
                listed = list(dict.fromkeys(r.article_key for r in refs))
                by_list = not single and len(listed) > 1 and all(r.via == "declared" for r in refs)
                explicit.append(_Cited(s.id, text, cited, missing, quotes, wording,
                                       [p.reason for p in res.problems if p.part],
                                       c.id if by_list else None, listed if by_list else None))
            elif res.chapters:
                chapter, section = res.chapters[0]
                s.is_general, s.scope = True, "chapter"
                meta.update(mapping="chapter", chapter=chapter, section=section)
                summary.general += 1
            else:
                unmapped.append((s, c, n_parts, missing))
            store.set_meta(s, **meta)
            st.tick(i)
    return unmapped


def _quotes_only_across_articles(refs: list[Reference]) -> bool:
    """Every reference is quoted wording, and it is found in more than one article."""
    return bool(refs) and all(r.via == "quote" for r in refs) and len({r.article_key for r in refs}) > 1


# Texts per batch where the mapping handles a whole consultation's texts: embedded ahead
# (the embedding cache's writes committed per batch, so the database's write lock is held
# for one batch's cache entries, never while the model runs), and scored for the citation
# check (the texts × article pieces similarities of a national consultation would not fit).
TEXT_BATCH = 20_000


def _check_explicit_citations(session: Session, timer: _Timer, mapper_: Any, explicit: list[_Cited],
                              embed: Callable[[list[str]], np.ndarray], provision_ids: dict[str, int]) -> None:
    """The consultation's explicitly cited suggestions are labelled examples for the rest,
    and their scores tell whether each citation fits what the suggestion says."""
    if not explicit:
        return
    keys = [a.key for a in mapper_.articles]
    _embed_first(session, embed, [x.text for x in explicit])
    _share_listed_articles(session, mapper_, explicit, embed, provision_ids)
    single = [x for x in explicit if len(x.cited) == 1]
    single_emb = embed([x.text for x in single])
    with timer.stage("map_semantic", len(explicit), (0, 0)):
        mapper_.learn_examples(single_emb, [x.cited[0] for x in single])
    del single_emb
    checks: dict[int, dict[str, Any]] = {}
    for start in range(0, len(explicit), TEXT_BATCH):
        batch = explicit[start : start + TEXT_BATCH]
        emb = embed([x.text for x in batch])
        with timer.stage("map_semantic", len(explicit), (start, start + len(batch))):
            own = mapper_.score_matrix([_without_citations(x.text) for x in batch], emb)
            for x, row in zip(batch, own):
                check = check_citation(x.cited, x.missing, keys, row, quote_hits=x.quotes, wording_hits=x.wording,
                                       absent_parts=x.absent or ())
                if check:
                    checks[x.id] = check
    for s in store.rows_by_ids(session, Suggestion, sorted(checks)):
        s.citation_check = checks[s.id]
    timer.summary.citation_checks += len(checks)
    _store(session, timer)
    _commit(session)  # before the semantic pass reads: its reads would take the lock with these writes


def _share_listed_articles(session: Session, mapper_: Any, explicit: list[_Cited],
                           embed: Callable[[list[str]], np.ndarray], provision_ids: dict[str, int]) -> None:
    """Points of one comment placed only by the form's list of articles (涉及条款：第三十八条、
    第二十八条; "1.学校周边停靠区域……2.允许搭载十二周岁以上的学生……") each keep the listed
    article they are about (``pipeline.semantic.share_declared``), not the whole list: one
    row per point under its article, not each point under every article listed."""
    by_comment: dict[int, list[_Cited]] = {}
    for x in explicit:
        if x.listed_for is not None:
            by_comment.setdefault(x.listed_for, []).append(x)
    points = [x for group in by_comment.values() if len(group) > 1 for x in group]
    # Scored together, a batch at a time: one comment at a time cost a lookup and a scoring each.
    row_of: dict[int, np.ndarray] = {}
    for start in range(0, len(points), TEXT_BATCH):
        batch = points[start : start + TEXT_BATCH]
        texts = [x.text for x in batch]
        row_of.update(zip((x.id for x in batch), mapper_.score_matrix(texts, embed(texts))))
    narrowed: dict[int, list[str]] = {}
    for group in by_comment.values():
        if len(group) < 2:
            continue
        shares = mapper_.declared_shares(np.stack([row_of[x.id] for x in group]), group[0].listed or [])
        for x, share in zip(group, shares):
            if len(share) < len(x.listed or []):
                narrowed[x.id] = share
    if narrowed:
        store.keep_links(session, {sid: [provision_ids[k] for k in share if k in provision_ids]
                                   for sid, share in narrowed.items()}, "（按所提内容归入此条）")
        _commit(session)


def _embed_first(session: Session, embed: Callable[[list[str]], np.ndarray], texts: list[str]) -> None:
    """The texts a stage will need, embedded ``TEXT_BATCH`` at a time (each batch's cache
    entries committed) before the stage writes anything."""
    for start in range(0, len(texts), TEXT_BATCH):
        embed(texts[start : start + TEXT_BATCH])
        _commit(session)


def _check_missing_numbers(timer: _Timer, mapper_: Any, index: DraftIndex, bad: list[tuple[Any, list[str]]],
                           embed: Callable[[list[str]], np.ndarray]) -> None:
    """A number the draft does not have, and nothing else: flag, do not map (scored in one
    batch: one at a time cost a cache lookup and a forward pass each); wording restated from
    one article names it."""
    if not bad:
        return
    keys = [a.key for a in mapper_.articles]
    texts = [s.masked_text or s.text for s, _m in bad]
    emb = embed(texts)
    with timer.stage("map_semantic", len(bad)):
        rows = mapper_.score_matrix([_without_citations(t) for t in texts], emb)
        for (s, missing), text, row in zip(bad, texts, rows):
            s.citation_check = check_citation([], missing, keys, row,
                                              wording_hits=restated_wording(text, index, None))
            timer.summary.citation_checks += 1


_MISSING = re.compile(r"第(\S+?)条")


def _missing_key(evidence: str) -> str | None:
    """The article key of a citation the draft does not have ("第一百二十条" → "120")."""
    from minyi.core.numerals import parse_number

    m = _MISSING.search(evidence or "")
    if not m:
        return None
    try:
        return str(parse_number(m.group(1)))
    except ValueError:
        return None


def _without_citations(text: str) -> str:
    """The suggestion without its 第X条 citations: what it says, for checking the citation."""
    from minyi.core.citations import LOOSE

    return LOOSE.sub("", text)


def _semantic_mapper(ctx: store.DraftContext, pipe: Any, timer: _Timer, embedder: Callable[[], Any],
                     embed: Callable[[list[str]], np.ndarray]) -> Any:
    from pipeline.semantic import ArticleDoc, SemanticMapper, _article_pieces

    docs = [
        ArticleDoc(
            key=a.key, label=a.label, text=a.text,
            chapter=" ".join(x for x in (a.chapter, a.section) if x) or None,
            provision_id=a.provision_id,
        )
        for a in ctx.index.articles
    ]
    pieces = embed([p for d in docs for p in _article_pieces(d)])  # through the run's cache
    with timer.stage("map_semantic", len(ctx.index.articles)):
        return SemanticMapper(docs, embedder(), settings=pipe, article_embeddings=pieces)


def _map_semantic(session: Session, ctx: store.DraftContext, pipe: Any, timer: _Timer,
                  embed: Callable[[list[str]], np.ndarray], mapper_: Any,
                  unmapped: list[tuple[Any, Any, int]], threads: store.ForumThreads,
                  turns: store.SymposiumTurns, replies_to_no_article: dict[int, list[int]], *,
                  part: tuple[int, int], total: int) -> None:
    """Reference-free suggestions: articles by score (best, and a second only when nearly
    tied), forum replies that agree with an earlier post take its articles, so do symposium
    turns that agree with a speaker they name, and what has no clear article is 总体意见 or
    草案范围外 (``pipeline.scope``). ``unmapped`` is one chunk, ``part`` its place in the
    ``total`` for progress; ``threads.articles`` (thread id → floor → {article key:
    suggestion} of the posts mapped so far) and ``turns`` are brought up to date with what
    it maps. A reply agreeing with a post on no article is added to ``replies_to_no_article``
    (reply → the post's suggestions), placed with the post once every post is placed."""
    from pipeline import scope as scoping

    thread_articles = threads.articles
    summary = timer.summary
    texts, contexts = _semantic_inputs(unmapped)
    # Through the run's embedding cache (timed as "embed"): without expand_embeddings these
    # are the suggestions' own embeddings, which dedup and clustering reuse.
    n = len(texts)
    emb = embed(_semantic_embedding_texts(mapper_, texts, contexts))
    text_emb, context_emb = emb[:n], (emb[n:] if mapper_.params.context_embed else None)
    threshold = mapper_.params.threshold
    with timer.stage("map_semantic", total, part):
        scores = mapper_.scores(texts, text_emb, contexts=contexts, context_embeddings=context_emb)
        for (s, c, _n), text, row in zip(unmapped, texts, scores):
            cmeta = c.meta or {}
            found = mapper_.links_from_scores(row)
            best = float(row.max()) if row.size else 0.0
            thread = cmeta.get("thread_id")
            floor = cmeta.get("floor")
            agrees = scoping.agrees_with_earlier_post(text)
            via = "semantic"
            followed: dict[str, int] = {}
            if agrees and thread is not None and floor and floor > 1:
                followed = _earlier_post_articles(thread_articles.get(thread, {}), floor,
                                                  scoping.referred_floor(text, floor))
                if followed:
                    found, via = [_Inherited(k, 1.0) for k in followed], "thread"
            elif c.id in turns.spoken:
                followed = _agreed_speaker_articles(turns, c.id)
                if followed:
                    found, via = [_Inherited(k, 1.0) for k in followed], "speaker"
            if via == "semantic" and found and not scoping.semantic_links_stand(
                    text, c.masked_text or c.text or "", best, threshold, mapper_.best_article_text(row)):
                found = []
            if not found and not agrees and thread is not None and floor and floor > 1:
                found = _on_thread_topic(mapper_, row, thread_articles.get(thread, {}), floor, text,
                                         c.masked_text or c.text or "")
                via = "thread_topic" if found else via
            rows = [
                (ctx.provision_ids[l.article_key], l.score,
                 store.THREAD_EVIDENCE if via == "thread" else store.SPEAKER_EVIDENCE if via == "speaker" else
                 f"语义匹配 {l.score:.2f}（同帖讨论此条）" if via == "thread_topic" else f"语义匹配 {l.score:.2f}")
                for l in found
                if l.article_key in ctx.provision_ids
            ]
            if rows:
                store.add_semantic_links(session, s, rows)
                s.scope = "article"
                if via in ("thread", "speaker"):
                    # The reply makes the post's point: clustered with it (``incremental.units``).
                    store.set_meta(s, mapping=via, follows=sorted(set(followed.values())))
                else:
                    store.set_meta(s, mapping=via)
                summary.mapped_semantic += 1
                if thread is not None and floor:
                    post = thread_articles.setdefault(thread, {}).setdefault(floor, {})
                    for l in found:
                        post.setdefault(l.article_key, s.id)
                spoken = turns.articles.get(c.id)
                if spoken is not None:
                    for l in found:
                        spoken.setdefault(l.article_key, s.id)
            elif agrees and thread is not None and floor and floor > 1 and not followed and (
                    post := _agreed_post(threads.posts.get(thread, {}), floor, scoping.referred_floor(text, floor))):
                # "同意楼上" under a post on no article: the post's point, wherever it goes.
                replies_to_no_article[s.id] = post
                s.is_general, s.scope = True, "general"
                store.set_meta(s, mapping="thread", follows=post)
                summary.general += 1
            elif (agrees and (thread is None or not floor or floor <= 1)
                  and scoping.adds_nothing_to_agreement(text)):
                # "我同意李某的意见": a reply whose context is unknown says nothing by itself.
                s.scope = "not_opinion"
                store.set_meta(s, mapping="not_opinion", not_opinion="reply without context")
                summary.not_opinion += 1
            else:
                s.is_general = True
                s.scope = "out_of_scope" if scoping.grievance_cue(text) else "general"
                s.is_out_of_scope = s.scope == "out_of_scope"
                store.set_meta(s, mapping="general")
                summary.general += 1


def _semantic_inputs(unmapped: list[tuple[Any, Any, int]]) -> tuple[list[str], list[str | None]]:
    """The suggestions' texts, and their contexts: the whole comment (and the form's quoted
    draft wording) helps a short point such as "“鼓励”改为“应当”" find its article."""
    texts = [s.masked_text or s.text for s, _c, _n in unmapped]
    contexts = [
        "\n".join(x for x in ((c.masked_text if n > 1 else None), c.quoted_text) if x) or None
        for _s, c, n in unmapped
    ]
    return texts, contexts


def _semantic_embedding_texts(mapper_: Any, texts: list[str], contexts: list[str | None]) -> list[str]:
    """What the semantic mapping embeds: the texts (as the mapper embeds them), then, when
    it weighs contexts by embedding, each context (or the text where there is none)."""
    out = list(mapper_.embedding_texts(texts))
    if mapper_.params.context_embed:
        out += [c or t for c, t in zip(contexts, texts)]
    return out


@dataclass(frozen=True)
class _Inherited:
    article_key: str
    score: float


# A forum post that names no article and matches none clearly is on its thread's subject
# (the opening post's articles) when it scores at least this share of the threshold there:
# in a thread about one article, "不能一刀切地终止……建议允许延期审议" is about that article.
THREAD_TOPIC_SHARE = 0.6


def _on_thread_topic(mapper_: Any, row: np.ndarray, floors: dict[int, dict[str, int]], floor: int,
                     text: str, comment_text: str) -> list[_Inherited]:
    """The thread's subject articles the post is on (``THREAD_TOPIC_SHARE``); none for a post
    speaking of the whole draft or of a grievance."""
    from pipeline import scope as scoping

    if not scoping.semantic_links_stand(text, comment_text, 0.0, mapper_.params.threshold):
        return []
    least = THREAD_TOPIC_SHARE * mapper_.params.threshold
    return [_Inherited(k, round(score, 4)) for k in _earlier_post_articles(floors, floor, 1)
            if (score := mapper_.score_of(row, k)) >= least]


def _agreed_speaker_articles(turns: store.SymposiumTurns, comment_id: int) -> dict[str, int]:
    """The articles of the latest earlier turn of the same minutes by the speaker this turn
    says it agrees with ("我同意李秀英的意见，我们楼的架空层……" takes 李秀英's article), {} when
    it names none or that speaker said nothing on an article."""
    from pipeline import scope as scoping

    source, text = turns.spoken[comment_id]
    who = scoping.agreed_speaker(text)
    if not who:
        return {}
    for cid, speaker, keys in reversed(turns.turns.get(source, [])):
        same_person = bool(speaker) and len(speaker) >= 2 and (speaker.startswith(who) or who.startswith(speaker))
        if cid < comment_id and same_person and keys:
            return keys
    return {}


def _agreed_post(posts: dict[int, list[int]], floor: int, named: int | None) -> list[int]:
    """The suggestions of the post a reply on ``floor`` agrees with: the one it names, else
    the one just above it; [] when that post is not known."""
    target = named if named is not None else max((f for f in posts if f < floor), default=None)
    return list(posts.get(target, [])) if target is not None and target < floor else []


def _follow_posts_on_no_article(session: Session, replies: dict[int, list[int]]) -> None:
    """Replies agreeing with a post on no article take the post's placement (总体意见, its
    chapter, 草案范围外; 非意见 when the post is none) and follow it into its cluster: "同意楼上"
    counts for the post's opinion instead of being a 总体意见 row of its own. After the
    classification, which may put the post out of scope (and would judge "同意楼上" by its
    own two words)."""
    posts = {p.id: p for p in store.rows_by_ids(session, Suggestion, sorted({p for ps in replies.values() for p in ps}))}
    for reply in store.rows_by_ids(session, Suggestion, sorted(replies)):
        known = [posts[p] for p in replies[reply.id] if p in posts]
        opinions = [p for p in known if p.scope != "not_opinion"]
        if known and not opinions:
            reply.scope, reply.is_general, reply.is_out_of_scope = "not_opinion", False, False
            store.set_meta(reply, mapping="not_opinion", not_opinion="agrees with a post that is no opinion")
            continue
        if not opinions or opinions[0].scope == "article":
            continue  # placed by the post's articles already, or nothing known to follow
        post = opinions[0]
        reply.scope, reply.is_general, reply.is_out_of_scope = post.scope, post.is_general, post.is_out_of_scope
        placement = {k: v for k, v in (post.meta or {}).items() if k in ("chapter", "section")}
        store.set_meta(reply, follows=[p.id for p in opinions], **placement)


def _earlier_post_articles(floors: dict[int, dict[str, int]], floor: int, named: int | None = None) -> dict[str, int]:
    """The articles of the post the reply names ("同意1楼", "同意楼上": ``named``) when that
    post is known (``floors`` holds every forum post, empty when it is on no article: a
    reply agreeing with it is on none either), else of the nearest earlier post that has
    some: {article key: the post's suggestion linked to it}."""
    if named is not None and named < floor and named in floors:
        return floors[named]
    for f in sorted((f for f in floors if f < floor), reverse=True):
        if floors[f]:
            return floors[f]
    return {}


# --- 6: duplicates ---------------------------------------------------------------------------


# A new suggestion is compared with so many stored suggestions of each kind: the members of
# its nearest block closest by sign code (semantic copies), and those sharing the most LSH
# bands with it (near copies and campaign letters).
SEMANTIC_CANDIDATES = 10
BAND_CANDIDATES = 10
# Candidates kept per stored duplicate group: a new suggestion that repeats one member joins
# the group, so the rest of a campaign's thousands of letters add nothing.
CANDIDATES_PER_GROUP = 2
# Members read of each stored campaign a candidate belongs to, to read its template from.
TEMPLATE_SAMPLE = 6


def _deduplicate(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer,
                 embedder: Callable[[], Any], embed: Callable[[list[str]], np.ndarray]) -> None:
    """The suggestions not compared yet, with each other and with the stored ones they may
    repeat; only ever adding to stored groups.

    The first time (or with another embedding backend) every suggestion is compared; after
    that a batch is compared with the stored suggestions its index entries point to (the same
    exact key, shared MinHash LSH bands, the nearest members of its semantic block), so the
    work follows the batch, not the consultation.

    Each suggestion is compared within its cluster scope ("article:12", "general",
    "other"): the same short text on two articles ("建议删除这一条。") is two proposals,
    while long texts (form letters, campaigns) are still matched across scopes."""
    backend = embedder().name
    full = not store.has_dedup_index(session, cid, backend)
    new_rows = store.dedup_inputs(session, cid, ctx, new_only=not full)
    if not new_rows:
        return
    _embed_first(session, embed, [r.text for r in new_rows])  # committed: the comparison holds no lock
    rows, cell_of = new_rows, {}
    if not full:
        with timer.stage("dedup", len(new_rows)):
            extra, cell_of = _stored_candidates(session, cid, ctx, new_rows, embed([r.text for r in new_rows]),
                                                backend, pipe)
        rows = sorted(new_rows + extra, key=lambda r: r.suggestion_id)
        _embed_first(session, embed, [r.text for r in extra])
    timer.summary.dedup_compared = len(rows)
    dedup = component("deduplicator", pipe.deduplicator)
    texts = [r.text for r in rows]
    vectors = embed(texts)
    new_ids = {r.suggestion_id for r in new_rows}
    with timer.stage("dedup", len(rows)):
        ids = [r.suggestion_id for r in rows]
        # A turn spoken at a symposium is one person speaking at one meeting, never a copy of
        # a letter nor a resubmission, even when it restates a campaign's request.
        spoken = store.spoken_comments(session, cid)
        alone = [r.comment_id in spoken for r in rows] if spoken else None
        result = dedup(texts, vectors, settings=pipe, scopes=[r.scope for r in rows], backend=backend, alone=alone)
        current = {r.suggestion_id: r.duplicate_group_id for r in rows}
        groups = [(g.kind, [ids[i] for i in g.members], ids[g.canonical]) for g in result.groups]
        _campaign_letters(session, rows, result, groups, ctx.full_text, new_ids, vectors, embed, spoken)
        # Committed a chunk of groups at a time: writers wait for one chunk, not the stage.
        created, extended = store.apply_duplicate_groups(session, cid, groups, current,
                                                         on_chunk=lambda: _commit(session))
        timer.summary.duplicate_groups = created
        timer.summary.duplicate_groups_extended = extended
        _save_index(session, cid, backend, rows, result, vectors, new_ids, cell_of, replace=full)
        if ctx.has_draft:
            timer.summary.mapped_semantic += _articles_from_group(session, cid, None if full else new_ids)


def _stored_candidates(session: Session, cid: int, ctx: store.DraftContext, new_rows: list[store.DedupInput],
                       new_vectors: np.ndarray, backend: str, pipe: Any
                       ) -> tuple[list[store.DedupInput], dict[int, int]]:
    """The stored suggestions a batch may repeat, and the stored block of each new suggestion
    whose scope has blocks: what the stored index points to (``_deduplicate``), with a few
    members of each campaign they belong to, to read its template from."""
    from pipeline.dedup import code_radius, nearest_by_code, nearest_cells, sign_codes, text_bands, text_key, text_params
    from pipeline.embed import thresholds_for

    found = store.exact_candidates(session, cid, (text_key(r.text, r.scope) for r in new_rows))
    params = text_params(pipe)
    bands = text_bands([r.text for r in new_rows], params)
    stored = store.band_candidates(session, cid, (int(b) for bs in bands if bs is not None for b in bs))
    for bs in bands:
        if bs is not None:
            hits = Counter(sid for b in bs for sid in stored.get(int(b), ()))
            found.update(sid for sid, _n in hits.most_common(BAND_CANDIDATES))
    cells = store.dedup_cells(session, cid, backend)
    by_scope: dict[str, list[int]] = defaultdict(list)
    for k, r in enumerate(new_rows):
        by_scope[r.scope].append(k)
    cell_of: dict[int, int] = {}
    by_cell: dict[int, list[int]] = defaultdict(list)
    for scope, ks in by_scope.items():
        if scope in cells:
            cell_ids, raw = cells[scope]
            centroids = np.frombuffer(raw, dtype="<f4").reshape(len(cell_ids), -1)
            for k, c in zip(ks, nearest_cells(new_vectors[ks], centroids)):
                cell_of[new_rows[k].suggestion_id] = cell_ids[c]
                by_cell[cell_ids[c]].append(k)
    codes = sign_codes(new_vectors)
    radius = code_radius(thresholds_for(backend, pipe).semantic_dup)
    # Most of the consultation's blocks (a large batch): read in table order, not by block.
    most = 2 * len(by_cell) >= sum(len(ids) for ids, _raw in cells.values())
    stored_codes = store.cell_codes(session, sorted(by_cell), of_consultation=cid if most else None)
    for cell, (sids, raw_codes) in stored_codes.items():
        member_codes = np.frombuffer(b"".join(raw_codes), dtype=np.uint8).reshape(len(sids), -1)
        for row in nearest_by_code(codes[by_cell[cell]], member_codes, SEMANTIC_CANDIDATES, radius):
            found.update(sids[j] for j in row)
    found -= {r.suggestion_id for r in new_rows}
    group_of = store.duplicate_groups_of(session, sorted(found))
    kept: Counter[int] = Counter()
    for sid in sorted(found):
        gid = group_of.get(sid)
        if gid is not None:
            kept[gid] += 1
            if kept[gid] > CANDIDATES_PER_GROUP:
                found.discard(sid)
    samples = store.group_samples(session, kept, TEMPLATE_SAMPLE, params.shortened_min_members)
    samples -= {r.suggestion_id for r in new_rows}
    return store.dedup_inputs(session, cid, ctx, ids=sorted(found | samples)), cell_of


def _save_index(session: Session, cid: int, backend: str, rows: list[store.DedupInput], result: Any,
                vectors: np.ndarray, save_ids: set[int], cell_of: dict[int, int], *, replace: bool = False) -> None:
    """Store the index entries of the suggestions compared for the first time (``save_ids``):
    a block stored before for their scope (``cell_of``), else one this comparison made.
    ``replace``: the whole consultation was compared, and its stored bands are forgotten
    first (with the first chunk of entries: the entries are computed holding no lock)."""
    from pipeline.dedup import DedupIndex, sign_codes, text_key

    index = result.index or DedupIndex(keys=[text_key(r.text, r.scope) for r in rows], cells=[None] * len(rows))
    saved = [k for k, r in enumerate(rows) if r.suggestion_id in save_ids]
    # Every row's code, though the stored candidates among ``rows`` have theirs already:
    # ``vectors[saved]`` would copy the whole matrix first (2 GiB at 10^6 suggestions).
    codes = sign_codes(vectors) if saved else np.empty((0, 0), dtype=np.uint8)
    new_cells: list[tuple[str, bytes]] = []
    made: dict[int, int] = {}  # block of this comparison → position in new_cells
    entries = []
    for k in saved:
        r = rows[k]
        cell: Any = cell_of.get(r.suggestion_id)
        if cell is None and index.cells[k] is not None:
            local = index.cells[k]
            if local not in made:
                scope, centre = index.centroids[local]
                made[local] = len(new_cells)
                new_cells.append((scope or "", np.asarray(centre, dtype="<f4").tobytes()))
            cell = ("new", made[local])
        entries.append(store.IndexEntry(r.suggestion_id, index.keys[k], cell, codes[k].tobytes(),
                                        index.bands.get(k, ())))
    if replace:
        store.reset_dedup_index(session, cid)
    store.save_dedup_index(session, cid, backend, entries, new_cells, on_chunk=lambda: _commit(session))


def _articles_from_group(session: Session, cid: int, suggestion_ids: set[int] | None = None) -> int:
    """A copy the mapper left on no article ("同上，建议三十日内付款") takes the articles that most of
    its duplicate group's other members are linked to: it says what they say. Reviewed
    scopes and explicit or manual links are never touched. Every group's members, or a
    batch's (``suggestion_ids``): the stored copies had their turn when they were new, and
    a group's tally is counted in the database, so a batch reads no campaign whole."""
    takes: dict[int, list[int]] = {}  # suggestion id → the provisions it takes
    unlinked = store.unlinked_general_members(session, cid, None if suggestion_ids is None else sorted(suggestion_ids))
    for gid, (linked, counts) in store.group_article_tallies(session, unlinked).items():
        common = sorted(p for p, n in counts.items() if n * 2 >= linked)
        if linked and common:
            takes.update((sid, common) for sid in unlinked[gid])
    ids = sorted(takes)
    # Committed a chunk at a time: at 10^6 a campaign's copies are tens of thousands.
    for start in range(0, len(ids), MAP_CHUNK):
        for s in store.rows_by_ids(session, Suggestion, ids[start : start + MAP_CHUNK]):
            store.add_semantic_links(session, s, [(p, 1.0, "与同组重复意见相同") for p in takes[s.id]])
            s.is_general, s.is_out_of_scope, s.scope = False, False, "article"
            store.set_meta(s, mapping="duplicate")
        _commit(session)
    return len(takes)


def _campaign_letters(session: Session, rows: list[store.DedupInput], result: Any,
                      groups: list[tuple[str, list[int], int]], draft_text: str, new_ids: set[int],
                      vectors: np.ndarray, embed: Callable[[list[str]], np.ndarray],
                      spoken: Collection[int] = ()) -> None:
    """Campaigns read as whole letters (``pipeline.dedup.shortened_letters``): a shortened
    copy ("同上，建议三十日内付款"), in the template's words or restating its request on its
    scope, joins its campaign's largest group (``groups`` is extended in place), and every
    campaign member's own sentences are kept in its meta ("own_sentences") for the documents
    and the web page. Only letters with a suggestion of ``new_ids``: the stored ones among
    ``rows`` are a sample, read for their template, and were read whole when they were new.
    ``vectors``: the rows' embeddings; ``embed`` embeds each campaign's request; ``spoken``: the
    comments that are symposium turns, which join no campaign."""
    from pipeline.dedup import Meanings, campaigns_of, own_sentences, shortened_letters

    letter_of: dict[Any, list[int]] = {}
    for k, r in enumerate(rows):
        letter_of.setdefault(r.comment_id if r.comment_id is not None else ("s", r.suggestion_id), []).append(k)
    group_at = result.group_index(len(rows))
    letters = list(letter_of.values())
    texts = ["。".join(rows[k].text for k in ks) for ks in letters]
    letter_groups = [{group_at[k] for k in ks if group_at[k] is not None} for ks in letters]
    campaigns = campaigns_of(texts, letter_groups, draft_text)
    template_of = {n: c.wording for c in campaigns for n in c.letters}
    fresh = {n for n, ks in enumerate(letters) if any(rows[k].suggestion_id in new_ids for k in ks)}
    template_of = {n: wording for n, wording in template_of.items() if n in fresh}
    meanings = None
    if campaigns:
        requests = [c.request for c in campaigns]
        # Their cache entries committed: reading every letter below must hold no write lock
        # (at 10^6 another writer waited 53 s: bench/RESULTS.md, findings for the 3c01450 row).
        _embed_first(session, embed, requests)
        meanings = Meanings(letters, vectors, [r.scope for r in rows], embed(requests))
    alone = {n for n, ks in enumerate(letters) if rows[ks[0]].comment_id in spoken} if spoken else set()
    for n, campaign in shortened_letters(texts, letter_groups, draft_text, campaigns, meanings, alone).items():
        if n not in fresh:
            continue
        _kind, members, canonical = groups[campaign.groups[0]]
        groups[campaign.groups[0]] = ("campaign", members + [rows[k].suggestion_id for k in letters[n]], canonical)
        template_of[n] = campaign.wording
    own = {}
    read: dict[tuple[str, frozenset[str]], list[str]] = {}  # a copy sent a thousand times is read once
    for n, template in template_of.items():
        for k in letters[n]:
            key = (rows[k].text, template)
            if key not in read:
                read[key] = own_sentences(rows[k].text, template)
            if read[key]:
                own[rows[k].suggestion_id] = {"own_sentences": read[key]}
    # Committed a chunk at a time: at 10^6 campaign letters are hundreds of thousands.
    store.set_meta_by_id(session, own, on_chunk=lambda: _commit(session))


# --- 9: classify (before clustering) ----------------------------------------------------------


# Suggestions classified per committed chunk.
CLASSIFY_CHUNK = 5_000


def _classify(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer) -> None:
    from pipeline.classify import is_out_of_scope

    classifier = component("classifier", pipe.classifier)
    ids = store.suggestion_ids_to_classify(session, cid)
    types: Counter[str] = Counter()
    # A chunk at a time, each committed: one chunk in memory, and other writers wait for one chunk.
    for start in range(0, len(ids), CLASSIFY_CHUNK):
        chunk = store.texts_to_classify(session, ids[start : start + CLASSIFY_CHUNK])
        type_of: dict[int, str] = {}
        outside: set[int] = set()
        with timer.stage("classify", len(ids), (start, start + len(chunk))) as st:
            for i, s in enumerate(chunk, 1):
                type_of[s.id] = classifier(s.text)
                types[type_of[s.id]] += 1
                if s.scope == "general" and ctx.has_draft and is_out_of_scope(s.text, ctx.full_text):
                    outside.add(s.id)
                if s.scope == "out_of_scope" or s.id in outside:
                    timer.summary.out_of_scope += 1
                st.tick(i)
        with timer.stage("store", 0):
            store.set_types(session, type_of, outside)
        _commit(session)
    if types:
        timer.summary.types = dict(types)


# --- 7-8: embed and cluster --------------------------------------------------------------------


def _proposal_vectors(session: Session, embed: Callable[[list[str]], np.ndarray], ids: list[int],
                      text_of: dict[int, str]) -> dict[int, np.ndarray]:
    """Suggestion id → the embedding clustering compares: of its request sentences when it
    also tells a story or gives reasons (``pipeline.cluster.proposal_text``; two people
    asking the same thing seldom give the same reasons), else of its text. Through the
    run's embedding cache, so a later batch finds them."""
    from pipeline.cluster import proposal_text

    asks = {i: proposal_text(text_of[i]) for i in ids}
    texts = [asks[i] or text_of[i] for i in ids]
    _embed_first(session, embed, texts)
    vectors = embed(texts)
    return {sid: vectors[k] for k, sid in enumerate(ids)}


def _cluster(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer,
             embedder: Callable[[], Any], embed: Callable[[list[str]], np.ndarray],
             run_on: Any = None) -> None:
    """New suggestions join stored clusters of their scope (in the driver: it reads and
    writes the database); the rest are clustered per scope, one partition each, on
    ``run_on`` (``minyi.services.distributed``), and stored in the scopes' order."""
    from minyi.services.distributed import InProcess
    from pipeline.cluster import topicless_cut
    from pipeline.embed import thresholds_for

    # Reading the consultation's scopes and clusters grows with the consultation: timed,
    # and shown, as the clustering's start rather than as a stall after duplicate detection.
    with timer.stage("cluster", 0):
        scopes = store.scope_members(session, cid, ctx, with_text=False)
        store.drop_stale_memberships(session, cid, scopes)
        _commit(session)  # its members are clustered again below, or by the next run
        existing = store.existing_clusters(session, cid)
    pending: dict[str, list[store.ScopeMember]] = {}
    for scope, members in scopes.items():
        done = {sid for ids in existing.get(scope, {}).values() for sid in ids}
        new = [m for m in members if m.suggestion_id not in done]
        if new:
            pending[scope] = new
    if not pending:
        return
    # A forum reply is clustered with the post it agrees with: read for the new members only.
    follows = store.followed_posts(session, [m.suggestion_id for new in pending.values() for m in new])
    for new in pending.values():
        for m in new:
            m.follows = follows.get(m.suggestion_id, ())
    # Embeddings of the new suggestions and of a sample of each stored cluster of the same
    # scopes (``incremental.join_sample``): what a batch reads follows the batch.
    needed: dict[int, None] = {}  # an ordered set: each id read and embedded once
    group_of: dict[int, int | None] = {}
    for scope, new in pending.items():
        in_scope = set()
        for m in scopes[scope]:
            group_of[m.suggestion_id] = m.duplicate_group_id
            in_scope.add(m.suggestion_id)
        needed.update((m.suggestion_id, None) for m in new)
        for members in existing.get(scope, {}).values():
            needed.update((sid, None) for sid in incremental.join_sample(members) if sid in in_scope)
    ids = list(needed)
    text_of = store.analysed_texts(session, ids)
    for new in pending.values():
        for m in new:
            m.text = text_of[m.suggestion_id]
    vec = _proposal_vectors(session, embed, ids, text_of)
    cluster_scope = component("clusterer", pipe.clusterer)
    calibrated = thresholds_for(embedder(), pipe)
    distance, embedding_weight = calibrated.cluster_distance, calibrated.cluster_embedding_weight
    spread = calibrated.cluster_spread
    # The draft's wording is c-TF-IDF's background: words every comment uses (电动自行车)
    # stop being every cluster's label.
    background = [a.text for a in ctx.index.articles] if ctx.has_draft else None
    article_texts = {a.key: a.text for a in ctx.index.articles} if ctx.has_draft else {}
    summary = timer.summary
    jobs: list[_ScopeJob] = []
    with timer.stage("cluster", len(pending)) as st:
        for n_scope, (scope, new) in enumerate(pending.items(), 1):
            stored = existing.get(scope, {})
            on_article = scope.startswith("article:")
            # Opinions on no one article share no topic: a strict cut, not the scope's own.
            cut, scope_spread = (distance, spread) if on_article else (topicless_cut(distance), None)
            provision_id = ctx.provision_ids.get(scope.split(":", 1)[1]) if on_article else None
            article_text = article_texts.get(scope.split(":", 1)[1]) if scope.startswith("article:") else None
            type_of = {m.suggestion_id: m.type for m in scopes[scope]}
            # People who support an article and people who want it changed never share a
            # cluster: "有N人提出" must count people who said the same thing.
            rest_all: list[store.ScopeMember] = []
            stance_of: dict[int, str] = {}
            for stance, new_part in incremental.by_stance(new, type_of).items():
                stored_part = {c: ids for c, ids in stored.items() if incremental.cluster_stance(ids, type_of) == stance}
                # A later batch joins stored clusters at the calibrated cut: the scope's own cut
                # (cluster_spread) needs the whole scope's distances, which a join does not read.
                touched, rest = incremental.join_stored(new_part, stored_part, vec, group_of, cut,
                                                        text_of=text_of, article_text=article_text,
                                                        embedding_weight=embedding_weight)
                for cluster_id, sids in touched.items():
                    store.add_cluster_members(session, cluster_id, sids)
                    summary.clustered += len(sids)
                summary.clusters_extended += len(touched)
                store.refresh_cluster_sizes(session, touched)
                rest_all += rest
                stance_of.update((m.suggestion_id, stance) for m in rest)
            _commit(session)  # one scope's joins: the next scope's comparisons hold no lock
            if rest_all:
                # One clustering per scope (its request words are weighed over the whole
                # scope), stances kept apart inside it.
                jobs.append(_new_clusters_job(scope, provision_id, rest_all, vec, cluster_scope, pipe,
                                              (cut, embedding_weight, article_text, scope_spread), background,
                                              stance_of))
            st.tick(n_scope)
        # The scopes' clusterings are independent: partitions, stored in the scopes' order,
        # each committed on its own (the next scope is computed holding no lock).
        outs = (run_on or InProcess()).map(_cluster_partition, [j.call for j in jobs])
        for job, out in zip(jobs, outs):
            _store_new_clusters(session, cid, job, out, summary)
            _commit(session)
    session.flush()


@dataclass
class _ScopeJob:
    """One scope's new clustering: ``call`` = (clusterer, args, kwargs) is all a worker
    needs; the rest stays in the driver to store the result."""

    scope: str
    provision_id: int | None
    units: list[list[store.ScopeMember]]
    call: tuple[Any, tuple[Any, ...], dict[str, Any]]


def _cluster_partition(call: tuple[Any, tuple[Any, ...], dict[str, Any]]) -> Any:
    """Runs where the executor puts it (a Dask worker, or here): pure."""
    fn, args, kwargs = call
    return fn(*args, **kwargs)


def _new_clusters_job(scope: str, provision_id: int | None, rest: list[store.ScopeMember],
                      vec: dict[int, np.ndarray], cluster_scope: Any, pipe: Any,
                      calibrated: tuple[float, float, str | None, float | None],
                      background: list[str] | None = None,
                      stance_of: dict[int, str] | None = None) -> _ScopeJob:
    """The clustering of members that joined no stored cluster.
    ``calibrated``: (distance threshold, embedding weight, the scope's article text, spread);
    ``stance_of``: suggestion → stance (units of different stances never share a cluster)."""
    distance, embedding_weight, article_text, spread = calibrated
    units = incremental.units(rest)
    reps = [u[0] for u in units]
    args = ([r.text for r in reps], np.stack([vec[r.suggestion_id] for r in reps]), [len(u) for u in units])
    kwargs = dict(
        method=pipe.clusterer,
        distance_threshold=distance,
        settings=pipe,
        background=background,
        article_text=article_text,
        embedding_weight=embedding_weight,
        kinds=[stance_of.get(r.suggestion_id, "change") for r in reps] if stance_of else None,
        spread=spread,
    )
    return _ScopeJob(scope, provision_id, units, (cluster_scope, args, kwargs))


def _store_new_clusters(session: Session, cid: int, job: _ScopeJob, out: Any, summary: RunSummary) -> None:
    """Store one scope's new clusters (in the clusterer's order)."""
    scope, provision_id, units = job.scope, job.provision_id, job.units
    reps = [u[0] for u in units]
    new = []
    for c in out:
        members = [m for i in c.members for m in units[i]]
        types = Counter(m.type for m in members if m.type)
        new.append(store.NewCluster(
            label=c.label, keywords=c.keywords,
            representative=reps[c.representative].suggestion_id,
            members=[m.suggestion_id for m in members],
            # "有N人提出": people (comments), not pieces of their letters.
            size=len({m.comment_id or ("s", m.suggestion_id) for m in members}),
            type=types.most_common(1)[0][0] if types else None,
        ))
        summary.clusters += 1
        summary.clustered += len(members)
    store.create_clusters(session, cid, scope, provision_id, new)
