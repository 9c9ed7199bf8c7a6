"""Consultations: the list, creating one with its draft, editing its details."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile

from minyi.core.errors import InputError
from minyi.core.vocab import CONSULTATION_STATUSES
from minyi.services import consultations, web_queries
from web.deps import ActorDep, SessionDep
from web.render import redirect, render
from web.routes.common import saved_uploads
from web.schemas import ConsultationEditForm, ConsultationForm, SymposiumForm

router = APIRouter()
DRAFT_SUFFIXES = (".docx", ".md", ".txt", ".pdf")


@router.get("/consultations")
def consultation_list(request: Request, db: SessionDep, actor: ActorDep):  # type: ignore[no-untyped-def]
    rows = web_queries.consultation_list(db, actor)
    return render(request, "consultations.html", {"rows": rows, "may_create": actor.may("create_consultation")})


@router.post("/consultations")
def create(db: SessionDep, actor: ActorDep, form: Annotated[ConsultationForm, Form()],
           draft: Annotated[UploadFile | None, File()] = None):  # type: ignore[no-untyped-def]
    # Staff create consultations for their own contact point unless they name another.
    point = form.contact_point.strip() or web_queries.own_contact_point(db, actor)
    kwargs = dict(title=form.title, issuing_body=form.issuing_body.strip() or None, contact_point=point,
                  opened_on=form.opened_on, deadline=form.deadline)
    if draft is not None and draft.filename:
        with saved_uploads([draft], DRAFT_SUFFIXES) as paths:
            info = consultations.create_consultation(db, actor, draft=paths[0], **kwargs)
    else:
        info = consultations.create_consultation(db, actor, **kwargs)
    return redirect(f"/c/{info.id}", "已新建征求意见任务")


@router.get("/c/{consultation_id}")
def overview(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    info = consultations.show_consultation(db, actor, consultation_id)
    return render(request, "consultation.html", {
        "c": info.fields, "symposiums": info.symposiums, "statuses": CONSULTATION_STATUSES,
        "status_zh": web_queries.STATUS_ZH, "may": web_queries.rights(db, actor, consultation_id),
    })


@router.post("/c/{consultation_id}/edit")
def edit(db: SessionDep, actor: ActorDep, consultation_id: int, form: Annotated[ConsultationEditForm, Form()]):  # type: ignore[no-untyped-def]
    changes = form.model_dump(exclude={"csrf_token", "version"})
    consultations.update_consultation(db, actor, consultation_id, expected_version=form.version, **changes)
    return redirect(f"/c/{consultation_id}", "已保存")


@router.post("/c/{consultation_id}/symposium/{source_id}")
def edit_symposium(db: SessionDep, actor: ActorDep, consultation_id: int, source_id: int,
                   form: Annotated[SymposiumForm, Form()]):  # type: ignore[no-untyped-def]
    count = form.participants.strip()
    if count and not count.isdigit():
        raise InputError(f"participants: {count!r} is not a number", message_zh="参加人数应为非负整数")
    result = consultations.update_symposium(db, actor, source_id, held_on=form.held_on.strip() or None,
                                            participants=int(count) if count else None,
                                            expected_version=form.version, consultation_id=consultation_id)
    return redirect(f"/c/{consultation_id}", result.summary_zh)


@router.post("/c/{consultation_id}/draft")
def load_draft(db: SessionDep, actor: ActorDep, consultation_id: int, draft: Annotated[UploadFile, File()],
               label: Annotated[str, Form(max_length=50)] = "征求意见稿"):  # type: ignore[no-untyped-def]
    with saved_uploads([draft], DRAFT_SUFFIXES) as paths:
        result = consultations.load_draft(db, actor, consultation_id, paths[0], label=label.strip() or "征求意见稿")
    message = f"已导入{result.label}，共{result.articles}条" if result.created else "该草案文本已导入，无变化"
    return redirect(f"/c/{consultation_id}", message)


@router.post("/c/{consultation_id}/analyze")
def analyze(db: SessionDep, actor: ActorDep, consultation_id: int):  # type: ignore[no-untyped-def]
    from minyi.services.analysis import analyze as run

    summary = run(db, actor, consultation_id)
    return redirect(f"/c/{consultation_id}/articles",
                    f"分析完成：新增意见建议{summary.suggestions}条，新增归并意见{summary.clusters}条")
