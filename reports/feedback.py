"""The feedback document a contact point sends upward (关于《××条例（征求意见稿）》的意见建议).

``build_feedback`` reads the analysed consultation and returns a ``FeedbackDocument``: a
language-neutral model (dataclasses) that the writers render as .docx (GB/T 9704), .xlsx,
.md and .pdf. The generic block types (``Heading``, ``Para``, ``Table``, ``Figure``) and
``Doc`` are shared by the committee review and the yearly summary.

Everything shown is computed from the database: the figures of 征求意见工作开展情况 are
counted, not typed; opinion text is the reviewer's consolidated wording or the cluster
representative's masked text; individuals appear only as 居民/网民/their role.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from models.entities import CHANNELS
from models.store import get_consultation
from models.report_queries import (
    ClusterView,
    ConsultationFigures,
    SuggestionRow,
    articles_of,
    base_version,
    cluster_views,
    consultation_figures,
    contact_point_id_by_name,
    suggestion_rows,
)

# --- generic document blocks ----------------------------------------------------------


@dataclass
class Heading:
    level: int  # 1: 一、 (黑体)  2: （一） (楷体)
    text: str


@dataclass
class Para:
    text: str
    lead: str | None = None  # a second-level lead-in ("（一）与上位法衔接。") before the text
    align: str = "justify"  # justify / right / left / center
    indent: bool = True  # first-line indent of two characters


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    widths_mm: list[float]
    name: str = ""  # sheet name when written as a workbook
    # Columns whose equal consecutive cells are merged (the article and its draft text
    # when several opinions concern the same article), so long texts are not repeated.
    merge_columns: list[int] = field(default_factory=list)


@dataclass
class Figure:
    path: str
    width_mm: float = 150
    caption: str = ""


Block = Heading | Para | Table | Figure


@dataclass
class Doc:
    """A document in the official layout: title, 主送机关, body blocks, 落款 and date."""

    title: str
    blocks: list[Block]
    recipient: str | None = None
    issuer: str | None = None
    date_text: str | None = None
    subtitle: str | None = None


def zh_date(d: date) -> str:
    """2025年10月5日 (GB/T 9704-2012 writes the date with Arabic numerals)."""
    return f"{d.year}年{d.month}月{d.day}日"


def people_text(count: int) -> str:
    """The 人数 cell and the sentence ending: "有N人提出"."""
    return f"有{count}人提出" if count > 1 else "1人提出"


# --- the feedback document ------------------------------------------------------------

SECTION_TITLES = {
    "intro": "一、征求意见工作开展情况",
    "general": "二、总体意见",
    "article": "三、逐条修改意见",
    "other": "四、其他意见建议",
}
ARTICLE_COLUMNS = ["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"]
# Widths fit the 156 mm text block of a GB/T 9704 page.
ARTICLE_WIDTHS = [8, 14, 34, 38, 24, 20, 18]
CHANNEL_METHODS = {
    "symposium": "召开座谈会",
    "form": "发放意见征集表和问卷",
    "email": "接收来信来邮",
    "forum": "网络平台征集",
    "official": "官方征求意见平台收集",
    "other": "走访群众",
}


@dataclass
class FeedbackRow:
    """One opinion as sent upward (a row of 三, or an item of 二 or 四)."""

    section: str  # general / article / other
    ordinal: int  # within its section, from 1
    suggestion: str
    reason: str
    proposers: str
    count: int
    article_label: str | None = None
    draft_text: str | None = None
    provision_id: int | None = None
    cluster_id: int | None = None
    label: str | None = None
    reviewed: bool = False
    suggestion_ids: list[int] = field(default_factory=list)

    @property
    def count_text(self) -> str:
        return people_text(self.count)

    @property
    def ref(self) -> str:
        """Where the row sits in the document, e.g. 三-2."""
        return f"{ {'general': '二', 'article': '三', 'other': '四'}[self.section]}-{self.ordinal}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "ordinal": self.ordinal, "article": self.article_label,
            "suggestion": self.suggestion, "reason": self.reason, "proposers": self.proposers,
            "count": self.count, "cluster_id": self.cluster_id,
        }


@dataclass
class AppendixRow:
    """附件：意见建议明细 — every suggestion in scope and where it came from."""

    suggestion_id: int
    channel: str
    source: str
    origin: str
    contact_point: str
    text: str
    articles: str
    type: str
    cluster: str
    feedback_ref: str
    duplicates: int


APPENDIX_COLUMNS = [
    "序号", "意见编号", "渠道", "来源", "来源文件/网址", "联系点", "意见内容（已脱敏）",
    "涉及条款", "类型", "归并意见", "对应反馈条目", "重复数",
]


@dataclass
class FeedbackDocument:
    consultation_id: int
    contact_point_id: int | None
    title: str
    draft_name: str
    recipient: str | None
    issuer: str
    date: date
    intro: list[str]
    general: list[FeedbackRow]
    articles: list[FeedbackRow]
    others: list[FeedbackRow]
    figures: ConsultationFigures
    appendix: list[AppendixRow]

    @property
    def rows(self) -> list[FeedbackRow]:
        return [*self.general, *self.articles, *self.others]

    def sections(self) -> dict[str, int]:
        return {"general": len(self.general), "article": len(self.articles), "other": len(self.others)}

    def article_table(self) -> Table:
        return Table(
            ARTICLE_COLUMNS,
            [
                [str(r.ordinal), r.article_label or "", r.draft_text or "", r.suggestion,
                 r.reason, r.proposers, r.count_text]
                for r in self.articles
            ],
            ARTICLE_WIDTHS,
            name="逐条修改意见",
            merge_columns=[1, 2],
        )

    def to_doc(self) -> Doc:
        """The generic blocks every writer renders."""
        blocks: list[Block] = [
            Para(
                f"按照{self.recipient.rstrip('：') if self.recipient else '有关'}征求意见工作安排，"
                f"{self.issuer}组织开展了《{self.draft_name}》征求意见工作，现将有关情况和意见建议报告如下。"
            ),
            Heading(1, SECTION_TITLES["intro"]),
            *[Para(p) for p in self.intro],
            Heading(1, SECTION_TITLES["general"]),
        ]
        if self.general:
            blocks += [_item_para(r) for r in self.general]
        else:
            blocks.append(Para("未收到对草案的总体意见。"))
        blocks.append(Heading(1, SECTION_TITLES["article"]))
        if self.articles:
            n_articles = len({r.provision_id for r in self.articles})
            blocks.append(Para(f"共对草案{n_articles}个条文提出具体修改意见{len(self.articles)}条，详见下表。"))
            blocks.append(self.article_table())
        else:
            blocks.append(Para("未收到针对具体条文的修改意见。"))
        blocks.append(Heading(1, SECTION_TITLES["other"]))
        if self.others:
            blocks += [_item_para(r) for r in self.others]
        else:
            blocks.append(Para("无。"))
        return Doc(
            title=self.title,
            blocks=blocks,
            recipient=self.recipient,
            issuer=self.issuer,
            date_text=zh_date(self.date),
        )

    def summary(self) -> dict[str, Any]:
        """What `minyi report feedback --json` prints beside the path."""
        return {
            "consultation_id": self.consultation_id,
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date.isoformat(),
            "sections": self.sections(),
            "figures": self.figures.to_dict(),
        }


def _item_para(row: FeedbackRow) -> Para:
    lead = f"（{_cn_ordinal(row.ordinal)}）"
    if row.label and row.reviewed:  # machine labels are keyword lists, not headings
        lead += f"关于{row.label.rstrip('。')}。"
    text = row.suggestion.rstrip()
    if row.count > 1:
        ending = f"（{row.proposers}，{row.count_text}）" if row.proposers else f"（{row.count_text}）"
    else:  # one person: "（居民）" reads better than "（居民1人，1人提出）"
        ending = f"（{row.proposers.removesuffix('1人')}）" if row.proposers else ""
    return Para(text + ending, lead=lead)


def _cn_ordinal(n: int) -> str:
    from pipeline.numerals import to_chinese

    return to_chinese(n)


def draft_name(title: str, label: str | None) -> str:
    """深圳经济特区电动自行车管理条例 + 征求意见稿 → 深圳经济特区电动自行车管理条例（征求意见稿）;
    a title that already names its stage (（…稿）, 草案) is kept as it is."""
    name = title.strip().strip("《》").strip()
    if label and label not in name and not re.search(r"（[^（）]*(稿|草案)[^（）]*）$", name) and not name.endswith("草案"):
        name = f"{name}（{label}）"
    return name


def feedback_title(name: str) -> str:
    return f"关于《{name}》的意见建议"


def format_period(fig: ConsultationFigures) -> str | None:
    start = fig.opened_on or (fig.first_comment_at.date() if fig.first_comment_at else None)
    end = fig.deadline or (fig.last_comment_at.date() if fig.last_comment_at else None)
    if start and end:
        if start.year == end.year:
            return f"{zh_date(start)}至{end.month}月{end.day}日"
        return f"{zh_date(start)}至{zh_date(end)}"
    if start:
        return f"{zh_date(start)}起"
    return None


def intro_paragraphs(fig: ConsultationFigures, name: str, issuer: str, rows: dict[str, list[FeedbackRow]]) -> list[str]:
    """征求意见工作开展情况, written from the figures."""
    first = []
    period = format_period(fig)
    methods = [CHANNEL_METHODS.get(c.code, c.name) for c in fig.channels]
    lead = f"{period}，" if period else ""
    if methods:
        first.append(f"{lead}{issuer}围绕《{name}》，通过{'、'.join(methods)}等方式广泛征求意见。")
    else:
        first.append(f"{lead}{issuer}围绕《{name}》组织开展了征求意见工作。")
    if fig.symposiums:
        held = f"共召开座谈会{fig.symposiums}场"
        if fig.symposium_participants:
            held += f"，参加人员{fig.symposium_participants}人次"
        first.append(held + "。")
    second = [f"共收到意见{fig.comments}件，梳理出意见建议{fig.suggestions}条"]
    if fig.suggestions_deduplicated != fig.suggestions:
        second.append(f"去除重复意见后为{fig.suggestions_deduplicated}条")
    n_articles = len({r.provision_id for r in rows["article"]})
    second_text = "，".join(second) + "。"
    second_text += (
        f"经归并整理，形成总体意见{len(rows['general'])}条、逐条修改意见{len(rows['article'])}条"
        f"（涉及{n_articles}个条文）、其他意见建议{len(rows['other'])}条。"
    )
    channel_parts = [f"{c.name}{c.comments}件" for c in fig.channels if c.comments]
    if len(channel_parts) > 1:
        second_text += f"按来源分，{'、'.join(channel_parts)}。"
    return ["".join(first), second_text]


def proposers_text(members: list[SuggestionRow], *, max_orgs: int = 5) -> str:
    """提出人/单位: organisations by name, individuals only by role or as 居民/网民, with counts."""
    seen_comments: set[int] = set()
    orgs: list[str] = []
    people: Counter[str] = Counter()
    for m in members:
        if m.comment_id in seen_comments:
            continue
        seen_comments.add(m.comment_id)
        if m.organisation:
            if m.organisation not in orgs:
                orgs.append(m.organisation)
        else:
            people[m.role or ("网民" if m.channel == "forum" else "居民")] += 1
    parts = orgs[:max_orgs]
    if len(orgs) > max_orgs:
        parts[-1] += f"等{len(orgs)}个单位"
    parts += [f"{role}{n}人" for role, n in people.most_common()]
    return "、".join(parts)


def rows_from_views(views: list[ClusterView]) -> dict[str, list[FeedbackRow]]:
    out: dict[str, list[FeedbackRow]] = {"general": [], "article": [], "other": []}
    for v in views:
        section = out[v.section]
        section.append(
            FeedbackRow(
                section=v.section,
                ordinal=len(section) + 1,
                suggestion=v.text,
                reason=v.reason,
                proposers=proposers_text(v.members),
                count=v.count,
                article_label=v.article.label if v.article else None,
                draft_text=v.article.text if v.article else None,
                provision_id=v.article.provision_id if v.article else None,
                cluster_id=v.cluster_id,
                label=v.label if v.section != "article" else None,
                reviewed=v.reviewed,
                suggestion_ids=[m.suggestion_id for m in v.members],
            )
        )
    return out


def appendix_rows(rows: list[SuggestionRow], views: list[ClusterView], feedback: list[FeedbackRow],
                  article_labels: dict[int, str]) -> list[AppendixRow]:
    ref_of: dict[int, FeedbackRow] = {}
    for f in feedback:
        for sid in f.suggestion_ids:
            ref_of.setdefault(sid, f)
    label_of: dict[int, str] = {}
    for v in views:
        for m in v.members:
            label_of.setdefault(m.suggestion_id, v.label or (f"{v.article.label}" if v.article else ""))
    out = []
    for r in rows:
        f = ref_of.get(r.suggestion_id)
        out.append(
            AppendixRow(
                suggestion_id=r.suggestion_id,
                channel=CHANNELS.get(r.channel, r.channel),
                source=r.source_name or "",
                origin=r.source_origin or "",
                contact_point=r.contact_point or "",
                text=r.text,
                articles="、".join(article_labels.get(a, "") for a in r.article_ids),
                type=r.type or "",
                cluster=label_of.get(r.suggestion_id, ""),
                feedback_ref=f.ref if f else "",
                duplicates=r.duplicate_size,
            )
        )
    return out


def build_feedback(
    session: Session,
    consultation_id: int,
    contact_point: str | None = None,
    *,
    on: date | None = None,
) -> FeedbackDocument:
    """Read the analysed consultation and build the document one contact point sends up
    (``contact_point=None``: the consultation's own contact point, else all of them)."""
    consultation = get_consultation(session, consultation_id)
    point_id = contact_point_id_by_name(session, contact_point)
    if point_id is None and consultation.contact_point_id is not None:
        point_id = consultation.contact_point_id
    version = base_version(session, consultation_id)
    rows = suggestion_rows(session, consultation_id, point_id)
    articles = articles_of(session, consultation_id)
    views = cluster_views(session, consultation_id, point_id, rows=rows, articles=articles)
    fig = consultation_figures(session, consultation_id, point_id, rows=rows)
    name = draft_name(consultation.title, version.label if version else "征求意见稿")
    issuer = fig.contact_point or "基层立法联系点"
    sections = rows_from_views(views)
    feedback = [*sections["general"], *sections["article"], *sections["other"]]
    return FeedbackDocument(
        consultation_id=consultation.id,
        contact_point_id=point_id,
        title=feedback_title(name),
        draft_name=name,
        recipient=f"{consultation.issuing_body}：" if consultation.issuing_body else None,
        issuer=issuer,
        date=on or date.today(),
        intro=intro_paragraphs(fig, name, issuer, sections),
        general=sections["general"],
        articles=sections["article"],
        others=sections["other"],
        figures=fig,
        appendix=appendix_rows(rows, views, feedback, {k: a.label for k, a in articles.items()}),
    )


def save_feedback(session: Session, doc: FeedbackDocument, report_file: str | None) -> int:
    """Record what was sent (replacing the previous set for the consultation + point)."""
    from models.report_queries import replace_feedback_items

    items = [
        {
            "cluster_id": r.cluster_id,
            "provision_id": r.provision_id,
            "section": r.section,
            "ordinal": r.ordinal,
            "article_label": r.article_label,
            "draft_text": r.draft_text,
            "suggestion_text": r.suggestion,
            "reason": r.reason or None,
            "proposers": r.proposers or None,
            "count": r.count,
        }
        for r in doc.rows
    ]
    return replace_feedback_items(session, doc.consultation_id, doc.contact_point_id, items, report_file)


def write_feedback(doc: FeedbackDocument, fmt: str, path: str) -> str:
    """Write the document in one format (docx / xlsx / md / pdf); returns the path."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "docx":
        from reports.docx_writer import write_docx

        return write_docx(doc.to_doc(), path)
    if fmt == "xlsx":
        from reports.xlsx_writer import write_feedback_xlsx

        return write_feedback_xlsx(doc, path)
    if fmt == "md":
        from reports.markdown import write_markdown

        return write_markdown(doc.to_doc(), path)
    if fmt == "pdf":
        from reports.pdf import write_pdf

        return write_pdf(doc.to_doc(), path)
    from minyi.errors import InputError

    raise InputError(f"--format: {fmt!r} is not one of docx, xlsx, pdf, md")
