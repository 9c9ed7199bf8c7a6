"""Write ``reports.document.Sheet`` lists as one .xlsx workbook: a header row in bold on a
tint, thin borders, wrapped text, the header frozen and an auto-filter (the feedback
document's sheets, the review report, statistics and exports)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from minyi.core.safety import is_formula_like, xml_safe
from reports.document import Sheet

FONT_NAME = "仿宋_GB2312"
HEADER_FONT = Font(name="黑体", bold=True)
HEADER_FILL = PatternFill("solid", fgColor="DDE4EE")
THIN = Side(style="thin", color="999999")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
WRAP = Alignment(wrap_text=True, vertical="top")
HEADER_ALIGN = Alignment(horizontal="center", vertical="center", wrap_text=True)
BODY_FONT = Font(name=FONT_NAME)


def _as_text(cell) -> None:  # type: ignore[no-untyped-def]
    """A user's "=…"/"+…"/"@…" stays text: stored as a string with Excel's quote prefix,
    never as a live formula (OWASP formula injection); the words show as written."""
    cell.data_type = "s"
    cell.quotePrefix = True


def _cell_value(value: object) -> object:
    return xml_safe(value)  # a stray control character must not stop the workbook


def _write_sheet(wb: Workbook, sheet: Sheet) -> None:
    ws = wb.create_sheet(sheet.name[:31])
    start = 1
    if sheet.title:
        title = ws.cell(row=1, column=1, value=_cell_value(sheet.title))
        title.font = Font(name="黑体", bold=True, size=14)
        if is_formula_like(sheet.title):
            _as_text(title)
        start = 3
    for col, name in enumerate(sheet.columns, start=1):
        cell = ws.cell(row=start, column=col, value=_cell_value(name))
        if is_formula_like(name):
            _as_text(cell)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.border = BORDER
        cell.alignment = HEADER_ALIGN
    if sheet.styled:
        for r, values in enumerate(sheet.rows, start=start + 1):
            for c, value in enumerate(values, start=1):
                cell = ws.cell(row=r, column=c, value=_cell_value(value))
                if is_formula_like(value):
                    _as_text(cell)
                cell.alignment = WRAP
                cell.border = BORDER
                cell.font = BODY_FONT
    else:  # an export of maybe a million rows: values only, appended (much faster)
        for values in sheet.rows:
            ws.append([_cell_value(v) for v in values])
            for c, value in enumerate(values, start=1):
                if is_formula_like(value):
                    _as_text(ws.cell(row=ws.max_row, column=c))
    widths = sheet.widths or [max(8, min(40, len(str(c)) * 2 + 4)) for c in sheet.columns]
    for col, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(col)].width = width
    # Keep the header in view while scrolling, and let users filter.
    ws.freeze_panes = ws.cell(row=start + 1, column=1)
    last = get_column_letter(len(sheet.columns))
    ws.auto_filter.ref = f"A{start}:{last}{start + max(1, len(sheet.rows))}"
    _print_setup(ws, start)


def _print_setup(ws, header_row: int) -> None:  # type: ignore[no-untyped-def]
    """A4 landscape, all columns on the page width, the header row repeated on each page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0  # as many pages down as needed
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_title_rows = f"{header_row}:{header_row}"
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.5


def write_sheets(sheets: list[Sheet], path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        _write_sheet(wb, sheet)
    wb.save(str(path))
    return str(path)
