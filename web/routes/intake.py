"""Import: upload comment files, see per-file results, and work the quarantine."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from minyi.services import intake, web_queries
from web.deps import ActorDep, SessionDep
from web.render import redirect, render
from web.routes.common import saved_uploads

router = APIRouter()


def _page(request: Request, db, actor, consultation_id: int, summary=None, status_code: int = 200):  # type: ignore[no-untyped-def]
    quarantine = intake.list_quarantine(db, actor, consultation_id)
    return render(request, "import.html", {
        "cid": consultation_id, "channels_allowed": True,
        "quarantine": quarantine.records, "summary": summary,
    }, status_code=status_code)


@router.get("/c/{consultation_id}/import")
def import_page(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    return _page(request, db, actor, consultation_id)


@router.post("/c/{consultation_id}/import")
def upload(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int,
           files: Annotated[list[UploadFile], File()],
           channel: Annotated[str, Form(max_length=20)] = "",
           contact_point: Annotated[str, Form(max_length=200)] = ""):  # type: ignore[no-untyped-def]
    with saved_uploads(files) as paths:
        summary = intake.import_files(db, actor, consultation_id, paths, channel=channel or None,
                                      contact_point=contact_point.strip() or None)
    return _page(request, db, actor, consultation_id, summary=summary.to_dict())


@router.post("/c/{consultation_id}/quarantine/{record_id}/correct")
def correct(db: SessionDep, actor: ActorDep, consultation_id: int, record_id: int,
            text: Annotated[str, Form(max_length=20000)] = ""):  # type: ignore[no-untyped-def]
    summary = web_queries.correct_quarantined(db, actor, consultation_id, record_id, text)
    done = "已更正并重新导入" if summary.resolved else "已重新导入"
    return redirect(f"/c/{consultation_id}/import", f"{done}（记录{record_id}）")


@router.post("/c/{consultation_id}/quarantine/{record_id}/dismiss")
def dismiss(db: SessionDep, actor: ActorDep, consultation_id: int, record_id: int,
            reason: Annotated[str, Form(max_length=500)] = ""):  # type: ignore[no-untyped-def]
    web_queries.dismiss_quarantined(db, actor, consultation_id, record_id, reason)
    return redirect(f"/c/{consultation_id}/import", f"已驳回记录{record_id}")
