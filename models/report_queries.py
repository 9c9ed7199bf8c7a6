"""Every read the reports need, in one place.

The functions here return plain dataclasses (no ORM objects), so a report can be written
after the session is closed, and they return only what may leave the contact point:
suggestion text is the pipeline's ``masked_text``, passed once more through
``scrub_personal_data`` as a safety net (a suggestion the masker has not seen yet, or a
name the masker missed, must still never reach a document sent upward). Individuals are
never named; organisations and roles may be.

Scope: a suggestion belongs to the contact point of its comment, else of its source, else
of the consultation (``effective contact point``). Passing ``contact_point_id`` restricts
every figure to that point; ``None`` means all contact points (the committee's view).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, aliased

from minyi.errors import NotFoundError
from models.store import find_version, get_consultation
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
    Source,
    Suggestion,
    SuggestionProvision,
)

ADOPTED = ("采纳", "部分采纳")
# When duplicates disagree, the strongest status stands for the merged point.
STATUS_RANK = {"采纳": 0, "部分采纳": 1, "已有规定": 2, "研究参考": 3, "未采纳": 4, "无法判断": 5}
# Keys importers may use in Source.meta for a symposium's head count and date.
PARTICIPANT_KEYS = ("participant_count", "participants_count", "participants", "attendees", "参会人数")
DATE_KEYS = ("meeting_date", "date", "held_on", "日期")
ROLE_KEYS = ("role", "speaker_role", "identity", "身份")

# --- personal data safety net ---------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
_ID_NUMBER = re.compile(r"(?<![\dA-Za-z])\d{17}[\dXx](?![\dA-Za-z])")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
MASK = "***"


def scrub_personal_data(text: str | None, names: Iterable[str] = ()) -> str:
    """Mask phone numbers, identity numbers, e-mail addresses and the given personal names
    (a name becomes surname + 某, the usual form in documents sent upward)."""
    if not text:
        return ""
    out = _ID_NUMBER.sub(MASK, text)
    out = _PHONE.sub(MASK, out)
    out = _LANDLINE.sub(MASK, out)
    out = _EMAIL.sub(MASK, out)
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        out = out.replace(name, name[0] + "某")
    return out


# --- plain result types ---------------------------------------------------------------


@dataclass
class ArticleInfo:
    provision_id: int
    label: str  # 第十二条
    number: int | None
    order: int  # document order in the version
    text: str
    chapter: str | None = None


@dataclass
class SuggestionRow:
    """One suggestion with everything a report shows about it (personal data masked)."""

    suggestion_id: int
    comment_id: int
    consultation_id: int
    text: str  # masked
    type: str | None
    is_general: bool
    is_out_of_scope: bool
    duplicate_group_id: int | None
    duplicate_size: int
    channel: str
    contact_point_id: int | None
    contact_point: str | None
    organisation: str | None
    role: str | None
    source_id: int | None
    source_name: str | None
    source_origin: str | None
    submitted_at: datetime | None
    reason: str  # the submitter's 理由, masked
    article_ids: list[int] = field(default_factory=list)
    cluster_ids: list[int] = field(default_factory=list)
    status: str | None = None  # effective adoption status (manual wins)
    status_source: str | None = None

    @property
    def dedup_key(self) -> tuple[int, int]:
        """Identity after deduplication: the duplicate group, or the suggestion itself."""
        if self.duplicate_group_id is not None:
            return (0, self.duplicate_group_id)
        return (1, self.suggestion_id)


@dataclass
class ClusterView:
    """A cluster as a report shows it, restricted to the suggestions in scope."""

    cluster_id: int | None  # None for a suggestion no clustering has covered yet
    section: str  # general / article / other
    article: ArticleInfo | None
    label: str | None
    keywords: list[str]
    reviewed: bool
    consolidated_text: str | None
    reason_text: str | None
    representative: SuggestionRow
    members: list[SuggestionRow]  # in scope, duplicates included
    count: int  # people (distinct comments) who made the point

    @property
    def text(self) -> str:
        """What is sent upward: the reviewer's wording, else the representative's."""
        if self.reviewed and self.consolidated_text:
            return self.consolidated_text
        return self.representative.text

    @property
    def reason(self) -> str:
        if self.reason_text:
            return self.reason_text
        return next((m.reason for m in self._by_preference() if m.reason), "")

    def _by_preference(self) -> list[SuggestionRow]:
        rest = [m for m in self.members if m.suggestion_id != self.representative.suggestion_id]
        return [self.representative, *rest]

    @property
    def contact_points(self) -> list[str]:
        return _ordered_unique(m.contact_point for m in self.members if m.contact_point)

    @property
    def adoption(self) -> dict[str, int]:
        return dict(Counter(m.status for m in self.members if m.status))


@dataclass
class ChannelUse:
    code: str
    name: str
    comments: int
    sources: int


@dataclass
class ConsultationFigures:
    consultation_id: int
    title: str
    draft_label: str | None
    issuing_body: str | None
    contact_point: str | None
    opened_on: date | None
    deadline: date | None
    first_comment_at: datetime | None
    last_comment_at: datetime | None
    channels: list[ChannelUse]
    symposiums: int
    symposium_participants: int | None
    symposium_dates: list[date]
    comments: int
    suggestions: int
    suggestions_deduplicated: int
    general_suggestions: int
    article_suggestions: int
    other_suggestions: int
    articles_commented: int
    organisations: list[str]
    adoption: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("opened_on", "deadline", "first_comment_at", "last_comment_at"):
            d[key] = d[key].isoformat() if d[key] else None
        d["symposium_dates"] = [x.isoformat() for x in self.symposium_dates]
        return d


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
    """Articles of the comment-base version by provision id, with the chapter each sits in."""
    version = base_version(session, consultation_id)
    if version is None:
        return {}
    rows = session.execute(
        select(Provision.id, Provision.parent_id, Provision.kind, Provision.label,
               Provision.number, Provision.order, Provision.text)
        .where(Provision.version_id == version.id)
        .order_by(Provision.order)
    ).all()
    by_id = {r.id: r for r in rows}
    out: dict[int, ArticleInfo] = {}
    for r in rows:
        if r.kind != "article":
            continue
        chapter = None
        parent = by_id.get(r.parent_id) if r.parent_id else None
        while parent is not None:
            if parent.kind == "chapter":
                chapter = parent.label
                break
            parent = by_id.get(parent.parent_id) if parent.parent_id else None
        out[r.id] = ArticleInfo(r.id, r.label, r.number, r.order, r.text or "", chapter)
    return out


def _article_resolver(session: Session, consultation_id: int) -> dict[int, int]:
    """provision id (any kind, any version of the consultation) → its article's id."""
    rows = session.execute(
        select(Provision.id, Provision.parent_id, Provision.kind)
        .join(DraftVersion, DraftVersion.id == Provision.version_id)
        .where(DraftVersion.consultation_id == consultation_id)
    ).all()
    by_id = {r.id: r for r in rows}
    out: dict[int, int] = {}
    for r in rows:
        node = r
        while node is not None and node.kind != "article":
            node = by_id.get(node.parent_id) if node.parent_id else None
        if node is not None:
            out[r.id] = node.id
    return out


def personal_names(session: Session, consultation_id: int) -> set[str]:
    return {
        n.strip()
        for n in session.scalars(
            select(Comment.author_name).where(
                Comment.consultation_id == consultation_id, Comment.author_name.is_not(None)
            )
        )
        if n and n.strip()
    }


def effective_statuses(session: Session, consultation_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """suggestion id → (status, source); a reviewer's manual decision wins over auto."""
    ids = list(consultation_ids)
    out: dict[int, tuple[str, str]] = {}
    if not ids:
        return out
    for sid, status, source in session.execute(
        select(AdoptionDecision.suggestion_id, AdoptionDecision.status, AdoptionDecision.source)
        .where(AdoptionDecision.consultation_id.in_(ids))
    ):
        if sid not in out or source == "manual":
            out[sid] = (status, source)
    return out


def suggestion_rows(
    session: Session,
    consultation_id: int,
    contact_point_id: int | None = None,
) -> list[SuggestionRow]:
    """All suggestions of a consultation (of one contact point, if given), masked, with
    their sources, linked articles, clusters and effective adoption status."""
    point = aliased(ContactPoint)
    effective_cp = func.coalesce(
        Comment.contact_point_id, Source.contact_point_id, Consultation.contact_point_id
    )
    query = (
        select(
            Suggestion.id, Suggestion.comment_id, Suggestion.text, Suggestion.masked_text,
            Suggestion.type, Suggestion.is_general, Suggestion.is_out_of_scope,
            Suggestion.duplicate_group_id, DuplicateGroup.size.label("dup_size"),
            Comment.channel, effective_cp.label("cp_id"), point.name.label("cp_name"),
            Comment.author_organisation, Comment.meta.label("comment_meta"),
            Comment.reason, Comment.submitted_at, Comment.author_name,
            Source.id.label("source_id"), Source.name.label("source_name"),
            Source.origin.label("source_origin"),
        )
        .join(Comment, Comment.id == Suggestion.comment_id)
        .join(Consultation, Consultation.id == Suggestion.consultation_id)
        .outerjoin(Source, Source.id == Comment.source_id)
        .outerjoin(point, point.id == effective_cp)
        .outerjoin(DuplicateGroup, DuplicateGroup.id == Suggestion.duplicate_group_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(Suggestion.comment_id, Suggestion.ordinal, Suggestion.id)
    )
    if contact_point_id is not None:
        query = query.where(effective_cp == contact_point_id)
    rows = session.execute(query).all()
    names = personal_names(session, consultation_id)

    resolve = _article_resolver(session, consultation_id)
    links: dict[int, list[int]] = defaultdict(list)
    for sid, pid in session.execute(
        select(SuggestionProvision.suggestion_id, SuggestionProvision.provision_id)
        .join(Suggestion, Suggestion.id == SuggestionProvision.suggestion_id)
        .where(Suggestion.consultation_id == consultation_id)
        .order_by(SuggestionProvision.suggestion_id, SuggestionProvision.id)
    ):
        article = resolve.get(pid)
        if article is not None and article not in links[sid]:
            links[sid].append(article)
    clusters: dict[int, list[int]] = defaultdict(list)
    for cid, sid in session.execute(
        select(ClusterMember.cluster_id, ClusterMember.suggestion_id)
        .join(Cluster, Cluster.id == ClusterMember.cluster_id)
        .where(Cluster.consultation_id == consultation_id)
        .order_by(ClusterMember.cluster_id)
    ):
        clusters[sid].append(cid)
    statuses = effective_statuses(session, [consultation_id])
    per_comment = Counter(r.comment_id for r in rows)

    out = []
    for r in rows:
        meta = r.comment_meta or {}
        role = next((str(meta[k]) for k in ROLE_KEYS if meta.get(k)), None)
        masked = r.masked_text if r.masked_text is not None else r.text
        status = statuses.get(r.id)
        out.append(
            SuggestionRow(
                suggestion_id=r.id,
                comment_id=r.comment_id,
                consultation_id=consultation_id,
                text=scrub_personal_data(masked, names),
                type=r.type,
                is_general=bool(r.is_general),
                is_out_of_scope=bool(r.is_out_of_scope),
                duplicate_group_id=r.duplicate_group_id,
                duplicate_size=r.dup_size or 1,
                channel=r.channel or "other",
                contact_point_id=r.cp_id,
                contact_point=r.cp_name,
                organisation=(r.author_organisation or "").strip() or None,
                role=scrub_personal_data(role, names) or None,
                source_id=r.source_id,
                source_name=r.source_name,
                source_origin=r.source_origin,
                submitted_at=r.submitted_at,
                # A form's 理由 belongs to the whole comment: it is this suggestion's only
                # when the comment made a single point.
                reason=scrub_personal_data(r.reason, names) if per_comment[r.comment_id] == 1 else "",
                article_ids=links.get(r.id, []),
                cluster_ids=clusters.get(r.id, []),
                status=status[0] if status else None,
                status_source=status[1] if status else None,
            )
        )
    return out


# --- clusters -------------------------------------------------------------------------


def _ordered_unique(values: Iterable[Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


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
    by_id = {r.suggestion_id: r for r in rows}
    by_group: dict[int, list[SuggestionRow]] = defaultdict(list)
    for r in rows:
        if r.duplicate_group_id is not None:
            by_group[r.duplicate_group_id].append(r)
    number_to_article = {a.number: a for a in articles.values() if a.number is not None}
    resolve = _article_resolver(session, consultation_id)
    names = personal_names(session, consultation_id)

    def expand(members: list[SuggestionRow]) -> list[SuggestionRow]:
        out: dict[int, SuggestionRow] = {}
        for m in members:
            out.setdefault(m.suggestion_id, m)
            for d in by_group.get(m.duplicate_group_id, []) if m.duplicate_group_id else []:
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
        views.append(
            ClusterView(
                cluster_id=c.id,
                section=section,
                article=article if section == "article" else None,
                label=c.label,
                keywords=[str(k) for k in (c.keywords or [])],
                reviewed=bool(c.reviewed),
                consolidated_text=scrub_personal_data(c.consolidated_text, names) or None,
                reason_text=scrub_personal_data(c.reason_text, names) or None,
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
        views.append(
            ClusterView(
                cluster_id=None, section=section, article=article, label=None, keywords=[],
                reviewed=False, consolidated_text=None, reason_text=None,
                representative=rep, members=members, count=_people(members),
            )
        )
    return sort_views(views)


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
        symposium_dates=dates,
        comments=len(comments),
        suggestions=len(rows),
        suggestions_deduplicated=len(dedup),
        general_suggestions=len(by_section["general"]),
        article_suggestions=len(by_section["article"]),
        other_suggestions=len(by_section["other"]),
        articles_commented=len({a for r in rows if _section_of(r) == "article" for a in r.article_ids[:1]}),
        organisations=_ordered_unique(r.organisation for r in rows if r.organisation),
        adoption=adoption,
    )


def dedup_statuses(rows: Iterable[SuggestionRow]) -> dict[tuple[int, int], str | None]:
    """Status of each point after deduplication: a manual decision on any duplicate wins,
    then the strongest status among them."""
    best: dict[tuple[int, int], tuple[int, int, str]] = {}
    keys: set[tuple[int, int]] = set()
    for r in rows:
        keys.add(r.dedup_key)
        if not r.status:
            continue
        rank = (0 if r.status_source == "manual" else 1, STATUS_RANK.get(r.status, 9), r.status)
        if r.dedup_key not in best or rank < best[r.dedup_key]:
            best[r.dedup_key] = rank
    return {k: (best[k][2] if k in best else None) for k in keys}


def adoption_counts(rows: Iterable[SuggestionRow]) -> dict[str, int]:
    """Counts per status over deduplicated suggestions ("未决定" for none yet)."""
    counts = Counter(s or "未决定" for s in dedup_statuses(rows).values())
    return dict(counts)


# --- statistics rows ------------------------------------------------------------------


@dataclass
class StatRow:
    """One deduplicated suggestion seen from a grouping (contact point, channel …)."""

    consultation_id: int
    consultation_title: str
    year: int | None
    contact_point: str | None
    channel: str
    comment_id: int
    suggestion_id: int
    dedup_key: tuple[int, int]
    status: str | None
    status_source: str | None


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
        .where(Suggestion.consultation_id.in_(list(consultations)))
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
