"""Users, for admins: add, change role / contact points / consultation limits, disable."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request

from minyi.services import accounts
from web.deps import AdminDep, SessionDep
from web.render import redirect, render
from web.schemas import UserEditForm, UserForm, split_ids, split_names

router = APIRouter()


@router.get("/users")
def users_page(request: Request, db: SessionDep, actor: AdminDep):  # type: ignore[no-untyped-def]
    return render(request, "users.html", {"users": accounts.list_users(db, actor), "roles": accounts.ASSIGNABLE_ROLES})


@router.post("/users")
def add(db: SessionDep, actor: AdminDep, form: Annotated[UserForm, Form()]):  # type: ignore[no-untyped-def]
    user = accounts.add_user(db, actor, form.username, form.role, password=form.password,
                             contact_points=split_names(form.contact_points),
                             consultation_ids=split_ids(form.consultations))
    return redirect("/users", f"已添加用户{user.username}")


@router.post("/users/{user_id}")
def edit(db: SessionDep, actor: AdminDep, user_id: int, form: Annotated[UserEditForm, Form()]):  # type: ignore[no-untyped-def]
    user = accounts.update_user(db, actor, user_id, role=form.role, active=form.active, password=form.password or None,
                                contact_points=split_names(form.contact_points),
                                consultation_ids=split_ids(form.consultations))
    return redirect("/users", f"已保存用户{user.username}")
