"""The article view and the search over comments."""

from __future__ import annotations

from fastapi import APIRouter, Request

from minyi.services import search, web_queries
from web.deps import ActorDep, SessionDep

from web.render import render

router = APIRouter()


def _int_or_none(value: str | None) -> int | None:
    from minyi.core.errors import InputError

    if value in (None, ""):
        return None
    if not value.isdigit():
        raise InputError(f"{value!r} is not a number", message_zh="筛选条件有误")
    return int(value)


@router.get("/c/{consultation_id}/articles")
def article_view(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int,
                 cp: str | None = None, channel: str | None = None, type: str | None = None,
                 state: str | None = None, mine: str | None = None, article: str | None = None,
                 part: str | None = None, q: str | None = None):  # type: ignore[no-untyped-def]
    if q and q.strip():
        # A search answers on its own page: the comments found, each with its clusters.
        found = search.search_comments(db, actor, consultation_id, q)
        return render(request, "search.html", {"c": web_queries.consultation_heading(db, actor, consultation_id),
                                               "found": found, "cid": consultation_id, "q": q})
    view = web_queries.article_view(
        db, actor, consultation_id, contact_point_id=_int_or_none(cp), channel=channel or None, stype=type or None,
        state=state or None, article_id=_int_or_none(article), part=part or None, mine=bool(mine),
    )
    return render(request, "articles.html", {"v": view, "cid": consultation_id, "found": None, "q": "",
                                             "may": web_queries.rights(db, actor, consultation_id)})


@router.get("/c/{consultation_id}/search")
def search_page(request: Request, db: SessionDep, actor: ActorDep, consultation_id: int, q: str = ""):  # type: ignore[no-untyped-def]
    found = search.search_comments(db, actor, consultation_id, q)
    return render(request, "_search.html", {"found": found, "cid": consultation_id})
