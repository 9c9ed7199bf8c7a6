"""Intake: comments into a consultation from the files contact points gather them in, and
the quarantine of records that could not become comments.

``import_files(session, actor, consultation_id, paths)`` reads every file completely first
(``collectors.importers``) — a corrupt or password-protected file raises InputError naming
it before anything is written — then stores everything through ``models.ingest`` and writes
one audit row per file. Importing the same file again adds nothing.

A large JSONL, CSV, .xlsx or mbox file (``collectors.importers.stream``) is not read first but
streamed: its records are stored in chunks as they are read, in bounded memory, all in the
caller's transaction. A file found unreadable part-way raises InputError naming the row
after which it failed, and the caller's unit of work rolls back: nothing of the file (nor of
the others imported with it) stays behind.

``dismiss_quarantined`` takes a record that holds no opinion (a "无" row, a test line) out
of the quarantine with the reason, kept and audited.

The fix loop: ``export_quarantine`` writes the quarantined records to a CSV in minyi's plain
format with a ``quarantine_id`` column; the user corrects the text and imports the file
back with ``import_files``, which takes each fixed record out of quarantine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from collectors.importers import check_channel, expand_paths, open_sources
from collectors.importers.columns import parse_mapping
from collectors.importers.plain import write_quarantine_csv
from minyi.core.errors import InputError, NotFoundError
from minyi.core.progress import Progress, no_progress
from minyi.core.records import SourceIn
from minyi.services.context import Actor, audit
from models.entities import RawRecord, Source
from models.ingest import IngestSummary, comment_entry, dismiss, ingest, list_quarantined, quarantine_entry
from models.rollup import settle_received
from models.ingest import list_comments as stored_comments
from models.store import get_consultation
from pipeline.mask import mask_text

IMPORT_STAGE = "import"  # progress: records stored of all records read
# Counts of an import, per file in the audit log and the summary.
COUNTS = ("records", "imported", "skipped", "quarantined", "containers", "resolved", "unresolved")
# Comment fields naming the person who wrote it, hidden from those who may not see them.
PERSONAL_FIELDS = ("author_name", "author_contact", "author_organisation")


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
        for sheet in source.meta.get("sheets_instructions", []):
            self.notes.append(f"{source.name}: sheet {sheet!r} read as instructions (kept, no opinions)")
        for sheet in source.meta.get("sheets_quarantined", []):
            self.notes.append(f"{source.name}: sheet {sheet!r} has no header with an opinion column; its rows are in quarantine")
        for sheet in source.meta.get("sheets_hidden", []):
            self.notes.append(f"{source.name}: hidden sheet {sheet} imported")

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


@dataclass
class QuarantineList:
    consultation: int
    records: list[dict[str, Any]]
    exported: str | None = None  # the fix file written, if any
    written: int | None = None  # rows in it

    @property
    def count(self) -> int:
        return len(self.records)

    def to_dict(self) -> dict[str, Any]:
        return {"consultation": self.consultation, "count": self.count, "records": self.records,
                "exported": self.exported}


@dataclass
class CommentList:
    consultation: int
    comments: list[dict[str, Any]]
    masked: bool = False  # personal data hidden: the actor may not see it

    def to_dict(self) -> dict[str, Any]:
        return {"consultation": self.consultation, "comments": self.comments, "masked": self.masked}


def import_files(
    session: Session,
    actor: Actor,
    consultation_id: int,
    paths: Iterable[str | Path],
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: str | dict[str, str] | None = None,
    progress: Progress = no_progress,
    stream_above: int | None = None,
) -> ImportSummary:
    """Read every file, then store all records in ``consultation_id``; see the module
    docstring. Nothing is written when a file cannot be read; the caller's unit of work
    commits. ``stream_above``: the size in bytes over which a file is streamed (default
    ``collectors.importers.stream.STREAM_ABOVE_BYTES``)."""
    consultation = get_consultation(session, consultation_id)
    actor.require("import", consultation)
    check_channel(channel)
    parsed_mapping = parse_mapping(mapping)
    files = expand_paths(paths)
    if not files:
        raise InputError("no files to import")
    read = [
        (str(p), open_sources(p, channel=channel, contact_point=contact_point, mapping=parsed_mapping,
                              stream_above=stream_above))
        for p in files
    ]
    # The total is known when every file was read whole; a streamed one is counted as it goes.
    total = None
    if all(isinstance(sources, list) for _p, sources in read):
        total = sum(len(records) for _p, sources in read for _s, records in sources)
    done = 0
    progress(IMPORT_STAGE, 0, total)

    def advance(n: int) -> None:
        nonlocal done
        done += n
        progress(IMPORT_STAGE, done, total)

    summary = ImportSummary()
    for path, sources in read:
        results = []
        for source, records in sources:
            result = ingest(session, consultation_id, source, records, progress=advance)
            summary.add(path, source, result)
            _settle_rollup(session, consultation_id, summary, source, result)
            results.append(result)
        _audit_file(session, actor, consultation_id, path, results)
    return summary


def _settle_rollup(session: Session, consultation_id: int, summary: ImportSummary, source: SourceIn,
                   result: IngestSummary) -> None:
    """A lower level's bundle or feedback table replaces that point's earlier one row by row
    (``models.rollup.settle_received``), so nothing is counted twice."""
    settled = settle_received(session, consultation_id, result.source_id)
    if settled is not None and settled.withdrawn:
        summary.notes.append(f"{source.name}: replaces the earlier feedback of {settled.sender}; "
                             f"{settled.withdrawn} changed or dropped row(s) withdrawn")


def _audit_file(
    session: Session, actor: Actor, consultation_id: int, path: str, results: list[IngestSummary]
) -> None:
    """One audit row per file (an e-mail's attachments count with it), on the file's source."""
    counts = {name: sum(getattr(r, name) for r in results) for name in COUNTS}
    audit(
        session, actor, "import", session.get(Source, results[0].source_id),
        consultation_id=consultation_id, after={"file": Path(path).name, **counts},
    )


@dataclass
class Dismissed:
    quarantine_id: int
    consultation: int
    reason: str
    was: str | None  # the quarantine reason it had

    def to_dict(self) -> dict[str, Any]:
        return {"quarantine_id": self.quarantine_id, "consultation": self.consultation,
                "reason": self.reason, "was": self.was, "status": "dismissed"}


def dismiss_quarantined(
    session: Session, actor: Actor, record_id: int, reason: str, *, consultation_id: int | None = None
) -> Dismissed:
    """Take quarantined record ``record_id`` out of the quarantine as holding no opinion,
    with ``reason`` (required); the record is kept (status "dismissed") and the decision
    audited. ``consultation_id``, when given, must be the record's."""
    raw = session.get(RawRecord, record_id)
    if raw is None or (consultation_id is not None and raw.consultation_id != consultation_id):
        raise NotFoundError(f"quarantined record {record_id} not found", message_zh=f"未找到待处理记录 {record_id}")
    consultation = get_consultation(session, raw.consultation_id)
    actor.require("import", consultation)
    was = raw.error
    before = {"status": raw.status, "error": raw.error}
    dismiss(session, raw.consultation_id, record_id, reason)
    audit(session, actor, "dismiss_quarantined", raw, consultation_id=raw.consultation_id,
          before=before, after={"status": raw.status, "error": raw.error})
    return Dismissed(record_id, raw.consultation_id, reason.strip(), was)


def list_quarantine(session: Session, actor: Actor, consultation_id: int) -> QuarantineList:
    """Records of the consultation still in quarantine, with the reason."""
    raws = _quarantined(session, actor, consultation_id)
    return QuarantineList(consultation_id, [quarantine_entry(r) for r in raws])


def export_quarantine(session: Session, actor: Actor, consultation_id: int, path: str | Path) -> QuarantineList:
    """Write the fix file (CSV, UTF-8 with BOM for Excel) of the records in quarantine."""
    raws = _quarantined(session, actor, consultation_id)
    written = write_quarantine_csv(raws, str(path))
    return QuarantineList(consultation_id, [quarantine_entry(r) for r in raws], exported=str(path), written=written)


def _quarantined(session: Session, actor: Actor, consultation_id: int) -> list[Any]:
    # Quarantined records are raw input, personal data and all: for those who import.
    actor.require("import", get_consultation(session, consultation_id))
    return list_quarantined(session, consultation_id)


def list_comments(
    session: Session, actor: Actor, consultation_id: int, *, limit: int | None = None
) -> CommentList:
    """Imported comments as received; personal data is masked for those who may not see it."""
    consultation = get_consultation(session, consultation_id)
    actor.require("read", consultation)
    entries = [comment_entry(c) for c in stored_comments(session, consultation_id, limit=limit)]
    if actor.sees_personal_data(consultation):
        return CommentList(consultation_id, entries)
    return CommentList(consultation_id, [_without_personal_data(e) for e in entries], masked=True)


def _without_personal_data(entry: dict[str, Any]) -> dict[str, Any]:
    out = {**entry, **dict.fromkeys(PERSONAL_FIELDS)}
    for name in ("text", "quoted_text", "reason"):
        if out.get(name):
            out[name] = mask_text(out[name])
    return out
