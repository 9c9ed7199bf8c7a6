"""Dependencies: the database session of a request and the logged-in user (like the
full-stack FastAPI template's ``SessionDep`` and ``CurrentUser``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from minyi.core.errors import MinyiError, PermissionDenied
from minyi.services import accounts
from minyi.services.context import Actor, unit_of_work
from web.security import SESSION_COOKIE, check_token, submitted_token


class LoginRequired(MinyiError):
    http_status = 401
    default_zh = "请先登录"


def get_db(request: Request) -> Iterator[Session]:
    """One unit of work per request: committed before the response is sent (dependency
    scope "function"), rolled back when the page raised."""
    with unit_of_work(request.app.state.settings.database_url) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_db, scope="function")]


def session_token(request: Request) -> str | None:
    return request.app.state.signer.unsign(request.cookies.get(SESSION_COOKIE))


def current_login(
    request: Request, db: SessionDep, submitted: Annotated[str | None, Depends(submitted_token)]
) -> accounts.SessionInfo:
    """The logged-in user; every state-changing request must carry their CSRF token."""
    info = accounts.resume(db, session_token(request))
    if info is None:
        raise LoginRequired("not logged in")
    check_token(submitted, info.csrf_token)
    request.state.login = info
    return info


LoginDep = Annotated[accounts.SessionInfo, Depends(current_login)]


def current_actor(login: LoginDep) -> Actor:
    return login.actor


ActorDep = Annotated[Actor, Depends(current_actor)]


def admin_actor(actor: ActorDep) -> Actor:
    if actor.role != "admin":
        raise PermissionDenied(f"{actor.name} is not an admin", message_zh="仅管理员可以访问该页面")
    return actor


AdminDep = Annotated[Actor, Depends(admin_actor)]
