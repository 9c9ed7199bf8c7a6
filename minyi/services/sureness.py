"""The review queue's order: how sure the analysis is of each suggestion's place
(``pipeline.sureness``), worked out for what it placed since the last time and stored, so
the queue's first page is one index read at any consultation size.

The analysis rates what it placed at the end of a run; the queue rates on first read
whatever is left (a database from before the column existed, a suggestion a reviewer's
undo sent back)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from models import page_queries as pq
from pipeline.sureness import Placement, sureness

BATCH = 2000


def placement(row: dict[str, Any]) -> Placement:
    """What the analysis decided, from a suggestion row (``pq.placements_to_rate``)."""
    meta = row.get("meta") or {}
    return Placement(
        text=row.get("text") or "",
        scope=row.get("scope"),
        semantic_scores=tuple(row.get("semantic_scores") or ()),
        reference_problems=bool(meta.get("reference_problems")),
        citation_doubted=bool(row.get("citation_check")),
        unplaced=bool(row.get("is_general")) and meta.get("mapping") == "general",
    )


def rate_placements(session: Session, consultation_id: int, on_batch: Callable[[], None] | None = None) -> int:
    """Store the sureness of every open suggestion that has none; returns how many.
    ``on_batch`` (the analysis' commit) runs after each batch: rating a whole national
    consultation in one transaction would keep every other writer waiting."""
    done = 0
    while rows := pq.placements_to_rate(session, consultation_id, BATCH):
        pq.set_sureness(session, {r["id"]: sureness(placement(r)) for r in rows})
        done += len(rows)
        if on_batch is not None:
            on_batch()
    return done
