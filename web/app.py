"""The application factory: ``create_app(settings)``."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from minyi.core.errors import MinyiError, PermissionDenied
from minyi.core.settings import Settings, get_settings
from web.deps import LoginRequired
from web.render import is_htmx, render
from web.security import Signer

log = logging.getLogger("minyi.web")
STATIC = Path(__file__).parent / "static"
HTTP_ZH = {404: "页面不存在", 405: "不支持该请求方式", 413: "上传的文件过大"}


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # What is loaded by now (the libraries, the templates) lives as long as the server:
    # kept out of the garbage collector's full passes, which otherwise walk it all and
    # added 100+ ms to every other large page.
    gc.collect()
    gc.freeze()
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="minyi 意见审阅", docs_url=None, redoc_url=None, openapi_url=None, lifespan=_lifespan)
    app.state.settings = settings
    app.state.signer = Signer(settings.web.secret_key)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")

    from web.routes import ROUTERS

    for router in ROUTERS:
        app.include_router(router)
    _error_pages(app)

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        # Everything is served from here: no other origin may run scripts or frame the pages.
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
            "script-src 'self'; frame-ancestors 'none'; form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        return response

    return app


def _error_response(request: Request, status: int, message: str) -> Response:
    response = render(request, "error.html", {"message": message, "status": status}, status_code=status)
    if is_htmx(request) or request.headers.get("hx-request") == "true":
        # htmx swaps 4xx answers (see base.html) into the message area of the page.
        response = render(request, "_flash.html", {"message": message, "kind": "error"}, status_code=status)
        response.headers["HX-Retarget"] = "#flash"
        response.headers["HX-Reswap"] = "innerHTML"
    return response


def _error_pages(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        target = "/login?next=" + _quote(request.url.path + (f"?{request.url.query}" if request.url.query else ""))
        if request.headers.get("hx-request") == "true":
            return Response(status_code=401, headers={"HX-Redirect": target})
        return RedirectResponse(target, status_code=303)

    @app.exception_handler(MinyiError)
    async def minyi_error(request: Request, exc: MinyiError) -> Response:
        status = exc.http_status if 400 <= exc.http_status < 500 else 400
        message = exc.message_zh
        if message == exc.default_zh and not isinstance(exc, PermissionDenied):
            message = f"{message}：{exc}"  # the library's line names the file, row or field
        return _error_response(request, status, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        fields = "、".join(str(e["loc"][-1]) for e in exc.errors() if e.get("loc"))
        return _error_response(request, 400, f"请求参数有误{('：' + fields) if fields else ''}")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        return _error_response(request, exc.status_code, HTTP_ZH.get(exc.status_code, "请求无法处理"))

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s", request.url.path)
        return _error_response(request, 500, "服务器内部错误，请联系管理员")


def _quote(value: str) -> str:
    from urllib.parse import quote

    return quote(value, safe="")
