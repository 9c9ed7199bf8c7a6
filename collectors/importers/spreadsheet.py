"""Opinion forms (意见征集表) and questionnaire exports: .xlsx, .xls, .csv.

Each sheet is searched for its header row (forms put a title, merged cells and notes above
it: the first ``HEADER_SEARCH_ROWS`` rows, then the whole sheet); traditional-Chinese
headers (修改意見, 聯絡電話) are recognised. Every non-empty row below the header becomes one
RecordIn whose payload is the row's cells as strings keyed by header and whose locator is
"sheet=…;row=N" with the row number a person sees in Excel.

Nothing is dropped in silence: the rows of a sheet without a recognisable header are kept
in quarantine (named in Source.meta "sheets_quarantined"); hidden and very hidden sheets
are imported and named in Source.meta "sheets_hidden" (a notice); a row whose formula has
no cached value (the file was written by a program that does not calculate), whose opinion
cell is a boolean, or which a CSV's unbalanced quote had merged with the rows after it is
quarantined with that reason.

The work is bounded by the cells that exist, not by the sheet's dimension: a workbook with
one cell at XFD1048576 reads one row; more than ``MAX_CELLS`` cells is refused.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from collectors.importers.columns import (
    cell_text,
    comment_from_fields,
    header_score,
    payload_keys,
    recognise_header,
    row_fields,
)
from collectors.importers.encoding import decode_bytes
from minyi.core.records import RecordIn, SourceIn, file_fingerprint
from minyi.core.errors import InputError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names (UTF-16LE in the OLE directory) of an encrypted Office document.
_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
HEADER_SEARCH_ROWS = 30
# The most cells a workbook may hold (a form of 100,000 opinions in 20 columns is 2 million),
# and the most row cells the reader may lay out (sparse cells far apart).
MAX_CELLS = 5_000_000
MAX_LAID_OUT_CELLS = 20_000_000
HEADER_NEEDED = (
    "a header row with an opinion column (修改意见/意见建议/具体意见/意见内容/建议) and one more known column"
)
MAPPING_HINT = "name the columns with --mapping text=COLUMN,author=COLUMN"


@dataclass
class Sheet:
    name: str | None  # None for CSV (locator "row=N")
    rows: list[tuple[int, list[Any]]]  # (row number as shown in Excel, cell values)
    hidden: str | None = None  # "hidden" / "veryHidden"
    problems: dict[int, str] = field(default_factory=dict)  # row number → why it cannot be read


def is_encrypted_ole(data: bytes) -> bool:
    return data.startswith(OLE_MAGIC) and any(m in data for m in _ENCRYPTED_MARKERS)


# --- loading ------------------------------------------------------------------------


def _too_many_cells(name: str, count: int) -> InputError:
    return InputError(
        f"{name}: {count} cells, over the limit of {MAX_CELLS}; split the workbook",
        message_zh=f"{name}：单元格过多，请拆分后导入",
    )


def _laid_out(name: str, by_row: dict[int, dict[int, Any]]) -> list[tuple[int, list[Any]]]:
    """Rows as lists up to their own last cell (ragged), only the rows that exist."""
    total = sum(max(cells) for cells in by_row.values())
    if total > MAX_LAID_OUT_CELLS:
        raise InputError(f"{name}: cells are spread over too many columns ({total} cells to lay out)")
    return [(r, [cells.get(c) for c in range(1, max(cells) + 1)]) for r, cells in sorted(by_row.items())]


SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def sheet_members(z: zipfile.ZipFile) -> Iterator[tuple[str, str]]:
    """(sheet name, its XML member in the container) for every sheet of an .xlsx, in order."""
    from lxml import etree

    names = set(z.namelist())
    book = etree.fromstring(z.read("xl/workbook.xml"))
    rels = etree.fromstring(z.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    for sheet in book.iter(f"{SHEET_NS}sheet"):
        target = targets.get(sheet.get(f"{_REL_NS}id"), "").lstrip("/")
        member = target if target.startswith("xl/") else f"xl/{target}"
        if member in names:
            yield sheet.get("name") or "", member


def uncached_formulas(data: bytes) -> dict[str, set[int]]:
    """Sheet name → rows with a formula cell that has no cached value (read from the XML:
    openpyxl gives such a cell as empty)."""
    from lxml import etree

    ns = SHEET_NS
    found: dict[str, set[int]] = {}
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for sheet_name, path in sheet_members(z):
                rows: set[int] = set()
                xml = z.read(path)
                if not re.search(rb"<(?:\w+:)?f[ >/]", xml):
                    continue  # no formula in the sheet: nothing to check (most forms)
                with io.BytesIO(xml) as fh:
                    for _ev, c in etree.iterparse(fh, tag=f"{ns}c", huge_tree=True):
                        f = c.find(f"{ns}f")
                        if f is not None:
                            v = c.find(f"{ns}v")
                            if v is None or not (v.text or "").strip():
                                m = re.match(r"[A-Z]+(\d+)$", c.get("r") or "")
                                if m:
                                    rows.add(int(m.group(1)))
                        c.clear()
                if rows:
                    found[sheet_name] = rows
    except Exception:  # an odd container: openpyxl has read it, the check is only a notice
        return found
    return found


def load_xlsx(data: bytes, name: str) -> list[Sheet]:
    from openpyxl import load_workbook

    if is_encrypted_ole(data):
        raise InputError(f"{name}: the workbook is password-protected; save it without a password")
    if data.startswith(OLE_MAGIC):
        return load_xls(data, name)  # an old .xls saved under .xlsx
    try:
        # Not read-only: merged cell ranges are only available in the normal mode.
        book = load_workbook(io.BytesIO(data), data_only=True)
    except Exception as exc:  # BadZipFile, InvalidFileException, KeyError, XML errors …
        raise InputError(f"{name}: not a readable .xlsx workbook (corrupt file?): {exc}") from exc
    uncached = uncached_formulas(data)
    sheets = []
    count = 0
    for ws in book.worksheets:
        # Only the cells that exist (ws.iter_rows would lay out the whole dimension).
        cells = ws._cells  # noqa: SLF001 - openpyxl's map of existing cells
        count += len(cells)
        if count > MAX_CELLS:
            raise _too_many_cells(name, count)
        by_row: dict[int, dict[int, Any]] = {}
        for (r, c), cell in cells.items():
            if cell.value is not None:
                by_row.setdefault(r, {})[c] = cell.value
        for rng in ws.merged_cells.ranges:
            # Fill a vertically merged cell down its first column: a 条款 cell merged over
            # three opinions belongs to each of them (only rows that exist; titles merged
            # horizontally stay as they are).
            if rng.max_row == rng.min_row:
                continue
            top = by_row.get(rng.min_row, {}).get(rng.min_col)
            if top is None:
                continue
            for r in [r for r in by_row if rng.min_row < r <= rng.max_row]:
                by_row[r].setdefault(rng.min_col, top)
        state = ws.sheet_state if ws.sheet_state in ("hidden", "veryHidden") else None
        problems = {
            r: "a formula cell in this row has no cached value (the file was saved by a program "
               "that does not calculate formulas); open it in Excel or WPS, save, and import again"
            for r in uncached.get(ws.title, ())
        }
        sheets.append(Sheet(ws.title, _laid_out(name, by_row), state, problems))
    book.close()
    return sheets


def load_xls(data: bytes, name: str) -> list[Sheet]:
    import xlrd

    if is_encrypted_ole(data):
        raise InputError(f"{name}: the workbook is password-protected; save it without a password")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=False, ragged_rows=True)
    except Exception as exc:  # XLRDError ("Workbook is encrypted"), CompDocError …
        raise InputError(f"{name}: not a readable .xls workbook: {exc}") from exc
    sheets = []
    count = 0
    for sh in book.sheets():
        by_row: dict[int, dict[int, Any]] = {}
        for r in range(sh.nrows):
            for c in range(sh.row_len(r)):  # ragged: only the cells each row has
                cell = sh.cell(r, c)
                if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                    continue
                count += 1
                if count > MAX_CELLS:
                    raise _too_many_cells(name, count)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        value: Any = xlrd.xldate_as_datetime(cell.value, book.datemode)
                    except Exception:
                        value = cell.value
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    value = xlrd.error_text_from_code.get(cell.value, "#VALUE!")
                elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                    value = bool(cell.value)
                else:
                    value = cell.value
                by_row.setdefault(r + 1, {})[c + 1] = value
        for r0, r1, c0, _c1 in sh.merged_cells:
            top = by_row.get(r0 + 1, {}).get(c0 + 1)
            if top is None:
                continue
            for r in [r for r in by_row if r0 + 1 < r <= r1]:
                by_row[r].setdefault(c0 + 1, top)
        visibility = getattr(sh, "visibility", 0)
        state = {1: "hidden", 2: "veryHidden"}.get(visibility)
        sheets.append(Sheet(sh.name, _laid_out(name, by_row), state))
    return sheets


class CsvRows(list):  # type: ignore[type-arg]
    """Parsed CSV rows, with the rows that could not be read as written (1-based index →
    reason)."""

    problems: dict[int, str]


def decode_csv(data: bytes, name: str) -> tuple[CsvRows, str]:
    """Rows and the encoding found; a file the csv module cannot read is an InputError. An
    unbalanced quote that swallowed the rows after it is undone: its row is marked (in
    ``rows.problems``) and the rows it had merged are read on their own."""
    text, encoding = decode_bytes(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    lines = text.splitlines(keepends=True)
    rows = CsvRows()
    rows.problems = {}
    width = 0
    start = 0  # physical line the reader starts at
    while start < len(lines):
        reader = csv.reader(io.StringIO("".join(lines[start:]), newline=""), delimiter=delimiter)
        line = 0  # physical lines consumed so far (from ``start``)
        try:
            for row in reader:
                first, line = line, reader.line_num
                if not width:
                    width = len(row)
                if line - first > 1 and _swallowed_rows(row, delimiter, width):
                    _reread(lines[start + first:start + line], delimiter, rows, start + first + 1)
                    continue
                rows.append(row)
            break
        except csv.Error as exc:
            if '"' not in lines[start + line]:
                raise InputError(f"{name}: not a readable CSV file (line {start + line + 1}): {exc}") from exc
            # A quote that never closes ran into the field size limit: that line alone is
            # quarantined, reading goes on with the next one.
            _reread(lines[start + line:start + line + 1], delimiter, rows, start + line + 1)
            start += line + 1
    return rows, encoding


def _swallowed_rows(row: list[str], delimiter: str, width: int) -> bool:
    """A quoted field that holds whole lines of the file (each with the columns of a row)
    came from an unbalanced quote, not from a comment written over several lines."""
    if width < 2:
        return False
    for value in row:
        inner = value.split("\n")[1:]
        if inner and sum(1 for part in inner if part.count(delimiter) >= width - 1) >= 1:
            return True
    return False


def _reread(lines: list[str], delimiter: str, rows: CsvRows, line_no: int) -> None:
    """Each physical line on its own; the one with the stray quote is marked."""
    for offset, raw in enumerate(lines):
        parsed = next(csv.reader([raw.rstrip("\r\n")], delimiter=delimiter), [])
        rows.append(parsed)
        if offset == 0:
            rows.problems[len(rows)] = (
                f"line {line_no}: an unbalanced quote (\") merged the rows after it into this one; "
                "they were read on their own — correct the quote in this row"
            )


def load_csv(
    data: bytes, name: str, decoded: tuple[list[list[str]], str] | None = None
) -> tuple[list[Sheet], str]:
    """``decoded``: decode_csv(data) when the caller already has it."""
    rows, encoding = decoded if decoded is not None else decode_csv(data, name)
    problems = dict(getattr(rows, "problems", {}))
    return [Sheet(None, list(enumerate(rows, start=1)), problems=problems)], encoding


# --- header and rows ----------------------------------------------------------------


def find_header(
    rows: Sequence[tuple[int, list[Any]]], mapping: dict[str, str] | None
) -> tuple[int, dict[str, int]] | None:
    """(index into rows, field → column) of the most convincing header: near the top,
    else anywhere in the sheet."""
    found = _best_header(rows, 0, HEADER_SEARCH_ROWS, mapping)
    if found is None and len(rows) > HEADER_SEARCH_ROWS:
        found = _best_header(rows, HEADER_SEARCH_ROWS, len(rows), mapping)
    return found


def _best_header(
    rows: Sequence[tuple[int, list[Any]]], start: int, stop: int, mapping: dict[str, str] | None
) -> tuple[int, dict[str, int]] | None:
    best: tuple[int, dict[str, int]] | None = None
    best_score = 0
    for idx in range(start, min(stop, len(rows))):
        cells = rows[idx][1]
        found = recognise_header(cells, mapping)
        score = header_score(found)
        if not score and mapping and "text" in mapping and "text" in found:
            score = 1  # the user named the opinion column: that alone is enough
        if score > best_score:
            best, best_score = (idx, found), score
    return best


def _is_blank(texts: Sequence[str], found: dict[str, int]) -> bool:
    """Nothing but (at most) a pre-printed 序号 number: a form's unused template row."""
    seq = found.get("seq")
    return all(t == "" or (i == seq and t.isdigit()) for i, t in enumerate(texts))


def _locator(sheet: Sheet, number: int) -> str:
    return f"sheet={sheet.name};row={number}" if sheet.name is not None else f"row={number}"


def _row_problem(sheet: Sheet, number: int, values: list[Any], found: dict[str, int]) -> str | None:
    if number in sheet.problems:
        return sheet.problems[number]
    i = found.get("text")
    if i is not None and i < len(values) and isinstance(values[i], bool):
        return f"row {number}: the opinion cell holds {'TRUE' if values[i] else 'FALSE'}, not an opinion"
    return None


class HeaderedRows:
    """Rows below a found header, one at a time, as records: the one reading of a form's
    rows whether the sheet is in memory (``sheet_records``) or streamed from a large file
    (``collectors.importers.stream``)."""

    def __init__(self, name: str | None, problems: dict[int, str], header: tuple[int, list[Any]],
                 found: dict[str, int], origin: str) -> None:
        self.sheet = Sheet(name, [], problems=problems)
        self.header_row_number, self.header_cells = header
        self.found = found
        self.origin = origin
        self.header_texts = [cell_text(c) for c in self.header_cells]
        self.keys = payload_keys(list(self.header_cells))  # columns past the header: named when met
        self.width = len(self.header_cells)
        self.count = 0

    def record(self, number: int, values: list[Any]) -> RecordIn | None:
        """The record of row ``number``, or None for an empty row or a repeated header."""
        sheet, found = self.sheet, self.found
        self.width = max(self.width, len(values))
        values = list(values) + [None] * (len(self.header_cells) - len(values))
        texts = [cell_text(v) for v in values]
        if _is_blank(texts, found) or texts[: len(self.header_texts)] == self.header_texts:
            if number not in sheet.problems:
                return None  # empty row, or the header repeated on a printed page
        if len(texts) > len(self.keys):
            self.keys = payload_keys(list(self.header_cells) + [None] * (len(texts) - len(self.header_cells)))
        payload = {k: t for k, t in zip(self.keys, texts) if t or k in self.header_texts}
        comment, _meta = comment_from_fields(row_fields(values, found))
        problem = _row_problem(sheet, number, values, found)
        self.count += 1
        return RecordIn(
            origin=self.origin, locator=_locator(sheet, number), payload=payload,
            raw_text=comment.text or None, comment=None if problem else comment, error=problem,
        )

    def info(self) -> dict[str, Any]:
        return {
            "header_row": self.header_row_number,
            "columns": {field: self.keys[i] for field, i in self.found.items()},
            "records": self.count,
            "width": self.width,
        }


def sheet_records(
    sheet: Sheet, origin: str, mapping: dict[str, str] | None
) -> tuple[list[RecordIn], dict[str, Any]] | None:
    """The records of one sheet and what was recognised, or None for a sheet without a header."""
    header = find_header(sheet.rows, mapping)
    if header is None:
        return None
    idx, found = header
    rows = HeaderedRows(sheet.name, sheet.problems, sheet.rows[idx], found, origin)
    records = [r for number, values in sheet.rows[idx + 1:] if (r := rows.record(number, values)) is not None]
    return records, rows.info()


# A sheet of instructions (填表说明): its text is kept as one record for provenance.
_INSTRUCTIONS = re.compile(r"说明|须知|注意事项|填表|填写|使用方法|instruction|readme|notes?$", re.I)


def is_instructions(sheet: Sheet) -> bool:
    """Named as instructions and written in one column (no table an opinion could hide in)."""
    return bool(sheet.name and _INSTRUCTIONS.search(sheet.name)) and all(
        sum(1 for v in values if cell_text(v)) <= 1 for _n, values in sheet.rows
    )


def headerless_records(sheet: Sheet, origin: str, label: str) -> list[RecordIn]:
    """Every non-empty row of a sheet without a header, quarantined: kept, never dropped.
    An instructions sheet is kept whole as one record that carries no comment."""
    if is_instructions(sheet):
        lines = [cell_text(v) for _n, values in sheet.rows for v in values if cell_text(v)]
        return [RecordIn(origin, f"sheet={sheet.name}", {"sheet": sheet.name, "lines": lines},
                         raw_text="\n".join(lines) or None)]
    records = []
    for number, values in sheet.rows:
        texts = [cell_text(v) for v in values]
        if not any(texts):
            continue
        payload = {f"列{i}": t for i, t in enumerate(texts, start=1) if t}
        records.append(
            RecordIn(
                origin, _locator(sheet, number), payload, raw_text="\t".join(texts).strip() or None,
                error=f"sheet {label!r} has no {HEADER_NEEDED}; {MAPPING_HINT}",
            )
        )
    return records


def read_spreadsheet(
    data: bytes,
    name: str,
    origin: str,
    *,
    kind: str,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
    decoded: tuple[list[list[str]], str] | None = None,
) -> tuple[SourceIn, list[RecordIn]]:
    """kind: "xlsx", "xls" or "csv" (``decoded``: its decode_csv result, if already read).
    Reads everything before returning (a bad file raises InputError before anything is stored)."""
    meta: dict[str, Any] = {"format": kind}
    if kind == "xlsx":
        sheets = load_xlsx(data, name)
    elif kind == "xls":
        sheets = load_xls(data, name)
    else:
        sheets, meta["encoding"] = load_csv(data, name, decoded)
    records: list[RecordIn] = []
    meta["sheets"] = {}
    headerless: list[tuple[Sheet, str]] = []
    hidden = [f"{s.name} ({s.hidden})" for s in sheets if s.hidden]
    for sheet in sheets:
        result = sheet_records(sheet, origin, mapping)
        label = sheet.name or name
        if result is None:
            if any(cell_text(v) for _n, row in sheet.rows for v in row):
                headerless.append((sheet, label))
            continue
        sheet_recs, info = result
        records.extend(sheet_recs)
        meta["sheets"][label] = info
    if not meta["sheets"]:
        named = "; ".join(repr(label) for _s, label in headerless) or "no sheet has any cells"
        raise InputError(f"{name}: no sheet has {HEADER_NEEDED} (sheets: {named}); {MAPPING_HINT}")
    for sheet, label in headerless:
        records.extend(headerless_records(sheet, origin, label))
    if headerless:
        meta["sheets_instructions"] = [label for s, label in headerless if is_instructions(s)]
        meta["sheets_quarantined"] = [label for s, label in headerless if not is_instructions(s)]
    if hidden:
        meta["sheets_hidden"] = hidden
    source = SourceIn(
        channel=channel or "form",
        name=name,
        origin=origin,
        fingerprint=file_fingerprint(data),
        contact_point=contact_point,
        meta=meta,
    )
    return source, records


def looks_like_zip_workbook(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return "xl/workbook.xml" in z.namelist()
    except zipfile.BadZipFile:
        return False
