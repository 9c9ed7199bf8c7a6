"""Importers for the files contact points gather opinions in.

``read_file(path)`` turns one file into a ``SourceIn`` and its ``RecordIn``s, choosing the
reader by extension and by content (a CSV saved as .xlsx, a workbook under .csv …):

* .xlsx/.xls/.csv forms and questionnaires → ``spreadsheet`` (channel "form")
* minyi's plain JSONL, or CSV with a ``text`` column → ``plain`` (channel "other")
* .docx symposium minutes → ``minutes`` (channel "symposium")
* .eml/.mbox letters → ``email`` (channel "email"; importable attachments become child sources)
* a lower level's feedback bundle (JSON) or feedback document (.docx/.xlsx table with 人数)
  → ``bundle`` / ``feedback_table`` (one comment per row, standing for its people)

Hostile files are bounded before a reader sees them: only regular files are read (a FIFO
or device would block forever), a folder's symlinks are not followed out of it unless
asked, and a zip container (.xlsx/.docx) whose members would unpack to more than
``MAX_UNCOMPRESSED_BYTES`` (a zip bomb) is refused with one line naming the file.

Readers only read: bytes in, records out. Storing them (after every file has been read,
so a corrupt file stops the import before anything is written) is the application layer's
intake workflow.
"""

from __future__ import annotations

import io
import os
import re
import stat
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from collectors.importers.columns import parse_mapping
from minyi.core.errors import InputError
from minyi.core.records import RecordIn, SourceIn, origin_hash
from minyi.core.vocab import CHANNELS

IMPORTABLE_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".docx", ".eml", ".mbox", ".jsonl", ".ndjson")
Read = list[tuple[SourceIn, list[RecordIn]]]
# The most a zip container (.xlsx, .docx) may unpack to: a real form of 100,000 opinions is
# well under it; a zip bomb is refused before anything is unpacked.
MAX_UNCOMPRESSED_BYTES = 256 * 1024 * 1024
# The most a single input file may weigh.
MAX_FILE_BYTES = 512 * 1024 * 1024


def check_zip_size(data: bytes, name: str) -> None:
    """InputError when the zip container in ``data`` would unpack past the limit (the
    sizes its directory declares bound what the zip module will inflate)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            total = sum(info.file_size for info in z.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: the reader says so
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InputError(
            f"{name}: unpacks to {total // (1024 * 1024)} MiB, over the limit of "
            f"{MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MiB (a zip bomb, or split the file)",
            message_zh=f"{name}：文件解压后过大，已拒绝导入",
        )


def sniff_kind(data: bytes, name: str) -> str:
    """xlsx / xls / csv / jsonl / docx / eml / mbox: the content decides when it is clear,
    the extension otherwise."""
    from collectors.importers.spreadsheet import OLE_MAGIC

    ext = Path(name).suffix.lower()
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            names = set()
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
    if data.startswith(OLE_MAGIC):
        if ext in (".doc", ".docx"):
            return "docx"  # an encrypted .docx is an OLE file too; the reader says so
        return "xlsx" if ext in (".xlsx", ".xlsm") else "xls"
    by_ext = {
        ".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv", ".tsv": "csv",
        ".docx": "docx", ".eml": "eml", ".mbox": "mbox", ".jsonl": "jsonl", ".ndjson": "jsonl",
    }
    if ext in by_ext:
        return by_ext[ext]
    head = data[:2048].lstrip()
    if head.startswith(b"From "):
        return "mbox"
    if re.match(rb"(?i)(return-path|received|from|to|subject|date|mime-version|message-id):", head):
        return "eml"
    if head.startswith(b"{"):
        return "jsonl"
    if ext in (".txt", ""):
        return "csv"
    raise InputError(
        f"{name}: cannot import {ext or 'this'} files; use one of {', '.join(IMPORTABLE_EXTENSIONS)}"
    )


def identify_records(read: Read) -> Read:
    """Give each record its identity: where it sits in which named file, and what it says
    (``origin_hash``: a re-saved workbook is recognised); readers with a better identity,
    e.g. an e-mail's Message-ID, set it first."""
    for source, records in read:
        for record in records:
            if record.content_hash is None:
                record.content_hash = origin_hash(source.name, record.locator, record.payload)
    return read


def read_bytes(
    data: bytes,
    name: str,
    origin: str,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Read:
    """Every source in one input (an e-mail brings its attachments), records fully read
    and identified (``identify_records``)."""
    return identify_records(
        _read_kind(data, name, origin, channel=channel, contact_point=contact_point, mapping=mapping)
    )


def _read_kind(
    data: bytes,
    name: str,
    origin: str,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Read:
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    if data.startswith(b"PK\x03\x04"):
        check_zip_size(data, name)
    from collectors.importers.bundle import is_bundle, read_bundle
    from collectors.importers.feedback_table import is_feedback_table, read_feedback_table

    if is_bundle(data):  # a lower level's feedback bundle, whatever its name
        return [read_bundle(data, name, origin, contact_point=contact_point)]
    kind = sniff_kind(data, name)
    if not mapping and is_feedback_table(data, kind):  # a lower level's feedback document
        return [read_feedback_table(data, name, origin, kind=kind, contact_point=contact_point)]
    if kind in ("xlsx", "xls"):
        from collectors.importers.spreadsheet import read_spreadsheet

        return [read_spreadsheet(data, name, origin, kind=kind, channel=channel, contact_point=contact_point, mapping=mapping)]
    if kind == "csv":
        from collectors.importers.plain import is_plain_header, read_plain
        from collectors.importers.spreadsheet import decode_csv, read_spreadsheet

        rows, encoding = decode_csv(data, name)
        if rows and is_plain_header(rows[0]) and not mapping:
            return [read_plain(data, name, origin, kind="csv", rows=rows, encoding=encoding, channel=channel, contact_point=contact_point)]
        return [
            read_spreadsheet(
                data, name, origin, kind="csv", channel=channel, contact_point=contact_point, mapping=mapping,
                decoded=(rows, encoding),
            )
        ]
    if kind == "jsonl":
        from collectors.importers.plain import read_plain

        return [read_plain(data, name, origin, kind="jsonl", channel=channel, contact_point=contact_point)]
    if kind == "docx":
        from collectors.importers.minutes import read_minutes

        return [read_minutes(data, name, origin, channel=channel, contact_point=contact_point, mapping=mapping)]
    from collectors.importers.email import read_email

    return read_email(data, name, origin, kind=kind, channel=channel, contact_point=contact_point, mapping=mapping)


def _load(path: str | Path) -> bytes:
    path = Path(path)
    try:
        info = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if stat.S_ISDIR(info.st_mode):
        raise InputError(f"{path}: is a folder; name the files to import")
    if not stat.S_ISREG(info.st_mode):
        # A FIFO, socket or device: reading it could block forever or never end.
        raise InputError(f"{path}: is not a regular file (a pipe, socket or device); import files only")
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"{path}: is {info.st_size // (1024 * 1024)} MiB, over the limit of {MAX_FILE_BYTES // (1024 * 1024)} MiB"
        )
    try:
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, open() must
        # not wait for a writer.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise InputError(f"{path}: is not a regular file; import files only")
            return fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def read_sources(
    path: str | Path,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: str | dict[str, str] | None = None,
) -> Read:
    """The file's source and records, then those of its importable attachments."""
    check_channel(channel)
    return read_bytes(
        _load(path),
        Path(path).name,
        str(path),
        channel=channel,
        contact_point=contact_point,
        mapping=parse_mapping(mapping),
    )


def open_sources(
    path: str | Path,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: str | dict[str, str] | None = None,
    stream_above: int | None = None,
) -> Read | Iterator[tuple[SourceIn, Iterable[RecordIn]]]:
    """``read_sources`` (a list: read whole), except that a large JSONL, CSV, .xlsx or mbox file (over
    ``stream.STREAM_ABOVE_BYTES``, or ``stream_above``) is streamed: its records are read
    while they are consumed (``collectors.importers.stream``), in bounded memory."""
    from collectors.importers import stream

    check_channel(channel)
    parsed = parse_mapping(mapping)
    limit = stream.STREAM_ABOVE_BYTES if stream_above is None else stream_above
    kind = stream.streamed_kind(path, stream_above=limit)
    if kind is not None:
        streamed = stream.stream_sources(path, kind, channel=channel, contact_point=contact_point, mapping=parsed)
        try:
            first = next(streamed)
        except stream.NotStreamable:
            pass  # read whole below
        else:
            return _then(first, streamed)
    return read_sources(path, channel=channel, contact_point=contact_point, mapping=parsed)


def _then(first: tuple[SourceIn, Iterable[RecordIn]],
          rest: Iterator[tuple[SourceIn, Iterable[RecordIn]]]) -> Iterator[tuple[SourceIn, Iterable[RecordIn]]]:
    yield first
    yield from rest


def read_file(
    path: str | Path,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: str | dict[str, str] | None = None,
) -> tuple[SourceIn, Iterator[RecordIn]]:
    """The file's own source and records (attachments of an e-mail: see read_sources)."""
    source, records = read_sources(path, channel=channel, contact_point=contact_point, mapping=mapping)[0]
    return source, iter(records)


def check_channel(channel: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise InputError(f"--channel {channel!r} is not one of {', '.join(CHANNELS)}")


def expand_paths(paths: Iterable[str | Path], *, follow_links: bool = False) -> list[Path]:
    """Files as given; a folder stands for the importable regular files directly inside
    it. A symlink in a folder that leads out of it is skipped unless ``follow_links``."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if _importable_in(f, p, follow_links)))
        else:
            out.append(p)
    return out


def _importable_in(f: Path, folder: Path, follow_links: bool) -> bool:
    if f.suffix.lower() not in IMPORTABLE_EXTENSIONS or not f.is_file():
        return False  # is_file(): regular files only (no FIFOs), links resolved
    if f.is_symlink() and not follow_links:
        return f.resolve().parent == folder.resolve()
    return True


__all__ = [
    "IMPORTABLE_EXTENSIONS",
    "check_channel",
    "expand_paths",
    "open_sources",
    "read_bytes",
    "read_file",
    "read_sources",
    "sniff_kind",
]
