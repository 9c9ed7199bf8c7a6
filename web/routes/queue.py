"""The review queue: least sure first, one at a time, worked by keyboard."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from minyi.core.errors import InputError
from minyi.services import review, web_queries
from web.deps import ActorDep, SessionDep
from web.render import redirect, render
from web.routes.common import local_path

router = APIRouter()
MOVE_TO = {"general": "总体意见", "out-of-scope": "草案范围外", "not-opinion": "非意见"}


@router.get("/c/{consultation_id}/queue")
def queue_page(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    data = web_queries.review_queue(db, actor, consultation_id)
    return render(request, "queue.html", {"q": data, "cid": consultation_id})


async def _versions(request: Request) -> dict[int, int | None]:
    """ids chosen (``ids``) with the version each was seen at (``version_<id>``)."""
    form = await request.form()
    out: dict[int, int | None] = {}
    for raw in form.getlist("ids"):
        if not isinstance(raw, str) or not raw.isdigit():
            raise InputError(f"bad id {raw!r}", message_zh="所选意见编号有误")
        version = form.get(f"version_{raw}")
        out[int(raw)] = int(version) if isinstance(version, str) and version.isdigit() else None
    return out


@router.post("/c/{consultation_id}/queue/accept")
async def accept(request: Request, consultation_id: int, db: SessionDep, actor: ActorDep):  # type: ignore[no-untyped-def]
    versions = await _versions(request)
    from starlette.concurrency import run_in_threadpool

    done = await run_in_threadpool(web_queries.accept_suggestions, db, actor, versions)
    return redirect(f"/c/{consultation_id}/queue", f"已确认{len(done)}条")


@router.post("/suggestions/{suggestion_id}/move")
def move(db: SessionDep, actor: ActorDep, suggestion_id: int,
         to: Annotated[str, Form(max_length=200)], version: Annotated[int | None, Form()] = None,
         back: Annotated[str, Form(max_length=500)] = ""):  # type: ignore[no-untyped-def]
    targets = [t for t in to.replace("，", ",").replace("、", ",").split(",") if t.strip()]
    if not targets:
        raise InputError("no target", message_zh="请填写要调整到的条款，如 12 或 12.2")
    result = review.move_suggestion(db, actor, suggestion_id, targets if len(targets) > 1 else targets[0],
                                    expected_version=version)
    return redirect(local_path(back, f"/c/{result.consultation_id}/queue"), result.summary_zh)


@router.post("/c/{consultation_id}/queue/move")
def queue_move(db: SessionDep, actor: ActorDep, consultation_id: int, suggestion_id: Annotated[int, Form()],
               to: Annotated[str, Form(max_length=200)], version: Annotated[int | None, Form()] = None):  # type: ignore[no-untyped-def]
    """The queue's G / O / N keys and its article picker, on the item the reviewer is at."""
    return move(db, actor, suggestion_id, to, version, f"/c/{consultation_id}/queue")


@router.post("/suggestions/{suggestion_id}/ungroup")
def ungroup(db: SessionDep, actor: ActorDep, suggestion_id: int, version: Annotated[int | None, Form()] = None,
            back: Annotated[str, Form(max_length=500)] = ""):  # type: ignore[no-untyped-def]
    result = review.ungroup_suggestion(db, actor, suggestion_id, expected_version=version)
    return redirect(local_path(back, f"/c/{result.consultation_id}/articles"), result.summary_zh)


@router.post("/c/{consultation_id}/undo")
def undo(db: SessionDep, actor: ActorDep, consultation_id: int,
         back: Annotated[str, Form(max_length=500)] = ""):  # type: ignore[no-untyped-def]
    result = review.undo(db, actor, consultation_id=consultation_id)
    return redirect(local_path(back, f"/c/{consultation_id}/articles"), result.summary_zh)
