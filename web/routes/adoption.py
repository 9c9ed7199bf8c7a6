"""Adoption: proposals with their evidence; confirm, override, bulk confirm, reply text."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from minyi.core.errors import InputError
from minyi.core.vocab import ADOPTION_STATUSES
from minyi.services import adoption, web_queries
from web.deps import ActorDep, SessionDep
from web.render import redirect, render
from web.routes.common import local_path
from web.schemas import DecisionForm

router = APIRouter()


@router.get("/c/{consultation_id}/adoption")
def adoption_page(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int,
                  status: str = "", source: str = "", page: int = 1):  # type: ignore[no-untyped-def]
    if status and status not in ADOPTION_STATUSES:
        raise InputError(f"unknown status {status!r}", message_zh="采纳状态无效")
    data = web_queries.adoption_page(db, actor, consultation_id, status=status or None, source=source or None, page=page)
    return render(request, "adoption.html", {"a": data, "cid": consultation_id, "status": status, "source": source})


@router.post("/c/{consultation_id}/adoption/decide")
def decide(db: SessionDep, actor: ActorDep, consultation_id: int, form: Annotated[DecisionForm, Form()]):  # type: ignore[no-untyped-def]
    adoption.set_adoption(db, actor, status=form.status, suggestion_ids=[form.suggestion_id], note=form.note.strip() or None)
    return redirect(local_path(form.back, f"/c/{consultation_id}/adoption"), f"已确认意见建议{form.suggestion_id}的采纳情况")


@router.post("/c/{consultation_id}/adoption/confirm")
async def bulk_confirm(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    """Confirm the chosen proposals as proposed (each keeps its own status)."""
    from starlette.concurrency import run_in_threadpool

    form = await request.form()
    by_status: dict[str, list[int]] = {}
    for raw in form.getlist("ids"):
        status = form.get(f"status_{raw}")
        if not isinstance(raw, str) or not raw.isdigit() or status not in ADOPTION_STATUSES:
            raise InputError(f"bad proposal {raw!r}", message_zh="所选采纳建议有误")
        by_status.setdefault(str(status), []).append(int(raw))
    if not by_status:
        raise InputError("nothing chosen", message_zh="请先选择要确认的意见建议")

    def confirm() -> int:
        return sum(len(adoption.set_adoption(db, actor, status=s, suggestion_ids=ids)) for s, ids in by_status.items())

    n = await run_in_threadpool(confirm)
    back = form.get("back")
    return redirect(local_path(back if isinstance(back, str) else "", f"/c/{consultation_id}/adoption"), f"已确认{n}条")
