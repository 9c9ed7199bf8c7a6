"""The one decision-precedence rule: a person's decision wins over the machine's.

Adoption decisions come from the detector (source "auto") and from reviewers (source
"manual"); whatever reads them (documents, statistics, exports, the web pages) counts the
one ``winning`` picks.
"""

from __future__ import annotations

from typing import Any, TypeVar

AUTO, MANUAL = "auto", "manual"

D = TypeVar("D")


def precedence(source: str | None) -> int:
    """Sort key: lower wins (a reviewer's decision before the detector's)."""
    return 0 if source == MANUAL else 1


def winning(a: D | None, b: D | None) -> D | None:
    """The decision that counts of two for one suggestion (either may be None); each has a
    ``source`` attribute or key."""
    if a is None or b is None:
        return a if b is None else b
    return a if precedence(_source(a)) <= precedence(_source(b)) else b


def _source(decision: Any) -> str | None:
    return decision.get("source") if isinstance(decision, dict) else getattr(decision, "source", None)
