"""Store what importers and spiders read: every record as a RawRecord first, then its Comment.

``ingest`` is the one way records enter the database. Its promises:

* nothing is dropped: a record that cannot become a comment (the reader set ``error``, or the
  comment fails validation: empty text, "无", text over ``MAX_TEXT_CHARS``, U+FFFD from a
  broken encoding, an unreadable spreadsheet cell, an over-long name field) is stored as a
  RawRecord with ``status="quarantined"`` and the reason in ``error``;
* idempotent: a record is identified by ``RecordIn.hash_with(source fingerprint)`` (unique per
  consultation): importers identify records by their origin and content (file name +
  sheet/row, an e-mail's Message-ID), so importing the same file twice — or the same
  content in new bytes (a re-saved workbook, an mbox with one more message) — adds nothing
  the second time. A record stored under the older byte-based identity
  (``record_hash(fingerprint, locator, payload)``) is recognised too. A source all of
  whose records are already stored is not stored again;
* a record that carries neither a comment nor an error is a *container* (an e-mail that only
  carries attachments): it is stored, status "ok", for provenance, and has no Comment.

Quarantine resolution (``minyi comments quarantine --export fix.csv`` → edit → ``minyi comments
import fix.csv``): a comment whose ``meta["fixes_raw_record_id"]`` names a quarantined record
of the same consultation marks that record resolved: its status becomes "ok" and its
``error`` becomes ``"resolved: comment #<id>; was: <old reason>"`` (``RESOLVED_PREFIX``), so it
leaves the quarantine list and the history stays readable. The new comment points to the
fix file's own RawRecord.

Dismissal (``dismiss``): a quarantined record that is no opinion at all (an instructions
line, a test row, a "无" row) leaves the quarantine with status "dismissed" and
``error = "dismissed: <reason>; was: <old reason>"`` — kept, with who decided why in the
audit log.

Datetimes are stored naive in China Standard Time (UTC+8), the wall clock of forms and
minutes; aware datetimes (e-mail headers) are converted.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from minyi.core.records import (
    FIXES_KEY,
    PARENT_FINGERPRINT,
    PARENT_LOCATOR,
    UNEDITED_FIX_KEY,
    CommentIn,
    RecordIn,
    SourceIn,
    origin_hash,
    record_hash,
)
from minyi.core.errors import ConflictError, InputError, NotFoundError
from models.entities import CHANNELS, Comment, RawRecord, Source
from models.store import get_consultation, get_or_create_contact_point

MAX_TEXT_CHARS = 20_000
CHINA_TZ = timezone(timedelta(hours=8))
RESOLVED_PREFIX = "resolved: "
DISMISSED_PREFIX = "dismissed: "
_CHUNK = 500

# Cells that say "no opinion": storing them as comments would count people who said nothing.
NO_OPINION = frozenset(
    {"无", "没有", "无意见", "暂无", "暂无意见", "没有意见", "无建议", "暂无建议", "/", "-", "—", "——", "空", "none", "n/a"}
)
# What Excel writes into a cell whose formula failed: the opinion itself is unreadable.
EXCEL_ERRORS = re.compile(r"^#(?:VALUE!|REF!|N/A|NAME\?|DIV/0!|NUM!|NULL!|SPILL!|CALC!|GETTING_DATA)$")
# Column widths of the schema (entities.py); longer values would fail on PostgreSQL.
_LIMITS = {"author_name": 200, "author_contact": 500, "author_organisation": 500, "external_id": 200}


@dataclass
class IngestSummary:
    source_id: int | None = None
    imported: int = 0
    skipped: int = 0  # already present (same content hash)
    quarantined: int = 0
    containers: int = 0  # kept for provenance, carry no comment themselves
    quarantine: list[tuple[str, str | None, str]] = field(default_factory=list)
    comment_ids: list[int] = field(default_factory=list)
    resolved: int = 0  # quarantined records resolved by this import
    unresolved: int = 0  # fix rows that still fail: not stored, their original stays

    @property
    def records(self) -> int:
        return self.imported + self.skipped + self.quarantined + self.containers + self.unresolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "source_id": self.source_id,
            "records": self.records,
            "imported": self.imported,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "containers": self.containers,
            "resolved": self.resolved,
            "unresolved": self.unresolved,
            "quarantine": [
                {"origin": o, "locator": loc, "reason": r} for o, loc, r in self.quarantine
            ],
            "comment_ids": list(self.comment_ids),
        }


# --- pure helpers -------------------------------------------------------------------


def china_naive(value: datetime | None) -> datetime | None:
    """An aware datetime as China Standard Time wall clock; naive ones are taken as written."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(CHINA_TZ).replace(tzinfo=None)


def comment_problem(comment: CommentIn) -> str | None:
    """Why this comment cannot be stored as it is, or None when it can."""
    text = comment.text if isinstance(comment.text, str) else ""
    stripped = text.strip()
    if not stripped:
        return "comment text is empty"
    if EXCEL_ERRORS.match(stripped):
        return f"unreadable cell: the spreadsheet shows {stripped} instead of the opinion"
    if stripped.lower() in NO_OPINION:
        return f"comment text {stripped!r} says there is no opinion"
    if len(stripped) > MAX_TEXT_CHARS:
        return f"comment text is {len(stripped)} characters long (limit {MAX_TEXT_CHARS})"
    if "\ufffd" in stripped or "\x00" in stripped:
        return "comment text contains U+FFFD/NUL characters (broken encoding)"
    if comment.channel is not None and comment.channel not in CHANNELS:
        return f"channel {comment.channel!r} is not one of {', '.join(CHANNELS)}"
    for name, limit in _LIMITS.items():
        value = getattr(comment, name)
        if value is not None and len(str(value)) > limit:
            return f"{name} is {len(str(value))} characters long (limit {limit})"
    if comment.submitted_at is not None and not isinstance(comment.submitted_at, datetime):
        return f"submitted_at {comment.submitted_at!r} is not a datetime"
    try:
        china_naive(comment.submitted_at)
    except (OverflowError, ValueError):
        return f"submitted_at {comment.submitted_at.isoformat()} is out of range"
    return None


def _json_safe(payload: dict[str, Any]) -> dict[str, Any]:
    # JSON columns need plain values; NUL cannot be stored by PostgreSQL at all.
    text = json.dumps(payload, ensure_ascii=False, default=str).replace("\\u0000", "\\ufffd")
    return json.loads(text)


def _clean_text(value: str | None) -> str | None:
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


def effective_fingerprint(source: SourceIn) -> str:
    """The source's fingerprint, or one derived from its name and origin when a caller (a
    spider) gave none, so records of the same site still hash the same on a re-run."""
    if source.fingerprint:
        return source.fingerprint
    digest = hashlib.sha256(f"{source.channel}\x00{source.name}\x00{source.origin or ''}".encode())
    return digest.hexdigest()


# --- storage ------------------------------------------------------------------------


def get_or_create_source(session: Session, consultation_id: int, source: SourceIn) -> Source:
    if source.channel not in CHANNELS:
        raise InputError(
            f"{source.name}: channel {source.channel!r} is not one of {', '.join(CHANNELS)}"
        )
    fingerprint = effective_fingerprint(source)
    existing = session.scalar(
        select(Source)
        .where(Source.consultation_id == consultation_id, Source.fingerprint == fingerprint)
        .order_by(Source.id)
        .limit(1)
    )
    if existing is not None:
        return existing
    meta = _json_safe(dict(source.meta))
    parent_id = None
    parent_fp = meta.get(PARENT_FINGERPRINT)
    if parent_fp:
        parent = session.scalar(
            select(Source)
            .where(Source.consultation_id == consultation_id, Source.fingerprint == parent_fp)
            .order_by(Source.id)
            .limit(1)
        )
        if parent is not None:
            parent_id = parent.id
            if meta.get(PARENT_LOCATOR):
                meta["parent_raw_record_id"] = session.scalar(
                    select(RawRecord.id).where(
                        RawRecord.source_id == parent.id,
                        RawRecord.locator == meta[PARENT_LOCATOR],
                    ).limit(1)
                )
    point = (
        get_or_create_contact_point(session, source.contact_point)
        if source.contact_point and source.contact_point.strip()
        else None
    )
    row = Source(
        consultation_id=consultation_id,
        channel=source.channel,
        name=source.name[:1000],
        origin=source.origin[:1000] if source.origin else None,
        fingerprint=fingerprint,
        contact_point_id=point.id if point else None,
        parent_id=parent_id,
        meta=meta,
    )
    session.add(row)
    session.flush()
    return row


def _existing_hashes(session: Session, consultation_id: int, hashes: list[str]) -> set[str]:
    found: set[str] = set()
    for part in _chunks(hashes, _CHUNK):
        found.update(session.scalars(select(RawRecord.content_hash).where(
            RawRecord.consultation_id == consultation_id, RawRecord.content_hash.in_(part))))
    return found


def _other_name(session: Session, consultation_id: int, fingerprint: str) -> str | None:
    """The name these very bytes were imported under before, if they were."""
    return session.scalar(
        select(Source.name).where(Source.consultation_id == consultation_id, Source.fingerprint == fingerprint).limit(1)
    )


def _identities(records: list[RecordIn], fingerprint: str, other_name: str | None) -> list[tuple[str, ...]]:
    """The identities a stored copy of each record may have: its own, the older byte-based
    one, and — when these very bytes were imported under another file name — the one it
    got then."""
    out = []
    for r in records:
        ids = [r.hash_with(fingerprint), record_hash(fingerprint, r.locator, r.payload)]
        if other_name is not None:
            ids.append(origin_hash(other_name, r.locator, r.payload))
        out.append(tuple(dict.fromkeys(ids)))
    return out


T = TypeVar("T")


def _chunks(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Lists of at most ``size`` items (records of a streamed file, hashes for an IN list)."""
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _holding_source(session: Session, consultation_id: int, source: SourceIn, hashes: list[str]) -> int | None:
    """The stored source of a file whose records are all stored already."""
    fingerprint = effective_fingerprint(source)
    same = session.scalar(
        select(Source.id).where(Source.consultation_id == consultation_id, Source.fingerprint == fingerprint).limit(1)
    )
    if same is not None:
        return same
    return session.scalar(
        select(RawRecord.source_id).where(
            RawRecord.consultation_id == consultation_id, RawRecord.content_hash.in_(hashes[:_CHUNK])
        ).limit(1)
    )


def _fix_target(
    session: Session, consultation_id: int, comment: CommentIn
) -> tuple[RawRecord | None, str | None]:
    """The quarantined record a fixed comment replaces, or the reason it cannot."""
    target_id = comment.meta.get(FIXES_KEY)
    if target_id in (None, ""):
        return None, None
    try:
        target = session.get(RawRecord, int(target_id))
    except (TypeError, ValueError):
        return None, f"quarantine_id {target_id!r} is not a number"
    if target is None or target.consultation_id != consultation_id:
        return None, f"quarantine_id {target_id} is not a record of consultation {consultation_id}"
    if target.status != "quarantined":
        return None, f"quarantine_id {target_id} is not in quarantine (already resolved?)"
    return target, None


def ingest(
    session: Session,
    consultation_id: int,
    source: SourceIn,
    records: Iterable[RecordIn],
    *,
    progress: Callable[[int], None] | None = None,
) -> IngestSummary:
    """Store ``records`` of ``source`` in consultation ``consultation_id``.

    ``records`` may be a lazy iterator (a streamed file): it is consumed ``_CHUNK`` records
    at a time and each chunk is flushed, so memory does not grow with the file. Flushes but
    does not commit: the caller's transaction decides (``session_scope`` rolls back
    everything on error, so a reader failing part-way leaves nothing of the file). ``progress`` is called with the number of records handled
    since its previous call (an increment, so one bar can span several sources).
    """
    get_consultation(session, consultation_id)
    fingerprint = effective_fingerprint(source)
    other_name = _other_name(session, consultation_id, fingerprint)
    summary = IngestSummary()
    src: Source | None = None
    created = False
    first_ids: list[str] = []
    points: dict[str, int] = {}
    resolving: set[int] = set()

    def point_id(name: str | None) -> int | None:
        if not name or not name.strip():
            return src.contact_point_id
        if name not in points:
            points[name] = get_or_create_contact_point(session, name).id
        return points[name]

    # Records are taken a chunk at a time (a streamed file is never all in memory); what
    # earlier chunks stored is flushed, so the database query finds a repeat within the file.
    for chunk in _chunks(records, _CHUNK):
        identities = _identities(chunk, fingerprint, other_name)
        first_ids = first_ids or [ids[0] for ids in identities]
        known = _existing_hashes(session, consultation_id, list({h for ids in identities for h in ids}))
        if src is None and all(any(h in known for h in ids) for ids in identities):
            # The same content again (maybe in new bytes): nothing to store, not even the
            # source, unless a later record is new.
            summary.skipped += len(chunk)
            if progress is not None:
                progress(len(chunk))
            continue
        if src is None:
            created = _other_name(session, consultation_id, fingerprint) is None
            src = get_or_create_source(session, consultation_id, source)
            summary.source_id = src.id
        _store_chunk(session, consultation_id, src, chunk, identities, known, resolving, point_id, summary)
        if progress is not None:
            progress(len(chunk))
    if src is None and not first_ids:
        src = get_or_create_source(session, consultation_id, source)  # a file without records
        summary.source_id = src.id
    elif src is None:
        summary.source_id = _holding_source(session, consultation_id, source, first_ids)
    elif created:
        # A streamed reader completes what depends on all its rows (sheet info, message
        # count) when its records are exhausted.
        final = _json_safe(dict(source.meta))
        if any(src.meta.get(k) != v for k, v in final.items()):
            src.meta = {**src.meta, **final}
            session.flush()
    return summary


def _store_chunk(
    session: Session,
    consultation_id: int,
    src: Source,
    chunk: list[RecordIn],
    identities: list[tuple[str, ...]],
    known: set[str],
    resolving: set[int],
    point_id: Callable[[str | None], int | None],
    summary: IngestSummary,
) -> None:
    """Store one chunk's new records (RawRecord, then Comment) and flush.

    Rows go in as two multi-row INSERTs (Core, not ORM objects: a million-row import spends
    its time here), the comments finding their raw record by its content hash, unique in
    the consultation."""
    seen: set[str] = set()
    raws: list[dict[str, Any]] = []
    comments: list[tuple[str, dict[str, Any], RawRecord | None]] = []
    for record, ids in zip(chunk, identities):
        digest = ids[0]
        if any(h in seen or h in known for h in ids):
            summary.skipped += 1
            continue
        seen.add(digest)
        reason = record.error
        target = None
        if reason is None and record.comment is not None:
            target, reason = _fix_target(session, consultation_id, record.comment)
            if target is not None and target.id in resolving:
                target, reason = None, f"quarantine_id {target.id} is fixed twice in this file"
            problem = comment_problem(record.comment)
            if target is not None and record.comment.meta.get(UNEDITED_FIX_KEY):
                # The fix row as exported: its values were rejected once, and importing
                # them again unedited must not turn them into a comment.
                problem = "the row was not edited (correct it, or dismiss the record)"
            if problem and target is not None:
                # A fix row that is still unusable is not stored a second time: its
                # original stays in quarantine, so the list does not grow each round.
                summary.unresolved += 1
                summary.quarantine.append(
                    (record.origin or "", record.locator, f"quarantine_id {target.id} still unusable: {problem}")
                )
                seen.discard(digest)
                continue
            reason = reason or problem
        raw = {
            "consultation_id": consultation_id,
            "source_id": src.id,
            "origin": (record.origin or src.origin or src.name)[:1000],
            "locator": record.locator[:200] if record.locator else None,
            "content_hash": digest,
            "payload": _json_safe(record.payload),
            "raw_text": _clean_text(record.raw_text),
            "status": "quarantined" if reason else "ok",
            "error": reason,
        }
        raws.append(raw)
        if reason:
            summary.quarantined += 1
            summary.quarantine.append((raw["origin"], raw["locator"], reason))
            continue
        if record.comment is None:
            summary.containers += 1
            continue
        c = record.comment
        meta = {k: v for k, v in c.meta.items() if k != UNEDITED_FIX_KEY}
        if target is not None:
            resolving.add(target.id)
            meta[FIXES_KEY] = target.id
        comments.append((digest, {
            "consultation_id": consultation_id,
            "source_id": src.id,
            "contact_point_id": point_id(c.contact_point),
            "channel": c.channel or src.channel,
            "external_id": str(c.external_id) if c.external_id not in (None, "") else None,
            "text": c.text.strip(),
            "author_name": c.author_name or None,
            "author_contact": c.author_contact or None,
            "author_organisation": c.author_organisation or None,
            "submitted_at": china_naive(c.submitted_at),
            "declared_articles": _json_safe({"a": list(c.declared_articles)})["a"],
            "quoted_text": c.quoted_text or None,
            "reason": c.reason or None,
            "meta": _json_safe(meta),
        }, target))
    if not raws:
        return
    session.flush()  # what the ORM holds (a new contact point, the source) goes first
    session.execute(insert(RawRecord.__table__), raws)
    if comments:
        raw_ids = _ids_by_hash(session, consultation_id, [digest for digest, _row, _t in comments])
        rows = [{**row, "raw_record_id": raw_ids[digest]} for digest, row, _t in comments]
        session.execute(insert(Comment.__table__), rows)
        comment_ids = _comment_ids(session, [row["raw_record_id"] for row in rows])
        for row, (_digest, _row, target) in zip(rows, comments):
            comment_id = comment_ids[row["raw_record_id"]]
            summary.imported += 1
            summary.comment_ids.append(comment_id)
            if target is not None:
                target.status = "ok"
                target.error = f"{RESOLVED_PREFIX}comment #{comment_id}; was: {target.error}"
                summary.resolved += 1
    session.flush()


def _ids_by_hash(session: Session, consultation_id: int, hashes: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _chunks(hashes, _CHUNK):
        out.update(session.execute(select(RawRecord.content_hash, RawRecord.id).where(
            RawRecord.consultation_id == consultation_id, RawRecord.content_hash.in_(part))).tuples().all())
    return out


def _comment_ids(session: Session, raw_record_ids: list[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for part in _chunks(raw_record_ids, _CHUNK):
        out.update(session.execute(select(Comment.raw_record_id, Comment.id).where(
            Comment.raw_record_id.in_(part))).tuples().all())
    return out


def dismiss(session: Session, consultation_id: int, raw_record_id: int, reason: str) -> RawRecord:
    """Take a quarantined record out of the quarantine as no opinion, with the reason;
    the record stays (status "dismissed")."""
    reason = (reason or "").strip()
    if not reason:
        raise InputError("--reason: say why the record is dismissed", message_zh="请填写忽略该记录的理由")
    raw = session.get(RawRecord, raw_record_id)
    if raw is None or raw.consultation_id != consultation_id:
        raise NotFoundError(
            f"quarantined record {raw_record_id} not found in consultation {consultation_id}",
            message_zh=f"未找到待处理记录 {raw_record_id}",
        )
    if raw.status != "quarantined":
        raise ConflictError(
            f"record {raw_record_id} is not in quarantine (status {raw.status})",
            message_zh=f"记录 {raw_record_id} 不在待处理列表中",
        )
    raw.status = "dismissed"
    raw.error = f"{DISMISSED_PREFIX}{reason}; was: {raw.error}"
    session.flush()
    return raw


def list_quarantined(session: Session, consultation_id: int) -> list[RawRecord]:
    """Records of the consultation still in quarantine (resolved ones are status "ok")."""
    get_consultation(session, consultation_id)
    return list(
        session.scalars(
            select(RawRecord)
            .where(RawRecord.consultation_id == consultation_id, RawRecord.status == "quarantined")
            .order_by(RawRecord.id)
        )
    )


def quarantine_entry(raw: RawRecord) -> dict[str, Any]:
    return {
        "quarantine_id": raw.id,
        "source_id": raw.source_id,
        "source": raw.source.name if raw.source else None,
        "origin": raw.origin,
        "locator": raw.locator,
        "reason": raw.error,
        "raw_text": raw.raw_text,
        "payload": raw.payload,
    }


def list_comments(
    session: Session, consultation_id: int, *, limit: int | None = None
) -> list[Comment]:
    get_consultation(session, consultation_id)
    query = select(Comment).where(Comment.consultation_id == consultation_id).order_by(Comment.id)
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query))


def comment_entry(c: Comment) -> dict[str, Any]:
    return {
        "id": c.id,
        "external_id": c.external_id,
        "channel": c.channel,
        "contact_point": c.contact_point.name if c.contact_point else None,
        "source": c.source.name if c.source else None,
        "locator": c.raw_record.locator if c.raw_record else None,
        "author_name": c.author_name,
        "author_organisation": c.author_organisation,
        "author_contact": c.author_contact,
        "submitted_at": c.submitted_at.isoformat() if c.submitted_at else None,
        "declared_articles": c.declared_articles,
        "quoted_text": c.quoted_text,
        "reason": c.reason,
        "text": c.text,
    }
