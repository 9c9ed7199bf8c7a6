"""The documents that go upward: the feedback document (关于《××》的意见建议), the committee's
review report, adoption statistics and the yearly summary.

Each workflow checks that the actor may write reports on the consultation, loads through
``models.report_queries``, masks every text field with the one masker
(``pipeline.mask.mask_text``), builds the document model with ``reports/`` and writes it
through ``reports.formats``. These documents leave the contact point, so they are masked
whoever asks, personal-data rights or not.

``feedback(...)``, ``review(...)``, ``statistics_table(...)`` and ``yearly(...)`` return the
model without writing it (for the web pages, notebooks and tests);
``feedback_document(...)``, ``review_report(...)``, ``statistics(...)`` and
``yearly_summary(...)`` also write it.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.reporting import ConsultationReport, StatRow, SuggestionRow
from minyi.services.context import Actor, audit
from models import report_queries
from models import rollup as rollup_store
from models.store import get_consultation
from pipeline.mask import PLACEHOLDERS, looks_like_name, mask_text
from reports import formats
from reports.bundle import attribute_rows, participation, participation_text, weigh_views
from reports.feedback import FeedbackDocument, build_feedback, feedback_items
from reports.review import ReviewReport, build_review
from reports.stats import StatsResult, build_stats, check_grouping
from reports.yearly import YearlySummary, build_yearly

# The name of a consultation's draft when no draft text was loaded.
DEFAULT_DRAFT_LABEL = "征求意见稿"


@dataclass
class DocumentResult:
    """A written document: where, in which format, and what it says in figures."""

    path: str
    format: str
    summary: dict[str, Any] = field(default_factory=dict)
    recorded: int | None = None  # feedback rows stored as sent (FeedbackItem)

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, **self.summary}


@dataclass
class StatisticsResult:
    stats: StatsResult
    format: str
    path: str | None = None  # the file written, if any
    text: str | None = None  # the rendering of a text format (table, json, csv)
    chart: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"path": self.path, "format": self.format, "chart": self.chart, **self.stats.to_dict()}


# --- masking ------------------------------------------------------------------------------


class Masker:
    """The one masker (``pipeline.mask.mask_text``) applied to every text field of the rows
    and clusters that reach a document or an export; each distinct text is masked once.

    The commenters' own names are masked by name too, wherever they stand (a row's author,
    and "我同意李某某的意见" naming another commenter): the database knows who wrote, and
    people name themselves and each other in ways the patterns cannot all see. Names that
    are also ordinary words are left to the patterns (``looks_like_name``).
    """

    def __init__(self, names: Iterable[str] = ()) -> None:
        self._done: dict[str, str] = {}
        self._names = {n for n in (x.strip() for x in names if x) if looks_like_name(n, context="weak")}
        self._lengths = sorted({len(n) for n in self._names}, reverse=True)
        self._first = {n[0] for n in self._names}

    @classmethod
    def for_consultation(cls, session: Session, consultation_id: int) -> Masker:
        return cls(report_queries.author_names(session, consultation_id))

    def _names_out(self, text: str) -> str:
        if not self._names:
            return text
        out: list[str] = []
        i = 0
        while i < len(text):
            if text[i] in self._first:
                found = next((n for n in (text[i:i + k] for k in self._lengths) if n in self._names), None)
                if found is not None:
                    out.append(PLACEHOLDERS["name"])
                    i += len(found)
                    continue
            out.append(text[i])
            i += 1
        return "".join(out)

    def text(self, text: str) -> str:
        out = self._done.get(text)
        if out is None:
            out = self._done[text] = self._names_out(mask_text(text))
        return out

    def row(self, row: SuggestionRow) -> SuggestionRow:
        name = row.author_name
        if not name or len(name) < 2:
            return row.masked(self.text)
        return row.masked(lambda text: self.text(text).replace(name, PLACEHOLDERS["name"]))

    def value(self, value: Any) -> Any:
        """Strings masked inside lists and dicts (an export's evidence)."""
        if isinstance(value, str):
            return self.text(value) if value else value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value


# --- loading ------------------------------------------------------------------------------


def reportable(session: Session, actor: Actor, consultation_id: int) -> Any:
    """The consultation, after checking that the actor may write reports on it."""
    consultation = get_consultation(session, consultation_id)
    actor.require("report", consultation)
    return consultation


def _consultation_report(session: Session, consultation: Any, point_id: int | None,
                         masker: Masker | None = None) -> ConsultationReport:
    """Rows masked first, so clusters and figures are built from masked rows only."""
    cid = consultation.id
    masker = masker or Masker.for_consultation(session, cid)
    rows = report_queries.suggestion_rows(session, cid, point_id)
    for i, row in enumerate(rows):  # in place: an unmasked row goes as its masked copy comes
        rows[i] = masker.row(row)
    articles = report_queries.articles_of(session, cid)
    views = report_queries.cluster_views(session, cid, point_id, rows=rows, articles=articles,
                                         chapters=report_queries.chapters_of(session, cid))
    version = report_queries.base_version(session, cid)
    return ConsultationReport(
        consultation_id=cid,
        title=consultation.title,
        issuing_body=consultation.issuing_body,
        draft_label=version.label if version is not None else DEFAULT_DRAFT_LABEL,
        contact_point_id=point_id,
        rows=rows,
        articles=articles,
        # Rows rolled up from lower levels count the people they stand for ("M人提出").
        views=[v.masked(masker.text) for v in weigh_views(views, rollup_store.origins(session, cid))],
        figures=report_queries.consultation_figures(session, cid, point_id, rows=rows),
    )


def consultation_report(session: Session, actor: Actor, consultation_id: int, *,
                        contact_point: str | None = None) -> ConsultationReport:
    """The analysed consultation as the documents see it (masked): suggestions, clusters
    and figures, of one contact point or (None) all of them."""
    consultation = reportable(session, actor, consultation_id)
    point_id = report_queries.contact_point_id_by_name(session, contact_point)
    return _consultation_report(session, consultation, point_id)


# --- the feedback document ----------------------------------------------------------------


def feedback(session: Session, actor: Actor, consultation_id: int, *, contact_point: str | None = None,
             signer: str | None = None, date: dt.date | None = None,
             addressee: str | None = None) -> FeedbackDocument:
    """The feedback document of one contact point (default: the consultation's own),
    addressed to ``addressee`` (default: as set on the consultation, else its issuing body),
    signed by ``signer`` (default: as set, else the contact point) on ``date`` (default: as
    set; a past consultation with none set is dated its deadline, never silently today)."""
    consultation = reportable(session, actor, consultation_id)
    point_id = report_queries.contact_point_id_by_name(session, contact_point)
    rollup = rollup_store.is_rollup(session, consultation_id)
    if point_id is None and not rollup:
        point_id = consultation.contact_point_id  # a level gathering from below sends it all
    report = _consultation_report(session, consultation, point_id)
    # 主送, 落款 and 成文日期 as set with `minyi consultation update` unless given here.
    doc = build_feedback(report, issuer=signer or consultation.signer, on=date,
                         signed_on=consultation.signed_on, recipient=addressee or consultation.addressee)
    if rollup:
        _attribute_rollup(session, consultation, report, doc)
    return doc


def _attribute_rollup(session: Session, consultation: Any, report: ConsultationReport, doc: FeedbackDocument) -> None:
    """At a level gathering lower levels' feedback: each row names the points behind it
    ("有N个联系点、M人提出：…") and 征求意见工作开展情况 which points took part, with counts."""
    origins = rollup_store.origins(session, consultation.id)
    own = consultation.contact_point.name if consultation.contact_point else None
    attribute_rows(doc.rows, {r.suggestion_id: r for r in report.rows}, origins, own)
    took = participation(report.rows, origins, _participants(session, consultation.id), own)
    doc.intro.append(participation_text(took))


def _participants(session: Session, consultation_id: int) -> list[tuple[str, str | None]]:
    return [(p.name, p.level) for p in rollup_store.participants(session, consultation_id)]


def record_feedback(session: Session, actor: Actor, doc: FeedbackDocument, report_file: str | None) -> int:
    """Store the document's rows as sent (FeedbackItem), replacing the previous set of the
    same consultation and contact point; audited."""
    consultation = reportable(session, actor, doc.consultation_id)
    count = report_queries.replace_feedback_items(
        session, doc.consultation_id, doc.contact_point_id, feedback_items(doc), report_file
    )
    audit(session, actor, "record_feedback", consultation,
          after={"contact_point_id": doc.contact_point_id, "items": count, "report_file": report_file,
                 "sections": doc.sections()})
    return count


def feedback_document(
    session: Session,
    actor: Actor,
    consultation_id: int,
    fmt: str | None,
    path: str | Path,
    *,
    contact_point: str | None = None,
    signer: str | None = None,
    date: dt.date | None = None,
    addressee: str | None = None,
    record: bool = True,
) -> DocumentResult:
    """Write the feedback document (docx / xlsx / pdf / md; ``fmt`` None: from the file
    name) and, unless ``record=False``, store its rows as sent."""
    reportable(session, actor, consultation_id)
    fmt = formats.check_format(FeedbackDocument, fmt, path)
    doc = feedback(session, actor, consultation_id, contact_point=contact_point, signer=signer, date=date,
                   addressee=addressee)
    written = formats.write(doc, fmt, path)
    recorded = record_feedback(session, actor, doc, str(path)) if record else None
    return DocumentResult(written, fmt, doc.summary(), recorded)


def feedback_set(
    session: Session,
    actor: Actor,
    consultation_id: int,
    stem: str | Path,
    *,
    contact_point: str | None = None,
) -> tuple[dict[str, str], FeedbackDocument]:
    """The feedback document as the contact point sends it: .docx (recorded as sent),
    .xlsx with every suggestion, .md, and .pdf converted from that .docx when LibreOffice
    is installed. Returns ({format: path written}, the document)."""
    from minyi.core.errors import DependencyMissing
    from reports.pdf import convert_to_pdf

    stem = Path(stem)
    doc = feedback(session, actor, consultation_id, contact_point=contact_point)
    docx = formats.write(doc, "docx", stem.with_suffix(".docx"))
    record_feedback(session, actor, doc, docx)
    written = {"docx": docx}
    for fmt in ("xlsx", "md"):
        written[fmt] = formats.write(doc, fmt, stem.with_suffix(f".{fmt}"))
    try:
        written["pdf"] = convert_to_pdf(docx, stem.with_suffix(".pdf"))
    except DependencyMissing:
        pass  # no LibreOffice on this machine: the .docx is what goes out
    return written, doc


# --- the committee's review report -----------------------------------------------------------


def review(session: Session, actor: Actor, consultation_id: int, *, date: dt.date | None = None) -> ReviewReport:
    """The review report over all contact points."""
    consultation = reportable(session, actor, consultation_id)
    report = build_review(_consultation_report(session, consultation, None), on=date)
    # Participating points that sent nothing are named too (with zero).
    named = {p[0] for p in report.points}
    report.points += [(name, 0, 0) for name, _level in _participants(session, consultation_id) if name not in named]
    return report


def review_report(session: Session, actor: Actor, consultation_id: int, fmt: str | None, path: str | Path,
                  *, date: dt.date | None = None) -> DocumentResult:
    """Write the review report (docx / xlsx / pdf / md; ``fmt`` None: from the file name)."""
    reportable(session, actor, consultation_id)
    fmt = formats.check_format(ReviewReport, fmt, path)
    report = review(session, actor, consultation_id, date=date)
    return DocumentResult(formats.write(report, fmt, path), fmt, report.summary())


# --- statistics and the yearly summary -----------------------------------------------------


@dataclass
class _StatInputs:
    rows: list[StatRow]
    symposiums: int
    participants: int | None


def _stat_inputs(session: Session, actor: Actor, year: int | None, contact_point: str | None) -> _StatInputs:
    actor.require("report")
    point_id = report_queries.contact_point_id_by_name(session, contact_point)
    rows, _consultations = report_queries.stat_rows(session, year=year, contact_point_id=point_id)
    # A handful of titles and contact-point names repeat over every row: mask each once.
    mask = functools.lru_cache(maxsize=4096)(Masker().text)
    held, participants = report_queries.symposium_counts(session, _ids(rows), point_id)
    return _StatInputs([r.masked(mask) for r in rows], held, participants)


def _ids(rows: Iterable[StatRow]) -> set[int]:
    return {r.consultation_id for r in rows}


def _build_stats(inputs: _StatInputs, by: str, year: int | None, contact_point: str | None) -> StatsResult:
    return build_stats(inputs.rows, by, year=year, contact_point=contact_point,
                       symposiums=inputs.symposiums, symposium_participants=inputs.participants)


def statistics_table(session: Session, actor: Actor, by: str = "contact-point", *, year: int | None = None,
                     contact_point: str | None = None) -> StatsResult:
    """Consultations, comments, suggestions fed back and adopted, grouped ``by``
    contact-point, consultation, year or channel."""
    check_grouping(by)
    return _build_stats(_stat_inputs(session, actor, year, contact_point), by, year, contact_point)


def statistics(
    session: Session,
    actor: Actor,
    by: str = "contact-point",
    fmt: str | None = "table",
    path: str | Path | None = None,
    *,
    year: int | None = None,
    contact_point: str | None = None,
    chart: str | Path | None = None,
) -> StatisticsResult:
    """Render the statistics (table / json / csv to text, written to ``path`` when given;
    xlsx to ``path``), and draw a bar chart of fed back vs adopted to ``chart``."""
    check_grouping(by)
    fmt = formats.check_format(StatsResult, fmt, path)
    stats = statistics_table(session, actor, by, year=year, contact_point=contact_point)
    out = formats.write(stats, fmt, path)
    result = StatisticsResult(stats, fmt, str(path) if path is not None else None)
    if not formats.FORMATS[fmt].to_file:
        result.text = out
    if chart is not None:
        from reports import charts

        lines = stats.lines
        result.chart = charts.adoption_bars(
            [line.key for line in lines], [line.suggestions for line in lines],
            [line.adopted_full for line in lines], [line.adopted_partly for line in lines],
            "反馈建议及采纳情况", chart,
        )
    return result


def yearly(session: Session, actor: Actor, year: int, *, contact_point: str | None = None,
           date: dt.date | None = None, signer: str | None = None) -> YearlySummary:
    """共参与法律法规意见征集N部，反馈建议N条，被采纳N条，采纳率N%: of one contact point, or
    (None) of all of them with one such line per point; by consultation, channel and status."""
    inputs = _stat_inputs(session, actor, year, contact_point)
    return build_yearly(
        year,
        _build_stats(inputs, "consultation", year, contact_point),
        _build_stats(inputs, "channel", year, contact_point),
        contact_point,
        on=date,
        by_point=_build_stats(inputs, "contact-point", year, contact_point) if contact_point is None else None,
        signer=signer,
    )


def yearly_summary(session: Session, actor: Actor, year: int, fmt: str | None, path: str | Path, *,
                   contact_point: str | None = None, date: dt.date | None = None,
                   signer: str | None = None) -> DocumentResult:
    """Write the yearly summary with its charts (docx / pdf / md; ``fmt`` None: from the
    file name; a .md file gets its charts in NAME-charts/ beside it)."""
    actor.require("report")
    fmt = formats.check_format(YearlySummary, fmt, path)
    summary = yearly(session, actor, year, contact_point=contact_point, date=date, signer=signer)
    return DocumentResult(formats.write(summary, fmt, path), fmt, summary.summary())
