"""Every read the documents and exports need, in one place.

The functions here return plain dataclasses of ``minyi.core.reporting`` (no ORM objects),
so a report can be written after the session is closed. They return the data as stored:
``minyi.services.documents`` masks every text field with the one masker
(``pipeline.mask.mask_text``) before anything reaches a document or an export.

Scope: a suggestion belongs to the contact point of its comment, else of its source, else
of the consultation (``effective contact point``). Passing ``contact_point_id`` restricts
every figure to that point; ``None`` means all contact points (the committee's view).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from minyi.core.decisions import winning
from minyi.core.errors import NotFoundError
from minyi.core.vocab import SPEAKER_ROLES
from minyi.core.reporting import (
    ArticleInfo,
    ChannelUse,
    CitedPart,
    ClusterView,
    ConsultationFigures,
    StatRow,
    SuggestionRow,
    adoption_counts,
    ordered_unique,
)
from models.store import find_version, get_consultation
from models.provisions import ProvisionTree
from models.entities import (
    CHANNELS,
    AdoptionDecision,
    Cluster,
    ClusterMember,
    Comment,
    Consultation,
    ContactPoint,
    DraftVersion,
    DuplicateGroup,
    FeedbackItem,
    Provision,
    RawRecord,
    Source,
    Suggestion,
    SuggestionProvision,
)

# Keys importers may use in Source.meta for a symposium's head count and date.
PARTICIPANT_KEYS = ("participant_count", "participants_count", "participants", "attendees", "参会人数")
DATE_KEYS = ("meeting_date", "date", "held_on", "日期")
ROLE_KEYS = ("role", "speaker_role", "identity", "身份")

# --- loading --------------------------------------------------------------------------


def contact_point_id_by_name(session: Session, name: str | None) -> int | None:
    if not name:
        return None
    point = session.scalar(select(ContactPoint).where(ContactPoint.name == name.strip()))
    if point is None:
        known = ", ".join(session.scalars(select(ContactPoint.name).order_by(ContactPoint.name)))
        raise NotFoundError(
            f"--contact-point: no contact point named {name!r} (known: {known or 'none'})",
            message_zh=f"未找到联系点“{name}”",
        )
    return point.id


def base_version(session: Session, consultation_id: int) -> DraftVersion | None:
    """The version comments refer to, or None for a consultation without a draft."""
    return find_version(session, consultation_id)


def articles_of(session: Session, consultation_id: int) -> dict[int, ArticleInfo]:
    """Articles of the comment-base version by provision id, with the chapter each sits in
    and their 款/项 texts."""
    version = base_version(session, consultation_id)
    if version is None:
        return {}
    rows = _provision_rows(session, version.id)
    tree = ProvisionTree(rows)
    out: dict[int, ArticleInfo] = {}
    for r in rows:
        if r.kind != "article":
            continue
        chapter = tree.ancestor(r, "chapter")
        out[r.id] = ArticleInfo(r.id, r.label, r.number, r.order, r.text or "",
                                chapter.label if chapter else None, r.suffix)
    paragraphs: dict[int, tuple[int, int]] = {}  # paragraph id → (article id, 款 number)
    for r in rows:
        if r.kind == "paragraph" and r.parent_id in out and r.number is not None:
            paragraphs[r.id] = (r.parent_id, r.number)
            out[r.parent_id].parts[(r.number, None)] = r.text or ""
    for r in rows:
        if r.kind == "item" and r.parent_id in paragraphs and r.number is not None:
            article_id, number = paragraphs[r.parent_id]
            out[article_id].parts[(number, r.number)] = r.text or ""
            # The whole 款 reads with its items.
            whole = out[article_id].parts[(number, None)]
            out[article_id].parts[(number, None)] = f"{whole}\n{r.text}" if whole else (r.text or "")
    return out


def chapters_of(session: Session, consultation_id: int) -> dict[int, ArticleInfo]:
    """Chapters of the comment-base version by number (a chapter-level opinion's row sits
    under its chapter, before the chapter's first article)."""
    version = base_version(session, consultation_id)
    if version is None:
        return {}
    return {
        r.number: ArticleInfo(r.id, r.label, r.number, r.order, "", r.label, None, kind="chapter")
        for r in _provision_rows(session, version.id)
        if r.kind == "chapter" and r.number is not None
    }


def _provision_rows(session: Session, version_id: int) -> list[Any]:
    return list(session.execute(
        select(Provision.id, Provision.parent_id, Provision.kind, Provision.label,
               Provision.number, Provision.suffix, Provision.order, Provision.text)
        .where(Provision.version_id == version_id)
        .order_by(Provision.order)
    ).all())


def _article_resolver(session: Session, consultation_id: int) -> dict[int, int]:
    """provision id (any kind, any version of the consultation) → its article's id."""
    rows = session.execute(
        select(Provision.id, Provision.parent_id, Provision.kind)
        .join(DraftVersion, DraftVersion.id == Provision.version_id)
        .where(DraftVersion.consultation_id == consultation_id)
    ).all()
    tree = ProvisionTree(rows)
    out: dict[int, int] = {}
    for r in rows:
        article = tree.article_of(r)
        if article is not None:
            out[r.id] = article.id
    return out


def effective_statuses(session: Session, consultation_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """suggestion id → (status, source) of the decision that counts (``decisions.winning``)."""
    ids = list(consultation_ids)
    if not ids:
        return {}
    chosen: dict[int, Any] = {}
    for row in session.execute(
        select(AdoptionDecision.suggestion_id, AdoptionDecision.status, AdoptionDecision.source)
        .where(AdoptionDecision.consultation_id.in_(ids))
    ):
        chosen[row.suggestion_id] = winning(chosen.get(row.suggestion_id), row)
    return {sid: (row.status, row.source) for sid, row in chosen.items()}


def suggestion_rows(
    session: Session,
    consultation_id: int,
    contact_point_id: int | None = None,
) -> list[SuggestionRow]:
    """All suggestions of a consultation (of one contact point, if given), with their
    sources, linked articles and how they were linked, clusters and effective adoption
    status — as stored, not masked (the documents and the exports mask them)."""
    point = aliased(ContactPoint)
    effective_cp = func.coalesce(
        Comment.contact_point_id, Source.contact_point_id, Consultation.contact_point_id
    )
    query = (
        select(
            Suggestion.id, Suggestion.comment_id, Suggestion.ordinal, Suggestion.text,
            Suggestion.masked_text, Suggestion.type, Suggestion.is_general, Suggestion.is_out_of_scope,
            Suggestion.duplicate_group_id, DuplicateGroup.size.label("dup_size"),
            DuplicateGroup.kind.label("dup_kind"), Suggestion.scope, Suggestion.reviewed_scope,
            Suggestion.meta.label("suggestion_meta"), Suggestion.citation_check,
            Comment.quoted_text, RawRecord.locator,
            Comment.channel, effective_cp.label("cp_id"), point.name.label("cp_name"),
            Comment.author_organisation, Comment.meta.label("comment_meta"),
            Comment.reason, Comment.submitted_at, Comment.author_name, Comment.external_id,
            Source.id.label("source_id"), Source.name.label("source_name"),
            Source.origin.label("source_origin"),
        )
        .join(Comment, Comment.id == Suggestion.comment_id)
        .join(Consultation, Consultation.id == Suggestion.consultation_id)
        .outerjoin(Source, Source.id == Comment.source_id)
        .outerjoin(RawRecord, RawRecord.id == Comment.raw_record_id)
        .outerjoin(point, point.id == effective_cp)
        .outerjoin(DuplicateGroup, DuplicateGroup.id == Suggestion.duplicate_group_id)
        .where(Suggestion.consultation_id == consultation_id,
               # 非意见 (greetings, a host's remarks, "同问"): the reviewer's word, else the analysis'.
               func.coalesce(Suggestion.reviewed_scope, Suggestion.scope, "") != "not_opinion")
        .order_by(Suggestion.comment_id, Suggestion.ordinal, Suggestion.id)
    )
    if contact_point_id is not None:
        query = query.where(effective_cp == contact_point_id)

    resolve = _article_resolver(session, consultation_id)
    articles: dict[int, list[int]] = defaultdict(list)
    methods: dict[int, list[str]] = defaultdict(list)
    scores: dict[int, float] = {}
    cited: dict[int, list[CitedPart]] = defaultdict(list)
    for link in session.execute(
        select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id,
               SuggestionProvision.method, SuggestionProvision.is_manual, SuggestionProvision.score,
               SuggestionProvision.paragraph, SuggestionProvision.item)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(SuggestionProvision.suggestion_id, SuggestionProvision.id)
    ):
        sid = link.suggestion_id
        article = resolve.get(link.provision_id)
        if article is not None and article not in articles[sid]:
            articles[sid].append(article)
        if article is not None and link.paragraph is not None:
            cited[sid].append(CitedPart(article, link.paragraph, link.item))
        method = "manual" if link.is_manual else link.method
        if method not in methods[sid]:
            methods[sid].append(method)
        if link.score is not None:
            scores[sid] = max(scores.get(sid, link.score), link.score)
    clusters: dict[int, list[tuple[int, str | None]]] = defaultdict(list)
    for cid, sid, label in session.execute(
        select(ClusterMember.cluster_id, ClusterMember.suggestion_id, Cluster.label)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
        .order_by(ClusterMember.cluster_id)
    ):
        clusters[sid].append((cid, label))
    statuses = effective_statuses(session, [consultation_id])

    def row_of(r: Any, single_point: bool) -> SuggestionRow:
        meta = r.comment_meta or {}
        s_meta = r.suggestion_meta or {}
        role = next((str(meta[k]) for k in ROLE_KEYS if meta.get(k)), None)
        role = SPEAKER_ROLES.get(role, role) or None if role else None  # the analysis's codes in Chinese
        status = statuses.get(r.id)
        in_clusters = clusters.get(r.id, [])
        return SuggestionRow(
            suggestion_id=r.id,
            comment_id=r.comment_id,
            consultation_id=consultation_id,
            text=r.masked_text if r.masked_text is not None else r.text,
            type=r.type,
            is_general=bool(r.is_general),
            is_out_of_scope=bool(r.is_out_of_scope),
            duplicate_group_id=r.duplicate_group_id,
            duplicate_size=r.dup_size or 1,
            channel=r.channel or "other",
            contact_point_id=r.cp_id,
            contact_point=r.cp_name,
            organisation=(r.author_organisation or "").strip() or None,
            role=role,
            source_id=r.source_id,
            source_name=r.source_name,
            source_origin=r.source_origin,
            submitted_at=r.submitted_at,
            # A form's 理由 belongs to the whole comment: it is this suggestion's only
            # when the comment made a single point.
            reason=(r.reason or "") if single_point else "",
            article_ids=articles.get(r.id, []),
            cluster_ids=[c for c, _ in in_clusters],
            status=status[0] if status else None,
            status_source=status[1] if status else None,
            original_text=r.text,
            masked_text=r.masked_text,
            author_name=(r.author_name or "").strip() or None,
            external_id=r.external_id,
            ordinal=r.ordinal,
            mapping_methods=methods.get(r.id, []),
            mapping_score=scores.get(r.id),
            cluster_label=in_clusters[0][1] if in_clusters else None,
            duplicate_kind=r.dup_kind,
            locator=r.locator,
            scope=r.reviewed_scope or r.scope,
            chapter_number=_as_int(s_meta.get("chapter")),
            cited_parts=cited.get(r.id, []),
            quoted_text=(r.quoted_text or None) if single_point else None,
            citation_check=r.citation_check or None,
            reference_problems=list(s_meta.get("reference_problems") or []),
        )

    # Streamed, a comment's rows at a time (they come in comment order): the query's rows
    # are never all in memory beside the SuggestionRows (at 10^6 they were gigabytes).
    out: list[SuggestionRow] = []
    comment: list[Any] = []
    for r in session.execute(query.execution_options(yield_per=2_000)):
        if comment and r.comment_id != comment[0].comment_id:
            out.extend(row_of(x, len(comment) == 1) for x in comment)
            comment = []
        comment.append(r)
    out.extend(row_of(x, len(comment) == 1) for x in comment)
    return out


def _as_int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


# --- clusters -------------------------------------------------------------------------


def _people(rows: Iterable[SuggestionRow]) -> int:
    return len({r.comment_id for r in rows})


def _section_of(row: SuggestionRow) -> str:
    if row.is_out_of_scope:
        return "other"
    if row.article_ids and not row.is_general:
        return "article"
    return "general"


def _scope_section(scope: str | None) -> str:
    scope = (scope or "").strip()
    if scope.startswith("article"):
        return "article"
    if scope == "other":
        return "other"
    return "general"


def cluster_views(
    session: Session,
    consultation_id: int,
    contact_point_id: int | None = None,
    rows: list[SuggestionRow] | None = None,
    articles: dict[int, ArticleInfo] | None = None,
    chapters: dict[int, ArticleInfo] | None = None,
) -> list[ClusterView]:
    """Clusters of the consultation restricted to the suggestions in scope, in document
    order (general, then articles by their order in the draft, then other).

    A member's duplicates count too ("有N人提出" counts people, duplicates included),
    whether or not the pipeline made them cluster members. Suggestions no cluster covers
    (clustering not run yet, or a reviewer took one out) become single items, one per
    duplicate group, so nothing in scope is dropped from the document.
    """
    if rows is None:
        rows = suggestion_rows(session, consultation_id, contact_point_id)
    if articles is None:
        articles = articles_of(session, consultation_id)
    if chapters is None:
        chapters = chapters_of(session, consultation_id)
    by_id = {r.suggestion_id: r for r in rows}
    by_group: dict[int, list[SuggestionRow]] = defaultdict(list)
    for r in rows:
        if r.duplicate_group_id is not None:
            by_group[r.duplicate_group_id].append(r)
    number_to_article = {a.number: a for a in articles.values() if a.number is not None}
    resolve = _article_resolver(session, consultation_id)

    def expand(members: list[SuggestionRow]) -> list[SuggestionRow]:
        out: dict[int, SuggestionRow] = {}
        expanded: set[int] = set()
        for m in members:
            out.setdefault(m.suggestion_id, m)
            # Each group once: a campaign's members are usually all in the cluster, and
            # walking the group again for each of them was quadratic in the campaign's size.
            if m.duplicate_group_id and m.duplicate_group_id not in expanded:
                expanded.add(m.duplicate_group_id)
                for d in by_group.get(m.duplicate_group_id, []):
                    out.setdefault(d.suggestion_id, d)
        return list(out.values())

    views: list[ClusterView] = []
    covered: set[int] = set()
    clusters = session.scalars(
        select(Cluster).where(Cluster.consultation_id == consultation_id).order_by(Cluster.id)
    ).all()
    member_ids: dict[int, list[int]] = defaultdict(list)
    for cid, sid in session.execute(
        select(ClusterMember.cluster_id, ClusterMember.suggestion_id)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
        .order_by(ClusterMember.id)
    ):
        member_ids[cid].append(sid)
    for c in clusters:
        members = expand([by_id[s] for s in member_ids.get(c.id, []) if s in by_id])
        if not members:
            continue  # nothing of this cluster is in scope
        covered.update(m.suggestion_id for m in members)
        rep = by_id.get(c.representative_suggestion_id) if c.representative_suggestion_id else None
        if rep is None or rep.suggestion_id not in {m.suggestion_id for m in members}:
            rep = _pick_representative(members)
        article = None
        if c.provision_id is not None:
            article = articles.get(resolve.get(c.provision_id, c.provision_id))
        if article is None and (c.scope or "").startswith("article:"):
            number = re.match(r"article:(\d+)", c.scope)
            article = number_to_article.get(int(number.group(1))) if number else None
        section = _scope_section(c.scope)
        if section == "article" and article is None:
            section = "general"  # an article we cannot place is still an opinion on the draft
        if section == "general" and (chapter := _chapter_of(members, chapters)) is not None:
            section, article = "article", chapter  # one row under the chapter
        views.append(
            ClusterView(
                cluster_id=c.id,
                section=section,
                article=article if section == "article" else None,
                label=c.label,
                keywords=[str(k) for k in (c.keywords or [])],
                reviewed=bool(c.reviewed),
                consolidated_text=c.consolidated_text or None,
                reason_text=c.reason_text or None,
                representative=rep,
                members=members,
                count=_people(members),
            )
        )
    # Uncovered suggestions: one item per duplicate group.
    pending: dict[tuple[int, int], list[SuggestionRow]] = defaultdict(list)
    for r in rows:
        if r.suggestion_id not in covered:
            pending[r.dedup_key].append(r)
    for group in pending.values():
        members = expand(group)
        members = [m for m in members if m.suggestion_id not in covered] or members
        covered.update(m.suggestion_id for m in members)
        rep = _pick_representative(members)
        section = _section_of(rep)
        article = articles.get(rep.article_ids[0]) if section == "article" else None
        if section == "article" and article is None:
            section = "general"
        if section == "general" and (chapter := _chapter_of(members, chapters)) is not None:
            section, article = "article", chapter
        views.append(
            ClusterView(
                cluster_id=None, section=section, article=article, label=None, keywords=[],
                reviewed=False, consolidated_text=None, reason_text=None,
                representative=rep, members=members, count=_people(members),
            )
        )
    return sort_views(views)


def _chapter_of(members: list[SuggestionRow], chapters: dict[int, ArticleInfo]) -> ArticleInfo | None:
    """The chapter every member's opinion is about (scope "chapter"), else None."""
    numbers = {m.chapter_number if m.scope == "chapter" else None for m in members}
    if len(numbers) != 1:
        return None
    number = numbers.pop()
    return chapters.get(number) if number is not None else None


def _pick_representative(members: list[SuggestionRow]) -> SuggestionRow:
    # The most-duplicated wording, then the fullest one: it speaks for the most people.
    return max(members, key=lambda m: (m.duplicate_size, len(m.text), -m.suggestion_id))


SECTION_ORDER = {"general": 0, "article": 1, "other": 2}


def sort_views(views: list[ClusterView]) -> list[ClusterView]:
    return sorted(
        views,
        key=lambda v: (
            SECTION_ORDER[v.section],
            v.article.order if v.article else 0,
            -v.count,
            v.cluster_id if v.cluster_id is not None else 10**12 + v.representative.suggestion_id,
        ),
    )


# --- figures --------------------------------------------------------------------------


def _meta_int(meta: dict[str, Any], keys: Iterable[str]) -> int | None:
    for key in keys:
        value = meta.get(key)
        if isinstance(value, list):
            return len(value)
        if value not in (None, ""):
            try:
                return int(str(value).strip().rstrip("人名"))
            except ValueError:
                continue
    return None


def _meta_date(meta: dict[str, Any], keys: Iterable[str]) -> date | None:
    for key in keys:
        value = meta.get(key)
        if not value:
            continue
        try:
            return date.fromisoformat(str(value)[:10])
        except ValueError:
            continue
    return None


def consultation_figures(
    session: Session,
    consultation_id: int,
    contact_point_id: int | None = None,
    rows: list[SuggestionRow] | None = None,
) -> ConsultationFigures:
    """The figures of 征求意见工作开展情况, for one contact point or all."""
    consultation = get_consultation(session, consultation_id)
    version = base_version(session, consultation_id)
    if rows is None:
        rows = suggestion_rows(session, consultation_id, contact_point_id)
    effective_cp = func.coalesce(
        Comment.contact_point_id, Source.contact_point_id, Consultation.contact_point_id
    )
    comment_q = (
        select(Comment.id, Comment.channel, Comment.source_id, Comment.submitted_at,
               Comment.author_organisation)
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .outerjoin(Source, Source.id == Comment.source_id)
        .where(Comment.consultation_id == consultation_id)
    )
    if contact_point_id is not None:
        comment_q = comment_q.where(effective_cp == contact_point_id)
    comments = session.execute(comment_q).all()

    source_cp = func.coalesce(Source.contact_point_id, Consultation.contact_point_id)
    source_q = (
        select(Source.id, Source.channel, Source.meta)
        .join(Consultation, Consultation.id == Source.consultation_id)
        .where(Source.consultation_id == consultation_id)
    )
    if contact_point_id is not None:
        source_q = source_q.where(source_cp == contact_point_id)
    sources = session.execute(source_q).all()

    comment_channels = Counter(c.channel or "other" for c in comments)
    source_channels = Counter(s.channel or "other" for s in sources)
    used = [code for code in CHANNELS if comment_channels[code] or source_channels[code]]
    channels = [
        ChannelUse(code, CHANNELS[code], comment_channels[code], source_channels[code])
        for code in used
    ]
    symposium_sources = [s for s in sources if s.channel == "symposium"]
    participants = [_meta_int(s.meta or {}, PARTICIPANT_KEYS) for s in symposium_sources]
    known = [p for p in participants if p is not None]
    dates = sorted(d for d in (_meta_date(s.meta or {}, DATE_KEYS) for s in symposium_sources) if d)
    times = sorted(c.submitted_at for c in comments if c.submitted_at)

    dedup = {r.dedup_key for r in rows}
    by_section: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for r in rows:
        by_section[_section_of(r)].add(r.dedup_key)
    adoption = adoption_counts(rows)
    point_name = None
    if contact_point_id is not None:
        point_name = session.get(ContactPoint, contact_point_id).name  # type: ignore[union-attr]
    elif consultation.contact_point is not None:
        point_name = consultation.contact_point.name
    return ConsultationFigures(
        consultation_id=consultation.id,
        title=consultation.title,
        draft_label=version.label if version else None,
        issuing_body=consultation.issuing_body,
        contact_point=point_name,
        opened_on=consultation.opened_on,
        deadline=consultation.deadline,
        first_comment_at=times[0] if times else None,
        last_comment_at=times[-1] if times else None,
        channels=channels,
        symposiums=len(symposium_sources),
        symposium_participants=sum(known) if known else None,
        symposium_counted=len(known),
        symposium_dates=dates,
        comments=len(comments),
        suggestions=len(rows),
        suggestions_deduplicated=len(dedup),
        general_suggestions=len(by_section["general"]),
        article_suggestions=len(by_section["article"]),
        other_suggestions=len(by_section["other"]),
        articles_commented=len({a for r in rows if _section_of(r) == "article" for a in r.article_ids[:1]}),
        organisations=ordered_unique(r.organisation for r in rows if r.organisation),
        adoption=adoption,
    )


# --- statistics rows ------------------------------------------------------------------


def stat_rows(
    session: Session,
    *,
    year: int | None = None,
    contact_point_id: int | None = None,
    consultation_ids: Iterable[int] | None = None,
) -> tuple[list[StatRow], list[dict[str, Any]]]:
    """Suggestions (one row each) and the consultations in range, for statistics.

    The year of a consultation is the year it opened (else of its deadline, else of its
    creation in minyi). Returns (rows, consultations) where consultations include those
    with no comment yet, so "participated" can be told from "opened".
    """
    effective_cp = func.coalesce(
        Comment.contact_point_id, Source.contact_point_id, Consultation.contact_point_id
    )
    cons_q = select(Consultation)
    if consultation_ids is not None:
        cons_q = cons_q.where(Consultation.id.in_(list(consultation_ids)))
    consultations = {}
    for c in session.scalars(cons_q.order_by(Consultation.id)):
        when = c.opened_on or c.deadline or (c.created_at.date() if c.created_at else None)
        y = when.year if when else None
        if year is not None and y != year:
            continue
        consultations[c.id] = {"id": c.id, "title": c.title, "year": y}
    if not consultations:
        return [], []
    point = aliased(ContactPoint)
    query = (
        select(Suggestion.id, Suggestion.consultation_id, Suggestion.comment_id,
               Suggestion.duplicate_group_id, Comment.channel, point.name.label("cp_name"))
        .join(Comment, Comment.id == Suggestion.comment_id)
        .join(Consultation, Consultation.id == Suggestion.consultation_id)
        .outerjoin(Source, Source.id == Comment.source_id)
        .outerjoin(point, point.id == effective_cp)
        .where(Suggestion.consultation_id.in_(list(consultations)),
               # As in the feedback document: 非意见 is no suggestion fed back.
               func.coalesce(Suggestion.reviewed_scope, Suggestion.scope, "") != "not_opinion")
    )
    if contact_point_id is not None:
        query = query.where(effective_cp == contact_point_id)
    statuses = effective_statuses(session, consultations)
    rows = []
    for r in session.execute(query):
        c = consultations[r.consultation_id]
        status = statuses.get(r.id)
        rows.append(
            StatRow(
                consultation_id=r.consultation_id,
                consultation_title=c["title"],
                year=c["year"],
                contact_point=r.cp_name,
                channel=r.channel or "other",
                comment_id=r.comment_id,
                suggestion_id=r.id,
                dedup_key=(0, r.duplicate_group_id) if r.duplicate_group_id is not None else (1, r.id),
                status=status[0] if status else None,
                status_source=status[1] if status else None,
            )
        )
    return rows, list(consultations.values())


def symposium_counts(session: Session, consultation_ids: Iterable[int], contact_point_id: int | None = None) -> tuple[int, int | None]:
    """(symposiums held, participants known) over the given consultations."""
    ids = list(consultation_ids)
    if not ids:
        return 0, None
    source_cp = func.coalesce(Source.contact_point_id, Consultation.contact_point_id)
    q = (
        select(Source.meta)
        .join(Consultation, Consultation.id == Source.consultation_id)
        .where(Source.consultation_id.in_(ids), Source.channel == "symposium")
    )
    if contact_point_id is not None:
        q = q.where(source_cp == contact_point_id)
    metas = list(session.scalars(q))
    known = [p for p in (_meta_int(m or {}, PARTICIPANT_KEYS) for m in metas) if p is not None]
    return len(metas), (sum(known) if known else None)


# --- what was sent --------------------------------------------------------------------


def replace_feedback_items(
    session: Session,
    consultation_id: int,
    contact_point_id: int | None,
    items: list[dict[str, Any]],
    report_file: str | None,
) -> int:
    """Store the rows of a feedback document as FeedbackItem, replacing the previous set
    for the same consultation and contact point (a document is re-issued whole)."""
    cp_clause = (
        FeedbackItem.contact_point_id.is_(None)
        if contact_point_id is None
        else FeedbackItem.contact_point_id == contact_point_id
    )
    session.execute(
        delete(FeedbackItem).where(FeedbackItem.consultation_id == consultation_id, cp_clause)
    )
    for item in items:
        session.add(
            FeedbackItem(
                consultation_id=consultation_id,
                contact_point_id=contact_point_id,
                report_file=report_file,
                **item,
            )
        )
    session.flush()
    return len(items)


def author_names(session: Session, consultation_id: int) -> set[str]:
    """The names commenters gave (kept at the contact point; used to mask them wherever
    they appear in text that leaves it)."""
    return {
        n.strip()
        for n in session.scalars(
            select(Comment.author_name).where(
                Comment.consultation_id == consultation_id, Comment.author_name.is_not(None)
            ).distinct()
        )
        if n and n.strip()
    }
