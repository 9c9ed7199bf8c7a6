"""Large files read in bounded memory: JSON Lines, CSV, .xlsx and mbox, one record at a time.

``collectors.importers.read_sources`` reads a whole file into memory before anything is
stored, which is right for the forms of a contact point and wrong for a national draft's
export of a million comments. A file over ``STREAM_ABOVE_BYTES`` whose kind can be streamed
is read here instead: ``stream_sources(path)`` yields each source with a lazy iterator of its
records, and ``models.ingest.ingest`` stores them in chunks as they come.

The records are the ones the in-memory readers give for the same file (same locators,
payloads, identities), so a re-import is recognised whichever way the file was read; the
source's meta that depends on all rows (sheet info, message count) is filled in when its
records are exhausted. What takes memory is bounded per record, not per file: a workbook's
shared strings are kept in a temporary file, not in a list; an mbox is cut into messages
as it is read. The attachments of a streamed mbox are read in memory (each is one file).

A file that turns out unreadable part-way raises InputError naming the line, row or message
after which it failed; the caller's transaction then drops what was stored of it.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import tempfile
import zipfile
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from collectors.importers.encoding import decode_bytes
from minyi.core.errors import InputError
from minyi.core.records import RecordIn, SourceIn, origin_hash

# Files up to this size are read whole (every reader, every edge case); larger ones of a
# streamable kind are streamed.
STREAM_ABOVE_BYTES = 32 * 1024 * 1024
# A streamed workbook is not held in memory, so it may unpack to more than an in-memory one
# (a 500,000-row form is about 300 MiB of XML); past this it is refused as a zip bomb.
MAX_STREAMED_UNCOMPRESSED_BYTES = 4 * 1024 * 1024 * 1024
# Spreadsheet XML packs 5–20 to one; far beyond that a workbook is padded to explode.
MAX_ZIP_RATIO = 100
STREAMABLE_KINDS = ("jsonl", "csv", "xlsx", "mbox")
_SAMPLE_BYTES = 1024 * 1024
_READ_BYTES = 256 * 1024
Streamed = Iterator[tuple[SourceIn, Iterator[RecordIn]]]


class NotStreamable(Exception):
    """The file needs the in-memory reader after all (e.g. its header is not near the top)."""


# --- what the file is -----------------------------------------------------------------------


def streamed_kind(path: str | Path, *, stream_above: int = STREAM_ABOVE_BYTES) -> str | None:
    """The kind to stream ``path`` as, or None when it is read whole."""
    from collectors.importers import sniff_kind
    from collectors.importers.bundle import is_bundle

    path = Path(path)
    try:
        size = path.stat().st_size
        with open(path, "rb") as fh:
            head = fh.read(4096)
    except OSError:
        return None  # the in-memory reader says what is wrong with it
    if head.startswith(b"PK\x03\x04"):
        # A workbook is judged by what it unpacks to (a 500,000-row form is 20 MiB on disk
        # and 300 MiB of XML). A lower level's feedback document is a few hundred rows: a
        # workbook this large is a form.
        members = _zip_members(path)
        unpacked = sum(members.values())
        if unpacked > MAX_ZIP_RATIO * size:
            return None  # not a spreadsheet's ratio: the in-memory reader refuses the zip bomb
        return "xlsx" if unpacked > stream_above and "xl/workbook.xml" in members else None
    if size <= stream_above:
        return None
    if is_bundle(head):
        return None
    try:
        kind = sniff_kind(head, path.name)
    except InputError:
        return None
    return kind if kind in ("jsonl", "csv", "mbox") else None


def _zip_members(path: Path) -> dict[str, int]:
    """Member name → unpacked size, from the central directory only."""
    try:
        with zipfile.ZipFile(path) as z:
            return {info.filename: info.file_size for info in z.infolist()}
    except (zipfile.BadZipFile, OSError):
        return {}


def fingerprint_and_encoding(path: Path) -> tuple[str, str]:
    """The file's SHA-256 (as ``file_fingerprint``) and the encoding ``decode_bytes`` would
    find, in one pass: UTF-8 is checked incrementally; otherwise a sample is judged."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8")()
    valid = True
    head = b""
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_BYTES):
            if not head:
                head = chunk
            digest.update(chunk)
            if valid:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    valid = False
    if head.startswith(codecs.BOM_UTF8):
        return digest.hexdigest(), "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return digest.hexdigest(), "utf-16"
    if valid:
        return digest.hexdigest(), "utf-8"
    sample = head[:_SAMPLE_BYTES]
    sample = sample[: sample.rfind(b"\n") + 1] or sample  # whole lines: no cut character
    return digest.hexdigest(), decode_bytes(sample)[1]


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_READ_BYTES):
            digest.update(chunk)
    return digest.hexdigest()


# --- the stream -----------------------------------------------------------------------------


def stream_sources(
    path: str | Path,
    kind: str,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Streamed:
    """Each source of ``path`` (an mbox's attachments after it) with a lazy iterator of its
    records, identified as ``identify_records`` would. Raises NotStreamable before yielding
    anything when the in-memory reader must read the file."""
    path = Path(path)
    name, origin = path.name, str(path)
    if kind == "xlsx":
        source, records = _xlsx(path, name, origin, channel, contact_point, mapping)
        yield source, _identified(source, records)
        return
    fingerprint, encoding = fingerprint_and_encoding(path)
    if kind == "jsonl":
        source = SourceIn(channel or "other", name, origin, fingerprint, contact_point,
                          {"format": "plain-jsonl", "encoding": encoding})
        yield source, _identified(source, _jsonl(path, origin, encoding))
    elif kind == "csv":
        source, records = _csv(path, name, origin, fingerprint, encoding, channel, contact_point, mapping)
        yield source, _identified(source, records)
    elif kind == "mbox":
        children: list[tuple[SourceIn, list[RecordIn]]] = []
        source = SourceIn(channel or "email", name, origin, fingerprint, contact_point, {"format": "mbox"})
        yield source, _identified(source, _mbox(path, name, origin, fingerprint, source, children,
                                                channel, contact_point, mapping))
        for child, records in children:  # read_bytes identified them already
            yield child, iter(records)
    else:
        raise NotStreamable(kind)


def _identified(source: SourceIn, records: Iterable[RecordIn]) -> Iterator[RecordIn]:
    """Records with their identity; an unreadable part raises InputError naming where."""
    last = None
    try:
        for record in records:
            if record.content_hash is None:
                record.content_hash = origin_hash(source.name, record.locator, record.payload)
            last = record.locator
            yield record
    except InputError:
        raise
    except Exception as exc:  # a container broken part-way: zip, XML, decoding …
        where = f"after {last}" if last else "at its start"
        raise InputError(
            f"{source.name}: cannot be read {where}: {exc}; nothing of the file was imported",
            message_zh=f"{source.name}：文件在 {last or '开头'} 之后无法读取，未导入任何内容",
        ) from exc


def _text_lines(path: Path, encoding: str, newline: str) -> Iterator[str]:
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline=newline) as fh:
        yield from fh


def _jsonl(path: Path, origin: str, encoding: str) -> Iterator[RecordIn]:
    from collectors.importers.plain import jsonl_record

    # newline="\n": lines end at "\n" only, as in read_jsonl (U+2028 is legal inside JSON).
    for n, line in enumerate(_text_lines(path, encoding, "\n"), start=1):
        line = line.removesuffix("\n").removesuffix("\r")
        if line.strip():
            yield jsonl_record(line, n, origin)


# --- CSV ------------------------------------------------------------------------------------


def csv_rows(path: Path, name: str, encoding: str) -> Iterator[tuple[list[str], str | None]]:
    """(row, problem) as ``decode_csv`` reads them, one at a time: a quoted field that
    swallowed whole lines (an unbalanced quote) is undone and its first line marked."""
    from collectors.importers.spreadsheet import _swallowed_rows

    sample = "".join(_head_text(path, encoding, 4096))
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    lines = _text_lines(path, encoding, "")
    pending: list[str] = []  # physical lines of the row being read

    def tee() -> Iterator[str]:
        for line in lines:
            pending.append(line)
            yield line

    width = 0
    line_no = 0  # physical lines before the row being read
    while True:
        reader = csv.reader(tee(), delimiter=delimiter)
        try:
            for row in reader:
                taken, pending[:] = list(pending), []
                if not width:
                    width = len(row)
                if len(taken) > 1 and _swallowed_rows(row, delimiter, width):
                    yield from _reread(taken, delimiter, line_no + 1)
                else:
                    yield row, None
                line_no += len(taken)
            return
        except csv.Error as exc:
            taken, pending[:] = list(pending), []
            if not taken or '"' not in taken[0]:
                raise InputError(f"{name}: not a readable CSV file (line {line_no + 1}): {exc}") from exc
            # A quote that never closes ran into the field size limit: that line alone is
            # quarantined, reading goes on with the lines after it.
            yield from _reread(taken[:1], delimiter, line_no + 1)
            line_no += 1
            lines = _chain(taken[1:], lines)


def _chain(first: list[str], rest: Iterator[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _reread(lines: list[str], delimiter: str, line_no: int) -> Iterator[tuple[list[str], str | None]]:
    for offset, raw in enumerate(lines):
        parsed = next(csv.reader([raw.rstrip("\r\n")], delimiter=delimiter), [])
        problem = None
        if offset == 0:
            problem = (f"line {line_no}: an unbalanced quote (\") merged the rows after it into this one; "
                       "they were read on their own — correct the quote in this row")
        yield parsed, problem


def _head_text(path: Path, encoding: str, chars: int) -> Iterator[str]:
    with open(path, "rb") as raw, io.TextIOWrapper(raw, encoding=encoding, errors="replace", newline="") as fh:
        yield fh.read(chars)


def _csv(path: Path, name: str, origin: str, fingerprint: str, encoding: str, channel: str | None,
         contact_point: str | None, mapping: dict[str, str] | None) -> tuple[SourceIn, Iterator[RecordIn]]:
    from collectors.importers.plain import is_plain_header

    rows = enumerate(csv_rows(path, name, encoding), start=1)
    head = [next(rows, None) for _ in range(_header_rows())]
    head = [h for h in head if h is not None]
    if head and is_plain_header(head[0][1][0]) and not mapping:
        source = SourceIn(channel or "other", name, origin, fingerprint, contact_point,
                          {"format": "plain-csv", "encoding": encoding})
        return source, _plain_csv(head, rows, origin)
    meta: dict[str, Any] = {"format": "csv", "encoding": encoding, "sheets": {}}
    source = SourceIn(channel or "form", name, origin, fingerprint, contact_point, meta)
    numbered = [(n, row) for n, (row, _p) in head]
    problems = {n: p for n, (_row, p) in head if p}
    _require_header(name, numbered, mapping)
    return source, _form_rows(None, name, numbered, problems, _unpack(rows, problems), origin, mapping, meta)


def _require_header(label: str, head: list[tuple[int, list[Any]]],
                    mapping: dict[str, str] | None) -> tuple[int, dict[str, int]]:
    """The header among the first rows; a form whose header is further down (or missing)
    is read whole, by the reader that searches the whole sheet and says what is wrong."""
    from collectors.importers.spreadsheet import _best_header

    found = _best_header(head, 0, len(head), mapping)
    if found is None:
        raise NotStreamable(f"{label}: no header in the first {len(head)} rows")
    return found


def _header_rows() -> int:
    from collectors.importers.spreadsheet import HEADER_SEARCH_ROWS

    return HEADER_SEARCH_ROWS


def _unpack(rows: Iterator[tuple[int, tuple[list[str], str | None]]], problems: dict[int, str]) -> Iterator[tuple[int, list[Any]]]:
    for n, (row, problem) in rows:
        if problem:
            problems[n] = problem
        yield n, row


def _plain_csv(head: list[Any], rows: Iterator[Any], origin: str) -> Iterator[RecordIn]:
    from collectors.importers.plain import plain_csv_record, plain_keys

    keys = plain_keys(head[0][1][0])
    for n, (row, problem) in _chain(head[1:], rows):
        record = plain_csv_record(keys, row, n, origin, problem)
        if record is not None:
            yield record


def _form_rows(sheet_name: str | None, label: str, head: list[tuple[int, list[Any]]], problems: dict[int, str],
               rest: Iterator[tuple[int, list[Any]]], origin: str, mapping: dict[str, str] | None,
               meta: dict[str, Any]) -> Iterator[RecordIn]:
    """The records of a form whose header is among its first rows (``head``)."""
    from collectors.importers.spreadsheet import HeaderedRows

    idx, columns = _require_header(label, head, mapping)
    rows = HeaderedRows(sheet_name, problems, head[idx], columns, origin)
    for number, values in _chain(head[idx + 1:], rest):
        record = rows.record(number, values)
        if record is not None:
            yield record
    meta["sheets"][sheet_name or label] = rows.info()


# --- .xlsx ----------------------------------------------------------------------------------


class DiskStrings:
    """A workbook's shared strings in a temporary file, looked up by index: the table of a
    500,000-row form holds every opinion once, too much to keep as a list."""

    def __init__(self, src: Any) -> None:
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import iterparse

        self.file = tempfile.TemporaryFile()
        self.offsets = array("q", [0])
        tag = "{%s}si" % SHEET_MAIN_NS
        for _ev, node in iterparse(src):
            if node.tag == tag:
                text = Text.from_tree(node).content.replace("x005F_", "")  # as read_string_table
                node.clear()
                self.file.write(text.encode("utf-8"))
                self.offsets.append(self.file.tell())

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, i: int) -> str:
        start, end = self.offsets[i], self.offsets[i + 1]
        self.file.seek(start)
        return self.file.read(end - start).decode("utf-8")


def _load_streaming_workbook(path: Path) -> Any:
    from openpyxl.reader.excel import SHARED_STRINGS, ExcelReader

    class Reader(ExcelReader):  # type: ignore[misc]
        def read_strings(self) -> None:
            ct = self.package.find(SHARED_STRINGS)
            if ct is not None:
                with self.archive.open(ct.PartName[1:]) as src:
                    self.shared_strings = DiskStrings(src)

    reader = Reader(str(path), read_only=True, keep_vba=False, data_only=True, keep_links=False)
    reader.read()
    return reader.wb


def _check_streamed_zip(path: Path, name: str) -> None:
    with zipfile.ZipFile(path) as z:
        total = sum(info.file_size for info in z.infolist())
    if total > MAX_STREAMED_UNCOMPRESSED_BYTES:
        raise InputError(
            f"{name}: unpacks to {total // (1024 * 1024)} MiB, over the limit of "
            f"{MAX_STREAMED_UNCOMPRESSED_BYTES // (1024 * 1024)} MiB (a zip bomb, or split the file)",
            message_zh=f"{name}：文件解压后过大，已拒绝导入",
        )


def _xlsx(path: Path, name: str, origin: str, channel: str | None, contact_point: str | None,
          mapping: dict[str, str] | None) -> tuple[SourceIn, Iterator[RecordIn]]:
    from collectors.importers.spreadsheet import HEADER_SEARCH_ROWS

    _check_streamed_zip(path, name)
    try:
        book = _load_streaming_workbook(path)
    except Exception as exc:
        raise InputError(f"{name}: not a readable .xlsx workbook (corrupt file?): {exc}") from exc
    extras = sheet_extras(path)
    # The in-memory reader would keep a headerless sheet in quarantine or as instructions;
    # a large workbook with one is read by it (rare: a form of this size is one table).
    heads = []
    for ws in book.worksheets:
        ws.reset_dimensions()  # a wrong <dimension> must not cut rows off
        rows = _xlsx_rows(ws, extras.get(ws.title, ((), [])))
        head = [r for _i, r in zip(range(HEADER_SEARCH_ROWS), rows)]
        if head:
            _require_header(ws.title, head, mapping)
            heads.append((ws, head, rows))
    if not heads:
        raise NotStreamable(f"{name}: no sheet has any cells")
    meta: dict[str, Any] = {"format": "xlsx", "sheets": {}}
    hidden = [f"{ws.title} ({ws.sheet_state})" for ws in book.worksheets if ws.sheet_state in ("hidden", "veryHidden")]
    if hidden:
        meta["sheets_hidden"] = hidden
    source = SourceIn(channel or "form", name, origin, file_digest(path), contact_point, meta)

    def records() -> Iterator[RecordIn]:
        for ws, head, rows in heads:
            problems = {r: _UNCACHED for r in extras.get(ws.title, ((), []))[0]}
            yield from _form_rows(ws.title, ws.title, head, problems, rows, origin, mapping, meta)
        book.close()

    return source, records()


_UNCACHED = ("a formula cell in this row has no cached value (the file was saved by a program "
             "that does not calculate formulas); open it in Excel or WPS, save, and import again")


def _xlsx_rows(ws: Any, extra: tuple[Iterable[int], list[tuple[int, int, int]]]) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells up to the row's last value) of the rows that hold a value, with a
    vertically merged cell filled down its first column, as ``load_xlsx`` lays them out."""
    merges = extra[1]
    tops: dict[tuple[int, int, int], Any] = {}
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = list(values)
        while cells and cells[-1] is None:
            cells.pop()
        if not cells:
            continue
        for rng in merges:
            min_row, max_row, col = rng
            if number == min_row and col <= len(cells) and cells[col - 1] is not None:
                tops[rng] = cells[col - 1]
            elif min_row < number <= max_row and rng in tops:
                cells += [None] * (col - len(cells))
                if cells[col - 1] is None:
                    cells[col - 1] = tops[rng]
        yield number, cells


_FORMULA_OR_MERGE = re.compile(rb"<(?:\w+:)?f[ >/]|<(?:\w+:)?mergeCell[ >/]")


def sheet_extras(path: Path) -> dict[str, tuple[set[int], list[tuple[int, int, int]]]]:
    """Sheet name → (rows with a formula without cached value, vertical merges as
    (first row, last row, column)), read from the XML as a stream; most large exports have
    neither and are only scanned."""
    from lxml import etree
    from openpyxl.utils.cell import range_boundaries

    from collectors.importers.spreadsheet import SHEET_NS, sheet_members

    ns = SHEET_NS
    out: dict[str, tuple[set[int], list[tuple[int, int, int]]]] = {}
    with zipfile.ZipFile(path) as z:
        for sheet_name, member in sheet_members(z):
            if not _mentions(z, member):
                continue
            uncached: set[int] = set()
            merges: list[tuple[int, int, int]] = []
            with z.open(member) as fh:
                for _ev, el in etree.iterparse(fh, tag=(f"{ns}c", f"{ns}mergeCell"), huge_tree=True):
                    if el.tag == f"{ns}mergeCell":
                        min_col, min_row, _max_col, max_row = range_boundaries(el.get("ref") or "A1")
                        if max_row != min_row:
                            merges.append((min_row, max_row, min_col))
                    elif el.find(f"{ns}f") is not None:
                        v = el.find(f"{ns}v")
                        if v is None or not (v.text or "").strip():
                            m = re.match(r"[A-Z]+(\d+)$", el.get("r") or "")
                            if m:
                                uncached.add(int(m.group(1)))
                    el.clear()
            out[sheet_name] = (uncached, merges)
    return out


def _mentions(z: zipfile.ZipFile, member: str) -> bool:
    """Whether the sheet's XML holds a formula or a merged range (scanned in blocks)."""
    tail = b""
    with z.open(member) as fh:
        while block := fh.read(_READ_BYTES):
            if _FORMULA_OR_MERGE.search(tail + block):
                return True
            tail = block[-32:]
    return False


# --- mbox -----------------------------------------------------------------------------------


def _mbox(path: Path, name: str, origin: str, fingerprint: str, source: SourceIn,
          children: list[tuple[SourceIn, list[RecordIn]]], channel: str | None, contact_point: str | None,
          mapping: dict[str, str] | None) -> Iterator[RecordIn]:
    from email import policy
    from email.parser import BytesParser

    from collectors.importers.email import mbox_messages, message_records

    count = 0
    with open(path, "rb") as fh:
        for n, data in enumerate(mbox_messages(fh), start=1):
            msg = BytesParser(policy=policy.compat32).parsebytes(data)
            for record in message_records(msg, n, origin, fingerprint, children, channel=channel,
                                          contact_point=contact_point, mapping=mapping):
                count += 1
                yield record
    if not count:
        raise InputError(f"{name}: no messages found in the mbox file")
    source.meta["messages"] = count


__all__ = ["STREAM_ABOVE_BYTES", "NotStreamable", "stream_sources", "streamed_kind"]
