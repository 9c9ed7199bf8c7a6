"""How sure the analysis is of where it put a suggestion, and why a reviewer should look.

The review queue shows the least sure first: a semantic placement with a low score or two
articles close together, a citation of an article the draft lacks, a citation whose
article does not match what the suggestion says, a chapter-level opinion, a symposium
host's words or a complaint, a suggestion left in 总体意见 although the draft has articles.
Each doubt has a sureness in [0, 1] (lower: shown earlier); a suggestion's sureness is its
lowest, ``QUEUE_SURE`` when there is no doubt (it stays out of the queue).

Worked out once per placement and stored, so the queue's first page is an index read
whatever the consultation's size.
"""

from __future__ import annotations

from dataclasses import dataclass

# At or above: nothing to doubt, not in the review queue.
QUEUE_SURE = 2.0

# Words of a symposium host or a complaint rather than an opinion on the draft.
HOST_WORDS = ("主持人", "欢迎大家", "感谢大家", "下面请", "今天我们", "会议开始", "散会")
COMPLAINT_WORDS = ("投诉", "举报", "信访")

# Sureness of each flagged kind (lower: shown earlier in the queue).
FLAG_SURENESS = {
    "missing_article": 0.05,
    "citation_mismatch": 0.08,
    "host": 0.1,
    "complaint": 0.1,
    "chapter": 0.3,
    "unplaced": 0.45,
}


@dataclass(frozen=True)
class Placement:
    """What the analysis decided about one suggestion."""

    text: str
    scope: str | None
    semantic_scores: tuple[float, ...] = ()  # scores of its semantic links, best first
    reference_problems: bool = False  # cites an article the draft lacks
    citation_doubted: bool = False  # the cited article does not match the content
    unplaced: bool = False  # left in 总体意见 by the mapping although the draft has articles


@dataclass(frozen=True)
class Doubt:
    kind: str  # low_score / small_margin / one of FLAG_SURENESS
    sureness: float
    detail: str | None = None


def semantic_doubt(scores: tuple[float, ...]) -> Doubt | None:
    """The best score, or four times the margin to the second-best article when that is
    lower (two articles close together are as doubtful as one weak match)."""
    if not scores:
        return None
    top = scores[0]
    margin = top - scores[1] if len(scores) > 1 else None
    if margin is not None and margin * 4 < top:
        return Doubt("small_margin", margin * 4, f"相差{margin:.2f}")
    return Doubt("low_score", top, f"{top:.2f}")


def flags(p: Placement) -> list[str]:
    out = []
    if p.reference_problems:
        out.append("missing_article")
    if p.citation_doubted:
        out.append("citation_mismatch")
    if p.scope == "chapter":
        out.append("chapter")
    if any(w in p.text for w in HOST_WORDS):
        out.append("host")
    if any(w in p.text for w in COMPLAINT_WORDS):
        out.append("complaint")
    if p.unplaced:
        out.append("unplaced")
    return out


def doubts(p: Placement) -> list[Doubt]:
    """Every reason to look at the suggestion, the semantic one first."""
    semantic = semantic_doubt(p.semantic_scores)
    return ([semantic] if semantic else []) + [Doubt(k, FLAG_SURENESS[k]) for k in flags(p)]


def sureness(p: Placement) -> float:
    return min((d.sureness for d in doubts(p)), default=QUEUE_SURE)
