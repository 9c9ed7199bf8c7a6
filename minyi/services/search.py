"""Full-text search over a consultation's comments.

Chinese has no spaces between words, so the search is a plain substring match (SQL LIKE),
the same on SQLite and PostgreSQL. Comments whose personal data the user may not see are
searched in their masked text only and shown masked: a search for a name or phone number
reveals nothing it should not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from minyi.core.errors import InputError
from minyi.core.vocab import CHANNELS
from minyi.services.context import Actor
from minyi.services.web_queries import _readable, visible_text
from models import page_queries as pq

MAX_QUERY = 100
LIMIT = 50
SNIPPET = 40  # characters either side of the first hit


@dataclass
class SearchResult:
    query: str
    hits: list[dict[str, Any]] = field(default_factory=list)
    more: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"query": self.query, "hits": self.hits, "more": self.more}


def search_comments(session: Session, actor: Actor, consultation_id: int, query: str, *,
                    limit: int = LIMIT) -> SearchResult:
    consultation = _readable(session, actor, consultation_id)
    query = " ".join((query or "").split())
    if not query:
        return SearchResult(query)
    if len(query) > MAX_QUERY:
        raise InputError(f"search text longer than {MAX_QUERY} characters", message_zh=f"检索词不能超过{MAX_QUERY}个字")
    all_unmasked = actor.role == "admin" and actor.sees_personal_data(consultation)
    points = set(actor.contact_point_ids) if actor.sees_personal_data(consultation) else set()
    rows, more = pq.search_comments(session, consultation_id, query, unmasked_points=points,
                                    all_unmasked=all_unmasked, limit=limit)
    placed = pq.suggestions_of_comments(session, [r["id"] for r in rows])
    hits = []
    for r in rows:
        text = visible_text(actor, consultation, r["text"], r["masked_text"], r["contact_point_id"])
        hits.append({
            "comment_id": r["id"], "contact_point": r["contact_point"],
            "channel": CHANNELS.get(r["channel"], r["channel"]),
            "snippet": snippet(text, query), "clusters": sorted({c for _s, cs in placed.get(r["id"], []) for c in cs}),
        })
    return SearchResult(query, hits, more)


def snippet(text: str, query: str) -> list[tuple[bool, str]]:
    """The text around the first hit as (is_hit, piece) pieces for the page to mark."""
    at = text.find(query)
    if at < 0:
        return [(False, text[: SNIPPET * 2])]
    start, end = max(0, at - SNIPPET), min(len(text), at + len(query) + SNIPPET)
    return [(False, ("…" if start else "") + text[start:at]), (True, query),
            (False, text[at + len(query): end] + ("…" if end < len(text) else ""))]
