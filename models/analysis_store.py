"""Storage for the analysis pipeline: every database read and write of the analysis happens
here, so the stages themselves stay pure.

Reviewer work is protected by construction: nothing in this module deletes or rewrites a
link with ``is_manual``/method "manual", a cluster with ``is_manual``, a ``ClusterMember``
with ``is_manual``, or a cluster's ``consolidated_text``/``reason_text``/``label`` once
written. Re-runs only add.
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, and_, bindparam, case, delete, exists, false, func, insert, null, or_, select, text, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.provisions import ProvisionTree
from models.entities import (
    Cluster,
    ClusterMember,
    Comment,
    DedupBand,
    DedupCell,
    DraftVersion,
    DuplicateGroup,
    PipelineRun,
    Provision,
    Suggestion,
    SuggestionProvision,
)
from models.store import get_consultation
from minyi.core.records import text_hash
from minyi.core.drafts import DraftArticle, Reference

_CHUNK = 500


# --- the draft --------------------------------------------------------------------------


@dataclass
class DraftContext:
    """What the pipeline needs to know about the consultation's draft (or its absence)."""

    consultation_id: int
    titles: list[str]
    version: DraftVersion | None = None
    articles: list[DraftArticle] = field(default_factory=list)
    # The analysis' index over ``articles`` (pipeline.references.DraftIndex), set by the caller.
    index: Any = None
    provision_ids: dict[str, int] = field(default_factory=dict)  # article key → provision id
    full_text: str = ""

    @property
    def has_draft(self) -> bool:
        return bool(self.articles)


def load_draft_context(session: Session, consultation_id: int) -> DraftContext:
    """The comment-base version's articles (one query for the tree)."""
    consultation = get_consultation(session, consultation_id)
    titles = [consultation.title]
    version = session.scalars(
        select(DraftVersion)
        .where(DraftVersion.consultation_id == consultation_id)
        .order_by(DraftVersion.is_comment_base.desc(), DraftVersion.ordinal)
    ).first()
    ctx = DraftContext(consultation_id, titles)
    if version is None:
        return ctx
    if version.title:
        titles.insert(0, version.title)
    nodes = list(
        session.scalars(
            select(Provision).where(Provision.version_id == version.id).order_by(Provision.order)
        )
    )
    tree = ProvisionTree(nodes)
    children: dict[int, list[Provision]] = defaultdict(list)
    for n in nodes:
        if n.parent_id is not None:
            children[n.parent_id].append(n)

    def ancestor(node: Provision, kind: str) -> str | None:
        found = tree.ancestor(node, kind)
        return found.label if found is not None else None

    articles = []
    for n in nodes:
        if n.kind != "article" or n.number is None:
            continue
        paragraphs = [c for c in children[n.id] if c.kind == "paragraph"]
        items = [[c for c in children[p.id] if c.kind == "item"] for p in paragraphs]
        key = f"{n.number}{n.suffix or ''}"
        articles.append(
            DraftArticle(
                key=key,
                number=n.number,
                suffix=n.suffix,
                label=n.label,
                text=n.text,
                chapter=ancestor(n, "chapter"),
                section=ancestor(n, "section"),
                paragraph_items=tuple(len(i) for i in items),
                paragraph_texts=tuple(
                    "\n".join([p.text, *(i.text for i in its)]) for p, its in zip(paragraphs, items)
                ),
                provision_id=n.id,
            )
        )
        ctx.provision_ids[key] = n.id
    ctx.version = version
    ctx.articles = articles
    ctx.full_text = "\n".join(a.text for a in articles)
    return ctx


# --- runs ---------------------------------------------------------------------------------


@contextmanager
def analysis_lock(session: Session, consultation_id: int) -> Iterator[bool]:
    """Held while one analysis of the consultation runs; yields False (and holds nothing)
    when another process or thread already holds it.

    The operating system releases it when its holder dies, however it dies, so a killed run
    never blocks the next one: a lock file for a SQLite file (``flock``, which also excludes
    a second holder in the same process), a session advisory lock for PostgreSQL (on its own
    connection, which commits of the run cannot give back to the pool). A run holding it
    knows that any run still marked "running" was interrupted."""
    engine = session.get_bind()
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, consultation_id) as held:
            yield held
        return
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        with _process_lock(f"{id(engine)}/{consultation_id}") as held:
            yield held
        return
    with _file_lock(Path(f"{database}.analysis-{consultation_id}.lock")) as held:
        yield held


@contextmanager
def _file_lock(path: Path) -> Iterator[bool]:
    import fcntl

    with open(path, "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Any, consultation_id: int) -> Iterator[bool]:
    # Keyed by schema too: consultations of two schemas in one database are not the same.
    key = text("SELECT hashtextextended(current_schema() || '/analysis/' || :cid, 0)")
    with engine.connect() as conn:
        lock_key = conn.execute(key, {"cid": str(consultation_id)}).scalar_one()
        held = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": lock_key}).scalar_one()
        conn.commit()
        try:
            yield bool(held)
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": lock_key})
                conn.commit()


_PROCESS_LOCKS: dict[str, threading.Lock] = {}


@contextmanager
def _process_lock(name: str) -> Iterator[bool]:
    """For a database that lives in this process (SQLite in memory)."""
    lock = _PROCESS_LOCKS.setdefault(name, threading.Lock())
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def start_run(session: Session, consultation_id: int, backend: str, settings: dict[str, Any]) -> PipelineRun:
    run = PipelineRun(
        consultation_id=consultation_id, kind="analyze", backend=backend, settings=settings,
        status="running", started_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


def close_interrupted_runs(session: Session, consultation_id: int) -> list[PipelineRun]:
    """Mark the consultation's analysis runs still "running" as "interrupted" (a killed run
    commits its work in chunks and never finishes); returns them."""
    runs = list(
        session.scalars(
            select(PipelineRun).where(
                PipelineRun.consultation_id == consultation_id,
                PipelineRun.kind == "analyze",
                PipelineRun.status == "running",
            )
        )
    )
    for run in runs:
        run.status = "interrupted"
        run.finished_at = utcnow()
    session.flush()
    return runs


def note_run(session: Session, run: PipelineRun, **values: Any) -> None:
    """Facts about a run still going (``mapping_done``: its mapping is all committed)."""
    run.stats = {**(run.stats or {}), **values}
    session.flush()


# What mapping writes into a suggestion's meta (``undo_mapping`` takes it back).
MAPPING_META = ("mapping", "mapped_in", "reference_context", "reference_problems", "cross_references",
                "chapter", "section", "not_opinion")


def undo_mapping(session: Session, consultation_id: int, run_ids: Sequence[int]) -> int:
    """Take back what runs killed part-way through mapping had mapped (mapping commits a
    chunk of comments at a time), so that the next run maps it again with the rest: its
    learned examples and citation checks span the whole batch, as an unbroken run's do.
    A suggestion a reviewer placed or linked by hand is left as it is. Returns how many."""
    wanted = set(run_ids)
    if not wanted:
        return 0
    table = Suggestion.__table__
    manual = exists().where(SuggestionProvision.suggestion_id == table.c.id, SuggestionProvision.method == "manual")
    rows = [
        {"b_id": sid, "b_meta": {k: v for k, v in meta.items() if k not in MAPPING_META}}
        for sid, meta in session.execute(
            select(table.c.id, table.c.meta)
            .where(table.c.consultation_id == consultation_id, table.c.reviewed_scope.is_(None), ~manual)
        )
        if (meta or {}).get("mapped_in") in wanted
    ]
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start : start + _CHUNK]
        session.execute(delete(SuggestionProvision).where(
            SuggestionProvision.suggestion_id.in_([r["b_id"] for r in chunk])))
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(
                meta=bindparam("b_meta"), scope=None, is_general=False, is_out_of_scope=False,
                citation_check=null(), sureness=None),  # SQL NULL, not JSON null
            chunk,
        )
    session.expire_all()
    return len(rows)


def finish_run(session: Session, run: PipelineRun, stats: dict[str, Any], status: str = "ok",
               error: str | None = None) -> None:
    run.stats = stats
    run.status = status
    run.error = error
    run.finished_at = utcnow()
    session.flush()


def list_runs(session: Session, consultation_id: int) -> list[PipelineRun]:
    return list(
        session.scalars(
            select(PipelineRun)
            .where(PipelineRun.consultation_id == consultation_id)
            .order_by(PipelineRun.id)
        )
    )


# --- comments and suggestions --------------------------------------------------------------


def comment_ids_to_split(session: Session, consultation_id: int) -> list[int]:
    """Ids of the comments the pipeline has not read yet (it sets ``normalized_text`` on
    each), in order: the caller loads them a chunk at a time (``rows_by_ids``)."""
    return list(
        session.scalars(
            select(Comment.id)
            .where(Comment.consultation_id == consultation_id, Comment.normalized_text.is_(None))
            .order_by(Comment.id)
        )
    )


def rows_by_ids(session: Session, entity: Any, ids: Sequence[int]) -> list[Any]:
    """The ``entity`` rows (Comment, Suggestion) with these ids, in id order, read
    ``_CHUNK`` ids per query."""
    out: list[Any] = []
    for start in range(0, len(ids), _CHUNK):
        out.extend(session.scalars(select(entity).where(entity.id.in_(ids[start : start + _CHUNK]))))
    return sorted(out, key=lambda row: row.id)


def comment_texts(session: Session, ids: Sequence[int]) -> list[str]:
    """The texts of the comments with these ids, in the order of ``ids`` ("" for none):
    plain strings, for a computation that runs away from the session."""
    text_of: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        text_of.update(session.execute(
            select(Comment.id, Comment.text).where(Comment.id.in_(ids[start : start + _CHUNK]))).all())
    return [text_of.get(i) or "" for i in ids]


def save_comment_texts(session: Session, read: dict[int, tuple[str, str, dict[str, Any]]]) -> None:
    """Comment id → (normalised text, masked text, the pipeline's meta), as executemany
    UPDATEs: an ORM object per comment (loaded, tracked, flushed) cost the split stage more
    than its storing (py-spy at 100k, 2026-12-04)."""
    if not read:
        return
    table = Comment.__table__
    ids = sorted(read)
    for start in range(0, len(ids), _CHUNK):
        rows = []
        for cid, meta in session.execute(
                select(table.c.id, table.c.meta).where(table.c.id.in_(ids[start : start + _CHUNK]))):
            normalised, masked, pipeline_meta = read[cid]
            rows.append({"b_id": cid, "b_normalized": normalised, "b_masked": masked,
                         "b_hash": text_hash(normalised), "b_meta": {**(meta or {}), "pipeline": pipeline_meta}})
        if rows:
            session.execute(
                update(table).where(table.c.id == bindparam("b_id")).values(
                    normalized_text=bindparam("b_normalized"), masked_text=bindparam("b_masked"),
                    text_hash=bindparam("b_hash"), meta=bindparam("b_meta")),
                rows,
            )


def add_suggestions(session: Session, consultation_id: int,
                    pieces_by_comment: Sequence[tuple[int, Sequence[tuple[str, str, dict[str, Any]]]]]) -> int:
    """One suggestion per (text, masked_text, meta) of each comment (by id), numbered after
    any the comment has. Bulk: one query per chunk of comments and one multi-row INSERT per
    chunk of suggestions (a flush per comment cost ~3 ms, i.e. minutes at 100k). Returns
    how many were added."""
    ids = [cid for cid, pieces in pieces_by_comment if pieces]
    last: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        last.update(
            session.execute(
                select(Suggestion.comment_id, func.max(Suggestion.ordinal))
                .where(Suggestion.comment_id.in_(ids[start : start + _CHUNK]))
                .group_by(Suggestion.comment_id)
            ).all()
        )
    rows = [
        {
            "consultation_id": consultation_id,
            "comment_id": cid,
            "ordinal": i,
            "text": text,
            "masked_text": masked,
            "text_hash": text_hash(masked),
            "meta": dict(meta),
        }
        for cid, pieces in pieces_by_comment
        for i, (text, masked, meta) in enumerate(pieces, start=int(last.get(cid, -1)) + 1)
    ]
    for start in range(0, len(rows), _CHUNK * 4):
        session.execute(insert(Suggestion), rows[start : start + _CHUNK * 4])
    return len(rows)


def _never_mapped() -> tuple[Any, ...]:
    """No scope from the analysis, no link, and not placed by a reviewer (what a reviewer
    placed is never mapped again). The scope is what keeps a batch from reading again the
    suggestions an earlier run left on no article (总体意见, 草案范围外, 非意见): a tenth of a
    national consultation. A killed run's mapping is taken back with its scope
    (``undo_mapping``)."""
    linked = exists().where(SuggestionProvision.suggestion_id == Suggestion.id)
    return (Suggestion.scope.is_(None), ~linked, Suggestion.reviewed_scope.is_(None))


def comments_to_map(session: Session, consultation_id: int) -> list[tuple[int, int]]:
    """(comment id, how many of its suggestions may need mapping), in comment order: the
    caller reads them a chunk of comments at a time (``suggestions_to_map``)."""
    return list(
        session.execute(
            select(Suggestion.comment_id, func.count())
            .where(*_consultation_span(session, consultation_id), *_never_mapped())
            .group_by(Suggestion.comment_id)
            .order_by(Suggestion.comment_id)
        ).tuples()
    )


@dataclass(slots=True)
class ToMap:
    """A suggestion as the mapping reads it and sets it (``MAPPED_COLUMNS``, written back by
    ``save_mapped``): a plain row, not an ORM object, whose loading and change tracking cost
    the mapping more than its deciding (py-spy at 100k, 2026-12-04)."""

    id: int
    comment_id: int
    ordinal: int
    text: str
    masked_text: str | None
    meta: dict[str, Any]
    scope: str | None
    is_general: bool
    is_out_of_scope: bool
    sureness: float | None
    citation_check: dict[str, Any] | None


@dataclass(frozen=True, slots=True)
class MapComment:
    """What the mapping reads of a suggestion's comment (and the external id, by which the
    evaluation's tuning names what the mapping was given: eval/tune_mapping.py)."""

    id: int
    meta: dict[str, Any]
    declared_articles: list[str] | None
    quoted_text: str | None
    masked_text: str | None
    text: str | None  # the original, read only where masked_text is empty
    external_id: str | None


def suggestions_to_map(session: Session, comment_ids: Sequence[int]) -> list[tuple[ToMap, MapComment, int]]:
    """The never-mapped suggestions of these comments (no mapping mark and no link), with
    their comment and the number of suggestions that comment has, in comment order
    (context carries over). ``comment_ids``: one chunk, as ``comments_to_map`` lists them."""
    rows = session.execute(
        select(Suggestion.id, Suggestion.comment_id, Suggestion.ordinal, Suggestion.text, Suggestion.masked_text,
               Suggestion.meta, Suggestion.scope, Suggestion.is_general, Suggestion.is_out_of_scope,
               Suggestion.sureness, Suggestion.citation_check,
               Comment.meta, Comment.declared_articles, Comment.quoted_text, Comment.masked_text,
               # The original only where nothing was masked (read as ``c.masked_text or c.text``):
               # a comment's original text is not read again per suggestion of every chunk.
               case((func.coalesce(Comment.masked_text, "") == "", Comment.text), else_=null()),
               Comment.external_id)
        .join(Comment, Comment.id == Suggestion.comment_id)
        # By comment id only (the ids are the consultation's): with the consultation in the
        # filter SQLite walked its whole queue index for every chunk.
        .where(*_never_mapped(), Suggestion.comment_id.in_(comment_ids))
        .order_by(Suggestion.comment_id, Suggestion.ordinal)
    ).all()
    comments: dict[int, MapComment] = {}
    todo = []
    for row in rows:
        s = ToMap(*row[:11])
        s.meta = s.meta or {}
        if "mapping" in s.meta:
            continue
        if s.comment_id not in comments:
            comments[s.comment_id] = MapComment(s.comment_id, row[11] or {}, *row[12:])
        todo.append((s, comments[s.comment_id]))
    if not todo:
        return []
    ids = sorted(comments)
    counts: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        counts.update(session.execute(
            select(Suggestion.comment_id, func.count())
            .where(Suggestion.comment_id.in_(ids[start : start + _CHUNK]))
            .group_by(Suggestion.comment_id)
        ).tuples().all())
    return [(s, c, counts.get(c.id, 1)) for s, c in todo]


def previous_contexts(session: Session, first_ordinal: dict[int, int]) -> dict[int, str | None]:
    """For each comment id → the ordinal of its first suggestion to map: the last article
    cited by its earlier suggestions (for 前款/本条). One query per chunk of comments, and
    none for comments whose first suggestion is the first one (the usual case)."""
    out: dict[int, str | None] = {cid: None for cid in first_ordinal}
    ids = [cid for cid, ordinal in first_ordinal.items() if ordinal > 0]
    best: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        for cid, ordinal, meta in session.execute(
            select(Suggestion.comment_id, Suggestion.ordinal, Suggestion.meta)
            .where(Suggestion.comment_id.in_(ids[start : start + _CHUNK]))
        ):
            ctx = (meta or {}).get("reference_context")
            if ctx and ordinal < first_ordinal[cid] and ordinal > best.get(cid, -1):
                best[cid] = ordinal
                out[cid] = ctx
    return out


def previous_context(session: Session, comment_id: int, before_ordinal: int) -> str | None:
    """The last article cited by earlier suggestions of the comment (for 前款/本条)."""
    return previous_contexts(session, {comment_id: before_ordinal})[comment_id]


# The evidence of a link a forum reply took from the post it agrees with.
THREAD_EVIDENCE = "承接楼上所说条款"


@dataclass
class ForumThreads:
    """The forum threads of a batch: thread id → floor → {article key: the post's suggestion
    linked to it} (``articles``, empty for a post on no article), and thread id → floor →
    the post's suggestions (``posts``)."""

    articles: dict[Any, dict[int, dict[str, int]]]
    posts: dict[Any, dict[int, list[int]]]


def thread_articles(session: Session, consultation_id: int, provision_ids: dict[str, int],
                    comment_ids: Sequence[int]) -> ForumThreads:
    """The posts of the threads ``comment_ids`` were posted in (forum comments carry
    ``thread_id`` and ``floor`` in ``Comment.meta``), for replies that take their subject
    from an earlier post: a batch's replies look up their own threads, so a batch does not
    read every forum post of the consultation."""
    query = (
        select(Comment.meta, Suggestion.id, SuggestionProvision.provision_id)
        .join(Suggestion, Suggestion.comment_id == Comment.id)
        .join(SuggestionProvision, SuggestionProvision.suggestion_id == Suggestion.id, isouter=True)
        .where(Comment.consultation_id == consultation_id, Comment.channel == "forum")
        .order_by(SuggestionProvision.id)
    )
    wanted = sorted(_threads_of(session, comment_ids))
    # As text (as_string casts): a thread id may be stored as a number or a string.
    thread = Comment.meta["thread_id"].as_string()
    queries = [query.where(thread.in_(wanted[start : start + _CHUNK])) for start in range(0, len(wanted), _CHUNK)]
    key_by_pid = {pid: key for key, pid in provision_ids.items()}
    out: dict[Any, dict[int, dict[str, int]]] = defaultdict(dict)
    posts: dict[Any, dict[int, list[int]]] = defaultdict(dict)
    for statement in queries:
        for meta, sid, pid in session.execute(statement):
            meta = meta or {}
            thread, floor = meta.get("thread_id"), meta.get("floor")
            if thread is None or not isinstance(floor, int):
                continue
            keys = out[thread].setdefault(floor, {})
            if pid in key_by_pid:
                keys.setdefault(key_by_pid[pid], sid)
            post = posts[thread].setdefault(floor, [])
            if sid not in post:
                post.append(sid)
    return ForumThreads(dict(out), dict(posts))


# The evidence of a link a symposium turn took from the speaker it agrees with.
SPEAKER_EVIDENCE = "承接所赞同发言所说条款"


@dataclass
class SymposiumTurns:
    """The turns of the minutes some comments were spoken in, for a turn that agrees with a
    speaker it names ("我同意李秀英的意见，……"): per minutes (source id), each turn in the
    order spoken as (comment id, speaker, {article key: its suggestion linked to it}); and the
    original text of the turns asked about (the name is masked in the masked text)."""

    turns: dict[int, list[tuple[int, str | None, dict[str, int]]]] = field(default_factory=dict)
    spoken: dict[int, tuple[int, str]] = field(default_factory=dict)  # comment id → (minutes, text)
    # comment id → its turn's {article key: suggestion} (the same dicts as in ``turns``), kept
    # up to date as the mapping links the turn.
    articles: dict[int, dict[str, int]] = field(default_factory=dict)


def symposium_turns(session: Session, consultation_id: int, provision_ids: dict[str, int],
                    comment_ids: Sequence[int]) -> SymposiumTurns:
    """The symposium turns among ``comment_ids`` and every turn of their minutes (few beside
    the letters and forms; the minutes of a batch, not of the consultation)."""
    out = SymposiumTurns()
    ids = sorted(set(comment_ids))
    for start in range(0, len(ids), _CHUNK):
        for cid, source, text in _plain_rows(session, select(Comment.id, Comment.source_id, Comment.text).where(
                Comment.id.in_(ids[start : start + _CHUNK]), Comment.channel == "symposium")):
            out.spoken[cid] = (source, text or "")
    sources = sorted({source for source, _t in out.spoken.values() if source is not None})
    if not sources:
        return out
    key_by_pid = {pid: key for key, pid in provision_ids.items()}
    turn_of = out.articles
    for cid, source, speaker, sid, pid in _plain_rows(session, (
            select(Comment.id, Comment.source_id, Comment.author_name, Suggestion.id, SuggestionProvision.provision_id)
            .join(Suggestion, Suggestion.comment_id == Comment.id, isouter=True)
            .join(SuggestionProvision, SuggestionProvision.suggestion_id == Suggestion.id, isouter=True)
            .where(Comment.consultation_id == consultation_id, Comment.channel == "symposium",
                   Comment.source_id.in_(sources))
            .order_by(Comment.id, SuggestionProvision.id))):
        if cid not in turn_of:
            turn_of[cid] = {}
            out.turns.setdefault(source, []).append((cid, speaker, turn_of[cid]))
        if pid in key_by_pid:
            turn_of[cid].setdefault(key_by_pid[pid], sid)
    return out


def spoken_comments(session: Session, consultation_id: int) -> set[int]:
    """The consultation's comments that are turns spoken at a symposium (the minutes' record
    of what someone said); few beside the letters and forms."""
    return set(session.scalars(select(Comment.id).where(
        Comment.consultation_id == consultation_id, Comment.channel == "symposium")))


def _threads_of(session: Session, comment_ids: Sequence[int]) -> set[str]:
    """The forum threads these comments were posted in, as text."""
    out: set[str] = set()
    ids = sorted(set(comment_ids))
    for start in range(0, len(ids), _CHUNK):
        for (meta,) in _plain_rows(session, select(Comment.meta).where(
                Comment.id.in_(ids[start : start + _CHUNK]), Comment.channel == "forum")):
            thread = (meta or {}).get("thread_id") if isinstance(meta, dict) else None
            if thread is not None:
                out.add(str(thread))
    return out


def set_meta_by_id(session: Session, values_by_id: dict[int, dict[str, Any]],
                   on_chunk: Callable[[], None] | None = None) -> None:
    """What ``set_meta`` does, on the suggestions with these ids, as executemany UPDATEs
    (an ORM object per suggestion cost a fifth of the dedup stage); ``on_chunk`` (the
    caller's commit) runs after each chunk of them."""
    if not values_by_id:
        return
    session.flush()  # pending ORM changes to these rows are read back, not overwritten
    ids = sorted(values_by_id)
    table = Suggestion.__table__
    for start in range(0, len(ids), _CHUNK):
        rows = [
            {"b_id": sid, "b_meta": {**(meta or {}), **values_by_id[sid]}}
            for sid, meta in session.execute(
                select(table.c.id, table.c.meta).where(table.c.id.in_(ids[start : start + _CHUNK]))
            )
        ]
        if rows:
            session.execute(
                update(table).where(table.c.id == bindparam("b_id"))
                .values(meta=bindparam("b_meta"), sureness=None),  # as set_meta: re-rated by the queue
                rows,
            )
        if on_chunk is not None:
            on_chunk()
    session.expire_all()  # objects already loaded must not keep the old meta


def unlinked_general_members(session: Session, consultation_id: int, suggestion_ids: Sequence[int] | None = None
                             ) -> dict[int, list[int]]:
    """Duplicate group → its members the mapper left on no article (总体意见, or 草案范围外 by
    their words: a copy's few words may all be colloquial) and no reviewer's scope; among
    every group's members, or among ``suggestion_ids``."""
    linked = exists().where(SuggestionProvision.suggestion_id == Suggestion.id)
    out: dict[int, list[int]] = defaultdict(list)
    if suggestion_ids is None:
        wheres = [and_(*_consultation_span(session, consultation_id))]
    else:  # by primary key alone (see ``_dedup_inputs``)
        ids = sorted(suggestion_ids)
        wheres = [Suggestion.id.in_(ids[s : s + _CHUNK]) for s in range(0, len(ids), _CHUNK)]
    for where in wheres:
        for sid, gid in session.execute(
            select(Suggestion.id, Suggestion.duplicate_group_id)
            .where(where, Suggestion.duplicate_group_id.is_not(None), Suggestion.scope.in_(("general", "out_of_scope")),
                   Suggestion.reviewed_scope.is_(None), ~linked)
            .order_by(Suggestion.id)
        ):
            out[gid].append(sid)
    return out


def group_article_tallies(session: Session, group_ids: Iterable[int]) -> dict[int, tuple[int, dict[int, int]]]:
    """Duplicate group → (how many of its members are linked to an article, provision id →
    how many members are linked to it), counted in the database: a campaign's thousands of
    letters are not read."""
    out: dict[int, tuple[int, dict[int, int]]] = {}
    tallies: dict[int, dict[int, int]] = defaultdict(dict)
    gids = sorted(group_ids)
    for where in (Suggestion.duplicate_group_id.in_(gids[s : s + _CHUNK]) for s in range(0, len(gids), _CHUNK)):
        joined = (select(Suggestion.duplicate_group_id, SuggestionProvision.provision_id, SuggestionProvision.suggestion_id)
                  .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id).where(where).subquery())
        for gid, pid, n in session.execute(
            select(joined.c.duplicate_group_id, joined.c.provision_id, func.count(func.distinct(joined.c.suggestion_id)))
            .group_by(joined.c.duplicate_group_id, joined.c.provision_id)
        ):
            tallies[gid][pid] = n
        for gid, n in session.execute(
            select(joined.c.duplicate_group_id, func.count(func.distinct(joined.c.suggestion_id)))
            .group_by(joined.c.duplicate_group_id)
        ):
            out[gid] = (n, tallies[gid])
    return out


def set_meta(suggestion: Suggestion | ToMap, **values: Any) -> None:
    suggestion.meta = {**(suggestion.meta or {}), **values}
    suggestion.sureness = None  # where it stands changed: the review queue works it out again


def add_explicit_links(session: Session, suggestion: Suggestion | ToMap, refs: Iterable[Reference],
                       provision_ids: dict[str, int], *, unlinked: bool = False) -> int:
    """Links for the references: one per article, the most specific (a 项 before a 款
    before the article; the first of equals): "第十四条第一款第（四）项" written in the text
    wins over the form's 涉及条款：第14条.
    ``unlinked``: the caller knows the suggestion has no link yet (saves a query per row)."""
    existing = set() if unlinked or not suggestion.id else {
        pid for (pid,) in session.execute(
            select(SuggestionProvision.provision_id).where(SuggestionProvision.suggestion_id == suggestion.id)
        )
    }
    n = 0
    suggestion.sureness = None
    best: dict[str, Reference] = {}
    for r in refs:
        kept = best.get(r.article_key)
        if kept is None or _specificity(r) > _specificity(kept):
            best[r.article_key] = r
    for r in best.values():
        pid = provision_ids.get(r.article_key)
        if pid is None or pid in existing:
            continue
        session.add(
            SuggestionProvision(
                suggestion_id=suggestion.id, provision_id=pid, method="explicit", score=1.0,
                paragraph=r.paragraph, item=r.item, evidence=(r.evidence or "")[:500],
            )
        )
        existing.add(pid)
        n += 1
    return n


def keep_links(session: Session, kept: dict[int, list[int]], note: str) -> None:
    """Of each suggestion's links, only those to the provisions ``kept`` lists for it stay;
    ``note`` is added to their evidence (why the others went)."""
    ids = sorted(kept)
    for start in range(0, len(ids), _CHUNK):  # a query per chunk, not per suggestion
        for link in session.scalars(select(SuggestionProvision).where(
                SuggestionProvision.suggestion_id.in_(ids[start : start + _CHUNK]))):
            if link.provision_id in kept[link.suggestion_id]:
                link.evidence = f"{link.evidence or ''}{note}"[:500]
            else:
                session.delete(link)
    for s in rows_by_ids(session, Suggestion, ids):
        s.sureness = None  # where it stands changed: the review queue works it out again


def _specificity(ref: Reference) -> tuple[bool, bool]:
    return ref.item is not None, ref.paragraph is not None


# What the mapping sets on a suggestion it loaded (``minyi.services.analysis``).
MAPPED_COLUMNS = ("scope", "is_general", "is_out_of_scope", "meta", "sureness", "citation_check")


def save_mapped(session: Session, suggestions: Sequence[ToMap]) -> None:
    """Write what the mapping set on these suggestions (``MAPPED_COLUMNS``) as executemany
    UPDATEs, after their new links. The ORM's unit of work over a chunk's objects (change
    tracking, per-row bookkeeping) cost the mapping twice the UPDATEs themselves."""
    if not suggestions:
        return
    table = Suggestion.__table__
    rows = [{"b_id": s.id, **{f"b_{c}": getattr(s, c) for c in MAPPED_COLUMNS}} for s in suggestions]
    session.flush()  # the links
    # None in a JSON column is SQL NULL, as the ORM writes it ("no citation check"), not JSON null.
    values = {c: bindparam(f"b_{c}", type_=JSON(none_as_null=True) if isinstance(table.c[c].type, JSON) else None)
              for c in MAPPED_COLUMNS}
    for start in range(0, len(rows), _CHUNK):
        session.execute(update(table).where(table.c.id == bindparam("b_id")).values(**values),
                        rows[start : start + _CHUNK])


def add_semantic_links(session: Session, suggestion: Suggestion | ToMap,
                       links: Iterable[tuple[int, float, str]]) -> int:
    """``links``: (provision id, calibrated score, evidence)."""
    n = 0
    suggestion.sureness = None
    for pid, score, evidence in links:
        session.add(
            SuggestionProvision(
                suggestion_id=suggestion.id, provision_id=pid, method="semantic",
                score=float(score), evidence=evidence[:500],
            )
        )
        n += 1
    return n


def suggestion_ids_to_classify(session: Session, consultation_id: int) -> list[int]:
    """Ids of the suggestions without a type, in order: the caller reads them a chunk at a
    time (``texts_to_classify``)."""
    return list(
        session.scalars(
            select(Suggestion.id)
            .where(*_consultation_span(session, consultation_id), Suggestion.type.is_(None))
            .order_by(Suggestion.id)
        )
    )


@dataclass(frozen=True)
class ToClassify:
    """What the classifier reads of a suggestion: its masked text (else its text) and scope."""

    id: int
    text: str
    scope: str | None


def texts_to_classify(session: Session, ids: Sequence[int]) -> list[ToClassify]:
    """The suggestions with these ids, in id order, as plain rows: an ORM object per
    suggestion (its meta decoded, its changes tracked) cost the classify stage five times
    its classifying (py-spy at 100k, 2026-12-04)."""
    table = Suggestion.__table__
    out: list[ToClassify] = []
    for start in range(0, len(ids), _CHUNK):
        out.extend(
            ToClassify(sid, masked or text_ or "", scope)
            for sid, masked, text_, scope in session.execute(
                select(table.c.id, table.c.masked_text, table.c.text, table.c.scope)
                .where(table.c.id.in_(ids[start : start + _CHUNK]))
            )
        )
    return sorted(out, key=lambda row: row.id)


def set_types(session: Session, types: dict[int, str], out_of_scope: set[int]) -> None:
    """Each suggestion's type, and 草案范围外 for ``out_of_scope``, as executemany UPDATEs."""
    if not types:
        return
    session.flush()  # pending ORM changes to these rows go first, and are not overwritten
    table = Suggestion.__table__
    plain = [{"b_id": sid, "b_type": t} for sid, t in types.items() if sid not in out_of_scope]
    outside = [{"b_id": sid, "b_type": t} for sid, t in types.items() if sid in out_of_scope]
    by_id = table.c.id == bindparam("b_id")
    if plain:
        session.execute(update(table).where(by_id).values(type=bindparam("b_type")), plain)
    if outside:
        session.execute(update(table).where(by_id).values(type=bindparam("b_type"), is_out_of_scope=True,
                                                          scope="out_of_scope"), outside)
    session.expire_all()  # objects already loaded must not keep the old values


# --- duplicates ----------------------------------------------------------------------------


@dataclass
class DedupInput:
    suggestion_id: int
    text: str  # masked
    duplicate_group_id: int | None
    scope: str  # "article:<key>" (its first linked article), "other" or "general"
    comment_id: int | None = None  # the letter it is a piece of (campaigns are letters)


def dedup_inputs(session: Session, consultation_id: int, ctx: DraftContext | None = None, *,
                 new_only: bool = False, ids: Sequence[int] | None = None) -> list[DedupInput]:
    """Suggestions by id with their cluster scope: every one, those duplicate detection has
    not compared yet (``new_only``: no ``dedup_key``), or those with ``ids``; never those
    marked 非意见 (not an opinion)."""
    if ids is not None:
        out: list[DedupInput] = []
        for start in range(0, len(ids), _CHUNK):
            out.extend(_dedup_inputs(session, None, ctx, Suggestion.id.in_(ids[start : start + _CHUNK])))
        return sorted(out, key=lambda r: r.suggestion_id)
    return _dedup_inputs(session, consultation_id, ctx, Suggestion.dedup_key.is_(None) if new_only else None)


def _dedup_inputs(session: Session, consultation_id: int | None, ctx: DraftContext | None, where: Any
                  ) -> list[DedupInput]:
    """``consultation_id`` None: ``where`` picks suggestions by id (of one consultation)."""
    key_by_pid = {pid: key for key, pid in ctx.provision_ids.items()} if ctx is not None else {}
    if consultation_id is None:
        # By primary key alone: with the consultation's condition too, SQLite would walk the
        # consultation's review-queue index (a batch's few thousand ids read as the whole).
        conditions = [where]
    elif where is None:
        conditions = _consultation_span(session, consultation_id)
    else:
        conditions = [Suggestion.consultation_id == consultation_id, where]
    first_article: dict[int, str] = {}
    if key_by_pid:
        for sid, pid in session.execute(
            select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id)
            .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
            .where(*conditions)
            .order_by(SuggestionProvision.id)
        ):
            if pid in key_by_pid:
                first_article.setdefault(sid, f"article:{key_by_pid[pid]}")
    return [
        DedupInput(sid, masked or text, gid, first_article.get(sid) or ("other" if out else "general"), comment_id)
        for sid, masked, text, gid, out, comment_id in session.execute(
            select(Suggestion.id, Suggestion.masked_text, Suggestion.text, Suggestion.duplicate_group_id,
                   Suggestion.is_out_of_scope, Suggestion.comment_id)
            .where(*conditions, _is_opinion())
            .order_by(Suggestion.id)
        )
    ]


# --- the stored duplicate index (pipeline.dedup.DedupIndex) ----------------------------------

# Stored suggestions read per LSH band: a campaign's thousands of letters share bands, and a
# few of them stand for the rest (duplicate detection keeps as many per group in its index).
BAND_READ_CAP = 30


def has_dedup_index(session: Session, consultation_id: int, backend: str) -> bool:
    """Whether duplicate detection stored its index for this consultation with this embedding
    backend (its blocks are that backend's)."""
    return session.scalar(
        select(exists().where(DedupCell.consultation_id == consultation_id, DedupCell.backend == backend))
    )


def exact_candidates(session: Session, consultation_id: int, keys: Iterable[int]) -> set[int]:
    """A stored suggestion per (exact key, duplicate group) among ``keys``: one member stands
    for its group, and a new exact copy joins the group through it."""
    keys = sorted({k for k in keys if k})
    out: set[int] = set()
    for start in range(0, len(keys), _CHUNK):
        out.update(session.scalars(
            select(func.min(Suggestion.id))
            .where(Suggestion.consultation_id == consultation_id, Suggestion.dedup_key.in_(keys[start : start + _CHUNK]))
            .group_by(Suggestion.dedup_key, Suggestion.duplicate_group_id)
        ))
    return out


def band_candidates(session: Session, consultation_id: int, bands: Iterable[int]) -> dict[int, list[int]]:
    """Band hash → stored suggestions with it (at most ``BAND_READ_CAP`` each)."""
    bands = sorted(set(bands))
    out: dict[int, list[int]] = defaultdict(list)
    for start in range(0, len(bands), _CHUNK):
        ranked = (
            select(DedupBand.band_hash, DedupBand.suggestion_id,
                   func.row_number().over(partition_by=DedupBand.band_hash, order_by=DedupBand.suggestion_id).label("n"))
            .where(DedupBand.consultation_id == consultation_id, DedupBand.band_hash.in_(bands[start : start + _CHUNK]))
            .subquery()
        )
        for band, sid in _plain_rows(session, select(ranked.c.band_hash, ranked.c.suggestion_id)
                                     .where(ranked.c.n <= BAND_READ_CAP)):
            out[band].append(sid)
    return out


def dedup_cells(session: Session, consultation_id: int, backend: str) -> dict[str, tuple[list[int], bytes]]:
    """Scope → (its blocks' ids, their centroids' float32 bytes, concatenated)."""
    out: dict[str, tuple[list[int], list[bytes]]] = {}
    for cell_id, scope, centroid in session.execute(
        select(DedupCell.id, DedupCell.scope, DedupCell.centroid)
        .where(DedupCell.consultation_id == consultation_id, DedupCell.backend == backend)
        .order_by(DedupCell.id)
    ):
        ids, vectors = out.setdefault(scope, ([], []))
        ids.append(cell_id)
        vectors.append(centroid)
    return {scope: (ids, b"".join(vectors)) for scope, (ids, vectors) in out.items()}


def cell_codes(session: Session, cell_ids: Sequence[int], *, of_consultation: int | None = None
               ) -> dict[int, tuple[list[int], list[bytes]]]:
    """Block id → its members' suggestion ids and sign codes, in id order. Through the
    block index; or, with ``of_consultation`` (the blocks are most of that consultation's, as
    a large batch's are), over the consultation's id range in table order: at 10^6 the
    index took 7.0 s for every block, the range 2.3 s."""
    out: dict[int, tuple[list[int], list[bytes]]] = defaultdict(lambda: ([], []))
    if of_consultation is not None:
        wanted = set(cell_ids)
        statements = [select(Suggestion.id, Suggestion.dedup_cell, Suggestion.dedup_code)
                      .where(*_consultation_span(session, of_consultation), Suggestion.dedup_code.is_not(None))
                      .order_by(Suggestion.id)]
    else:
        wanted = None
        statements = [select(Suggestion.id, Suggestion.dedup_cell, Suggestion.dedup_code)
                      .where(Suggestion.dedup_cell.in_(cell_ids[start : start + _CHUNK]),
                             Suggestion.dedup_code.is_not(None))
                      .order_by(Suggestion.dedup_cell, Suggestion.id)  # the block index's own order
                      for start in range(0, len(cell_ids), _CHUNK)]
    for statement in statements:
        for sid, cell, code in _plain_rows(session, statement):
            if wanted is None or cell in wanted:
                out[cell][0].append(sid)
                out[cell][1].append(code)
    return out


def duplicate_groups_of(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """Suggestion id → its duplicate group, for those of ``ids`` in one."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        out.update((sid, gid) for sid, gid in session.execute(
            select(Suggestion.id, Suggestion.duplicate_group_id)
            .where(Suggestion.id.in_(ids[start : start + _CHUNK]), Suggestion.duplicate_group_id.is_not(None))
        ))
    return out


def group_samples(session: Session, group_ids: Iterable[int], per_group: int, min_size: int) -> set[int]:
    """Up to ``per_group`` members of each near-copy or campaign group of ``group_ids`` with at
    least ``min_size`` members: enough to read the campaign's template from."""
    gids = sorted(set(group_ids))
    out: set[int] = set()
    for start in range(0, len(gids), _CHUNK):
        ranked = (
            select(Suggestion.id, func.row_number().over(partition_by=Suggestion.duplicate_group_id,
                                                         order_by=Suggestion.id).label("n"))
            .join(DuplicateGroup, DuplicateGroup.id == Suggestion.duplicate_group_id)
            .where(Suggestion.duplicate_group_id.in_(gids[start : start + _CHUNK]),
                   DuplicateGroup.kind.in_(("near", "campaign")), DuplicateGroup.size >= min_size)
            .subquery()
        )
        out.update(session.scalars(select(ranked.c.id).where(ranked.c.n <= per_group)))
    return out


# Suggestions whose index entries (and LSH bands) are written per committed chunk.
INDEX_CHUNK = 5_000


def reset_dedup_index(session: Session, consultation_id: int) -> None:
    """Forget the stored bands before the whole consultation is compared and indexed again
    (the blocks of another backend stay, unused, and its suggestions' blocks are replaced)."""
    session.execute(delete(DedupBand).where(DedupBand.consultation_id == consultation_id))


@dataclass(slots=True)
class IndexEntry:
    """What duplicate detection stores for one suggestion it compared."""

    suggestion_id: int
    key: int
    cell: int | tuple[str, int] | None  # a stored block's id, or ("new", position in new_cells)
    code: bytes | None
    bands: Sequence[int] = ()


def save_dedup_index(session: Session, consultation_id: int, backend: str, entries: Sequence[IndexEntry],
                     new_cells: Sequence[tuple[str, bytes]], on_chunk: Callable[[], None] | None = None) -> None:
    """Store the index of the suggestions duplicate detection compared (their ``dedup_key``
    set marks them compared) and the new blocks (scope, centroid bytes), ``INDEX_CHUNK``
    suggestions per chunk; ``on_chunk`` (the caller's commit) runs after each."""
    cells = [DedupCell(consultation_id=consultation_id, backend=backend, scope=scope, centroid=centroid)
             for scope, centroid in new_cells]
    session.add_all(cells)
    session.flush()
    cell_ids = [c.id for c in cells]
    table = Suggestion.__table__
    for start in range(0, len(entries), INDEX_CHUNK):
        chunk = entries[start : start + INDEX_CHUNK]
        rows = [
            {"b_id": e.suggestion_id, "b_key": e.key, "b_code": e.code,
             "b_cell": cell_ids[e.cell[1]] if isinstance(e.cell, tuple) else e.cell}
            for e in chunk
        ]
        session.execute(
            update(table).where(table.c.id == bindparam("b_id"))
            .values(dedup_key=bindparam("b_key"), dedup_cell=bindparam("b_cell"), dedup_code=bindparam("b_code")),
            rows,
        )
        # In key order: the rows land next to each other in the table's B-tree (at 10^5
        # suggestions 2.5 of 7.7 s), which random band hashes would scatter.
        bands = sorted((consultation_id, int(b), e.suggestion_id) for e in chunk for b in dict.fromkeys(e.bands))
        _insert_rows(session, DedupBand.__table__, ("consultation_id", "band_hash", "suggestion_id"), bands)
        if on_chunk is not None:
            on_chunk()
    session.expire_all()


def _insert_rows(session: Session, table: Any, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]) -> None:
    """``rows`` (tuples in ``columns``' order) inserted by the driver's own executemany:
    for the million rows of a large index SQLAlchemy's handling of each row's parameters
    cost almost as much as the insert itself."""
    if not rows:
        return
    session.flush()
    marker = "?" if session.get_bind().dialect.paramstyle == "qmark" else "%s"
    statement = f"INSERT INTO {table.name} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    session.connection().exec_driver_sql(statement, list(rows))


def _plain_rows(session: Session, statement: Any) -> Any:
    """``statement``'s rows read on the connection, pending changes flushed first (as the
    ORM would): large reads of plain columns skip the ORM's row handling, which took about
    half their time."""
    session.flush()
    return session.connection().execute(statement)


def _consultation_span(session: Session, consultation_id: int) -> list[Any]:
    """The condition on the consultation for a read of all its suggestions: the range of its
    ids, read from the table in id order. Through an index on ``consultation_id`` the rows
    come in the index's order, all over the table, and are sorted afterwards: at 10^6 that
    took three to eight times as long (the types to classify 4.4 s against 0.5 s)."""
    low, high = session.execute(
        select(func.min(Suggestion.id), func.max(Suggestion.id)).where(Suggestion.consultation_id == consultation_id)
    ).one()
    if low is None:
        return [false()]
    # ``+ 0``: not a column an index answers, so the planner walks the id range.
    return [Suggestion.id.between(low, high), Suggestion.consultation_id + 0 == consultation_id]


def _is_opinion() -> Any:
    """Not 非意见: neither by a reviewer's decision nor, when no reviewer decided, by the
    analysis' scope (NULL-safe; the reviewer's decision always wins)."""
    return func.coalesce(Suggestion.reviewed_scope, Suggestion.scope, "") != "not_opinion"


def apply_duplicate_groups(
    session: Session,
    consultation_id: int,
    groups: Iterable[tuple[str, list[int], int]],
    current: dict[int, int | None],
    on_chunk: Callable[[], None] | None = None,
) -> tuple[int, int]:
    """Merge freshly found groups (kind, member suggestion ids, canonical id) into what is
    stored, only ever adding: a found group touching stored group(s) extends the oldest of
    them with its ungrouped members; one touching none becomes a new group. Returns
    (groups created, groups extended).

    Written ``GROUP_CHUNK`` members at a time, each chunk's groups with their members and
    sizes: ``on_chunk`` (the caller's commit) runs after each, so other writers wait for one
    chunk, and a run killed part-way leaves complete groups that the next one adds to.

    Suggestions whose group a reviewer decided (``group_is_manual``: taken out of a group, or
    joined) are left as they are: never put into a group, nor counted to make one."""
    created = extended = 0
    assign: list[tuple[Any, list[int]]] = []  # (stored group id or new DuplicateGroup, members)
    pending: dict[int, DuplicateGroup] = {}  # member → new group not stored yet
    groups = list(groups)
    # Asked of the groups' members only: a batch's groups do not read the consultation.
    found = sorted({m for _kind, members, _canonical in groups for m in members})
    reviewed: set[int] = set()
    for start in range(0, len(found), _CHUNK):
        reviewed.update(session.scalars(
            select(Suggestion.id).where(
                Suggestion.id.in_(found[start : start + _CHUNK]), Suggestion.group_is_manual.is_(True),
                Suggestion.duplicate_group_id.is_(None),
            )
        ))
    for kind, members, canonical in groups:
        members = [m for m in members if m not in reviewed]
        if len(members) < 2:
            continue
        if canonical in reviewed:
            canonical = members[0]
        free = [m for m in members if current.get(m) is None and m not in pending]
        if not free:
            continue
        stored = sorted({current[m] for m in members if current.get(m) is not None})
        joined = [pending[m] for m in members if m in pending]
        if stored or joined:
            target: Any = stored[0] if stored else joined[0]
            extended += bool(stored)
        else:
            target = DuplicateGroup(
                consultation_id=consultation_id, kind=kind, canonical_suggestion_id=canonical, size=0
            )
            created += 1
        assign.append((target, free))
        if not isinstance(target, int):
            pending.update(dict.fromkeys(free, target))
    # A group larger than a chunk (a campaign of 10^5 letters) is written in pieces, a new
    # group's canonical member in the first: each piece leaves a consistent group, which
    # the next piece (or the next run) extends.
    pieces = []
    for target, free in assign:
        if not isinstance(target, int) and target.canonical_suggestion_id in free:
            free = [target.canonical_suggestion_id] + [m for m in free if m != target.canonical_suggestion_id]
        pieces.extend((target, free[s : s + GROUP_CHUNK]) for s in range(0, len(free), GROUP_CHUNK))
    chunk: list[tuple[Any, list[int]]] = []
    in_chunk = 0  # members
    for n, (target, free) in enumerate(pieces, 1):
        chunk.append((target, free))
        in_chunk += len(free)
        if n == len(pieces) or in_chunk >= GROUP_CHUNK:
            _write_group_chunk(session, chunk, current)
            chunk, in_chunk = [], 0
            if on_chunk is not None:
                on_chunk()
    session.expire_all()
    return created, extended


# Members written per chunk of ``apply_duplicate_groups``.
GROUP_CHUNK = 20_000


def _write_group_chunk(session: Session, chunk: list[tuple[Any, list[int]]], current: dict[int, int | None]) -> None:
    """New groups in one flush, members by executemany, then the touched groups' sizes."""
    session.add_all(target for target, _free in chunk if not isinstance(target, int))
    session.flush()
    pairs = []
    touched: set[int] = set()
    for target, free in chunk:
        gid = target if isinstance(target, int) else target.id
        touched.add(gid)
        for m in free:
            current[m] = gid
            pairs.append({"b_id": m, "b_gid": gid})
    table = Suggestion.__table__
    for start in range(0, len(pairs), _CHUNK * 4):
        session.execute(
            update(table).where(table.c.id == bindparam("b_id")).values(duplicate_group_id=bindparam("b_gid")),
            pairs[start : start + _CHUNK * 4],
        )
    gids = sorted(touched)
    sizes = []
    for start in range(0, len(gids), _CHUNK):
        sizes.extend(
            {"b_id": gid, "b_size": n}
            for gid, n in session.execute(
                select(Suggestion.duplicate_group_id, func.count())
                .where(Suggestion.duplicate_group_id.in_(gids[start : start + _CHUNK]))
                .group_by(Suggestion.duplicate_group_id)
            )
        )
    groups_table = DuplicateGroup.__table__
    if sizes:
        session.execute(
            update(groups_table).where(groups_table.c.id == bindparam("b_id")).values(size=bindparam("b_size")),
            sizes,
        )
    session.flush()


# --- clusters ------------------------------------------------------------------------------


@dataclass(slots=True)
class ScopeMember:
    suggestion_id: int
    text: str  # masked
    type: str | None
    duplicate_group_id: int | None
    comment_id: int | None = None  # the person's comment: "有N人提出" counts these
    # A forum reply that took its articles from the post it agrees with: that post's
    # suggestions (the reply makes their point, so it is clustered with them).
    follows: tuple[int, ...] = ()


def scope_members(session: Session, consultation_id: int, ctx: DraftContext, *, with_text: bool = True
                  ) -> dict[str, list[ScopeMember]]:
    """Every suggestion by cluster scope: "article:<key>" for each article it is linked to,
    "chapter:<n>" for an opinion on one chapter as a whole (the analysis placed it there; a
    reviewer who moved it to 总体意见 did not), "general" for the rest of 总体意见, "other"
    for suggestions outside the draft's scope (a reviewer's 非意见 is in none). ``with_text`` False: the texts are left empty, for the caller to read
    those it needs (``analysed_texts``): a batch needs its own and a sample of each
    stored cluster's, not the consultation's. ``follows`` is left empty too
    (``followed_posts``: only the new members' are needed)."""
    key_by_pid = {pid: key for key, pid in ctx.provision_ids.items()}
    texts = (Suggestion.masked_text, Suggestion.text) if with_text else (null(), null())
    rows = _plain_rows(
        session,
        select(Suggestion.id, *texts, Suggestion.type,
               Suggestion.duplicate_group_id, Suggestion.is_general, Suggestion.is_out_of_scope,
               Suggestion.comment_id, Suggestion.scope, Suggestion.reviewed_scope)
        .where(*_consultation_span(session, consultation_id), _is_opinion())
        .order_by(Suggestion.id)
    ).all()
    # Read for the analysis's chapter opinions only (a reviewer's move to 总体意见 takes one out).
    chapter_of = _chapters_of(session, [sid for sid, *_row, scope, reviewed in rows
                                        if scope == "chapter" and reviewed is None])
    links: dict[int, list[tuple[int, int]]] = defaultdict(list)  # suggestion → [(link, provision)]
    # By the draft's articles, not by joining the suggestions: the link index alone answers
    # (a third of the time at 10^6).
    for sid, link, pid in _plain_rows(
        session,
        select(SuggestionProvision.suggestion_id, SuggestionProvision.id, SuggestionProvision.provision_id)
        .where(SuggestionProvision.provision_id.in_(sorted(key_by_pid))),
    ):
        links[sid].append((link, pid))
    for made in links.values():
        if len(made) > 1:
            made.sort()  # in the order they were made
    scopes: dict[str, list[ScopeMember]] = defaultdict(list)
    for sid, masked, text, stype, gid, general, out, comment_id, _scope, _reviewed in rows:
        member = ScopeMember(sid, masked or text or "", stype, gid, comment_id)
        keys = [key_by_pid[p] for _link, p in links.get(sid, ())]
        if keys:
            for key in dict.fromkeys(keys):
                scopes[f"article:{key}"].append(member)
        elif out:
            scopes["other"].append(member)
        elif general:
            chapter = chapter_of.get(sid)
            scopes["general" if chapter is None else f"chapter:{chapter}"].append(member)
    return scopes


def _chapters_of(session: Session, ids: Sequence[int]) -> dict[int, int]:
    """Suggestion id → the chapter its opinion is on (``meta["chapter"]``), for these ids."""
    out: dict[int, int] = {}
    for start in range(0, len(ids), _CHUNK):
        for sid, meta in session.execute(
            select(Suggestion.id, Suggestion.meta).where(Suggestion.id.in_(ids[start : start + _CHUNK]))
        ):
            chapter = (meta or {}).get("chapter")
            if isinstance(chapter, int):
                out[sid] = chapter
    return out


def followed_posts(session: Session, suggestion_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    """Reply → the suggestions of the post it agrees with (``meta["follows"]``), read for
    the replies among ``suggestion_ids`` placed by their thread (or, at a symposium, by the
    speaker they agree with) only."""
    ids = sorted(set(suggestion_ids))
    out: dict[int, tuple[int, ...]] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        replies = select(SuggestionProvision.suggestion_id).where(
            SuggestionProvision.suggestion_id.in_(chunk),
            SuggestionProvision.evidence.in_((THREAD_EVIDENCE, SPEAKER_EVIDENCE)))
        # A reply to a post on no article has no link to tell it by: the forum's 总体意见.
        on_no_article = select(Suggestion.id).join(Comment, Comment.id == Suggestion.comment_id).where(
            Suggestion.id.in_(chunk), Suggestion.is_general.is_(True), Comment.channel == "forum")
        for sid, meta in _plain_rows(session, select(Suggestion.id, Suggestion.meta).where(
                or_(Suggestion.id.in_(replies), Suggestion.id.in_(on_no_article)))):
            if (meta or {}).get("follows"):
                out[sid] = tuple(int(f) for f in meta["follows"])
    return out


def analysed_texts(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Suggestion id → the text the analysis reads: the masked text (the text when nothing
    was masked). Pages read theirs with ``page_queries.suggestion_texts``."""
    ids = sorted(set(ids))
    out: dict[int, str] = {}
    for start in range(0, len(ids), _CHUNK):
        out.update((sid, masked or text) for sid, masked, text in _plain_rows(
            session,
            select(Suggestion.id, Suggestion.masked_text, Suggestion.text).where(Suggestion.id.in_(ids[start : start + _CHUNK])),
        ))
    return out


def existing_clusters(session: Session, consultation_id: int) -> dict[str, dict[int, list[int]]]:
    """scope → {cluster id → member suggestion ids}."""
    out: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for cid, scope in session.execute(
        select(Cluster.id, Cluster.scope).where(Cluster.consultation_id == consultation_id)
    ):
        out[scope][cid] = []
    for cid, sid, scope in _plain_rows(
        session,
        select(ClusterMember.cluster_id, ClusterMember.suggestion_id, Cluster.scope)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
    ):
        out[scope][cid].append(sid)
    return out


@dataclass
class NewCluster:
    """A cluster to store: what ``create_clusters`` writes for it."""

    label: str
    keywords: list[str]
    representative: int
    members: list[int]
    size: int
    type: str | None


def create_clusters(session: Session, consultation_id: int, scope: str, provision_id: int | None,
                    clusters: Sequence[NewCluster]) -> list[Cluster]:
    """One scope's new clusters: the clusters in one flush (their ids come back with it),
    then their members in one multi-row insert (an ORM object per member cost most of the
    cluster stage at 10^6)."""
    rows = [
        Cluster(consultation_id=consultation_id, scope=scope, provision_id=provision_id, label=c.label[:500],
                keywords=list(c.keywords), representative_suggestion_id=c.representative, size=c.size,
                type=c.type)
        for c in clusters
    ]
    session.add_all(rows)
    session.flush()
    members = [{"cluster_id": row.id, "suggestion_id": sid, "is_manual": False}
               for row, c in zip(rows, clusters) for sid in c.members]
    for start in range(0, len(members), _CHUNK):
        session.execute(insert(ClusterMember), members[start : start + _CHUNK])
    return rows


def add_cluster_members(session: Session, cluster_id: int, suggestion_ids: Iterable[int]) -> None:
    session.add_all(ClusterMember(cluster_id=cluster_id, suggestion_id=s) for s in suggestion_ids)


def refresh_cluster_sizes(session: Session, cluster_ids: Iterable[int]) -> None:
    """Size = number of people (``people_in_clusters``). Labels and reviewer text are left
    as they are."""
    counts = people_in_clusters(session, cluster_ids)
    for cid, n in counts.items():
        cluster = session.get(Cluster, cid)
        if cluster is not None:
            cluster.size = n


def people_in_clusters(session: Session, cluster_ids: Iterable[int]) -> dict[int, int]:
    """Cluster id → the people in it: distinct comments among the members (duplicates
    included; two points of one letter in one cluster count once). "有N人提出" is this
    number, whether the analysis or a reviewer's change last counted it. One count query per
    chunk of clusters."""
    ids = sorted(set(cluster_ids))
    out = dict.fromkeys(ids, 0)
    if not ids:
        return out
    session.flush()
    for start in range(0, len(ids), _CHUNK):
        out.update(
            session.execute(
                select(ClusterMember.cluster_id, func.count(func.distinct(Suggestion.comment_id)))
                .join(Suggestion, Suggestion.id == ClusterMember.suggestion_id)
                .where(ClusterMember.cluster_id.in_(ids[start : start + _CHUNK]))
                .group_by(ClusterMember.cluster_id)
            ).tuples().all()
        )
    return out


def drop_stale_memberships(session: Session, consultation_id: int,
                           scopes: dict[str, list[ScopeMember]]) -> int:
    """Remove automatic memberships that no longer fit (a reviewer moved the suggestion to
    another article, or gave a general one an article). Manual members and members of
    manual clusters stay."""
    wanted = {scope: {m.suggestion_id for m in ms} for scope, ms in scopes.items()}
    stale = []
    for member_id, sid, scope, manual_cluster, manual_member in session.execute(
        select(ClusterMember.id, ClusterMember.suggestion_id, Cluster.scope, Cluster.is_manual,
               ClusterMember.is_manual)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
    ):
        if manual_cluster or manual_member:
            continue
        if sid not in wanted.get(scope, set()):
            stale.append(member_id)
    for start in range(0, len(stale), _CHUNK):
        session.execute(
            ClusterMember.__table__.delete().where(
                ClusterMember.__table__.c.id.in_(stale[start : start + _CHUNK])
            )
        )
    return len(stale)
