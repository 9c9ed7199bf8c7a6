"""Citation check: a cited article that does not exist, or whose text does not match what the
suggestion says while another article does, is flagged for the reviewer — never re-mapped.

``check_citation`` returns ``{"cited": [54], "likely": [50], "evidence": "…"}`` or None. The
writer's citation stays linked (or, for a number the draft does not have, unlinked as
before); the flag only says where the reviewer should look ("疑似引用有误，可能为第X条").

Evidence, strongest first:
1. the number does not exist in the draft: the best-scoring article, if it scores at all;
2. wording the suggestion quotes is in another article and not in the cited one;
3. the suggestion's words match another article clearly better than the cited one
   (scores from ``pipeline.semantic.SemanticMapper.scores`` on the suggestion with its
   citations removed; ``margin`` is the required lead and ``floor`` the least score).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

MARGIN = 0.12
FLOOR = 0.3
# A writer who cites the wrong number is most often one off (第二十条 for 第二十一条) or has
# swapped two digits (12 for 21): when such a neighbour scores within this of the best
# article, it is the likely one.
NEIGHBOUR_SLACK = 0.05


def _label(key: str) -> str:
    return f"第{key}条"


def check_citation(
    cited: Sequence[str],
    missing: Sequence[str],
    article_keys: Sequence[str],
    scores: np.ndarray,
    *,
    quote_hits: Sequence[str] = (),
    margin: float = MARGIN,
    floor: float = FLOOR,
) -> dict[str, Any] | None:
    """``cited``: keys of the suggestion's explicit citations that exist; ``missing``: cited
    numbers the draft does not have; ``scores``: one row over ``article_keys``;
    ``quote_hits``: articles that contain wording the suggestion quotes."""
    index = {k: j for j, k in enumerate(article_keys)}
    order = [int(j) for j in np.argsort(-scores, kind="stable")] if len(scores) else []
    best = article_keys[order[0]] if order else None
    best_score = float(scores[order[0]]) if order else 0.0

    def as_number(key: str) -> int | str:
        return int(key) if key.isdigit() else key

    if missing:
        likely = [best] if best is not None and best_score >= floor and best not in cited else []
        evidence = f"草案没有{'、'.join(_label(k) for k in missing)}"
        if likely:
            evidence += f"；内容与{_label(likely[0])}最接近（匹配度{best_score:.2f}）"
        return {"cited": [as_number(k) for k in missing], "likely": [as_number(k) for k in likely],
                "evidence": f"疑似引用有误：{evidence}"}
    if len(cited) != 1 or cited[0] not in index or not order:
        return None
    key = cited[0]
    own = float(scores[index[key]])
    other_quotes = [k for k in quote_hits if k != key]
    if other_quotes and key not in quote_hits:
        return {"cited": [as_number(key)], "likely": [as_number(k) for k in other_quotes[:1]],
                "evidence": f"疑似引用有误，可能为{_label(other_quotes[0])}：所引原文见于{_label(other_quotes[0])}，不见于{_label(key)}"}
    if best != key and best_score >= floor and best_score - own >= margin:
        likely = _nearby_alternative(key, index, scores, best_score) or best
        score = float(scores[index[likely]])
        return {"cited": [as_number(key)], "likely": [as_number(likely)],
                "evidence": f"疑似引用有误，可能为{_label(likely)}：内容与{_label(likely)}的匹配度{score:.2f}，"
                            f"与{_label(key)}仅{own:.2f}"}
    return None


def neighbour_keys(key: str) -> list[str]:
    """Numbers a writer plausibly meant when citing ``key``: one off either way, digits swapped."""
    if not key.isdigit():
        return []
    n = int(key)
    out = [str(n - 1), str(n + 1)]
    if len(key) > 1 and key[::-1] != key and not key.endswith("0"):
        out.append(key[::-1])
    return out


def _nearby_alternative(key: str, index: dict[str, int], scores: np.ndarray, best_score: float) -> str | None:
    """The best-scoring neighbour of the cited number when it nearly ties the best article."""
    near = [(float(scores[index[k]]), k) for k in neighbour_keys(key) if k in index]
    if not near:
        return None
    score, k = max(near)
    return k if score >= best_score - NEIGHBOUR_SLACK else None
