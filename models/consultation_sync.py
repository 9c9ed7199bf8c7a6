"""Storage side of the crawlers: consultations read from official sites (create or update by
their external id), and what a forum crawl already holds (for incremental crawls).

Nothing here writes the audit log: the crawl service does, naming the acting user, from the
before → after that ``upsert_consultation`` returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from minyi.core.errors import InputError
from models.entities import Consultation, RawRecord, Source

# Fields an official site is the authority on; a re-crawl refreshes them.
SYNCED_FIELDS = (
    "title",
    "issuing_body",
    "level",
    "opened_on",
    "deadline",
    "source_url",
    "published_comment_count",
    "published_participant_count",
    "notice_text",
    "attachment_url",
)


@dataclass
class ConsultationIn:
    external_id: str
    title: str
    issuing_body: str | None = None
    level: str | None = None
    opened_on: date | None = None
    deadline: date | None = None
    source_url: str | None = None
    published_comment_count: int | None = None
    published_participant_count: int | None = None
    notice_text: str | None = None
    attachment_url: str | None = None
    status_hint: str | None = None  # "closed" when the site lists it as closed
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class Upserted:
    consultation: Consultation
    action: str  # "created", "updated" or "unchanged"
    before: dict[str, Any] = field(default_factory=dict)  # changed fields, as they were
    after: dict[str, Any] = field(default_factory=dict)  # … and as they are now


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def initial_status(data: ConsultationIn, today: date) -> str:
    if data.status_hint == "closed" or (data.deadline is not None and data.deadline < today):
        return "closed"
    return "open"


def upsert_consultation(
    session: Session, data: ConsultationIn, *, today: date | None = None
) -> Upserted:
    """Create the consultation with this external id, or bring it up to date.

    Returns the consultation, what was done ("created", "updated" or "unchanged") and the
    changed fields before → after (JSON-ready, for the audit log). A value the site no longer gives (None) does not erase a stored one; an open
    consultation whose deadline has passed becomes "closed"; "reported"/"archived" (set by
    people) are never changed.
    """
    today = today or date.today()
    external_id = (data.external_id or "").strip()
    title = (data.title or "").strip()
    if not external_id:
        raise InputError("consultation from a crawl has no external id")
    if not title:
        raise InputError(f"consultation {external_id}: title is empty")
    if data.opened_on and data.deadline and data.deadline < data.opened_on:
        raise InputError(
            f"consultation {external_id}: deadline {data.deadline} is before the opening date {data.opened_on}"
        )
    values = {name: getattr(data, name) for name in SYNCED_FIELDS}
    values["title"] = title[:500]
    if values["issuing_body"]:
        values["issuing_body"] = values["issuing_body"][:200]
    existing = session.scalar(select(Consultation).where(Consultation.external_id == external_id))
    if existing is None:
        consultation = Consultation(
            external_id=external_id,
            status=initial_status(data, today),
            meta=dict(data.meta),
            **values,
        )
        session.add(consultation)
        session.flush()
        return Upserted(consultation, "created", after={"external_id": external_id, "title": title})

    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for name, value in values.items():
        if value is None:
            continue
        if getattr(existing, name) != value:
            before[name] = _jsonable(getattr(existing, name))
            after[name] = _jsonable(value)
            setattr(existing, name, value)
    merged_meta = {**(existing.meta or {}), **data.meta}
    if merged_meta != (existing.meta or {}):
        existing.meta = merged_meta
        after.setdefault("meta", "updated")
    if existing.status == "open" and initial_status(data, today) == "closed":
        before["status"], after["status"] = existing.status, "closed"
        existing.status = "closed"
    if not after:
        return Upserted(existing, "unchanged")
    session.flush()
    return Upserted(existing, "updated", before, after)


def record_attachment(session: Session, external_id: str, info: dict[str, Any]) -> Consultation | None:
    """Note where a downloaded draft attachment was saved (consultation.meta["attachment_file"])."""
    consultation = session.scalar(select(Consultation).where(Consultation.external_id == external_id))
    if consultation is None:
        return None
    if (consultation.meta or {}).get("attachment_file") != info:
        consultation.meta = {**(consultation.meta or {}), "attachment_file": info}
        session.flush()
    return consultation


def stored_locators(session: Session, consultation_id: int, fingerprint: str) -> list[str]:
    """Locators of the raw records already stored from the source with this fingerprint
    (a forum site): the crawler counts them per thread to skip unchanged threads."""
    source_ids = list(
        session.scalars(
            select(Source.id).where(
                Source.consultation_id == consultation_id, Source.fingerprint == fingerprint
            )
        )
    )
    if not source_ids:
        return []
    return [
        loc
        for loc in session.scalars(select(RawRecord.locator).where(RawRecord.source_id.in_(source_ids)))
        if loc
    ]
