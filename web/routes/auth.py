"""Logging in and out."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from minyi.services import accounts
from web.deps import LoginDep, SessionDep, session_token
from web.render import redirect, render
from web.routes.common import local_path
from web.schemas import LoginForm
from web.security import LOGIN_CSRF_COOKIE, SESSION_COOKIE, check_token, set_cookie

router = APIRouter()


@router.get("/")
def home(login: LoginDep) -> RedirectResponse:
    return redirect("/consultations")


def _login_page(request: Request, next_url: str, error: str | None = None, status: int = 200):  # type: ignore[no-untyped-def]
    token = secrets.token_urlsafe(32)
    request.state.login_csrf = token
    response = render(request, "login.html", {"next": local_path(next_url), "error": error}, status_code=status)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, request.app.state.signer.sign(token), max_age=3600)
    return response


@router.get("/login")
def login_page(request: Request, next: str = "/"):  # type: ignore[no-untyped-def]
    return _login_page(request, next)


@router.post("/login")
def login(request: Request, db: SessionDep, form: Annotated[LoginForm, Form()]):  # type: ignore[no-untyped-def]
    expected = request.app.state.signer.unsign(request.cookies.get(LOGIN_CSRF_COOKIE))
    check_token(form.csrf_token, expected)
    address = request.client.host if request.client else None
    try:
        opened = accounts.login(db, form.username, form.password, address=address)
    except (accounts.LoginFailed, accounts.TooManyAttempts) as exc:
        db.commit()  # the failed attempt counts even though the page shows an error
        return _login_page(request, form.next, exc.message_zh, exc.http_status)
    response = RedirectResponse(local_path(form.next, "/consultations"), status_code=303)
    max_age = accounts.SESSION_HOURS * 3600
    set_cookie(request, response, SESSION_COOKIE, request.app.state.signer.sign(opened.token), max_age=max_age)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, db: SessionDep, login: LoginDep) -> RedirectResponse:
    accounts.logout(db, session_token(request))
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
