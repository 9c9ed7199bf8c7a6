"""Templates: Jinja2 with autoescaping (a comment's ``<script>`` is shown as text) and the
helpers every page uses."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from minyi.core.vocab import ADOPTION_STATUSES, CHANNELS
from minyi.services.accounts import ROLE_ZH

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))
TYPE_ZH = {None: "未分类"}


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return value or ""


TEMPLATES.env.filters["d"] = _date
TEMPLATES.env.globals.update(CHANNELS=CHANNELS, ROLE_ZH=ROLE_ZH, ADOPTION_STATUSES=ADOPTION_STATUSES)


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-boosted") != "true"


def render(request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    login = getattr(request.state, "login", None)
    ctx = {
        "request": request,
        "login": login,
        "actor": login.actor if login else None,
        "csrf": login.csrf_token if login else getattr(request.state, "login_csrf", ""),
        "flash": request.query_params.get("msg"),
        **(context or {}),
    }
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)


def redirect(url: str, message: str | None = None) -> RedirectResponse:
    """After a change: back to a page (303, so the browser GETs it), with a message."""
    if message:
        from urllib.parse import quote

        url += ("&" if "?" in url else "?") + "msg=" + quote(message)
    return RedirectResponse(url, status_code=303)
