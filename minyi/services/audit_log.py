"""The audit log: recording a person's change with its snapshots, and reading it back.

Every reviewer operation and consultation edit ends with :func:`record_change`: one audit
row naming the acting user, the action, a one-line summary (English and Chinese) and the
snapshots of every row it touched, before and after. :func:`list_audit` reads rows back
filtered by consultation, user and date; :func:`render_entry` turns one into what the CLI
prints and a web page shows: who, when, what, and field by field before → after.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.errors import InputError
from minyi.core.dates import as_date
from minyi.services.context import Actor, audit
from models import review_store as rs
from models.entities import AuditLog
from models.store import get_consultation

# Snapshot fields shown to people, with their Chinese names; the rest (ids that only undo
# needs, keywords, scores) stay in the snapshot but are not listed as changes.
FIELD_ZH = {
    "title": "标题", "issuing_body": "制定机关", "addressee": "主送机关", "signer": "落款单位",
    "signed_on": "成文日期", "opened_on": "开始日期", "deadline": "截止日期", "status": "状态",
    "date": "座谈会日期", "participants": "参加人数",
    "reviewed_scope": "审阅归类", "articles": "涉及条款", "is_general": "总体意见",
    "is_out_of_scope": "草案范围外", "duplicate_group_id": "重复意见组", "group_is_manual": "人工确定重复",
    "label": "标题", "representative_suggestion_id": "代表意见", "consolidated_text": "修改意见",
    "reason_text": "理由", "reviewed": "已审阅", "members": "成员意见", "size": "人数",
    "is_manual": "人工调整", "canonical_suggestion_id": "代表意见", "scope": "范围",
}


@dataclass
class ChangeResult:
    """What a reviewer operation or consultation edit did: its audit row, summary and the
    rows it left (each with its new ``version``, for the next edit)."""

    action: str
    audit_id: int
    consultation_id: int | None
    summary: str
    summary_zh: str
    entities: dict[str, dict[str, Any]] = field(default_factory=dict)
    removed: list[str] = field(default_factory=list)

    def version(self, key: str) -> int | None:
        snap = self.entities.get(key)
        return snap["version"] if snap else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action, "audit_id": self.audit_id, "consultation_id": self.consultation_id,
            "summary": self.summary, "summary_zh": self.summary_zh,
            "entities": self.entities, "removed": self.removed,
        }


def record_change(
    session: Session,
    actor: Actor,
    action: str,
    row: Any,
    change: rs.Change,
    summary: str,
    summary_zh: str,
    *,
    consultation_id: int | None,
    extra: dict[str, Any] | None = None,
) -> ChangeResult:
    """Finish ``change`` (flush, versions, after-snapshots) and write its audit row."""
    after = change.finish()
    entry = audit(
        session, actor, action, row, consultation_id=consultation_id,
        before={"entities": change.before},
        after={"summary": summary, "summary_zh": summary_zh, "entities": after, **(extra or {})},
    )
    session.flush()
    return ChangeResult(
        action=action, audit_id=entry.id, consultation_id=consultation_id, summary=summary,
        summary_zh=summary_zh, entities=after, removed=sorted(change.gone),
    )


# --- reading ------------------------------------------------------------------------------


@dataclass
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: int | None
    consultation_id: int | None
    summary: str
    summary_zh: str
    changes: list[dict[str, Any]]
    undoes: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id, "at": self.at.isoformat(timespec="seconds"), "actor": self.actor,
            "action": self.action, "entity": self.entity, "entity_id": self.entity_id,
            "consultation_id": self.consultation_id, "summary": self.summary,
            "summary_zh": self.summary_zh, "changes": self.changes, "undoes": self.undoes,
        }


@dataclass
class AuditList:
    entries: list[AuditEntry]

    def to_dict(self) -> list[dict[str, Any]]:
        return [e.to_dict() for e in self.entries]


def list_audit(
    session: Session,
    actor: Actor,
    *,
    consultation_id: int | None = None,
    user: str | None = None,
    since: date | str | None = None,
    until: date | str | None = None,
    limit: int | None = None,
) -> AuditList:
    """Audit rows, newest first, by consultation, user and date range (``until`` inclusive:
    the whole day)."""
    consultation = get_consultation(session, consultation_id) if consultation_id is not None else None
    actor.require("audit", consultation)
    start = as_date(since, "--since")
    end = as_date(until, "--until")
    if start and end and end < start:
        raise InputError(f"--until {end} is before --since {start}", message_zh="结束日期早于开始日期")
    rows = rs.audit_rows(
        session, consultation_id=consultation_id, actor=user,
        since=datetime.combine(start, time.min) if start else None,
        until=datetime.combine(end + timedelta(days=1), time.min) if end else None,
        limit=limit,
    )
    return AuditList([render_entry(r) for r in rows])


AUDIT_EXPORT_FORMATS = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


def export_audit(session: Session, actor: Actor, fmt: str, **filters: Any) -> tuple[str, str]:
    """The filtered audit log as CSV (for a spreadsheet, formulas neutralised) or JSONL;
    returns (text, media type)."""
    import json

    from reports.formats import csv_text, json_default

    if fmt not in AUDIT_EXPORT_FORMATS:
        raise InputError(f"format {fmt!r} is not one of {', '.join(AUDIT_EXPORT_FORMATS)}",
                         message_zh="不支持该导出格式")
    entries = list_audit(session, actor, **filters).entries
    if fmt == "jsonl":
        text = "".join(json.dumps(e.to_dict(), ensure_ascii=False, default=json_default) + "\n" for e in entries)
    else:
        text = "\ufeff" + csv_text(
            ["编号", "时间", "操作人", "操作", "对象", "征求意见任务", "摘要", "变更"],
            [[e.id, e.at.isoformat(timespec="seconds"), e.actor, e.action, f"{e.entity}:{e.entity_id}",
              e.consultation_id or "", e.summary_zh, json.dumps(e.changes, ensure_ascii=False, default=str)]
             for e in entries],
        )
    return text, AUDIT_EXPORT_FORMATS[fmt]


def render_entry(row: AuditLog) -> AuditEntry:
    """One audit row as people read it: a summary and the fields that changed."""
    after = row.after or {}
    before = row.before or {}
    if "entities" in after or "entities" in before:
        changes = describe_changes(before.get("entities") or {}, after.get("entities") or {})
    else:  # rows written by imports, the analysis, crawls: plain before/after values
        changes = [
            {"entity": f"{row.entity}:{row.entity_id}", "field": k, "field_zh": FIELD_ZH.get(k, k),
             "before": before.get(k), "after": after.get(k)}
            for k in dict.fromkeys([*before, *after])
        ]
    summary = after.get("summary") or _plain_summary(row)
    return AuditEntry(
        id=row.id, at=row.at, actor=row.actor, action=row.action, entity=row.entity,
        entity_id=row.entity_id, consultation_id=row.consultation_id, summary=summary,
        summary_zh=after.get("summary_zh") or summary, changes=changes, undoes=after.get("undoes"),
    )


def _plain_summary(row: AuditLog) -> str:
    return f"{row.action} {row.entity} {row.entity_id}" if row.entity_id is not None else f"{row.action} {row.entity}"


def describe_changes(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Field by field, before → after, for every row an operation touched; a row made or
    removed is one entry with ``change`` "created" / "removed"."""
    out = []
    for key in dict.fromkeys([*before, *after]):
        old, new = _readable(before.get(key)), _readable(after.get(key))
        base = {"entity": key, "name": rs.name_of(key), "name_zh": rs.name_of(key, zh=True)}
        if old is None or new is None:
            out.append({**base, "change": "created" if old is None else "removed",
                        "values": new if old is None else old})
            continue
        for name in FIELD_ZH:
            if name in old and old.get(name) != new.get(name):
                out.append({**base, "change": "changed", "field": name, "field_zh": FIELD_ZH[name],
                            "before": old.get(name), "after": new.get(name)})
    return out


def _readable(snap: dict[str, Any] | None) -> dict[str, Any] | None:
    """A snapshot with links as article labels and members as ids, fields people read."""
    if snap is None:
        return None
    out = {k: v for k, v in snap.items() if k in FIELD_ZH}
    if "links" in snap:
        out["articles"] = [link["label"] for link in snap["links"]]
    if "members" in snap:
        out["members"] = [m[0] if isinstance(m, list) else m for m in snap["members"]]
    return out
