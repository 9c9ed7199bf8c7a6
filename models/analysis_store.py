"""Storage for the analysis pipeline: every database read and write of ``pipeline.run`` and
of the suggestion export happens here, so the stages themselves stay pure.

Reviewer work is protected by construction: nothing in this module deletes or rewrites a
link with ``is_manual``/method "manual", a cluster with ``is_manual``, a ``ClusterMember``
with ``is_manual``, or a cluster's ``consolidated_text``/``reason_text``/``label`` once
written. Re-runs only add.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.entities import (
    Cluster,
    ClusterMember,
    Comment,
    DraftVersion,
    DuplicateGroup,
    PipelineRun,
    Provision,
    Suggestion,
    SuggestionProvision,
)
from models.store import get_consultation
from pipeline.embed import text_hash  # noqa: F401  (re-exported: the suggestion text hash)
from pipeline.references import DraftArticle, DraftIndex, Reference

_CHUNK = 500


# --- the draft --------------------------------------------------------------------------


@dataclass
class DraftContext:
    """What the pipeline needs to know about the consultation's draft (or its absence)."""

    consultation_id: int
    titles: list[str]
    version: DraftVersion | None = None
    index: DraftIndex | None = None
    provision_ids: dict[str, int] = field(default_factory=dict)  # article key → provision id
    full_text: str = ""

    @property
    def has_draft(self) -> bool:
        return self.index is not None and len(self.index) > 0


def load_draft_context(session: Session, consultation_id: int) -> DraftContext:
    """The comment-base version's articles as a ``DraftIndex`` (one query for the tree)."""
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
    by_id = {n.id: n for n in nodes}
    children: dict[int, list[Provision]] = defaultdict(list)
    for n in nodes:
        if n.parent_id is not None:
            children[n.parent_id].append(n)

    def ancestor(node: Provision, kind: str) -> str | None:
        parent = by_id.get(node.parent_id) if node.parent_id else None
        while parent is not None:
            if parent.kind == kind:
                return parent.label
            parent = by_id.get(parent.parent_id) if parent.parent_id else None
        return None

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
    ctx.index = DraftIndex(articles, title=titles[0], other_titles=titles[1:])
    ctx.full_text = "\n".join(a.text for a in articles)
    return ctx


# --- runs ---------------------------------------------------------------------------------


def start_run(session: Session, consultation_id: int, backend: str, settings: dict[str, Any]) -> PipelineRun:
    run = PipelineRun(
        consultation_id=consultation_id, kind="analyze", backend=backend, settings=settings,
        status="running", started_at=utcnow(),
    )
    session.add(run)
    session.flush()
    return run


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


def comments_to_split(session: Session, consultation_id: int) -> list[Comment]:
    """Comments the pipeline has not read yet (it sets ``normalized_text`` on each)."""
    return list(
        session.scalars(
            select(Comment)
            .where(Comment.consultation_id == consultation_id, Comment.normalized_text.is_(None))
            .order_by(Comment.id)
        )
    )


def save_comment_text(comment: Comment, normalized: str, masked: str, meta: dict[str, Any]) -> None:
    comment.normalized_text = normalized
    comment.masked_text = masked
    comment.text_hash = text_hash(normalized)
    comment.meta = {**(comment.meta or {}), "pipeline": meta}


def add_suggestions(session: Session, pieces_by_comment: Sequence[tuple[Comment, Sequence[tuple[str, str, dict[str, Any]]]]]) -> int:
    """One suggestion per (text, masked_text, meta) of each comment, numbered after any the
    comment has. Bulk: one query per chunk of comments and one multi-row INSERT per chunk
    of suggestions (a flush per comment cost ~3 ms, i.e. minutes at 100k). Returns how
    many were added."""
    ids = [c.id for c, pieces in pieces_by_comment if pieces]
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
            "consultation_id": comment.consultation_id,
            "comment_id": comment.id,
            "ordinal": i,
            "text": text,
            "masked_text": masked,
            "text_hash": text_hash(masked),
            "meta": dict(meta),
        }
        for comment, pieces in pieces_by_comment
        for i, (text, masked, meta) in enumerate(pieces, start=int(last.get(comment.id, -1)) + 1)
    ]
    for start in range(0, len(rows), _CHUNK * 4):
        session.execute(insert(Suggestion), rows[start : start + _CHUNK * 4])
    return len(rows)


def suggestions_to_map(session: Session, consultation_id: int) -> list[tuple[Suggestion, Comment, int]]:
    """Suggestions never mapped (no mapping mark and no link), with their comment and the
    number of suggestions that comment has, in comment order (context carries over)."""
    linked = select(SuggestionProvision.suggestion_id)
    rows = session.execute(
        select(Suggestion, Comment)
        .join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == consultation_id, Suggestion.id.not_in(linked))
        .order_by(Suggestion.comment_id, Suggestion.ordinal)
    ).all()
    todo = [(s, c) for s, c in rows if "mapping" not in (s.meta or {})]
    if not todo:
        return []
    counts = dict(
        session.execute(
            select(Suggestion.comment_id, func.count())
            .where(Suggestion.comment_id.in_({c.id for _, c in todo}))
            .group_by(Suggestion.comment_id)
        ).all()
    )
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


def set_meta(suggestion: Suggestion, **values: Any) -> None:
    suggestion.meta = {**(suggestion.meta or {}), **values}


def add_explicit_links(session: Session, suggestion: Suggestion, refs: Iterable[Reference],
                       provision_ids: dict[str, int], *, unlinked: bool = False) -> int:
    """Links for the references (one per article: the first, most specific evidence wins).
    ``unlinked``: the caller knows the suggestion has no link yet (saves a query per row)."""
    existing = set() if unlinked or not suggestion.id else {
        pid for (pid,) in session.execute(
            select(SuggestionProvision.provision_id).where(SuggestionProvision.suggestion_id == suggestion.id)
        )
    }
    n = 0
    for r in refs:
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


def add_semantic_links(session: Session, suggestion: Suggestion, links: Iterable[tuple[int, float, str]]) -> int:
    """``links``: (provision id, calibrated score, evidence)."""
    n = 0
    for pid, score, evidence in links:
        session.add(
            SuggestionProvision(
                suggestion_id=suggestion.id, provision_id=pid, method="semantic",
                score=float(score), evidence=evidence[:500],
            )
        )
        n += 1
    return n


def suggestions_to_classify(session: Session, consultation_id: int) -> list[Suggestion]:
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.consultation_id == consultation_id, Suggestion.type.is_(None))
            .order_by(Suggestion.id)
        )
    )


# --- duplicates ----------------------------------------------------------------------------


@dataclass
class DedupInput:
    suggestion_id: int
    text: str  # masked
    duplicate_group_id: int | None
    scope: str  # "article:<key>" (its first linked article), "other" or "general"


def dedup_inputs(session: Session, consultation_id: int, ctx: DraftContext | None = None) -> list[DedupInput]:
    """Every suggestion, by id, with its cluster scope (two queries in all)."""
    key_by_pid = {pid: key for key, pid in ctx.provision_ids.items()} if ctx is not None else {}
    first_article: dict[int, str] = {}
    if key_by_pid:
        for sid, pid in session.execute(
            select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id)
            .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
            .where(Suggestion.consultation_id == consultation_id)
            .order_by(SuggestionProvision.id)
        ):
            if pid in key_by_pid:
                first_article.setdefault(sid, f"article:{key_by_pid[pid]}")
    return [
        DedupInput(sid, masked or text, gid, first_article.get(sid) or ("other" if out else "general"))
        for sid, masked, text, gid, out in session.execute(
            select(Suggestion.id, Suggestion.masked_text, Suggestion.text, Suggestion.duplicate_group_id,
                   Suggestion.is_out_of_scope)
            .where(Suggestion.consultation_id == consultation_id)
            .order_by(Suggestion.id)
        )
    ]


def apply_duplicate_groups(
    session: Session,
    consultation_id: int,
    groups: Iterable[tuple[str, list[int], int]],
    current: dict[int, int | None],
) -> tuple[int, int]:
    """Merge freshly found groups (kind, member suggestion ids, canonical id) into what is
    stored, only ever adding: a found group touching stored group(s) extends the oldest of
    them with its ungrouped members; one touching none becomes a new group. Returns
    (groups created, groups extended)."""
    created = extended = 0
    assign: list[tuple[Any, list[int]]] = []  # (stored group id or new DuplicateGroup, members)
    pending: dict[int, DuplicateGroup] = {}  # member → new group not flushed yet
    for kind, members, canonical in groups:
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
            session.add(target)
            created += 1
        assign.append((target, free))
        if not isinstance(target, int):
            pending.update(dict.fromkeys(free, target))
    # One flush for all new groups, then executemany updates: no statement per group.
    session.flush()
    pairs = []
    touched: set[int] = set()
    for target, free in assign:
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
    session.expire_all()
    return created, extended


# --- clusters ------------------------------------------------------------------------------


@dataclass
class ScopeMember:
    suggestion_id: int
    text: str  # masked
    type: str | None
    duplicate_group_id: int | None


def scope_members(session: Session, consultation_id: int, ctx: DraftContext) -> dict[str, list[ScopeMember]]:
    """Every suggestion by cluster scope: "article:<key>" for each article it is linked to,
    "general" for 总体意见, "other" for suggestions outside the draft's scope."""
    key_by_pid = {pid: key for key, pid in ctx.provision_ids.items()}
    rows = session.execute(
        select(Suggestion.id, Suggestion.masked_text, Suggestion.text, Suggestion.type,
               Suggestion.duplicate_group_id, Suggestion.is_general, Suggestion.is_out_of_scope)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(Suggestion.id)
    ).all()
    links: dict[int, list[int]] = defaultdict(list)
    for sid, pid in session.execute(
        select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
    ):
        links[sid].append(pid)
    scopes: dict[str, list[ScopeMember]] = defaultdict(list)
    for sid, masked, text, stype, gid, general, out in rows:
        member = ScopeMember(sid, masked or text, stype, gid)
        keys = [key_by_pid[p] for p in links.get(sid, []) if p in key_by_pid]
        if keys:
            for key in dict.fromkeys(keys):
                scopes[f"article:{key}"].append(member)
        elif out:
            scopes["other"].append(member)
        elif general:
            scopes["general"].append(member)
    return scopes


def existing_clusters(session: Session, consultation_id: int) -> dict[str, dict[int, list[int]]]:
    """scope → {cluster id → member suggestion ids}."""
    out: dict[str, dict[int, list[int]]] = defaultdict(dict)
    for cid, scope in session.execute(
        select(Cluster.id, Cluster.scope).where(Cluster.consultation_id == consultation_id)
    ):
        out[scope][cid] = []
    for cid, sid, scope in session.execute(
        select(ClusterMember.cluster_id, ClusterMember.suggestion_id, Cluster.scope)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
    ):
        out[scope][cid].append(sid)
    return out


def create_cluster(session: Session, consultation_id: int, scope: str, provision_id: int | None, *,
                   label: str, keywords: list[str], representative: int, members: list[int],
                   size: int, type_: str | None) -> Cluster:
    cluster = Cluster(
        consultation_id=consultation_id, scope=scope, provision_id=provision_id, label=label[:500],
        keywords=list(keywords), representative_suggestion_id=representative, size=size, type=type_,
    )
    # Members through the relationship: the clusters of a run are inserted together at the
    # next flush (a flush per cluster was a round trip per cluster).
    cluster.members = [ClusterMember(suggestion_id=s) for s in members]
    session.add(cluster)
    return cluster


def add_cluster_members(session: Session, cluster_id: int, suggestion_ids: Iterable[int]) -> None:
    session.add_all(ClusterMember(cluster_id=cluster_id, suggestion_id=s) for s in suggestion_ids)


def refresh_cluster_sizes(session: Session, cluster_ids: Iterable[int]) -> None:
    """Size = number of members (people, duplicates included). Labels and reviewer text
    are left as they are. One count query per chunk of clusters."""
    ids = sorted(set(cluster_ids))
    if not ids:
        return
    session.flush()
    for start in range(0, len(ids), _CHUNK):
        counts = dict(
            session.execute(
                select(ClusterMember.cluster_id, func.count())
                .where(ClusterMember.cluster_id.in_(ids[start : start + _CHUNK]))
                .group_by(ClusterMember.cluster_id)
            ).all()
        )
        for cid in ids[start : start + _CHUNK]:
            cluster = session.get(Cluster, cid)
            if cluster is not None:
                cluster.size = counts.get(cid, 0)


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


# --- export --------------------------------------------------------------------------------


def suggestion_rows(session: Session, consultation_id: int) -> list[dict[str, Any]]:
    """One row per suggestion with its mapping, duplicate group and cluster (for export)."""
    ctx = load_draft_context(session, consultation_id)  # raises NotFoundError first
    chapter_by_pid: dict[int, str | None] = {}
    key_by_pid: dict[int, str] = {}
    if ctx.index is not None:
        for a in ctx.index.articles:
            chapter_by_pid[a.provision_id] = a.chapter
            key_by_pid[a.provision_id] = a.key
    links: dict[int, list[SuggestionProvision]] = defaultdict(list)
    for link in session.scalars(
        select(SuggestionProvision)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(SuggestionProvision.id)
    ):
        links[link.suggestion_id].append(link)
    clusters: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for sid, cid, label in session.execute(
        select(ClusterMember.suggestion_id, Cluster.id, Cluster.label)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
        .order_by(Cluster.id)
    ):
        clusters[sid].append((cid, label))
    group_size = dict(
        session.execute(
            select(DuplicateGroup.id, DuplicateGroup.size).where(DuplicateGroup.consultation_id == consultation_id)
        ).all()
    )
    rows = []
    for s, c in session.execute(
        select(Suggestion, Comment)
        .join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(Suggestion.comment_id, Suggestion.ordinal)
    ):
        ls = links.get(s.id, [])
        keys = [key_by_pid[l.provision_id] for l in ls if l.provision_id in key_by_pid]
        methods = list(dict.fromkeys("manual" if l.is_manual else l.method for l in ls))
        first_cluster = clusters.get(s.id, [(None, None)])[0]
        rows.append(
            {
                "suggestion_id": s.id,
                "comment_id": c.id,
                "external_id": c.external_id,
                "ordinal": s.ordinal,
                "text": s.text,
                "masked_text": s.masked_text,
                "articles": [int(k) if k.isdigit() else k for k in keys],
                "chapter": chapter_by_pid.get(ls[0].provision_id) if ls else None,
                "mapping_method": "+".join(methods) if methods else ("general" if s.is_general or not ctx.has_draft else None),
                "mapping_score": round(max(l.score for l in ls), 4) if ls else None,
                "type": s.type,
                "is_general": bool(s.is_general),
                "is_out_of_scope": bool(s.is_out_of_scope),
                "duplicate_group": s.duplicate_group_id,
                "duplicate_count": group_size.get(s.duplicate_group_id, 1) if s.duplicate_group_id else 1,
                "cluster_id": first_cluster[0],
                "cluster_label": first_cluster[1],
                "channel": c.channel,
                "submitted_at": c.submitted_at.isoformat() if isinstance(c.submitted_at, datetime) else None,
            }
        )
    return rows
