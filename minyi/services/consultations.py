"""Consultations (征求意见任务): create one with its draft, list, show, edit what the
feedback document prints (title, issuing body, 主送, dates, status, 落款 and 成文日期), and
edit a symposium's date and participant count.

Edits are versioned like reviewer operations: ``expected_version`` is the version the user
saw, a stale one is a ``ConflictError``, each edit writes one audit row with before → after
and ``minyi review undo`` can put it back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.drafts import ParsedDraft
from minyi.core.dates import as_date
from minyi.core.errors import InputError, NotFoundError
from minyi.services.audit_log import ChangeResult, record_change
from minyi.services.context import Actor, audit
from models import review_store as rs
from models import store
from models.entities import Consultation

# What update_consultation may change, with the Chinese names used in summaries.
EDITABLE = {
    "title": "标题",
    "issuing_body": "制定机关",
    "addressee": "主送机关",
    "signer": "落款单位",
    "signed_on": "成文日期",
    "opened_on": "开始日期",
    "deadline": "截止日期",
    "status": "状态",
}
DATE_FIELDS = ("signed_on", "opened_on", "deadline")
_UNSET: Any = object()


@dataclass
class ConsultationInfo:
    """One consultation as shown: its fields (with ``version`` for the next edit), and its
    symposiums (source id, date, participants) for ``minyi consultation symposium``."""

    fields: dict[str, Any]
    symposiums: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.fields["id"]

    def to_dict(self) -> dict[str, Any]:
        return {**self.fields, "symposiums": self.symposiums}


@dataclass
class DraftLoad:
    consultation_id: int
    version_id: int
    label: str
    articles: int
    created: bool
    comment_base: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "consultation_id": self.consultation_id, "version_id": self.version_id, "label": self.label,
            "articles": self.articles, "created": self.created, "comment_base": self.comment_base,
        }


def _parsed(draft: Path | str | ParsedDraft) -> tuple[ParsedDraft, str | None]:
    if isinstance(draft, ParsedDraft):
        return draft, getattr(draft, "source", None)
    from minyi.services.drafts import parse_draft

    return parse_draft(draft), str(draft)


# --- create, list, show ---------------------------------------------------------------------


def create_consultation(
    session: Session,
    actor: Actor,
    *,
    title: str,
    issuing_body: str | None = None,
    level: str | None = None,
    opened_on: date | str | None = None,
    deadline: date | str | None = None,
    contact_point: str | None = None,
    contact_point_level: str | None = None,
    draft: Path | str | ParsedDraft | None = None,
    label: str = "征求意见稿",
    source_url: str | None = None,
    external_id: str | None = None,
    addressee: str | None = None,
    signer: str | None = None,
    signed_on: date | str | None = None,
) -> ConsultationInfo:
    """Create a consultation and, when given, load its draft (parsed first: a file that
    cannot be read changes nothing)."""
    actor.require("create_consultation")
    parsed = _parsed(draft) if draft is not None else None
    consultation = store.create_consultation(
        session, title=title, issuing_body=issuing_body, level=level,
        opened_on=as_date(opened_on, "--opened"), deadline=as_date(deadline, "--deadline"),
        contact_point=contact_point, contact_point_level=contact_point_level,
        source_url=source_url, external_id=external_id, addressee=addressee, signer=signer,
        signed_on=as_date(signed_on, "--date"),
    )
    audit(session, actor, "create", consultation, after={"title": consultation.title})
    if parsed is not None:
        _load(session, actor, consultation.id, *parsed, label=label, comment_base=None)
    session.refresh(consultation)
    return _info(session, consultation)


def load_draft(
    session: Session,
    actor: Actor,
    consultation_id: int,
    draft: Path | str | ParsedDraft,
    *,
    label: str = "征求意见稿",
    comment_base: bool | None = None,
) -> DraftLoad:
    """Attach a version of the draft (idempotent: the same text under the same label again
    changes nothing)."""
    parsed, source_file = _parsed(draft)
    actor.require("edit_consultation", store.get_consultation(session, consultation_id))
    return _load(session, actor, consultation_id, parsed, source_file, label=label, comment_base=comment_base)


def _load(session: Session, actor: Actor, consultation_id: int, parsed: ParsedDraft, source_file: str | None,
          *, label: str, comment_base: bool | None) -> DraftLoad:
    version, created = store.load_draft_version(
        session, consultation_id, parsed, label=label, source_file=source_file, comment_base=comment_base
    )
    if created:
        audit(session, actor, "load_draft", version, consultation_id=consultation_id,
              after={"label": label, "articles": len(parsed.articles), "file": source_file})
    return DraftLoad(consultation_id, version.id, version.label, len(parsed.articles), created,
                     bool(version.is_comment_base))


def list_consultations(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Consultations the user may read, newest first, with comment and suggestion counts."""
    return [
        row for row in store.list_consultations(session)
        if actor.may("read", session.get(Consultation, row["id"]))
    ]


def find_by_external_id(session: Session, actor: Actor, external_id: str) -> int | None:
    """The id of the consultation with this external id (an official site's, a sample's)."""
    actor.require("read")
    return store.find_consultation_id(session, external_id=external_id)


def show_consultation(session: Session, actor: Actor, consultation_id: int) -> ConsultationInfo:
    consultation = store.get_consultation(session, consultation_id)
    actor.require("read", consultation)
    return _info(session, consultation)


def _info(session: Session, consultation: Consultation) -> ConsultationInfo:
    symposiums = [
        {"source_id": s.id, "name": s.name, "date": (s.meta or {}).get(rs.SYMPOSIUM_DATE),
         "participants": (s.meta or {}).get(rs.SYMPOSIUM_PARTICIPANTS), "version": s.row_version}
        for s in rs.symposium_sources(session, consultation.id)
    ]
    return ConsultationInfo(store.consultation_summary(consultation), symposiums)


# --- edits ------------------------------------------------------------------------------------


def update_consultation(
    session: Session,
    actor: Actor,
    consultation_id: int,
    *,
    expected_version: int | None = None,
    **changes: Any,
) -> ChangeResult:
    """Change any of ``EDITABLE`` (title, issuing_body, addressee, signer, signed_on,
    opened_on, deadline, status); None or "" clears a field (not the title)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"cannot change {', '.join(unknown)}; editable: {', '.join(EDITABLE)}")
    if not changes:
        raise InputError("nothing to change: give --title, --issuing-body, --to, --signer, --date, "
                         "--opened, --deadline or --status")
    consultation = store.get_consultation(session, consultation_id)
    actor.require("edit_consultation", consultation)
    rs.check_version(session, consultation, expected_version)
    values = {
        name: as_date(value, f"--{name}") if name in DATE_FIELDS
        else ((value.strip() or None) if isinstance(value, str) else value)
        for name, value in changes.items()
    }
    change = rs.Change(session)
    change.touch(consultation)
    changed = [name for name, value in values.items() if getattr(consultation, name) != value]
    for name, value in values.items():
        setattr(consultation, name, value)
    consultation.title = store.check_consultation(
        title=consultation.title, opened_on=consultation.opened_on, deadline=consultation.deadline,
        status=consultation.status,
    )
    names = ", ".join(changed) or "nothing"
    return record_change(
        session, actor, "update_consultation", consultation, change,
        f"consultation {consultation.id}: changed {names}",
        f"修改征求意见任务{consultation.id}：{'、'.join(EDITABLE[n] for n in changed) or '无变化'}",
        consultation_id=consultation.id,
    )


def update_symposium(
    session: Session,
    actor: Actor,
    source_id: int,
    *,
    held_on: date | str | None = _UNSET,
    participants: int | None = _UNSET,
    expected_version: int | None = None,
    consultation_id: int | None = None,
) -> ChangeResult:
    """Correct a symposium's date and participant count (what 征求意见工作开展情况 counts:
    "共召开座谈会N场，参加人员M人次"); None clears one. ``consultation_id``: the
    consultation the caller is looking at (a symposium of another one is not found)."""
    source = rs.get_source(session, source_id)
    if consultation_id is not None and source.consultation_id != consultation_id:
        raise NotFoundError(f"no symposium {source_id} in consultation {consultation_id}",
                            message_zh=f"未找到座谈会{source_id}")
    consultation = store.get_consultation(session, source.consultation_id)
    actor.require("edit_consultation", consultation)
    if source.channel != "symposium":
        raise InputError(
            f"source {source.id} ({source.name}) is a {source.channel} source, not a symposium",
            message_zh=f"来源{source.id}不是座谈会",
        )
    if held_on is _UNSET and participants is _UNSET:
        raise InputError("nothing to change: give --date or --participants")
    rs.check_version(session, source, expected_version)
    meta = source.meta or {}
    new_date = meta.get(rs.SYMPOSIUM_DATE) if held_on is _UNSET else _iso(as_date(held_on, "--date"))
    new_count = meta.get(rs.SYMPOSIUM_PARTICIPANTS) if participants is _UNSET else participants
    if new_count is not None and (not isinstance(new_count, int) or new_count < 0):
        raise InputError(f"--participants: {new_count!r} is not a number of people",
                         message_zh="参加人数应为非负整数")
    change = rs.Change(session)
    change.touch(source)
    rs.set_symposium(source, new_date, new_count)
    return record_change(
        session, actor, "update_symposium", source, change,
        f"symposium {source.id} ({source.name}): date {new_date or '-'}, participants {new_count if new_count is not None else '-'}",
        f"修改座谈会{source.id}（{source.name}）：日期{new_date or '未填'}，参加人数{new_count if new_count is not None else '未填'}",
        consultation_id=source.consultation_id,
    )


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None
