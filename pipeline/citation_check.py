"""Citation check: a cited article that does not exist, or whose text does not match what the
suggestion says while another article does, is flagged for the reviewer — never re-mapped.

``check_citation`` returns ``{"cited": [54], "likely": [50], "evidence": "…"}`` or None. The
writer's citation stays linked (or, for a number the draft does not have, unlinked as
before); the flag only says where the reviewer should look ("疑似引用有误，可能为第X条").

Evidence, strongest first:
1. the number does not exist in the draft: the article whose wording it restates (see 3),
   else the best-scoring article, if it scores at all;
2. wording the suggestion quotes is in another article and not in the cited one;
3. wording it copies without quotation marks ("第九十四条规定情节严重的处上一年度营业额百分之五
   以下罚款……", ``pipeline.references.copied_wording``) is in one other article and none of
   it in the cited one;
4. the cited 款 or 项 is not in the cited article ("第八十二条第五款" of a four-paragraph
   article: most often a number from an earlier version of the law): another article that
   scores at least ``floor`` and above the cited one is the likely one;
5. the suggestion's words match another article clearly better than the cited one
   (scores from ``pipeline.semantic.SemanticMapper.scores`` on the suggestion with its
   citations removed; ``margin`` is the required lead and ``mismatch_floor`` the least
   score; ``floor`` is the least score for naming an article instead of a missing number);
6. a neighbour of the cited number (one off, digits swapped) matches best and leads the cited
   article by ``NEIGHBOUR_LEAD``, half the margin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

# For a number the draft has, another article must score at least MISMATCH_FLOOR and lead the
# cited one by MARGIN: a reviewer told a sound citation is doubtful learns to ignore the flag
# (on the tuning drafts, 0.12 and 0.3 flagged 10 sound citations beside 6 wrong ones; these
# keep the 6 and drop 7 of the 10). For a number the draft lacks, the best article is named
# when it scores at least FLOOR.
MARGIN = 0.25
MISMATCH_FLOOR = 0.5
FLOOR = 0.3
# A writer who cites the wrong number is most often one off (第二十条 for 第二十一条) or has
# swapped two digits (12 for 21): when such a neighbour scores within this of the best
# article, it is the likely one; so is a neighbour that scores at least MISMATCH_FLOOR and
# leads the cited article by NEIGHBOUR_LEAD (half the margin a far article needs), though a
# far article scores higher still ("第三十二条股东查账时应当允许请律师或会计师陪同": 第三十三条 on
# 查阅, not the liquidation article whose words happen to match best). A neighbour that matches
# best (within the slack) and leads the cited article by NEIGHBOUR_LEAD is flagged even when no
# article leads by the full margin: on the eight tuning drafts' 779 single citations that flags
# two wrong numbers and no sound one (a lead of 0.08 would flag two sound ones).
NEIGHBOUR_SLACK = 0.05
NEIGHBOUR_LEAD = MARGIN / 2


def _label(key: str) -> str:
    return f"第{key}条"


def check_citation(
    cited: Sequence[str],
    missing: Sequence[str],
    article_keys: Sequence[str],
    scores: np.ndarray,
    *,
    quote_hits: Sequence[str] = (),
    wording_hits: Mapping[str, str] | None = None,
    absent_parts: Sequence[str] = (),
    margin: float = MARGIN,
    floor: float = FLOOR,
    mismatch_floor: float = MISMATCH_FLOOR,
) -> dict[str, Any] | None:
    """``cited``: keys of the suggestion's explicit citations that exist; ``missing``: cited
    numbers the draft does not have; ``scores``: one row over ``article_keys``;
    ``quote_hits``: articles that contain wording the suggestion quotes; ``wording_hits``:
    articles containing wording it copies, each with the longest span copied;
    ``absent_parts``: what the citation names that the cited article lacks ("第82条没有第5款")."""
    index = {k: j for j, k in enumerate(article_keys)}
    order = [int(j) for j in np.argsort(-scores, kind="stable")] if len(scores) else []
    best = article_keys[order[0]] if order else None
    best_score = float(scores[order[0]]) if order else 0.0

    def as_number(key: str) -> int | str:
        return int(key) if key.isdigit() else key

    if missing:
        evidence = f"草案没有{'、'.join(_label(k) for k in missing)}"
        copied = _copied_elsewhere(None, wording_hits or {})
        if copied and copied[0] not in cited:
            likely = [copied[0]]
            evidence += f"；意见中的原文“{copied[1]}”见于{_label(copied[0])}"
        else:
            likely = [best] if best is not None and best_score >= floor and best not in cited else []
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
    copied = _copied_elsewhere(key, wording_hits or {})
    if copied:
        other, span = copied
        return {"cited": [as_number(key)], "likely": [as_number(other)],
                "evidence": f"疑似引用有误，可能为{_label(other)}：意见中的原文“{span}”见于{_label(other)}，不见于{_label(key)}"}
    if absent_parts and best != key and best_score >= floor and best_score > own:
        likely = _nearby_alternative(key, index, scores, best_score, own, floor) or best
        score = float(scores[index[likely]])
        return {"cited": [as_number(key)], "likely": [as_number(likely)],
                "evidence": f"疑似引用有误，可能为{_label(likely)}：{'；'.join(absent_parts)}，"
                            f"内容与{_label(likely)}的匹配度{score:.2f}，与{_label(key)}仅{own:.2f}"}
    if best != key and best_score >= mismatch_floor and best_score - own >= margin:
        likely = _nearby_alternative(key, index, scores, best_score, own, mismatch_floor) or best
        score = float(scores[index[likely]])
        return {"cited": [as_number(key)], "likely": [as_number(likely)],
                "evidence": f"疑似引用有误，可能为{_label(likely)}：内容与{_label(likely)}的匹配度{score:.2f}，"
                            f"与{_label(key)}仅{own:.2f}"}
    neighbour = _leading_neighbour(key, index, scores, best_score, own, mismatch_floor)
    if neighbour:
        score = float(scores[index[neighbour]])
        return {"cited": [as_number(key)], "likely": [as_number(neighbour)],
                "evidence": f"疑似引用有误，可能为相邻的{_label(neighbour)}：内容与{_label(neighbour)}的匹配度"
                            f"{score:.2f}，与{_label(key)}仅{own:.2f}"}
    return None


def _copied_elsewhere(key: str | None, wording_hits: Mapping[str, str]) -> tuple[str, str] | None:
    """The one other article the copied wording comes from, when none of it is in the cited
    article (``key``; None for a number the draft lacks): (its key, the span copied)."""
    if key in wording_hits or not wording_hits:
        return None
    longest = max(len(span) for span in wording_hits.values())
    top = [(k, span) for k, span in wording_hits.items() if len(span) == longest]
    return top[0] if len(top) == 1 else None


def neighbour_keys(key: str) -> list[str]:
    """Numbers a writer plausibly meant when citing ``key``: one off either way, digits swapped."""
    if not key.isdigit():
        return []
    n = int(key)
    out = [str(n - 1), str(n + 1)]
    if len(key) > 1 and key[::-1] != key and not key.endswith("0"):
        out.append(key[::-1])
    return out


def _leading_neighbour(key: str, index: dict[str, int], scores: np.ndarray, best_score: float, own: float,
                       floor: float) -> str | None:
    """A neighbour of the cited number that matches best (or within ``NEIGHBOUR_SLACK`` of the
    best), scores at least ``floor`` and leads the cited article by ``NEIGHBOUR_LEAD``: the
    writer most likely counted one off, though no article leads by the full margin
    ("第六十二条推行检查码" for 第六十三条: 0.70 against 0.51)."""
    near = _best_neighbour(key, index, scores)
    if near is None:
        return None
    score, k = near
    return k if score >= best_score - NEIGHBOUR_SLACK and score >= floor and score - own >= NEIGHBOUR_LEAD else None


def _best_neighbour(key: str, index: dict[str, int], scores: np.ndarray) -> tuple[float, str] | None:
    """(score, key) of the best-scoring neighbour of the cited number the draft has, or None."""
    near = [(float(scores[index[k]]), k) for k in neighbour_keys(key) if k in index]
    return max(near) if near else None


def _nearby_alternative(key: str, index: dict[str, int], scores: np.ndarray, best_score: float,
                        own: float, floor: float) -> str | None:
    """The best-scoring neighbour of the cited number when it nearly ties the best article,
    or clearly beats the cited one (see ``NEIGHBOUR_LEAD``)."""
    near = _best_neighbour(key, index, scores)
    if near is None:
        return None
    score, k = near
    if score >= best_score - NEIGHBOUR_SLACK or (score >= floor and score - own >= NEIGHBOUR_LEAD):
        return k
    return None
