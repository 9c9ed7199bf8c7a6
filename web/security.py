"""The session cookie (a signed, HttpOnly, SameSite token) and CSRF checks.

Logged-in users: every state-changing request carries the session's CSRF token (a hidden
``csrf_token`` form field or the ``X-CSRF-Token`` header htmx sends); the token lives with
the session on the server. Before login, the login form's token is a random value in its
own signed cookie (double submit).
"""

from __future__ import annotations

import secrets

from fastapi import Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from minyi.core.errors import MinyiError

SESSION_COOKIE = "minyi_session"
LOGIN_CSRF_COOKIE = "minyi_login_csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class CsrfRefused(MinyiError):
    http_status = 403
    default_zh = "页面已过期或请求来源无效，请刷新页面后重试"


class Signer:
    def __init__(self, secret_key: str) -> None:
        self._serializer = URLSafeSerializer(secret_key, salt="minyi-web")

    def sign(self, value: str) -> str:
        return self._serializer.dumps(value)

    def unsign(self, value: str | None) -> str | None:
        if not value:
            return None
        try:
            out = self._serializer.loads(value)
        except BadSignature:
            return None
        return out if isinstance(out, str) else None


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, httponly=True, samesite="lax", path="/",
        secure=request.url.scheme == "https",
    )


async def submitted_token(request: Request) -> str | None:
    """The CSRF token a state-changing request carries (None for a safe method)."""
    if request.method in SAFE_METHODS:
        return None
    header = request.headers.get(CSRF_HEADER)
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if "form" in content_type:
        try:
            form = await request.form()
        except Exception:  # a body that is not a form
            return ""
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""


def check_token(submitted: str | None, expected: str | None) -> None:
    if submitted is None:
        return
    if not submitted or not expected or not secrets.compare_digest(submitted, expected):
        raise CsrfRefused("CSRF token missing or wrong")
