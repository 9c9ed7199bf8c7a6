"""Opinion forms (意见征集表) and questionnaire exports: .xlsx, .xls, .csv.

Each sheet is searched for its header row (forms put a title, merged cells and notes above
it); sheets without a recognisable header (instructions, 填表说明) are skipped and named in
Source.meta. Every non-empty row below the header becomes one RecordIn whose payload is the
row's cells as strings keyed by header and whose locator is "sheet=…;row=N" with the row
number a person sees in Excel.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
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
from collectors.records import RecordIn, SourceIn, file_fingerprint
from minyi.errors import InputError

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Stream names (UTF-16LE in the OLE directory) of an encrypted Office document.
_ENCRYPTED_MARKERS = ("EncryptionInfo".encode("utf-16-le"), "EncryptedPackage".encode("utf-16-le"))
HEADER_SEARCH_ROWS = 30


@dataclass
class Sheet:
    name: str | None  # None for CSV (locator "row=N")
    rows: list[tuple[int, list[Any]]]  # (row number as shown in Excel, cell values)


def is_encrypted_ole(data: bytes) -> bool:
    return data.startswith(OLE_MAGIC) and any(m in data for m in _ENCRYPTED_MARKERS)


# --- loading ------------------------------------------------------------------------


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
    sheets = []
    for ws in book.worksheets:
        rows = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        for rng in ws.merged_cells.ranges:
            # Fill a vertically merged cell down its first column: a 条款 cell merged over
            # three opinions belongs to each of them. Horizontal merges (titles) stay as is.
            if rng.max_row == rng.min_row:
                continue
            top = rows[rng.min_row - 1][rng.min_col - 1] if rng.min_row <= len(rows) else None
            for r in range(rng.min_row + 1, min(rng.max_row, len(rows)) + 1):
                if rng.min_col - 1 < len(rows[r - 1]):
                    rows[r - 1][rng.min_col - 1] = top
        sheets.append(Sheet(ws.title, list(enumerate(rows, start=1))))
    book.close()
    return sheets


def load_xls(data: bytes, name: str) -> list[Sheet]:
    import xlrd

    if is_encrypted_ole(data):
        raise InputError(f"{name}: the workbook is password-protected; save it without a password")
    try:
        book = xlrd.open_workbook(file_contents=data, formatting_info=False)
    except Exception as exc:  # XLRDError ("Workbook is encrypted"), CompDocError …
        raise InputError(f"{name}: not a readable .xls workbook: {exc}") from exc
    sheets = []
    for sh in book.sheets():
        rows = []
        for r in range(sh.nrows):
            values = []
            for c in range(sh.ncols):
                cell = sh.cell(r, c)
                if cell.ctype == xlrd.XL_CELL_DATE:
                    try:
                        values.append(xlrd.xldate_as_datetime(cell.value, book.datemode))
                    except Exception:
                        values.append(cell.value)
                elif cell.ctype == xlrd.XL_CELL_ERROR:
                    values.append(xlrd.error_text_from_code.get(cell.value, "#VALUE!"))
                elif cell.ctype == xlrd.XL_CELL_EMPTY:
                    values.append(None)
                else:
                    values.append(cell.value)
            rows.append((r + 1, values))
        for r0, r1, c0, c1 in sh.merged_cells:
            for r in range(r0 + 1, r1):
                rows[r][1][c0] = rows[r0][1][c0]
        sheets.append(Sheet(sh.name, rows))
    return sheets


def decode_csv(data: bytes, name: str) -> tuple[list[list[str]], str]:
    """Rows and the encoding found; a file the csv module cannot read is an InputError."""
    text, encoding = decode_bytes(data)
    sample = text[:4096]
    try:
        dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        return [row for row in reader], encoding
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise InputError(f"{name}: not a readable CSV file: {exc}") from exc


def load_csv(
    data: bytes, name: str, decoded: tuple[list[list[str]], str] | None = None
) -> tuple[list[Sheet], str]:
    """``decoded``: decode_csv(data) when the caller already has it."""
    rows, encoding = decoded if decoded is not None else decode_csv(data, name)
    return [Sheet(None, list(enumerate(rows, start=1)))], encoding


# --- header and rows ----------------------------------------------------------------


def find_header(
    rows: Sequence[tuple[int, list[Any]]], mapping: dict[str, str] | None
) -> tuple[int, dict[str, int]] | None:
    """(index into rows, field → column) of the most convincing header near the top."""
    best: tuple[int, dict[str, int]] | None = None
    best_score = 0
    for idx, (_n, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        found = recognise_header(cells, mapping)
        score = header_score(found)
        if not score and mapping and "text" in mapping and "text" in found:
            score = 1  # the user named the opinion column: that alone is enough
        if score > best_score:
            best, best_score = (idx, found), score
    return best


def _is_blank(texts: Sequence[str], found: dict[str, int]) -> bool:
    """Nothing but (at most) a pre-printed 序号: a form's unused template row."""
    seq = found.get("seq")
    return all(t == "" for i, t in enumerate(texts) if i != seq)


def sheet_records(
    sheet: Sheet, origin: str, mapping: dict[str, str] | None
) -> tuple[list[RecordIn], dict[str, Any]] | None:
    """The records of one sheet and what was recognised, or None for a sheet without a header."""
    header = find_header(sheet.rows, mapping)
    if header is None:
        return None
    idx, found = header
    header_row_number, header_cells = sheet.rows[idx]
    width = max([len(header_cells)] + [len(v) for _n, v in sheet.rows[idx + 1:]])
    keys = payload_keys(list(header_cells) + [None] * (width - len(header_cells)))
    header_texts = [cell_text(c) for c in header_cells]
    records = []
    for number, values in sheet.rows[idx + 1:]:
        values = list(values) + [None] * (width - len(values))
        texts = [cell_text(v) for v in values]
        if _is_blank(texts, found) or texts[: len(header_texts)] == header_texts:
            continue  # empty row, or the header repeated on a printed page
        payload = {k: t for k, t in zip(keys, texts) if t or k in header_texts}
        comment, _meta = comment_from_fields(row_fields(values, found))
        locator = f"sheet={sheet.name};row={number}" if sheet.name is not None else f"row={number}"
        records.append(
            RecordIn(origin=origin, locator=locator, payload=payload, raw_text=comment.text or None, comment=comment)
        )
    info = {
        "header_row": header_row_number,
        "columns": {field: keys[i] for field, i in found.items()},
        "records": len(records),
    }
    return records, info


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
    meta["sheets"], skipped = {}, []
    for sheet in sheets:
        result = sheet_records(sheet, origin, mapping)
        label = sheet.name or name
        if result is None:
            if any(cell_text(v) for _n, row in sheet.rows for v in row):
                skipped.append(label)
            continue
        sheet_recs, info = result
        records.extend(sheet_recs)
        meta["sheets"][label] = info
    if not meta["sheets"]:
        raise InputError(
            f"{name}: no sheet has a header row with an opinion column "
            "(修改意见/意见建议/具体意见/意见内容/建议) and one more known column; "
            "name the columns with --mapping text=COLUMN,author=COLUMN"
        )
    if skipped:
        meta["sheets_skipped"] = skipped
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
