"""The analysis pipeline for one consultation, end to end and incremental.

``analyze(session, consultation_id)`` reads what is new, runs the stages in order and writes
the results through ``models.analysis_store``:

1. normalise, 2. mask and 3. split every comment not read yet into suggestions;
4. explicit mapping (``pipeline.references``) of suggestions not mapped yet;
5. semantic mapping (``pipeline.semantic``) of those citing nothing — or 总体意见;
6. duplicate detection over all suggestions (only ever adding to stored groups);
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

import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from models import analysis_store as store
from pipeline.components import SEMANTIC_MAPPERS, component
from pipeline.references import Reference

# progress(stage, done, total): called with done=0 when a stage starts and done=total when
# it ends (and in between for long stages).
Progress = Callable[[str, int, int], None]

STAGES = ("normalise", "mask", "split", "map_explicit", "map_semantic", "dedup", "embed",
          "classify", "cluster")


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
    duplicate_groups: int = 0  # new groups
    duplicate_groups_extended: int = 0
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

    def stage(self, name: str, total: int) -> _Stage:
        return _Stage(self, name, total)


class _Stage:
    def __init__(self, timer: _Timer, name: str, total: int) -> None:
        self.timer, self.name, self.total = timer, name, total

    def __enter__(self) -> _Stage:
        self.t0 = time.perf_counter()
        if self.timer.progress:
            self.timer.progress(self.name, 0, self.total)
        return self

    def tick(self, done: int) -> None:
        if self.timer.progress and (done % 200 == 0):
            self.timer.progress(self.name, done, self.total)

    def __exit__(self, *exc: object) -> None:
        seconds = self.timer.summary.seconds
        seconds[self.name] = round(seconds.get(self.name, 0.0) + time.perf_counter() - self.t0, 3)
        if self.timer.progress and exc[0] is None:
            self.timer.progress(self.name, self.total, self.total)


def analyze(
    session: Session,
    consultation_id: int,
    *,
    backend: str | None = None,
    progress: Progress | None = None,
    settings: Any = None,
) -> RunSummary:
    """Run the pipeline on what is new in the consultation; returns the run's summary and
    records it as a ``PipelineRun``."""
    from minyi.settings import get_settings
    from pipeline.embed import canonical_backend

    pipe = settings or get_settings().pipeline
    backend_name = canonical_backend(backend or pipe.embedding_backend)
    ctx = store.load_draft_context(session, consultation_id)
    run = store.start_run(
        session, consultation_id, backend_name, {**pipe.model_dump(), "embedding_backend": backend_name}
    )
    summary = RunSummary(run.id, consultation_id, backend_name, ctx.has_draft)
    timer = _Timer(summary, progress)
    embedder_box: dict[str, Any] = {}

    def embedder():  # type: ignore[no-untyped-def]
        # Loaded on first use: a run with nothing new never loads a model.
        if "e" not in embedder_box:
            from pipeline.embed import get_embedder

            embedder_box["e"] = get_embedder(backend_name, pipe)
        return embedder_box["e"]

    vectors: dict[str, np.ndarray] = {}

    def embed(texts: list[str]) -> np.ndarray:
        """Rows for ``texts`` through the embedding cache (timed as the "embed" stage)."""
        from models.embedding_store import cached_embeddings

        missing = list(dict.fromkeys(t for t in texts if t not in vectors))
        if missing:
            with timer.stage("embed", len(missing)):
                for t, v in zip(missing, cached_embeddings(session, embedder(), missing)):
                    vectors[t] = v
        if not texts:
            return np.zeros((0, embedder().dim), dtype=np.float32)
        return np.stack([vectors[t] for t in texts])

    _split_new_comments(session, consultation_id, ctx, pipe, timer)
    _map_new_suggestions(session, consultation_id, ctx, pipe, timer, embedder, embed)
    # Classify before dedup: out-of-scope marks decide the "other" scope dedup compares in.
    _classify(session, consultation_id, ctx, pipe, timer)
    if summary.suggestions:
        _deduplicate(session, consultation_id, ctx, pipe, timer, embedder, embed)
    _cluster(session, consultation_id, ctx, pipe, timer, embedder, embed)
    store.finish_run(session, run, summary.to_dict())
    return summary


# --- 1-3: normalise, mask, split ---------------------------------------------------------


def _split_new_comments(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer) -> None:
    normaliser = component("normaliser", pipe.normaliser)
    masker = component("masker", pipe.masker)
    splitter = component("splitter", pipe.splitter)
    comments = store.comments_to_split(session, cid)
    summary = timer.summary
    summary.comments = len(comments)
    pii: Counter[str] = Counter()

    with timer.stage("normalise", len(comments)) as st:
        normalised = []
        for i, c in enumerate(comments, 1):
            normalised.append(normaliser(c.text or ""))
            st.tick(i)
    with timer.stage("mask", len(comments)) as st:
        masked = []
        for i, n in enumerate(normalised, 1):
            m = masker(n.text)
            pii.update(s.kind for s in m.spans)
            masked.append(m)
            st.tick(i)
    with timer.stage("split", len(comments)) as st:
        new_pieces = []
        for i, (c, n, m) in enumerate(zip(comments, normalised, masked), 1):
            parts = splitter(n.text, ctx.titles)
            pieces = []
            for p in parts.pieces:
                pm = masker(p.text)
                pieces.append((p.text, pm.text, {"continues": True} if getattr(p, "continues", False) else {}))
            store.save_comment_text(
                c,
                n.text,
                m.text,
                {
                    "run": summary.run_id,
                    # Comment.meta may be shown where personal data may not: cut-out quotes
                    # and signatures are recorded by kind and size, set-aside text masked.
                    "removed": [{"kind": k, "chars": len(x)} for k, x in n.removed],
                    "set_aside": [masker(x).text for x in parts.dropped],
                    "personal_data": [s.to_dict() for s in m.spans],
                },
            )
            new_pieces.append((c, pieces))
            st.tick(i)
        summary.suggestions += store.add_suggestions(session, new_pieces)
    summary.personal_data = dict(pii)
    session.flush()


# --- 4-5: mapping ----------------------------------------------------------------------------


def _map_new_suggestions(session: Session, cid: int, ctx: store.DraftContext, pipe: Any,
                         timer: _Timer, embedder: Callable[[], Any],
                         embed: Callable[[list[str]], np.ndarray]) -> None:
    todo = store.suggestions_to_map(session, cid)
    summary = timer.summary
    if not todo:
        return
    if not ctx.has_draft:
        # Opinions on a topic, not on a text: everything is general.
        for s, _c, _n in todo:
            s.is_general = True
            store.set_meta(s, mapping="general")
        summary.general += len(todo)
        return
    mapper = component("mapper", pipe.mapper)
    unmapped = []
    with timer.stage("map_explicit", len(todo)) as st:
        first: dict[int, int] = {}
        for s, c, _n in todo:
            first.setdefault(c.id, s.ordinal)  # todo is in (comment, ordinal) order
        context = store.previous_contexts(session, first)
        for i, (s, c, n_parts) in enumerate(todo, 1):
            single = n_parts == 1
            res = mapper(
                s.masked_text or s.text,
                ctx.index,
                context=context[c.id],
                declared=c.declared_articles or [],
                declared_mode="union" if single else "fallback",
                quoted_text=c.quoted_text if single else None,
            )
            refs = list(res.references)
            if not refs and (s.meta or {}).get("continues") and context[c.id]:
                # "第五十条明码标价好，但建议统一支付方式": the second point is on the same article.
                refs = [Reference(context[c.id], evidence="承接上文所引条款", via="relative")]
            context[c.id] = res.context
            meta: dict[str, Any] = {"reference_context": res.context}
            if res.problems:
                meta["reference_problems"] = [
                    {"evidence": p.evidence, "reason": p.reason} for p in res.problems
                ]
                summary.reference_problems += len(res.problems)
            if refs:
                store.add_explicit_links(session, s, refs, ctx.provision_ids, unlinked=True)
                meta["mapping"] = "explicit"
                summary.mapped_explicit += 1
            else:
                unmapped.append((s, c, n_parts))
            store.set_meta(s, **meta)
            st.tick(i)
    if not unmapped:
        return
    if pipe.mapper not in SEMANTIC_MAPPERS:
        for s, _c, _n in unmapped:
            s.is_general = True
            store.set_meta(s, mapping="general")
        summary.general += len(unmapped)
        return
    from models.embedding_store import cached_embeddings
    from pipeline.semantic import ArticleDoc, SemanticMapper, _article_pieces

    texts = [s.masked_text or s.text for s, _c, _n in unmapped]
    with timer.stage("map_semantic", len(unmapped)):
        docs = [
            ArticleDoc(
                key=a.key, label=a.label, text=a.text,
                chapter=" ".join(x for x in (a.chapter, a.section) if x) or None,
                provision_id=a.provision_id,
            )
            for a in ctx.index.articles
        ]
        emb = embedder()
        pieces = [p for d in docs for p in _article_pieces(d)]
        mapper_ = SemanticMapper(
            docs, emb, settings=pipe, article_embeddings=cached_embeddings(session, emb, pieces)
        )
        # The whole comment (and the form's quoted draft wording) helps a short point such
        # as "“鼓励”改为“应当”" find its article.
        contexts = [
            "\n".join(x for x in ((c.masked_text if n > 1 else None), c.quoted_text) if x) or None
            for _s, c, n in unmapped
        ]
    # Through the run's embedding cache (timed as "embed"): without expand_embeddings these
    # are the suggestions' own embeddings, which dedup and clustering reuse.
    text_emb = embed(mapper_.embedding_texts(texts))
    context_emb = None
    if mapper_.params.context_embed:
        context_emb = embed([c or t for c, t in zip(contexts, texts)])
    with timer.stage("map_semantic", len(unmapped)):
        links = mapper_.map(texts, text_emb, contexts=contexts, context_embeddings=context_emb)
        for (s, _c, _n), found in zip(unmapped, links):
            rows = [
                (ctx.provision_ids[l.article_key], l.score, f"语义匹配 {l.score:.2f}")
                for l in found
                if l.article_key in ctx.provision_ids
            ]
            if rows:
                store.add_semantic_links(session, s, rows)
                store.set_meta(s, mapping="semantic")
                summary.mapped_semantic += 1
            else:
                s.is_general = True
                store.set_meta(s, mapping="general")
                summary.general += 1
    session.flush()


# --- 6: duplicates ---------------------------------------------------------------------------


def _deduplicate(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer,
                 embedder: Callable[[], Any], embed: Callable[[list[str]], np.ndarray]) -> None:
    """Over all suggestions (a new one may repeat an old one); runs when some are new.

    Each suggestion is compared within its cluster scope ("article:12", "general",
    "other"): the same short text on two articles ("建议删除这一条。") is two proposals,
    while long texts (form letters, campaigns) are still matched across scopes."""
    rows = store.dedup_inputs(session, cid, ctx)
    if len(rows) < 2:
        return
    dedup = component("deduplicator", pipe.deduplicator)
    texts = [r.text for r in rows]
    vectors = embed(texts)
    with timer.stage("dedup", len(rows)):
        ids = [r.suggestion_id for r in rows]
        result = dedup(texts, vectors, settings=pipe, scopes=[r.scope for r in rows], backend=embedder().name)
        current = {r.suggestion_id: r.duplicate_group_id for r in rows}
        groups = [(g.kind, [ids[i] for i in g.members], ids[g.canonical]) for g in result.groups]
        created, extended = store.apply_duplicate_groups(session, cid, groups, current)
        timer.summary.duplicate_groups = created
        timer.summary.duplicate_groups_extended = extended


# --- 9: classify (before clustering) ----------------------------------------------------------


def _classify(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer) -> None:
    from pipeline.classify import is_out_of_scope

    classifier = component("classifier", pipe.classifier)
    todo = store.suggestions_to_classify(session, cid)
    if not todo:
        return
    types: Counter[str] = Counter()
    with timer.stage("classify", len(todo)) as st:
        for i, s in enumerate(todo, 1):
            s.type = classifier(s.masked_text or s.text)
            types[s.type] += 1
            if s.is_general and ctx.has_draft and is_out_of_scope(s.masked_text or s.text, ctx.full_text):
                s.is_out_of_scope = True
                timer.summary.out_of_scope += 1
            st.tick(i)
    timer.summary.types = dict(types)
    session.flush()


# --- 7-8: embed and cluster --------------------------------------------------------------------


def _cluster(session: Session, cid: int, ctx: store.DraftContext, pipe: Any, timer: _Timer,
             embedder: Callable[[], Any], embed: Callable[[list[str]], np.ndarray]) -> None:
    from pipeline.embed import thresholds_for

    scopes = store.scope_members(session, cid, ctx)
    store.drop_stale_memberships(session, cid, scopes)
    existing = store.existing_clusters(session, cid)
    pending: dict[str, list[store.ScopeMember]] = {}
    for scope, members in scopes.items():
        done = {sid for ids in existing.get(scope, {}).values() for sid in ids}
        new = [m for m in members if m.suggestion_id not in done]
        if new:
            pending[scope] = new
    if not pending:
        return
    # Embeddings of every suggestion involved: the new ones and the members of stored
    # clusters of the same scopes (for their centroids); cached, so cheap on re-runs.
    needed: dict[int, str] = {}
    group_of: dict[int, int | None] = {}
    for scope in pending:
        for m in scopes[scope]:
            needed[m.suggestion_id] = m.text
            group_of[m.suggestion_id] = m.duplicate_group_id
    ids = list(needed)
    vectors = embed([needed[i] for i in ids])
    vec = {sid: vectors[k] for k, sid in enumerate(ids)}
    cluster_scope = component("clusterer", pipe.clusterer)
    distance = thresholds_for(embedder(), pipe).cluster_distance
    # The draft's wording is c-TF-IDF's background: words every comment uses (电动自行车)
    # stop being every cluster's label.
    background = [a.text for a in ctx.index.articles] if ctx.has_draft else None
    summary = timer.summary
    with timer.stage("cluster", len(pending)) as st:
        for n_scope, (scope, new) in enumerate(pending.items(), 1):
            stored = existing.get(scope, {})
            provision_id = ctx.provision_ids.get(scope.split(":", 1)[1]) if scope.startswith("article:") else None
            type_of = {m.suggestion_id: m.type for m in scopes[scope]}
            # People who support an article and people who want it changed never share a
            # cluster: "有N人提出" must count people who said the same thing.
            for stance, new_part in _by_stance(new).items():
                stored_part = {c: ids for c, ids in stored.items() if _cluster_stance(ids, type_of) == stance}
                touched, rest = _join_stored(new_part, stored_part, vec, group_of, distance)
                for cluster_id, sids in touched.items():
                    store.add_cluster_members(session, cluster_id, sids)
                    summary.clustered += len(sids)
                summary.clusters_extended += len(touched)
                store.refresh_cluster_sizes(session, touched)
                if rest:
                    _new_clusters(session, cid, scope, provision_id, rest, vec, cluster_scope, pipe, distance,
                                  summary, background)
            st.tick(n_scope)
    session.flush()


def _new_clusters(session: Session, cid: int, scope: str, provision_id: int | None,
                  rest: list[store.ScopeMember], vec: dict[int, np.ndarray], cluster_scope: Any,
                  pipe: Any, distance: float, summary: RunSummary,
                  background: list[str] | None = None) -> None:
    """Cluster members that joined no stored cluster, and store the new clusters."""
    units = _units(rest)
    reps = [u[0] for u in units]
    out = cluster_scope(
        [r.text for r in reps],
        np.stack([vec[r.suggestion_id] for r in reps]),
        [len(u) for u in units],
        method=pipe.clusterer,
        distance_threshold=distance,
        settings=pipe,
        background=background,
    )
    for c in out:
        members = [m for i in c.members for m in units[i]]
        types = Counter(m.type for m in members if m.type)
        store.create_cluster(
            session, cid, scope, provision_id,
            label=c.label, keywords=c.keywords,
            representative=reps[c.representative].suggestion_id,
            members=[m.suggestion_id for m in members],
            size=len(members),
            type_=types.most_common(1)[0][0] if types else None,
        )
        summary.clusters += 1
        summary.clustered += len(members)


# Suggestion types that state a position of their own; the rest (修改/增加/其他) all ask
# for a change and may share a cluster, since the rules often confuse 修改 and 增加.
_STANCES = {"支持": "support", "反对": "oppose", "询问": "question", "删除": "delete"}


def _stance(type_: str | None) -> str:
    return _STANCES.get(type_ or "", "change")


def _by_stance(members: list[store.ScopeMember]) -> dict[str, list[store.ScopeMember]]:
    """Members by stance; a duplicate group stays together (under its first member's)."""
    group_stance: dict[int, str] = {}
    parts: dict[str, list[store.ScopeMember]] = defaultdict(list)
    for m in members:
        stance = _stance(m.type)
        if m.duplicate_group_id is not None:
            stance = group_stance.setdefault(m.duplicate_group_id, stance)
        parts[stance].append(m)
    return dict(parts)


def _cluster_stance(member_ids: list[int], type_of: dict[int, str | None]) -> str:
    stances = Counter(_stance(type_of.get(sid)) for sid in member_ids)
    return stances.most_common(1)[0][0] if stances else "change"


def _units(members: list[store.ScopeMember]) -> list[list[store.ScopeMember]]:
    """Members grouped by duplicate group (one unit, weighted by its size, per group)."""
    by_group: dict[Any, list[store.ScopeMember]] = defaultdict(list)
    for m in members:
        by_group[m.duplicate_group_id if m.duplicate_group_id is not None else ("s", m.suggestion_id)].append(m)
    return list(by_group.values())


def _join_stored(
    new: list[store.ScopeMember],
    stored: dict[int, list[int]],
    vec: dict[int, np.ndarray],
    group_of: dict[int, int | None],
    distance: float,
) -> tuple[dict[int, list[int]], list[store.ScopeMember]]:
    """New members that belong to a stored cluster of their scope: a duplicate of one of its
    members, or within ``distance`` (cosine) of its centroid. Returns {cluster: new ids} and
    the members left over."""
    touched: dict[int, list[int]] = defaultdict(list)
    if not stored:
        return touched, new
    group_cluster: dict[int, int] = {}
    cluster_ids = [c for c, ids in stored.items() if ids]
    for c in cluster_ids:
        for sid in stored[c]:
            gid = group_of.get(sid)
            if gid is not None:
                group_cluster.setdefault(gid, c)
    centroids = []
    for c in cluster_ids:
        rows = [vec[s] for s in stored[c] if s in vec]
        centroid = np.mean(rows, axis=0) if rows else np.zeros_like(next(iter(vec.values())))
        norm = np.linalg.norm(centroid)
        centroids.append(centroid / norm if norm else centroid)
    matrix = np.stack(centroids) if centroids else None
    rest = []
    for m in new:
        target = group_cluster.get(m.duplicate_group_id) if m.duplicate_group_id is not None else None
        if target is None and matrix is not None:
            sims = matrix @ vec[m.suggestion_id]
            best = int(np.argmax(sims))
            if 1.0 - float(sims[best]) <= distance:
                target = cluster_ids[best]
        if target is None:
            rest.append(m)
        else:
            touched[target].append(m.suggestion_id)
            if m.duplicate_group_id is not None:
                group_cluster.setdefault(m.duplicate_group_id, target)
    return touched, rest
