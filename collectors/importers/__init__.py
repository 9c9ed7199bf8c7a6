"""Importers for the files contact points gather opinions in.

``read_file(path)`` turns one file into a ``SourceIn`` and its ``RecordIn``s, choosing the
reader by extension and by content (a CSV saved as .xlsx, a workbook under .csv …):

* .xlsx/.xls/.csv forms and questionnaires → ``spreadsheet`` (channel "form")
* minyi's plain JSONL, or CSV with a ``text`` column → ``plain`` (channel "other")
* .docx symposium minutes → ``minutes`` (channel "symposium")
* .eml/.mbox letters → ``email`` (channel "email"; importable attachments become child sources)

``import_files`` reads every file completely first — a corrupt or password-protected file
raises InputError naming it before anything is written — and then stores everything with
``models.ingest.ingest``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from collectors.importers.columns import parse_mapping
from collectors.records import RecordIn, SourceIn
from minyi.errors import InputError
from models.entities import CHANNELS
from models.ingest import IngestSummary, ingest

IMPORTABLE_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".csv", ".tsv", ".docx", ".eml", ".mbox", ".jsonl", ".ndjson")
Read = list[tuple[SourceIn, list[RecordIn]]]


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


def read_bytes(
    data: bytes,
    name: str,
    origin: str,
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> Read:
    """Every source in one input (an e-mail brings its attachments), records fully read."""
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    kind = sniff_kind(data, name)
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
    if not path.exists():
        raise InputError(f"{path}: no such file")
    if path.is_dir():
        raise InputError(f"{path}: is a folder; name the files to import")
    try:
        return path.read_bytes()
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
    _check_channel(channel)
    return read_bytes(
        _load(path),
        Path(path).name,
        str(path),
        channel=channel,
        contact_point=contact_point,
        mapping=parse_mapping(mapping),
    )


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


def _check_channel(channel: str | None) -> None:
    if channel is not None and channel not in CHANNELS:
        raise InputError(f"--channel {channel!r} is not one of {', '.join(CHANNELS)}")


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; a folder stands for the importable files directly inside it."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.iterdir() if f.is_file() and f.suffix.lower() in IMPORTABLE_EXTENSIONS))
        else:
            out.append(p)
    return out


@dataclass
class ImportSummary:
    files: list[dict[str, Any]] = field(default_factory=list)
    imported: int = 0
    skipped: int = 0
    quarantined: int = 0
    containers: int = 0
    resolved: int = 0
    unresolved: int = 0
    quarantine: list[tuple[str, str | None, str]] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def records(self) -> int:
        return self.imported + self.skipped + self.quarantined + self.containers + self.unresolved

    def add(self, path: str, source: SourceIn, result: IngestSummary) -> None:
        self.imported += result.imported
        self.skipped += result.skipped
        self.quarantined += result.quarantined
        self.containers += result.containers
        self.resolved += result.resolved
        self.unresolved += result.unresolved
        self.quarantine.extend(result.quarantine)
        self.comment_ids.extend(result.comment_ids)
        entry = {"file": path, "source": source.name, "channel": source.channel, **result.to_dict()}
        entry.pop("comment_ids")
        self.files.append(entry)
        for sheet in source.meta.get("sheets_skipped", []):
            self.notes.append(f"{source.name}: sheet {sheet!r} skipped (no header with an opinion column)")

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "imported": self.imported,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "containers": self.containers,
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "quarantine": [{"origin": o, "locator": loc, "reason": r} for o, loc, r in self.quarantine],
            "files": self.files,
            "notes": self.notes,
            "comment_ids": self.comment_ids,
        }


def import_files(
    session: Session,
    consultation_id: int,
    paths: Iterable[str | Path],
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: str | dict[str, str] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    """Read every file, then store all records in ``consultation_id``.

    ``progress(done, total)`` is called as records are stored. Nothing is written when a
    file cannot be read; the caller commits (``session_scope``).
    """
    from models.store import get_consultation

    get_consultation(session, consultation_id)
    _check_channel(channel)
    parsed_mapping = parse_mapping(mapping)
    files = expand_paths(paths)
    if not files:
        raise InputError("no files to import")
    read = [
        (str(p), read_sources(p, channel=channel, contact_point=contact_point, mapping=parsed_mapping))
        for p in files
    ]
    total = sum(len(records) for _p, sources in read for _s, records in sources)
    done = 0
    summary = ImportSummary()
    if progress:
        progress(0, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    for path, sources in read:
        for source, records in sources:
            summary.add(path, source, ingest(session, consultation_id, source, records, progress=advance))
    return summary


__all__ = [
    "IMPORTABLE_EXTENSIONS",
    "ImportSummary",
    "import_files",
    "read_bytes",
    "read_file",
    "read_sources",
    "sniff_kind",
]
