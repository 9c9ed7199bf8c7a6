"""Cluster review: members, merge, split, move, relabel, representative, the consolidated
修改意见 and 理由, reviewed; assignment to reviewers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from minyi.core.errors import ConflictError, InputError
from minyi.services import accounts, review, web_queries
from web.deps import ActorDep, SessionDep
from web.render import redirect, render
from web.schemas import ClusterEditForm

router = APIRouter()


def _page(request: Request, db, actor, cluster_id: int, *, conflict: str | None = None,  # type: ignore[no-untyped-def]
          draft: ClusterEditForm | None = None, status_code: int = 200, page: int = 1):
    data = web_queries.cluster_page(db, actor, cluster_id, page=page)
    cid = data["consultation"]["id"]
    return render(request, "cluster.html", {
        "d": data, "cid": cid, "conflict": conflict, "draft": draft,
        "reviewers": accounts.reviewers(db, actor, cid) if data["may_assign"] else [],
        "assignments": [a for a in accounts.assignments(db, actor, cid) if a["cluster_id"] == cluster_id],
    }, status_code=status_code)


@router.get("/clusters/{cluster_id}")
def cluster(request: Request, db: SessionDep, actor: ActorDep, cluster_id: int, page: int = 1):  # type: ignore[no-untyped-def]
    return _page(request, db, actor, cluster_id, page=page)


@router.post("/clusters/{cluster_id}/update")
def update(request: Request, db: SessionDep, actor: ActorDep, cluster_id: int,
           form: Annotated[ClusterEditForm, Form()]):  # type: ignore[no-untyped-def]
    # Only what the reviewer changed goes to the operation (and so into the audit log).
    now = web_queries.cluster_fields(db, actor, cluster_id)["cluster"]
    changes = {
        "label": form.label if form.label.strip() != (now["label"] or "") else None,
        "representative": form.representative if form.representative not in (None, now["representative_id"]) else None,
        "opinion": form.opinion if form.opinion.strip() != (now["consolidated_text"] or "") else None,
        "reason": form.reason if form.reason.strip() != (now["reason_text"] or "") else None,
        "reviewed": form.reviewed if form.reviewed != now["reviewed"] else None,
    }
    if all(v is None for v in changes.values()) and form.version in (None, now["version"]):
        return redirect(f"/clusters/{cluster_id}", "没有需要保存的修改")
    if all(v is None for v in changes.values()):
        changes["reviewed"] = form.reviewed  # a stale form still meets the version check below
    try:
        result = review.update_cluster(db, actor, cluster_id, expected_version=form.version, **changes)
    except ConflictError as exc:
        # Nothing is overwritten: the page shows the other's change and keeps what this
        # reviewer typed, to copy from or save again on the new version.
        db.rollback()
        return _page(request, db, actor, cluster_id, conflict=exc.message_zh, draft=form, status_code=409)
    return redirect(f"/clusters/{cluster_id}", result.summary_zh)


async def _ids(request: Request, name: str) -> list[int]:
    form = await request.form()
    out = []
    for raw in form.getlist(name):
        # One box may stand for several members ("12,13,14": the rest of a long line).
        for part in (raw.split(",") if isinstance(raw, str) else [raw]):
            if not isinstance(part, str) or not part.strip().isdigit():
                raise InputError(f"bad id {raw!r}", message_zh="所选编号有误")
            out.append(int(part))
    return out


@router.post("/clusters/{cluster_id}/merge")
async def merge(request: Request, db: SessionDep, actor: ActorDep, cluster_id: int,
                version: Annotated[int | None, Form()] = None):  # type: ignore[no-untyped-def]
    from starlette.concurrency import run_in_threadpool

    others = await _ids(request, "others")
    if not others:
        raise InputError("choose clusters to merge", message_zh="请选择要合并的归并意见")
    form = await request.form()
    seen = {i: int(v) for i in others if isinstance(v := form.get(f"version_{i}"), str) and v.isdigit()}
    result = await run_in_threadpool(lambda: review.merge_clusters(
        db, actor, [cluster_id, *others], expected_version=version, expected_versions=seen))
    return redirect(f"/clusters/{cluster_id}", result.summary_zh)


@router.post("/clusters/{cluster_id}/split")
async def split(request: Request, db: SessionDep, actor: ActorDep, cluster_id: int,
                version: Annotated[int | None, Form()] = None):  # type: ignore[no-untyped-def]
    from starlette.concurrency import run_in_threadpool

    members = await _ids(request, "members")
    result = await run_in_threadpool(review.split_cluster, db, actor, cluster_id, members, expected_version=version)
    new = [k for k in result.entities if k.startswith("cluster:") and k != f"cluster:{cluster_id}"]
    target = f"/clusters/{new[0].split(':')[1]}" if new else f"/clusters/{cluster_id}"
    return redirect(target, result.summary_zh)


@router.post("/clusters/{cluster_id}/move-member")
def move_member(db: SessionDep, actor: ActorDep, cluster_id: int, suggestion_id: Annotated[int, Form()],
                target: Annotated[int, Form()], version: Annotated[int | None, Form()] = None):  # type: ignore[no-untyped-def]
    result = review.assign_suggestion(db, actor, suggestion_id, target, expected_version=version)
    return redirect(f"/clusters/{target}", result.summary_zh)


@router.post("/clusters/{cluster_id}/assign")
def assign(db: SessionDep, actor: ActorDep, cluster_id: int, username: Annotated[str, Form(max_length=100)]):  # type: ignore[no-untyped-def]
    data = web_queries.cluster_fields(db, actor, cluster_id)
    accounts.assign(db, actor, data["consultation"]["id"], username, cluster_id=cluster_id)
    return redirect(f"/clusters/{cluster_id}", f"已分配给{username}")


@router.post("/c/{consultation_id}/assign")
def assign_article(db: SessionDep, actor: ActorDep, consultation_id: int,
                   provision_id: Annotated[int, Form()], username: Annotated[str, Form(max_length=100)]):  # type: ignore[no-untyped-def]
    accounts.assign(db, actor, consultation_id, username, provision_id=provision_id)
    return redirect(f"/c/{consultation_id}/articles?article={provision_id}", f"已将该条分配给{username}")


@router.post("/c/{consultation_id}/unassign/{assignment_id}")
def unassign(db: SessionDep, actor: ActorDep, consultation_id: int, assignment_id: int):  # type: ignore[no-untyped-def]
    accounts.unassign(db, actor, consultation_id, assignment_id)
    return redirect(f"/c/{consultation_id}/articles", "已取消分配")


@router.post("/clusters/{cluster_id}/move-suggestion")
def move_suggestion(db: SessionDep, actor: ActorDep, cluster_id: int, suggestion_id: Annotated[int, Form()],
                    to: Annotated[str, Form(max_length=200)]):  # type: ignore[no-untyped-def]
    targets = [t for t in to.replace("，", ",").replace("、", ",").split(",") if t.strip()]
    if not targets:
        raise InputError("no target", message_zh="请填写要调整到的条款，如 12 或 12.2")
    result = review.move_suggestion(db, actor, suggestion_id, targets if len(targets) > 1 else targets[0])
    gone = f"cluster:{cluster_id}" in result.removed
    target = f"/c/{result.consultation_id}/articles" if gone else f"/clusters/{cluster_id}"
    return redirect(target, result.summary_zh)
