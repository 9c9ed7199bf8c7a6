"""The audit log for admins: filter by consultation, user and date; export."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from minyi.core.errors import InputError
from minyi.services import audit_log
from web.deps import AdminDep, SessionDep
from web.render import render

router = APIRouter()


def _entries(db, actor, consultation: str, user: str, since: str, until: str, limit: int | None):  # type: ignore[no-untyped-def]
    if consultation and not consultation.isdigit():
        raise InputError(f"bad consultation {consultation!r}", message_zh="征求意见任务编号有误")
    return audit_log.list_audit(db, actor, consultation_id=int(consultation) if consultation else None,
                                user=user.strip() or None, since=since or None, until=until or None, limit=limit).entries


@router.get("/audit")
def audit_page(request: Request, db: SessionDep, actor: AdminDep, consultation: str = "", user: str = "",
               since: str = "", until: str = ""):  # type: ignore[no-untyped-def]
    entries = _entries(db, actor, consultation, user, since, until, 500)
    return render(request, "audit.html", {"entries": entries, "f": {"consultation": consultation, "user": user,
                                                                      "since": since, "until": until}})


@router.get("/audit/export.{fmt}")
def audit_export(db: SessionDep, actor: AdminDep, fmt: str, consultation: str = "", user: str = "",
                 since: str = "", until: str = "") -> Response:
    if consultation and not consultation.isdigit():
        raise InputError(f"bad consultation {consultation!r}", message_zh="征求意见任务编号有误")
    body, media = audit_log.export_audit(
        db, actor, fmt, consultation_id=int(consultation) if consultation else None,
        user=user.strip() or None, since=since or None, until=until or None,
    )
    return Response(body, media_type=media, headers={"Content-Disposition": f'attachment; filename="audit.{fmt}"'})
