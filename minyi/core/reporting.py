"""What the documents and exports are made from: plain dataclasses that ``models.report_queries``
loads and ``reports/`` renders, so neither imports the other.

Rows come out of the database as they are stored: ``SuggestionRow.original_text``,
``author_name``, a form's ``reason`` may carry personal data. The application layer
(``minyi.services.documents``) masks every text field with ``masked(mask)`` before a row
reaches a document or an export; ``mask`` is the one masker (``pipeline.mask.mask_text``),
passed in so that this module imports nothing of ours but the decision rule.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime
from typing import Any

from minyi.core.decisions import precedence

Mask = Callable[[str], str]

# When duplicates disagree, the strongest status stands for the merged point.
STATUS_RANK = {"采纳": 0, "部分采纳": 1, "已有规定": 2, "研究参考": 3, "未采纳": 4, "无法判断": 5}


def _masked(mask: Mask, text: str | None) -> str | None:
    return mask(text) if text else text


@dataclass
class ArticleInfo:
    provision_id: int
    label: str  # 第十二条
    number: int | None
    order: int  # document order in the version
    text: str
    chapter: str | None = None
    suffix: str | None = None  # 之一
    kind: str = "article"  # or "chapter": a chapter-level opinion's row sits under the chapter
    # The article's 款 and 项 by (款 number, 项 number or None for the whole 款), so a row can
    # quote what the suggestion cited rather than the whole article.
    parts: dict[tuple[int, int | None], str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """12, 5之一: how an export names the article."""
        return f"{self.number}{self.suffix or ''}"

    @property
    def short_label(self) -> str:
        """第三章 for "第三章 通行与停放" (the 条款 cell stays one line); an article's label."""
        return self.label.split()[0] if self.kind == "chapter" and self.label.strip() else self.label


def masked_name(name: str | None) -> str | None:
    """张伟 → 张*, 欧阳明华 → 欧***: enough to tell two commenters apart in the appendix,
    not enough to name them. Anything that is not a short Chinese name is hidden whole."""
    name = (name or "").strip()
    if not name:
        return None
    if re.fullmatch(r"[\u4e00-\u9fff]{2,4}", name):
        return name[0] + "*" * (len(name) - 1)
    return "（已隐去）"


@dataclass(frozen=True)
class CitedPart:
    """What a suggestion cited inside an article (第二款, 第二款第（三）项)."""

    article_id: int
    paragraph: int | None
    item: int | None


@dataclass
class SuggestionRow:
    """One suggestion with everything a document or an export shows about it.

    As loaded, ``text`` is the pipeline's masked text (the original until the consultation
    is analysed) and the other fields are as stored; ``masked(mask)`` gives the copy that
    may leave the contact point.
    """

    suggestion_id: int
    comment_id: int
    consultation_id: int
    text: str
    type: str | None
    is_general: bool
    is_out_of_scope: bool
    duplicate_group_id: int | None
    duplicate_size: int
    channel: str
    contact_point_id: int | None
    contact_point: str | None
    organisation: str | None
    role: str | None  # a speaker's or form-filler's role (社区居民, 律师 …)
    source_id: int | None
    source_name: str | None
    source_origin: str | None  # file name or address
    submitted_at: datetime | None
    reason: str  # the submitter's 理由 (a form's, when the comment made a single point)
    article_ids: list[int] = field(default_factory=list)
    cluster_ids: list[int] = field(default_factory=list)
    status: str | None = None  # effective adoption status (a reviewer's wins)
    status_source: str | None = None
    original_text: str = ""  # as written, personal data included
    masked_text: str | None = None  # the pipeline's masked text (None before analysis)
    author_name: str | None = None  # never shown; masked rows carry None
    external_id: str | None = None
    ordinal: int = 0
    mapping_methods: list[str] = field(default_factory=list)  # explicit / semantic / manual
    mapping_score: float | None = None
    cluster_label: str | None = None  # of the first cluster
    duplicate_kind: str | None = None  # exact / near / campaign / semantic
    locator: str | None = None  # where in the source: "sheet=表1;row=5", "paragraph=8"
    author_masked: str | None = None  # 张* (set by ``masked``; None before)
    scope: str | None = None  # the reviewer's scope, else the analysis' (article / general / chapter …)
    chapter_number: int | None = None  # for scope "chapter": the chapter cited
    cited_parts: list[CitedPart] = field(default_factory=list)  # 款/项 named in the citation
    quoted_text: str | None = None  # the draft wording the submitter quoted (a form's 原文)
    citation_check: dict[str, Any] | None = None  # a citation that looks wrong (the analysis)
    reference_problems: list[dict[str, Any]] = field(default_factory=list)  # cited what the draft lacks

    @property
    def dedup_key(self) -> tuple[int, int]:
        """Identity after deduplication: the duplicate group, or the suggestion itself."""
        if self.duplicate_group_id is not None:
            return (0, self.duplicate_group_id)
        return (1, self.suggestion_id)

    def masked(self, mask: Mask) -> SuggestionRow:
        """A copy with every text field passed through ``mask`` and the name dropped."""
        text = mask(self.text)
        return replace(
            self,
            text=text,
            original_text=text,
            masked_text=text if self.masked_text is not None else None,
            author_name=None,
            author_masked=masked_name(self.author_name) or self.author_masked,
            quoted_text=_masked(mask, self.quoted_text),
            organisation=_masked(mask, self.organisation),
            role=_masked(mask, self.role),
            contact_point=_masked(mask, self.contact_point),
            source_name=_masked(mask, self.source_name),
            source_origin=_masked(mask, self.source_origin),
            reason=mask(self.reason) if self.reason else "",
            cluster_label=_masked(mask, self.cluster_label),
        )


def ordered_unique(values: Iterable[Any]) -> list[Any]:
    seen: dict[Any, None] = {}
    for v in values:
        seen.setdefault(v, None)
    return list(seen)


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
        """The 理由 beside ``text``, from the same hand: the reviewer's reason when the
        reviewer's wording is sent, else the representative's own (never another member's,
        which would argue for a different proposal)."""
        if self.reviewed and self.consolidated_text:
            return self.reason_text or ""
        return self.reason_text or self.representative.reason

    @property
    def contact_points(self) -> list[str]:
        return ordered_unique(m.contact_point for m in self.members if m.contact_point)

    @property
    def adoption(self) -> dict[str, int]:
        return dict(Counter(m.status for m in self.members if m.status))

    def masked(self, mask: Mask) -> ClusterView:
        """The cluster's own texts masked (label, keywords, the reviewer's wording and
        reason). Its members are the rows it was built from: build it from masked rows."""
        return replace(
            self,
            label=_masked(mask, self.label),
            keywords=[mask(k) for k in self.keywords],
            consolidated_text=_masked(mask, self.consolidated_text),
            reason_text=_masked(mask, self.reason_text),
        )


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
    symposium_counted: int | None = None  # symposiums whose participant count is known

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("opened_on", "deadline", "first_comment_at", "last_comment_at"):
            d[key] = d[key].isoformat() if d[key] else None
        d["symposium_dates"] = [x.isoformat() for x in self.symposium_dates]
        return d


@dataclass
class ConsultationReport:
    """Everything the feedback document and the review report are written from, for one
    contact point (``contact_point_id``) or all of them (None)."""

    consultation_id: int
    title: str
    issuing_body: str | None
    draft_label: str | None  # of the version comments refer to; None without a draft
    contact_point_id: int | None
    rows: list[SuggestionRow]
    articles: dict[int, ArticleInfo]
    views: list[ClusterView]
    figures: ConsultationFigures


@dataclass
class StatRow:
    """One suggestion seen from a grouping (contact point, channel …)."""

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

    def masked(self, mask: Mask) -> StatRow:
        title, point = mask(self.consultation_title), _masked(mask, self.contact_point)
        if title == self.consultation_title and point == self.contact_point:
            return self  # the usual case: no copy for each of 10^5 rows
        return replace(self, consultation_title=title, contact_point=point)


# --- adoption over duplicates -------------------------------------------------------------


def dedup_statuses(rows: Iterable[Any]) -> dict[tuple[int, int], str | None]:
    """Status of each point after deduplication (rows with ``dedup_key``, ``status`` and
    ``status_source``): a reviewer's decision on any duplicate wins, then the strongest
    status among them."""
    best: dict[tuple[int, int], tuple[int, int, str]] = {}
    keys: set[tuple[int, int]] = set()
    for r in rows:
        keys.add(r.dedup_key)
        if not r.status:
            continue
        rank = (precedence(r.status_source), STATUS_RANK.get(r.status, 9), r.status)
        if r.dedup_key not in best or rank < best[r.dedup_key]:
            best[r.dedup_key] = rank
    return {k: (best[k][2] if k in best else None) for k in keys}


def adoption_counts(rows: Iterable[Any]) -> dict[str, int]:
    """Counts per status over deduplicated suggestions ("未决定" for none yet)."""
    return dict(Counter(s or "未决定" for s in dedup_statuses(rows).values()))
