"""Reads for the review application's pages, shaped for one page each and fast at 100k
comments: the article view's clusters, the review queue's least-sure suggestions, a
cluster's members, full-text search; plus dismissing a quarantined record.

Rows are plain dicts carrying both the stored text and the masked text and the contact
point that collected each comment: the application layer decides which text a user sees.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, bindparam, case, func, or_, select, update
from sqlalchemy.orm import Session

from minyi.core.errors import InputError, NotFoundError
from models.entities import (
    Cluster,
    ClusterMember,
    Comment,
    ContactPoint,
    DuplicateGroup,
    Provision,
    RawRecord,
    Suggestion,
    SuggestionProvision,
)

# --- consultations --------------------------------------------------------------------------


def consultation_counts(session: Session, consultation_ids: list[int]) -> dict[int, dict[str, int]]:
    """Clusters, reviewed clusters and records in quarantine per consultation."""
    out = {cid: {"clusters": 0, "reviewed": 0, "quarantined": 0} for cid in consultation_ids}
    if not consultation_ids:
        return out
    for cid, total, reviewed in session.execute(
        select(Cluster.consultation_id, func.count(), func.sum(case((Cluster.reviewed, 1), else_=0)))
        .where(Cluster.consultation_id.in_(consultation_ids)).group_by(Cluster.consultation_id)
    ):
        out[cid].update(clusters=int(total), reviewed=int(reviewed or 0))
    for cid, n in session.execute(
        select(RawRecord.consultation_id, func.count())
        .where(RawRecord.consultation_id.in_(consultation_ids), RawRecord.status == "quarantined")
        .group_by(RawRecord.consultation_id)
    ):
        out[cid]["quarantined"] = int(n)
    return out


def contact_points_of(session: Session, consultation_id: int) -> list[tuple[int, str]]:
    """Contact points that collected comments of the consultation (one index probe per
    point, not a scan of the comments)."""
    collected = select(Comment.id).where(Comment.contact_point_id == ContactPoint.id,
                                         Comment.consultation_id == consultation_id).exists()
    return [(pid, name) for pid, name in session.execute(
        select(ContactPoint.id, ContactPoint.name).where(collected).order_by(ContactPoint.name))]


# --- the draft ------------------------------------------------------------------------------


def provisions(session: Session, version_id: int) -> list[dict[str, Any]]:
    return [
        {"id": p.id, "parent_id": p.parent_id, "kind": p.kind, "label": p.label, "text": p.text,
         "number": p.number, "suffix": p.suffix}
        for p in session.scalars(select(Provision).where(Provision.version_id == version_id).order_by(Provision.order))
    ]


# --- clusters -------------------------------------------------------------------------------


def _member_filter(contact_point_id: int | None, channel: str | None, stype: str | None) -> list[Any]:
    conditions = []
    if contact_point_id is not None:
        conditions.append(Comment.contact_point_id == contact_point_id)
    if channel:
        conditions.append(Comment.channel == channel)
    if stype:
        conditions.append(Suggestion.type == stype)
    return conditions


def cluster_rows(
    session: Session,
    consultation_id: int,
    *,
    contact_point_id: int | None = None,
    channel: str | None = None,
    stype: str | None = None,
    reviewed: bool | None = None,
    cluster_ids: set[int] | None = None,
    provision_id: int | None = None,
) -> list[dict[str, Any]]:
    """The consultation's clusters (of one article with ``provision_id``), largest first,
    without their texts (``suggestion_texts``); with member filters (contact point,
    channel, type) only clusters with a matching member, and ``matching`` the number of
    those members."""
    query = select(
        Cluster.id, Cluster.provision_id, Cluster.scope, Cluster.label, Cluster.type, Cluster.size, Cluster.reviewed,
        Cluster.consolidated_text, Cluster.reason_text, Cluster.row_version, Cluster.representative_suggestion_id,
    ).where(Cluster.consultation_id == consultation_id).order_by(Cluster.size.desc(), Cluster.id)
    if provision_id is not None:
        query = query.where(Cluster.provision_id == provision_id)
    if reviewed is not None:
        query = query.where(Cluster.reviewed.is_(reviewed))
    if cluster_ids is not None:
        query = query.where(Cluster.id.in_(list(cluster_ids) or [-1]))
    matching: dict[int, int] | None = None
    conditions = _member_filter(contact_point_id, channel, stype)
    if conditions:
        counted = (
            select(ClusterMember.cluster_id, func.count())
            .join(Suggestion, Suggestion.id == ClusterMember.suggestion_id)
            .join(Comment, Comment.id == Suggestion.comment_id)
            .where(Suggestion.consultation_id == consultation_id, *conditions)
            .group_by(ClusterMember.cluster_id)
        )
        if provision_id is not None:
            counted = counted.where(ClusterMember.cluster_id.in_(
                select(Cluster.id).where(Cluster.consultation_id == consultation_id, Cluster.provision_id == provision_id)))
        matching = dict(session.execute(counted).all())
    rows = []
    for r in session.execute(query):
        if matching is not None and r.id not in matching:
            continue
        rows.append({
            "id": r.id, "provision_id": r.provision_id, "scope": r.scope, "label": r.label, "type": r.type,
            "size": r.size, "reviewed": bool(r.reviewed), "consolidated_text": r.consolidated_text,
            "reason_text": r.reason_text, "version": r.row_version, "representative_id": r.representative_suggestion_id,
            "matching": matching.get(r.id) if matching is not None else None,
        })
    return rows


def cluster_members(session: Session, cluster_id: int) -> list[dict[str, Any]]:
    """The suggestions of a cluster with their comment's origin and duplicate group, without
    their texts (``suggestion_texts`` for the members a page shows): a 5,000-member
    cluster reads in tens of milliseconds. ``same_as_canonical``: the text is its group's
    canonical text exactly (a campaign letter sent unchanged)."""
    s, c, cm = Suggestion.__table__.c, Comment.__table__.c, ClusterMember.__table__.c
    point, group = ContactPoint.__table__.c, DuplicateGroup.__table__.c
    canonical = Suggestion.__table__.alias("canonical")
    # Core columns (no ORM rows): this is the page's largest read.
    rows = session.connection().execute(
        select(s.id, s.row_version, s.type, s.text_hash, s.duplicate_group_id, c.contact_point_id, c.channel,
               point.name, group.kind, group.canonical_suggestion_id, canonical.c.text_hash, cm.is_manual)
        .join(ClusterMember.__table__, cm.suggestion_id == s.id)
        .join(Comment.__table__, c.id == s.comment_id)
        .outerjoin(ContactPoint.__table__, point.id == c.contact_point_id)
        .outerjoin(DuplicateGroup.__table__, group.id == s.duplicate_group_id)
        .outerjoin(canonical, canonical.c.id == group.canonical_suggestion_id)
        .where(cm.cluster_id == cluster_id)
        .order_by(s.id)
    ).all()
    return [
        {"id": sid, "version": version, "type": stype, "text_hash": text_hash, "group_id": group_id,
         "group_kind": kind, "group_canonical": canonical_id, "same_as_canonical": text_hash == canonical_hash,
         "contact_point_id": point_id, "contact_point": point_name, "channel": channel, "manual": bool(manual)}
        for (sid, version, stype, text_hash, group_id, point_id, channel, point_name, kind, canonical_id,
             canonical_hash, manual) in rows
    ]


def suggestion_texts(session: Session, suggestion_ids: list[int]) -> dict[int, tuple[str, str | None, int | None]]:
    """suggestion id → (text, masked text, contact point of its comment)."""
    if not suggestion_ids:
        return {}
    return {
        sid: (text, masked, point)
        for sid, text, masked, point in session.execute(
            select(Suggestion.id, Suggestion.text, Suggestion.masked_text, Comment.contact_point_id)
            .join(Comment, Comment.id == Suggestion.comment_id)
            .where(Suggestion.id.in_(suggestion_ids))
        )
    }


def sibling_clusters(session: Session, cluster: Cluster) -> list[dict[str, Any]]:
    """Other clusters of the same article (or of 总体意见 / 其他): merge and move targets."""
    query = select(Cluster.id, Cluster.label, Cluster.size, Cluster.row_version).where(
        Cluster.consultation_id == cluster.consultation_id, Cluster.id != cluster.id
    )
    if cluster.provision_id is not None:
        query = query.where(Cluster.provision_id == cluster.provision_id)
    else:
        query = query.where(Cluster.provision_id.is_(None), Cluster.scope == cluster.scope)
    return [{"id": i, "label": label, "size": size, "version": v} for i, label, size, v in session.execute(query.order_by(Cluster.id))]


def links_of(session: Session, suggestion_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    """suggestion id → its links (label of the provision, method, score, evidence)."""
    out: dict[int, list[dict[str, Any]]] = {}
    if not suggestion_ids:
        return out
    parent = Provision.__table__.alias("parent")
    for sid, label, kind, parent_label, number, suffix, method, score, paragraph, evidence in session.execute(
        select(SuggestionProvision.suggestion_id, Provision.label, Provision.kind, parent.c.label, Provision.number,
               Provision.suffix,
               SuggestionProvision.method, SuggestionProvision.score, SuggestionProvision.paragraph,
               SuggestionProvision.evidence)
        .join(Provision, Provision.id == SuggestionProvision.provision_id)
        .outerjoin(parent, parent.c.id == Provision.parent_id)
        .where(SuggestionProvision.suggestion_id.in_(suggestion_ids))
        .order_by(SuggestionProvision.score.desc())
    ):
        out.setdefault(sid, []).append({
            "label": label, "kind": kind, "parent_label": parent_label, "number": number, "suffix": suffix,
            "method": method,
            "score": score, "paragraph": paragraph, "evidence": evidence,
        })
    return out


def not_opinions(session: Session, consultation_id: int, limit: int = 200) -> tuple[int, list[dict[str, Any]]]:
    """Suggestions a reviewer marked 非意见 (left out of the document)."""
    where = (Suggestion.consultation_id == consultation_id, Suggestion.reviewed_scope == "not_opinion")
    total = session.scalar(select(func.count()).select_from(Suggestion).where(*where)) or 0
    rows = session.execute(
        select(Suggestion.id, Suggestion.text, Suggestion.masked_text, Comment.contact_point_id)
        .join(Comment, Comment.id == Suggestion.comment_id).where(*where).order_by(Suggestion.id).limit(limit)
    ).all()
    return total, [{"id": i, "text": t, "masked_text": m, "contact_point_id": p} for i, t, m, p in rows]


# --- the review queue -----------------------------------------------------------------------


def _queue_base(consultation_id: int) -> list[Any]:
    return [Suggestion.consultation_id == consultation_id, Suggestion.reviewed_scope.is_(None)]


def placements_to_rate(session: Session, consultation_id: int, limit: int) -> list[dict[str, Any]]:
    """Open suggestions whose sureness is not worked out yet (new, or placed again), at most
    ``limit``: what the analysis decided about each, with its semantic scores best first."""
    rows = session.execute(
        select(Suggestion.id, Suggestion.text, Suggestion.scope, Suggestion.is_general, Suggestion.meta,
               Suggestion.citation_check)
        .where(*_queue_base(consultation_id), Suggestion.sureness.is_(None))
        .order_by(Suggestion.id).limit(limit)
    ).all()
    scores = semantic_scores(session, [r.id for r in rows])
    return [
        {"id": r.id, "text": r.text, "scope": r.scope, "is_general": bool(r.is_general), "meta": r.meta or {},
         "citation_check": r.citation_check, "semantic_scores": scores.get(r.id, ())}
        for r in rows
    ]


def semantic_scores(session: Session, suggestion_ids: list[int]) -> dict[int, tuple[float, ...]]:
    """suggestion id → the scores of its semantic links, best first."""
    out: dict[int, list[float]] = {}
    for start in range(0, len(suggestion_ids), 900):
        for sid, score in session.execute(
            select(SuggestionProvision.suggestion_id, SuggestionProvision.score)
            .where(SuggestionProvision.suggestion_id.in_(suggestion_ids[start:start + 900]),
                   SuggestionProvision.method == "semantic")
        ):
            out.setdefault(sid, []).append(float(score))
    return {sid: tuple(sorted(v, reverse=True)) for sid, v in out.items()}


def set_sureness(session: Session, values: dict[int, float]) -> None:
    """Store worked-out sureness (a derived value: the row's version is left alone, so a
    reviewer's open form does not go stale over it)."""
    if not values:
        return
    table = Suggestion.__table__
    session.execute(
        update(table).where(table.c.id == bindparam("sid")).values(sureness=bindparam("value")),
        [{"sid": sid, "value": value} for sid, value in values.items()],
    )


def queue_page(session: Session, consultation_id: int, below: float, limit: int) -> list[tuple[int, float]]:
    """The least sure open suggestions, (id, sureness), read in index order."""
    return [
        (sid, value) for sid, value in session.execute(
            select(Suggestion.id, Suggestion.sureness)
            .where(*_queue_base(consultation_id), Suggestion.sureness < below)
            .order_by(Suggestion.sureness, Suggestion.id).limit(limit)
        )
    ]


def queue_open_count(session: Session, consultation_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Suggestion).where(*_queue_base(consultation_id))) or 0


def suggestions_by_id(session: Session, suggestion_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Suggestions by id with their comment's text, origin and placement flags."""
    if not suggestion_ids:
        return {}
    rows = session.execute(
        select(Suggestion, Comment.text, Comment.masked_text, Comment.contact_point_id, Comment.channel, ContactPoint.name)
        .join(Comment, Comment.id == Suggestion.comment_id)
        .outerjoin(ContactPoint, ContactPoint.id == Comment.contact_point_id)
        .where(Suggestion.id.in_(suggestion_ids))
    ).all()
    return {
        s.id: {"id": s.id, "version": s.row_version, "consultation_id": s.consultation_id, "text": s.text,
               "masked_text": s.masked_text, "type": s.type, "is_general": bool(s.is_general),
               "is_out_of_scope": bool(s.is_out_of_scope), "reviewed_scope": s.reviewed_scope,
               "reference_problems": (s.meta or {}).get("reference_problems") or [],
               "scope": s.scope, "meta": s.meta or {},
               "citation_check": s.citation_check, "comment_text": ctext, "comment_masked": cmasked, "contact_point_id": point, "channel": channel,
               "contact_point": pname}
        for s, ctext, cmasked, point, channel, pname in rows
    }


def clusters_of_suggestions(session: Session, suggestion_ids: list[int]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    if suggestion_ids:
        for sid, cid in session.execute(
            select(ClusterMember.suggestion_id, ClusterMember.cluster_id).where(ClusterMember.suggestion_id.in_(suggestion_ids))
        ):
            out.setdefault(sid, []).append(cid)
    return out


# --- search ---------------------------------------------------------------------------------


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere (its own % and _ taken literally)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_comments(session: Session, consultation_id: int, text: str, *, unmasked_points: set[int] | None,
                    all_unmasked: bool, limit: int) -> tuple[list[dict[str, Any]], bool]:
    """Comments containing ``text`` (a plain substring: works for Chinese on SQLite and
    PostgreSQL alike). Comments whose personal data the user may not see are searched in
    their masked text only, so a search for a phone number finds nothing there. Returns
    (rows, more)."""
    pattern = like_pattern(text)
    masked_hit = func.coalesce(Comment.masked_text, "").like(pattern, escape="\\")
    full_hit = Comment.text.like(pattern, escape="\\")
    if all_unmasked:
        condition = full_hit
    elif unmasked_points:
        own = Comment.contact_point_id.in_(sorted(unmasked_points))
        condition = or_(and_(own, full_hit), and_(~own | Comment.contact_point_id.is_(None), masked_hit))
    else:
        condition = masked_hit
    rows = session.execute(
        select(Comment.id, Comment.text, Comment.masked_text, Comment.contact_point_id, Comment.channel, ContactPoint.name)
        .outerjoin(ContactPoint, ContactPoint.id == Comment.contact_point_id)
        .where(Comment.consultation_id == consultation_id, condition)
        .order_by(Comment.id).limit(limit + 1)
    ).all()
    out = [{"id": i, "text": t, "masked_text": m, "contact_point_id": p, "channel": ch, "contact_point": name}
           for i, t, m, p, ch, name in rows[:limit]]
    return out, len(rows) > limit


def suggestions_of_comments(session: Session, comment_ids: list[int]) -> dict[int, list[tuple[int, list[int]]]]:
    """comment id → [(suggestion id, cluster ids)]."""
    out: dict[int, list[tuple[int, list[int]]]] = {}
    if not comment_ids:
        return out
    rows = session.execute(
        select(Suggestion.comment_id, Suggestion.id, ClusterMember.cluster_id)
        .outerjoin(ClusterMember, ClusterMember.suggestion_id == Suggestion.id)
        .where(Suggestion.comment_id.in_(comment_ids)).order_by(Suggestion.id)
    ).all()
    seen: dict[int, dict[int, list[int]]] = {}
    for cid, sid, cluster in rows:
        seen.setdefault(cid, {}).setdefault(sid, [])
        if cluster is not None:
            seen[cid][sid].append(cluster)
    for cid, by_suggestion in seen.items():
        out[cid] = list(by_suggestion.items())
    return out


# --- quarantine -----------------------------------------------------------------------------


def dismiss_raw_record(session: Session, consultation_id: int, record_id: int, reason: str) -> RawRecord:
    """Take a record out of quarantine without making a comment of it ("无", a blank row,
    a duplicate sent twice); the reason stays on the record."""
    raw = session.get(RawRecord, record_id)
    if raw is None or raw.consultation_id != consultation_id:
        raise NotFoundError(f"no quarantined record {record_id} in consultation {consultation_id}",
                            message_zh=f"未找到隔离记录{record_id}")
    if raw.status != "quarantined":
        raise InputError(f"record {record_id} is not in quarantine", message_zh=f"记录{record_id}不在隔离区中")
    raw.status = "ok"
    raw.error = f"dismissed: {reason} (was: {raw.error or ''})"[:4000]
    session.flush()
    return raw
