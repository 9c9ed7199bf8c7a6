"""Workbooks: the feedback document as sheets (概况, 总体意见, 逐条修改意见, 其他意见建议) plus
the appendix 附件：意见建议明细 with every suggestion and its source; also a generic writer
for the review report and the statistics."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from reports.feedback import APPENDIX_COLUMNS, FeedbackDocument, people_text

FONT_NAME = "仿宋_GB2312"
HEADER_FONT = Font(name="黑体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
BODY_FONT = Font(name=FONT_NAME)


@dataclass
class Sheet:
    name: str
    columns: list[str]
    rows: list[list[Any]]
    widths: list[float] | None = None  # in Excel character units
    title: str | None = None  # a title line above the header


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name[:31])
    start = 1
    if sheet.title:
        ws.cell(row=1, column=1, value=sheet.title).font = Font(name="黑体", bold=True, size=14)
        start = 3
    for col, name in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=start, column=col, value=name)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = HEADER_ALIGN
    for r, values in enumerate(sheet.rows, start=start + 1):
        for c, value in enumerate(values, start=1):
            cell = ws.cell(row=r, column=c, value=value)
            cell.alignment = WRAP
            cell.border = BORDER
            cell.font = BODY_FONT
    widths = sheet.widths or [max(8, min(40, len(str(c)) * 2 + 4)) for c in sheet.columns]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    # Keep the header in view while scrolling, and let users filter.
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    last = get_column_letter(len(sheet.columns))
    ws.auto_filter.ref = f"A{start}:{last}{start + max(1, len(sheet.rows))}"


def write_sheets(sheets: list[Sheet], path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        _write_sheet(wb, sheet)
    wb.save(str(path))
    return str(path)


def feedback_sheets(doc: FeedbackDocument) -> list[Sheet]:
    fig = doc.figures
    overview = [
        ["标题", doc.title],
        ["报送单位", doc.issuer],
        ["报送对象", (doc.recipient or "").rstrip("：")],
        ["日期", doc.date.isoformat()],
        ["征求意见期间", f"{fig.opened_on or ''} 至 {fig.deadline or ''}".strip(" 至")],
        ["征集渠道", "、".join(c.name for c in fig.channels)],
        ["座谈会场次", fig.symposiums],
        ["座谈会参加人次", fig.symposium_participants if fig.symposium_participants is not None else ""],
        ["收到意见（件）", fig.comments],
        ["意见建议（条）", fig.suggestions],
        ["去重后意见建议（条）", fig.suggestions_deduplicated],
        ["总体意见（条）", len(doc.general)],
        ["逐条修改意见（条）", len(doc.articles)],
        ["其他意见建议（条）", len(doc.others)],
        *[["征求意见工作开展情况", p] for p in doc.intro],
    ]
    table = doc.article_table()
    items = lambda rows: [[r.ordinal, r.label or "", r.suggestion, r.proposers, people_text(r.count), r.count] for r in rows]  # noqa: E731
    item_cols = ["序号", "主题", "意见建议", "提出人/单位", "人数", "人数（数值）"]
    item_widths = [6, 18, 60, 30, 12, 10]
    appendix = [
        [i, a.suggestion_id, a.channel, a.source, a.origin, a.contact_point, a.text, a.articles,
         a.type, a.cluster, a.feedback_ref, a.duplicates]
        for i, a in enumerate(doc.appendix, start=1)
    ]
    return [
        Sheet("概况", ["项目", "内容"], overview, [22, 90], title=doc.title),
        Sheet("总体意见", item_cols, items(doc.general), item_widths),
        Sheet(
            "逐条修改意见",
            [*table.columns, "人数（数值）"],
            [[*row, r.count] for row, r in zip(table.rows, doc.articles)],
            [6, 12, 40, 45, 30, 24, 12, 10],
        ),
        Sheet("其他意见建议", item_cols, items(doc.others), item_widths),
        Sheet("附件：意见建议明细", APPENDIX_COLUMNS, appendix, [6, 9, 12, 24, 30, 22, 60, 14, 8, 18, 10, 8]),
    ]


def write_feedback_xlsx(doc: FeedbackDocument, path: str | Path) -> str:
    return write_sheets(feedback_sheets(doc), path)
