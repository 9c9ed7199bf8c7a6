"""Closing the loop with contributors: the reply to each suggestion (采纳情况说明), the list
of people to inform (.xlsx), a mail-merge .docx of short letters, an SMS-length text per
person, and the public notice of adopted suggestions.

These documents stay at the contact point that collected the opinions (names and contacts
never go upward); the public notice names a contributor only where they agreed. Pure: the
application layer (``minyi.services.replies``) loads, checks permissions and consent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from reports.document import Doc, Para, Sheet, Table, zh_date

# One SMS in Chinese: 70 characters.
SMS_CHARS = 70
ADOPTED = ("采纳", "部分采纳")


def _articles(final_articles: list[str], final_label: str | None) -> str:
    labels = "、".join(a for a in final_articles if a)
    return f"{final_label or '正式文本'}{labels}" if labels else ""


def reply_text(status: str | None, final_articles: list[str] | None = None, note: str | None = None,
               final_label: str | None = None) -> str:
    """采纳情况说明 of one suggestion, from its decision."""
    where = _articles(list(final_articles or []), final_label)
    note = (note or "").strip().rstrip("。")
    if status == "采纳":
        text = f"您的意见已被采纳，体现在{where}。" if where else "您的意见已被采纳。"
    elif status == "部分采纳":
        text = f"您的意见被部分采纳，体现在{where}。" if where else "您的意见被部分采纳。"
    elif status == "未采纳":
        text = f"您的意见经研究未予采纳，理由：{note}。" if note else "您的意见经综合研究，未予采纳。"
        return text
    elif status == "已有规定":
        text = "您意见所涉内容已有规定" + (f"（{where}）" if where else "") + "。"
    elif status == "研究参考":
        text = "您的意见已作为立法研究参考。"
    else:
        return "您的意见已报送，采纳情况尚未公布。"
    return text + (f"说明：{note}。" if note else "")


@dataclass
class ContributorItem:
    suggestion_id: int
    text: str
    article: str | None
    status: str | None
    reply: str


@dataclass
class Contributor:
    """A person (or unit) to inform, as the contact point knows them."""

    name: str | None
    contact: str | None
    organisation: str | None
    comment_ids: list[int]
    items: list[ContributorItem] = field(default_factory=list)
    consent: bool = False

    @property
    def addressee(self) -> str:
        return self.name or self.organisation or "参与群众"

    def counts(self) -> dict[str, int]:
        return dict(Counter(i.status if i.status and i.status != "无法判断" else "未公布" for i in self.items))


def _count_phrase(counts: dict[str, int]) -> str:
    order = ("采纳", "部分采纳", "已有规定", "研究参考", "未采纳", "未公布")
    return "、".join(f"{k}{counts[k]}条" for k in order if counts.get(k))


def sms_text(c: Contributor, draft: str, point: str) -> str:
    """A text of at most 70 characters: who writes, about what, what became of it."""
    counts = _count_phrase(c.counts())
    name = c.name or ""

    def build(title: str, sig: str, greet: str) -> str:
        return f"【{sig}】{greet}您好，您对《{title}》提的意见：{counts}。详情可来电咨询，感谢参与立法！"

    title, sig, greet = draft, point, name
    text = build(title, sig, greet)
    while len(text) > SMS_CHARS and len(title) > 6:
        title = title[:-1]
        text = build(title + "…" if title != draft else title, sig, greet)
    if len(text) > SMS_CHARS:
        sig = sig.replace("基层立法联系点", "联系点")
        text = build(title + "…", sig, greet)
    if len(text) > SMS_CHARS:
        text = build(title + "…", sig, "")
    return text[:SMS_CHARS]


def letter_paragraphs(c: Contributor, draft: str, point: str, recipient: str | None) -> list[str]:
    """The body of one short letter."""
    lead = (f"感谢您参与《{draft}》征求意见工作。您提出的意见建议，{point}已归纳整理并报送"
            f"{recipient or '立法机关'}。现将采纳情况告知如下：")
    lines = [lead]
    for i, item in enumerate(c.items, start=1):
        about = f"（关于{item.article}）" if item.article else ""
        text = item.text if len(item.text) <= 80 else item.text[:78] + "……"
        lines.append(f"{i}. {about}“{text}”——{item.reply}")
    lines.append("再次感谢您对立法工作的关心和支持！")
    return lines


@dataclass
class ContributorList:
    """Everyone to inform at one contact point, with their suggestions' replies."""

    formats = ("xlsx",)

    consultation_id: int
    draft: str
    point: str
    recipient: str | None
    date: date
    contributors: list[Contributor]

    def sms(self, c: Contributor) -> str:
        return sms_text(c, self.draft, self.point)

    def to_sheets(self) -> list[Sheet]:
        people = [
            [i, c.name or "", c.contact or "", c.organisation or "", len(c.items),
             c.counts().get("采纳", 0), c.counts().get("部分采纳", 0), c.counts().get("未采纳", 0),
             "是" if c.consent else "否", self.sms(c)]
            for i, c in enumerate(self.contributors, start=1)
        ]
        replies = [
            [c.name or "", c.contact or "", item.suggestion_id, item.article or "", item.text, item.status or "未公布",
             item.reply]
            for c in self.contributors for item in c.items
        ]
        return [
            Sheet("待告知人员", ["序号", "姓名", "联系方式", "单位", "意见条数", "采纳", "部分采纳", "未采纳",
                            "同意公开姓名", "短信内容"], people, [6, 12, 18, 20, 8, 6, 8, 8, 10, 80],
                  title=f"《{self.draft}》意见建议采纳情况告知名单（{self.point}，内部使用）"),
            Sheet("逐条答复", ["姓名", "联系方式", "意见编号", "条款", "意见建议", "采纳情况", "采纳情况说明"],
                  replies, [12, 18, 8, 12, 60, 10, 50]),
        ]

    def to_dict(self) -> dict[str, Any]:
        return {"consultation_id": self.consultation_id, "point": self.point, "contributors": len(self.contributors),
                "items": sum(len(c.items) for c in self.contributors)}


def write_letters_docx(letters: ContributorList, path: str | Path) -> str:
    """The mail-merge document: one short letter per person, each on its own page, in
    the body font of the official layout."""
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
    from docx.shared import Mm, Pt

    from minyi.core.safety import xml_safe
    from reports import fonts
    from reports.docx_writer import set_run_font

    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    document.core_properties.title = f"《{letters.draft}》意见建议采纳情况告知书"
    document.core_properties.language = "zh-CN"

    def para(text: str, *, font: Any = fonts.BODY, size: float = 16, align: Any = None, indent: bool = True) -> Any:
        p = document.add_paragraph()
        if align is not None:
            p.alignment = align
        if indent:
            p.paragraph_format.first_line_indent = Pt(size * 2)
        set_run_font(p.add_run(xml_safe(text)), font, size)
        return p

    for n, c in enumerate(letters.contributors):
        para("意见建议采纳情况告知书", font=fonts.TITLE, size=22, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        para(f"{c.addressee}：", indent=False)
        for line in letter_paragraphs(c, letters.draft, letters.point, letters.recipient):
            para(line)
        para(letters.point, align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        last = para(zh_date(letters.date), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        if n < len(letters.contributors) - 1:
            last.add_run().add_break(WD_BREAK.PAGE)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    document.save(str(path))
    return str(path)


@dataclass
class NoticeRow:
    article: str | None
    text: str
    status: str
    where: str
    contributor: str  # a consenting person's name, else 居民/their unit/the contact point


@dataclass
class PublicNotice:
    """关于《××》意见建议采纳情况的公告: adopted suggestions, contributors named only with
    consent."""

    formats = ("docx", "md", "pdf")

    draft: str
    issuer: str
    date: date
    rows: list[NoticeRow]
    people: int  # everyone who took part
    named: int  # contributors named (with consent)

    def to_doc(self, assets_dir: str | Path | None = None) -> Doc:
        adopted = sum(1 for r in self.rows if r.status == "采纳")
        partly = sum(1 for r in self.rows if r.status == "部分采纳")
        blocks: list[Any] = [Para(
            f"在《{self.draft}》征求意见过程中，{self.issuer}共收集整理群众意见建议。经立法机关研究，"
            f"其中{adopted}条被采纳、{partly}条被部分采纳，现将有关情况公告如下，感谢广大群众的积极参与！"
        )]
        if self.rows:
            blocks.append(Table(
                ["序号", "条款", "意见建议", "采纳情况", "体现条款", "提出人"],
                [[str(i), r.article or "", r.text, r.status, r.where, r.contributor]
                 for i, r in enumerate(self.rows, start=1)],
                [10, 18, 62, 18, 22, 26], name="采纳情况",
            ))
        else:
            blocks.append(Para("本次征求意见暂无被采纳的意见建议。"))
        blocks.append(Para("（提出人经本人同意后公开姓名，其余以“居民”或所在单位表示。）"))
        return Doc(title=f"关于《{self.draft}》意见建议采纳情况的公告", blocks=blocks, issuer=self.issuer,
                   date_text=zh_date(self.date))

    def summary(self) -> dict[str, Any]:
        return {"rows": len(self.rows), "named": self.named, "people": self.people}
