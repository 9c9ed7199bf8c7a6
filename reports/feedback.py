"""The feedback document a contact point sends upward (关于《××条例（征求意见稿）》的意见建议).

``build_feedback`` turns the analysed consultation (a ``ConsultationReport``, loaded and
masked by ``minyi.services.documents``) into a ``FeedbackDocument``: a language-neutral model
that ``reports.formats`` writes as .docx (GB/T 9704), .xlsx, .md and .pdf.

Everything shown is computed: the figures of 征求意见工作开展情况 are counted, not typed;
opinion text is the reviewer's consolidated wording or the cluster representative's
masked text; individuals appear only as 居民/网民/their role.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from minyi.core.language import in_another_language
from minyi.core.reporting import ArticleInfo, ClusterView, ConsultationFigures, ConsultationReport, SuggestionRow
from minyi.core.vocab import CHANNELS
from reports.document import Block, Doc, Heading, Para, Sheet, Table, cn_ordinal, people_text, zh_date

# --- the feedback document ------------------------------------------------------------

SECTION_TITLES = {
    "intro": "一、征求意见工作开展情况",
    "general": "二、总体意见",
    "article": "三、逐条修改意见",
    "other": "四、其他意见建议",
}
ARTICLE_COLUMNS = ["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"]
# The 156 mm text block of a GB/T 9704 page, a 五号 (10.5 pt) table: one character is
# 3.7 mm, a cell's left and right margins 2.4 mm together.
TEXT_WIDTH_MM = 156.0
TABLE_CHAR_MM = 10.5 * 25.4 / 72
CELL_PADDING_MM = 2.6
NARROW_MM = 2 * TABLE_CHAR_MM + CELL_PADDING_MM + 0.6  # "序号", "人数" and up to four digits
# Shares of what is left for 草案原文, 修改意见, 理由, 提出人/单位.
TEXT_SHARES = (0.27, 0.33, 0.18, 0.22)
# Back-compat for callers that build a table by hand: the widths for a short label.
ARTICLE_WIDTHS: list[float] = []  # filled below by article_widths(["第十二条之一"])
# How each channel is described in 一、征求意见工作开展情况 (only channels actually used).
CHANNEL_METHODS = {
    "symposium": "召开座谈会",
    "form": "发放意见征集表",
    "email": "接收来信来邮",
    "forum": "网络平台征集",
    "official": "官方征求意见平台收集",
    "other": "其他方式收集",
}
# How a channel is counted there ("按来源分，座谈会54件、网络平台112件").
CHANNEL_COUNTED = {
    "symposium": "座谈会", "form": "意见征集表", "email": "来信来邮", "forum": "网络平台",
    "official": "官方征求意见平台", "other": "其他方式",
}
# 草案原文 quotes at most this many characters (the cited 款 or the quoted wording's
# sentence), so that no row runs a page long.
EXCERPT_CHARS = 90


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
    campaign: int = 0  # how many of the ``count`` people sent one campaign letter (统一格式来信)
    part_label: str | None = None  # 第二款, 第二款第（三）项: what 草案原文 quotes
    is_chapter: bool = False  # a chapter-level opinion (one row under the chapter)

    @property
    def count_text(self) -> str:
        return people_text(self.count)

    @property
    def campaign_text(self) -> str:
        return f"其中{self.campaign}份为统一格式来信" if self.campaign > 1 else ""

    @property
    def provision_text(self) -> str:
        """The 条款 cell: the article (one line), and the 款/项 quoted on a second line."""
        part = self.part_label or ""
        if "项" in part and len(part) > len(self.article_label or ""):
            part = part.replace("款第", "款\n第")  # 第二款 / 第（三）项 on two lines
        return "\n".join(x for x in (self.article_label, part) if x)

    @property
    def proposers_cell(self) -> str:
        """提出人/单位 in a narrow column: one proposer a line, the campaign note last."""
        who = self.proposers if "：" in self.proposers else self.proposers.replace("、", "\n")
        return "\n".join(x for x in (who, f"（{self.campaign_text}）" if self.campaign_text else "") if x)

    @property
    def ref(self) -> str:
        """Where the row sits in the document, e.g. 三-2."""
        return f"{ {'general': '二', 'article': '三', 'other': '四'}[self.section]}-{self.ordinal}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section, "ordinal": self.ordinal, "article": self.article_label,
            "part": self.part_label, "draft_text": self.draft_text,
            "suggestion": self.suggestion, "reason": self.reason, "proposers": self.proposers,
            "count": self.count, "campaign": self.campaign, "cluster_id": self.cluster_id,
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
    location: str = ""  # 工作表“意见征集表”第5行, 第8段
    author: str = ""  # masked: 张*
    submitted: str = ""  # 2025-09-25


APPENDIX_COLUMNS = [
    "序号", "意见编号", "渠道", "来源文件/网址", "位置", "提出人（已脱敏）", "提交日期", "联系点",
    "意见内容（已脱敏）", "涉及条款", "类型", "归并意见", "对应反馈条目", "重复数",
]
APPENDIX_WIDTHS = [6, 9, 12, 30, 18, 12, 12, 22, 60, 14, 8, 18, 10, 8]


@dataclass
class FeedbackDocument:
    formats = ("docx", "xlsx", "pdf", "md")  # what reports.formats can write it as

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
    # Where 成文日期 came from: "option" (--date), "consultation" (set on it), "deadline"
    # (a past consultation with none set), "today" (an open one).
    date_source: str = "today"
    author: str | None = None  # the document's author property: the contact point

    @property
    def rows(self) -> list[FeedbackRow]:
        return [*self.general, *self.articles, *self.others]

    def sections(self) -> dict[str, int]:
        return {"general": len(self.general), "article": len(self.articles), "other": len(self.others)}

    def article_table(self) -> Table:
        rows = [
            [str(r.ordinal), r.provision_text, r.draft_text or "", r.suggestion, r.reason,
             r.proposers_cell, str(r.count)]
            for r in self.articles
        ]
        return Table(
            ARTICLE_COLUMNS,
            rows,
            article_widths([r.provision_text for r in self.articles],
                           has_reasons=any(r.reason for r in self.articles)),
            name="逐条修改意见",
            merge_columns=[1, 2],
            font_pt=10.5,
            nowrap_columns=[0, 6],
            centre_columns=[0, 6],
        )

    def to_doc(self, assets_dir: str | Path | None = None) -> Doc:
        """The generic blocks every writer renders (no figures, so no ``assets_dir``)."""
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
            blocks.append(Para(f"共对草案{covered_text(self.articles)}提出具体修改意见{len(self.articles)}条，详见下表"
                               "（“人数”为提出该意见的人数，重复提出的只计一次）。"))
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
            author=self.author or self.issuer,
        )

    def summary(self) -> dict[str, Any]:
        """What `minyi report feedback --json` prints beside the path."""
        return {
            "consultation_id": self.consultation_id,
            "title": self.title,
            "issuer": self.issuer,
            "date": self.date.isoformat(),
            "date_source": self.date_source,
            "recipient": (self.recipient or "").rstrip("：") or None,
            "sections": self.sections(),
            "figures": self.figures.to_dict(),
        }

    def to_sheets(self) -> list[Sheet]:
        """The workbook: 概况, the three sections, and 附件：意见建议明细 with every
        suggestion and its source."""
        fig = self.figures
        overview = [
            ["标题", self.title],
            ["报送单位", self.issuer],
            ["主送", (self.recipient or "").rstrip("：")],
            ["成文日期", self.date.isoformat()],
            ["征求意见期间", f"{fig.opened_on or ''} 至 {fig.deadline or ''}".strip(" 至")],
            ["征集渠道", "、".join(CHANNEL_COUNTED.get(c.code, c.name) for c in fig.channels)],
            ["座谈会场次", fig.symposiums],
            ["座谈会参加人次", fig.symposium_participants if fig.symposium_participants is not None else ""],
            ["收到意见（件）", fig.comments],
            ["意见建议（条）", fig.suggestions],
            ["去重后意见建议（条）", fig.suggestions_deduplicated],
            ["总体意见（条）", len(self.general)],
            ["逐条修改意见（条）", len(self.articles)],
            ["其他意见建议（条）", len(self.others)],
            *[["征求意见工作开展情况", p] for p in self.intro],
        ]
        item_cols = ["序号", "主题", "意见建议", "理由", "提出人/单位", "人数"]
        item_widths = [6, 18, 60, 30, 30, 8]
        appendix = [
            [i, a.suggestion_id, a.channel, a.origin, a.location, a.author, a.submitted, a.contact_point,
             a.text, a.articles, a.type, a.cluster, a.feedback_ref, a.duplicates]
            for i, a in enumerate(self.appendix, start=1)
        ]
        articles = [
            [r.ordinal, r.provision_text, r.draft_text or "", r.suggestion, r.reason, r.proposers_cell, r.count]
            for r in self.articles
        ]
        return [
            Sheet("概况", ["项目", "内容"], overview, [22, 90], title=self.title),
            Sheet("总体意见", item_cols, _item_rows(self.general), item_widths),
            Sheet("逐条修改意见", ARTICLE_COLUMNS, articles, [6, 16, 40, 45, 30, 24, 8]),
            Sheet("其他意见建议", item_cols, _item_rows(self.others), item_widths),
            Sheet("附件：意见建议明细", APPENDIX_COLUMNS, appendix, APPENDIX_WIDTHS),
        ]


def _item_rows(rows: list[FeedbackRow]) -> list[list[Any]]:
    return [[r.ordinal, r.label or "", r.suggestion, r.reason, r.proposers_cell, r.count] for r in rows]


def article_widths(labels: list[str], *, has_reasons: bool = True) -> list[float]:
    """Column widths (mm) of the article table: 序号 and 人数 fit four digits, 条款 fits the
    longest label of this document on one line ("第一百二十三条之一"), and the text columns
    share the rest of the 156 mm text block."""
    longest = max([4, *(len(line) for label in labels for line in label.split("\n"))])
    label_mm = longest * TABLE_CHAR_MM + CELL_PADDING_MM + 0.6
    rest = TEXT_WIDTH_MM - 2 * NARROW_MM - label_mm
    shares = TEXT_SHARES if has_reasons else (0.31, 0.39, 0.08, 0.22)
    draft, opinion, reason, who = (round(rest * x, 1) for x in shares)
    who = round(rest - draft - opinion - reason, 1)  # the widths add up to the text block
    return [round(NARROW_MM, 1), round(label_mm, 1), draft, opinion, reason, who, round(NARROW_MM, 1)]


ARTICLE_WIDTHS[:] = article_widths(["第十二条之一"])


def _item_para(row: FeedbackRow) -> Para:
    lead = f"（{cn_ordinal(row.ordinal)}）"
    if row.label and row.reviewed:  # machine labels are keyword lists, not headings
        lead += f"关于{row.label.rstrip('。')}。"
    text = row.suggestion.rstrip()
    if row.reason:
        text += f"理由：{row.reason.rstrip()}" if text.endswith(("。", "！", "？", "；")) else f"。理由：{row.reason.rstrip()}"
    campaign = f"，{row.campaign_text}" if row.campaign_text else ""
    if row.count > 1:
        ending = f"（{row.proposers}，{row.count_text}{campaign}）" if row.proposers else f"（{row.count_text}{campaign}）"
    else:  # one person: "（居民）" reads better than "（居民1人，1人提出）"
        ending = f"（{row.proposers.removesuffix('1人')}）" if row.proposers else ""
    return Para(text + ending, lead=lead)


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
    """征求意见工作开展情况, written from the figures: only the channels comments actually
    came through, symposium dates and head counts only as far as the minutes (or a user's
    correction) give them."""
    first = []
    period = format_period(fig)
    methods = [CHANNEL_METHODS.get(c.code, c.name) for c in fig.channels if c.comments or c.sources]
    lead = f"{period}，" if period else ""
    if methods:
        joined = "、".join(methods[:-1]) + f"和{methods[-1]}" if len(methods) > 1 else methods[0]
        first.append(f"{lead}{issuer}围绕《{name}》，通过{joined}等方式征求意见。")
    else:
        first.append(f"{lead}{issuer}围绕《{name}》组织开展了征求意见工作。")
    if fig.symposiums:
        first.append(symposium_sentence(fig))
    second = [f"共收到意见{fig.comments}件，梳理出意见建议{fig.suggestions}条"]
    if fig.suggestions_deduplicated != fig.suggestions:
        second.append(f"去除重复意见后为{fig.suggestions_deduplicated}条")
    second_text = "，".join(second) + "。"
    second_text += (
        f"经归并整理，形成总体意见{len(rows['general'])}条、逐条修改意见{len(rows['article'])}条"
        f"（涉及{covered_text(rows['article'])}）、其他意见建议{len(rows['other'])}条。"
    )
    channel_parts = [f"{CHANNEL_COUNTED.get(c.code, c.name)}{c.comments}件" for c in fig.channels if c.comments]
    if len(channel_parts) > 1:
        second_text += f"按来源分，{'、'.join(channel_parts)}。"
    return ["".join(first), second_text]


def covered_text(rows: list[FeedbackRow]) -> str:
    """"5个条文", "5个条文、1章": what the article rows are about."""
    chapters = {r.provision_id for r in rows if r.is_chapter}
    articles = {r.provision_id for r in rows if not r.is_chapter}
    return f"{len(articles)}个条文" + (f"、{len(chapters)}章" if chapters else "")


def symposium_sentence(fig: ConsultationFigures) -> str:
    """"于9月25日、9月28日召开座谈会2场，参加人员共34人次。" — dates and participants only
    as far as they are known."""
    dates = fig.symposium_dates
    when = ""
    if dates and len(dates) == fig.symposiums:
        shown = [zh_date(dates[0])] + [
            zh_date(d) if d.year != dates[0].year else f"{d.month}月{d.day}日" for d in dates[1:]
        ]
        when = ("先后于" if len(dates) > 1 else "于") + "、".join(shown)
    text = f"{when}召开座谈会{fig.symposiums}场" if when else f"共召开座谈会{fig.symposiums}场"
    counted = fig.symposium_counted or 0
    if fig.symposium_participants and counted == fig.symposiums:
        text += f"，参加人员共{fig.symposium_participants}人次"
    elif fig.symposium_participants:
        text += f"（其中{counted}场有参会人数记录，共{fig.symposium_participants}人次）"
    return text + "。"


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


def campaign_people(members: list[SuggestionRow]) -> int:
    """People who sent a campaign letter (one template, many senders: 统一格式来信)."""
    return len({m.comment_id for m in members if m.duplicate_kind == "campaign"})


def rows_from_views(views: list[ClusterView]) -> dict[str, list[FeedbackRow]]:
    out: dict[str, list[FeedbackRow]] = {"general": [], "article": [], "other": []}
    for v in views:
        section = out[v.section]
        part_label, excerpt = (None, None)
        if v.article is not None:
            part_label, excerpt = draft_excerpt(v.article, v.members, v.representative, v.text)
        section.append(
            FeedbackRow(
                section=v.section,
                ordinal=len(section) + 1,
                suggestion=finished(v.text),
                reason=finished(v.reason) if v.reason else v.reason,
                proposers=proposers_text(v.members),
                count=v.count,
                article_label=v.article.short_label if v.article else None,
                draft_text=excerpt,
                provision_id=v.article.provision_id if v.article else None,
                cluster_id=v.cluster_id,
                label=v.label if v.section != "article" else None,
                reviewed=v.reviewed,
                suggestion_ids=[m.suggestion_id for m in v.members],
                campaign=campaign_people(v.members),
                part_label=part_label,
                is_chapter=v.article is not None and v.article.kind == "chapter",
            )
        )
    return out


_OPEN_END = re.compile(r"[，,；;、：:\s]+$")
_CLOSERS = "”’）)】」』》\"'"


def finished(text: str) -> str:
    """A point printed as a sentence: the split cut "加强对骑手权益的保障；" out of its list and
    "支持为骑手买保险" was written without a full stop; both end with "。" in the document.
    A question, an exclamation or a quoted sentence keeps its own ending."""
    t = _OPEN_END.sub("", text.rstrip())
    core = t.rstrip(_CLOSERS)
    if not core or core[-1] in "。！？!?….":
        return t
    return t + ("." if in_another_language(t) else "。")


# --- 草案原文: what the row is about, not the whole article ---------------------------------

_QUOTED = re.compile(r"[“\"「『‘]([^”\"」』’]{2,60})[”\"」』’]")
_SENTENCE_END = "。；;！？"


def part_label(paragraph: int, item: int | None) -> str:
    label = f"第{cn_ordinal(paragraph)}款"
    return label + (f"第（{cn_ordinal(item)}）项" if item else "")


def clip(text: str, limit: int = EXCERPT_CHARS) -> str:
    """At most ``limit`` characters, cut after a sentence or clause where one is near."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = max(text.rfind(ch, 0, limit) for ch in _SENTENCE_END + "，")
    end = cut + 1 if cut >= limit // 2 else limit
    return text[:end].rstrip("，,") + "……"


def _around(text: str, phrase: str, limit: int = EXCERPT_CHARS) -> str | None:
    """The sentence of ``text`` that holds ``phrase``, trimmed around it to ``limit``."""
    at = text.find(phrase)
    if at < 0:
        return None
    start = max(text.rfind(ch, 0, at) for ch in _SENTENCE_END + "\n") + 1
    ends = [i for i in (text.find(ch, at + len(phrase)) for ch in _SENTENCE_END + "\n") if i >= 0]
    end = min(ends) + 1 if ends else len(text)
    sentence = text[start:end].strip()
    if len(sentence) <= limit:
        prefix, suffix = ("……" if start > 0 else ""), ("……" if end < len(text.rstrip()) else "")
        return prefix + sentence + suffix
    # A long sentence: a window centred on the phrase.
    at = sentence.find(phrase)
    half = max(0, (limit - len(phrase)) // 2)
    lo, hi = max(0, at - half), min(len(sentence), at + len(phrase) + half)
    return ("……" if lo > 0 or start > 0 else "") + sentence[lo:hi] + ("……" if hi < len(sentence) else "")


def _bigrams(text: str) -> set[str]:
    chars = [c for c in text if "\u4e00" <= c <= "\u9fff"]
    return {a + b for a, b in zip(chars, chars[1:])}


# Bigrams an opinion must share with one 款, and more than with any other, to name it.
PART_MIN_SHARED = 3


def draft_excerpt(article: ArticleInfo, members: list[SuggestionRow], representative: SuggestionRow,
                  text: str) -> tuple[str | None, str]:
    """(款/项 label or None, the draft text the row quotes): the 款/项 the opinion cited
    (most often among its members, the representative's first); else the sentence around
    wording it quotes; else a short article whole; else the 款 closest in wording."""
    if article.kind == "chapter":
        title = article.label[len(article.short_label):].strip()
        return None, f"（本章：{title}）" if title else ""
    cited = Counter(
        (p.paragraph, p.item)
        for m in [representative, *members]
        for p in m.cited_parts
        if p.article_id == article.provision_id and p.paragraph is not None
    )
    for (paragraph, item), _n in cited.most_common():
        part = article.parts.get((paragraph, item)) or article.parts.get((paragraph, None))
        if part:
            return part_label(paragraph, item if (paragraph, item) in article.parts else None), clip(part)
    quotes = [q for src in (text, representative.text, representative.quoted_text or "")
              for q in _QUOTED.findall(src)]
    if representative.quoted_text:
        quotes.append(representative.quoted_text.strip())
    for q in quotes:
        found = _around(article.text, q.strip())
        if found:
            return None, found
    if len(article.text) <= EXCERPT_CHARS:
        return None, article.text
    whole = [(k, t) for k, t in article.parts.items() if k[1] is None and t]
    if len(whole) > 1:
        words = _bigrams(text + representative.text)
        shared = sorted(((len(words & _bigrams(t)), -k[0], k[0], t) for k, t in whole), reverse=True)
        (most, _, paragraph, best), runner_up = shared[0], shared[1][0]
        # Named only when the wording points there: a word or two in common with one 款 (安全,
        # 管理) is what any 款 of the article shares with the opinion, and naming it misleads.
        if most >= PART_MIN_SHARED and most > runner_up:
            return part_label(paragraph, None), clip(best)
    return None, clip(article.text)


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
                channel=CHANNEL_COUNTED.get(r.channel, CHANNELS.get(r.channel, r.channel)),
                source=r.source_name or "",
                origin=source_display(r.source_origin, r.source_name),
                location=location_text(r.locator),
                author=r.author_masked or "",
                submitted=r.submitted_at.date().isoformat() if r.submitted_at else "",
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


def source_display(origin: str | None, name: str | None) -> str:
    """A source as the workbook shows it: a web address whole, a file by its name only
    (never the path on the contact point's machine); an attachment as "来信.eml › 表.xlsx"."""
    origin = (origin or "").strip()
    if not origin:
        return name or ""
    if re.match(r"^[a-z][a-z0-9+.-]*://", origin, re.I) and not origin.lower().startswith("file:"):
        return origin
    path, _, fragment = origin.partition("#")
    shown = re.split(r"[\\/]", path.removeprefix("file://"))[-1]
    attachment = re.search(r"attachment=([^;]+)", fragment)
    if attachment:
        shown += f" › {attachment.group(1)}"
    return shown


def location_text(locator: str | None) -> str:
    """"sheet=意见征集表;row=5" → 工作表“意见征集表”第5行; "paragraph=8" → 第8段."""
    if not locator:
        return ""
    parts = dict(p.split("=", 1) for p in locator.split(";") if "=" in p)
    out = []
    if "sheet" in parts:
        out.append(f"工作表“{parts['sheet']}”")
    for key, unit in (("row", "行"), ("paragraph", "段"), ("line", "行"), ("floor", "楼"), ("message", "封邮件")):
        if key in parts:
            out.append(f"第{parts[key]}{unit}")
    return "".join(out) or locator


def signing_date(on: date | None, signed_on: date | None, deadline: date | None,
                 today: date | None = None) -> tuple[date, str]:
    """成文日期 and where it came from: given (``on``), set on the consultation, else — on a
    consultation whose deadline has passed — the deadline (never silently today), else today."""
    today = today or date.today()
    if on is not None:
        return on, "option"
    if signed_on is not None:
        return signed_on, "consultation"
    if deadline is not None and deadline < today:
        return deadline, "deadline"
    return today, "today"


def build_feedback(report: ConsultationReport, *, issuer: str | None = None, on: date | None = None,
                   recipient: str | None = None, signed_on: date | None = None) -> FeedbackDocument:
    """The document one contact point (``report.contact_point_id``; all when None) sends up,
    addressed to ``recipient`` (主送; default: the issuing body), signed by ``issuer``
    (default: the contact point) on ``on`` (default: ``signed_on``, the date set on the
    consultation; else see ``signing_date``)."""
    fig = report.figures
    name = draft_name(report.title, report.draft_label)
    issuer = issuer or fig.contact_point or "基层立法联系点"
    recipient = recipient or report.issuing_body
    when, source = signing_date(on, signed_on, fig.deadline)
    sections = rows_from_views(report.views)
    feedback = [*sections["general"], *sections["article"], *sections["other"]]
    return FeedbackDocument(
        consultation_id=report.consultation_id,
        contact_point_id=report.contact_point_id,
        title=feedback_title(name),
        draft_name=name,
        recipient=f"{recipient.rstrip('：:')}：" if recipient else None,
        issuer=issuer,
        date=when,
        date_source=source,
        author=fig.contact_point or issuer,
        intro=intro_paragraphs(fig, name, issuer, sections),
        general=sections["general"],
        articles=sections["article"],
        others=sections["other"],
        figures=fig,
        appendix=appendix_rows(report.rows, report.views, feedback,
                               {k: a.label for k, a in report.articles.items()}),
    )


def feedback_items(doc: FeedbackDocument) -> list[dict[str, Any]]:
    """The rows as recorded in FeedbackItem (what was sent, for adoption tracking)."""
    return [
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
