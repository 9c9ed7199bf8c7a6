"""Align the articles of two versions of a draft (e.g. 征求意见稿 → 公布稿).

Articles are renumbered, inserted, deleted, merged, split and moved between versions, so
comparing 第十二条 with 第十二条 says nothing. :func:`align_versions` pairs articles by
content in two passes:

1. a monotone alignment (weighted LCS by dynamic programming) over a similarity matrix of
   character-bigram Jaccard scores — most articles keep their relative order;
2. a second pass that pairs the leftovers (deleted × added) that are still clearly the
   same article: those moved out of order (``change="moved"``); and then detects merges
   and splits, where one article's text is largely contained in a neighbour's partner;
3. a paragraph pass: a 款 that now stands in another article than its own article's
   partner (cut out into an article of its own, or moved far away) pairs the two articles.

Rows: one per old article and one per new article, paired one to one, plus the extra
edges of merges and splits: a merge (two old articles → one new) shows as two rows sharing
``new`` and a split (one old → two new, or a paragraph of the old article carried into
another article) as two rows sharing ``old``; those rows carry ``group="merged"`` /
``group="split"``. ``old``/``new``
are article numbers; 第十条之一 has number 10 and the full key "10之一" in ``old_key`` /
``new_key``. ``similarity`` is difflib's ratio of the two (normalised) texts, 0 for
added/deleted rows.

:func:`diff_article` gives the changed spans of two article texts (difflib opcodes over
characters, with short equal runs folded in so spans read as phrases).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from minyi.core.drafts import Article, ParsedDraft

CHANGES = ("unchanged", "modified", "added", "deleted", "moved")

# Below this bigram Jaccard two articles are never paired on the monotone path; boilerplate
# shared by unrelated articles of the same law ("应当", "本法", "公司") stays under it.
MIN_PAIR_SIM = 0.25
# A pair off the monotone path must be more clearly the same article to count as moved.
MIN_MOVE_SIM = 0.4
# Share of an article's bigrams that must reappear in another article to call it merged
# into (or split off from) that article.
MIN_CONTAINMENT = 0.6
# A merged/split article must sit within this many places of its partner's partner.
NEIGHBOURHOOD = 2
# Common runs shorter than this do not count as carried-over text.
MIN_RUN = 4
# Articles shorter than this (in bigrams) are too generic to be called merged or split.
MIN_CONTAINED_BIGRAMS = 12
# A paragraph found in another article than its own article's partners (see
# _carried_paragraphs): its best new article must hold it by at least this much more of its
# text than the next best; the bigram overlap proposes this many candidates to compare.
PARAGRAPH_MARGIN = 0.25
PARAGRAPH_CANDIDATES = 3
# Equal runs at most this long between two changes are folded into one span.
FOLD_EQUAL = 2

_SPACE = re.compile(r"\s+")


@dataclass
class AlignedPair:
    old: int | None
    new: int | None
    similarity: float
    change: str
    old_key: str | None = None
    new_key: str | None = None
    old_label: str | None = None
    new_label: str | None = None
    group: str | None = None  # "merged" / "split" for the extra rows of a merge or split

    def to_dict(self) -> dict[str, Any]:
        return {
            "old": self.old,
            "new": self.new,
            "similarity": self.similarity,
            "change": self.change,
            "old_key": self.old_key,
            "new_key": self.new_key,
            "old_label": self.old_label,
            "new_label": self.new_label,
            "group": self.group,
        }


# Half-width punctuation (PDF extraction, typed drafts) read as the Chinese marks.
_PUNCT = str.maketrans({",": "，", ";": "；", ":": "：", "(": "（", ")": "）", "?": "？", "!": "！"})
_FULLWIDTH_ALNUM = re.compile(r"[０-９Ａ-Ｚａ-ｚ]")


def normalise(text: str) -> str:
    """The text as compared: no whitespace (line breaks between 款 are layout), full-width
    digits/letters as ASCII, ASCII punctuation as the Chinese marks (so evidence shown to
    users keeps Chinese punctuation)."""
    text = _FULLWIDTH_ALNUM.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text)
    return _SPACE.sub("", text).translate(_PUNCT)


def bigrams(text: str) -> frozenset[str]:
    s = normalise(text)
    if len(s) < 2:
        return frozenset([s]) if s else frozenset()
    return frozenset(s[i : i + 2] for i in range(len(s) - 1))


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    inter = len(a & b)
    return inter / (len(a) + len(b) - inter)


def text_ratio(a: str, b: str) -> float:
    """difflib ratio of the normalised texts (the similarity reported on each row)."""
    return difflib.SequenceMatcher(None, normalise(a), normalise(b), autojunk=False).ratio()


def _overlap_matrix(old: list[frozenset[str]], new: list[frozenset[str]]) -> Any:
    """|old_i ∩ new_j| for every pair as a dense array, from one sparse product (a Python
    double loop over 266 × 218 set intersections takes a third of a second)."""
    import numpy as np
    from scipy.sparse import csr_matrix

    vocab: dict[str, int] = {}
    for grams in (*old, *new):
        for g in grams:
            vocab.setdefault(g, len(vocab))

    def matrix(sets: list[frozenset[str]]) -> csr_matrix:
        indptr, indices = [0], []
        for grams in sets:
            indices.extend(vocab[g] for g in grams)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        return csr_matrix((data, indices, indptr), shape=(len(sets), max(len(vocab), 1)))

    return (matrix(old) @ matrix(new).T).toarray()


def _monotone_path(sim: list[list[float]], min_sim: float) -> list[tuple[int, int]]:
    """Weighted LCS: the order-preserving set of pairs with the greatest total score.

    A pair scores ``sim - min_sim / 2`` so that a strong pair beats two weak crossing
    ones, and only pairs with ``sim >= min_sim`` may be taken at all."""
    n = len(sim)
    m = len(sim[0]) if n else 0
    bias = min_sim / 2
    # best[i][j]: best score aligning old[i:] with new[j:]; filled backwards so the path
    # can be read forwards.
    best = [[0.0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, sim_i = best[i], best[i + 1], sim[i]
        for j in range(m - 1, -1, -1):
            score = below[j] if below[j] >= row[j + 1] else row[j + 1]
            s = sim_i[j]
            if s >= min_sim:
                take = below[j + 1] + s - bias
                if take > score:
                    score = take
            row[j] = score
    path: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        s = sim[i][j]
        if s >= min_sim and abs(best[i][j] - (best[i + 1][j + 1] + s - bias)) < 1e-12:
            path.append((i, j))
            i += 1
            j += 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return path


def align_versions(old: ParsedDraft, new: ParsedDraft) -> list[AlignedPair]:
    """Pair the articles of ``old`` and ``new``; rows in the order of the new version
    (deleted articles right after the row of their nearest kept predecessor)."""
    import numpy as np

    olds, news = old.articles, new.articles
    if not olds or not news:
        return [_deleted(a) for a in olds] + [_added(a) for a in news]
    ob = [bigrams(a.text) for a in olds]
    nb = [bigrams(a.text) for a in news]
    inter = _overlap_matrix(ob, nb)
    osize = np.array([max(len(g), 1) for g in ob], dtype=np.float64)
    nsize = np.array([max(len(g), 1) for g in nb], dtype=np.float64)
    sim = inter / (osize[:, None] + nsize[None, :] - inter)

    matched: dict[int, tuple[int, str | None]] = {}  # old index → (new index, change)
    for i, j in _monotone_path(sim.tolist(), MIN_PAIR_SIM):
        matched[i] = (j, None)
    taken_new = {j for j, _ in matched.values()}

    # Second pass: leftovers that are clearly the same article, moved out of order.
    free_old = [i for i in range(len(olds)) if i not in matched]
    free_new = [j for j in range(len(news)) if j not in taken_new]
    candidates = sorted(
        ((sim[i, j], i, j) for i in free_old for j in free_new if sim[i, j] >= MIN_MOVE_SIM),
        reverse=True,
    )
    for _s, i, j in candidates:
        if i in matched or j in taken_new:
            continue
        matched[i] = (j, "moved")
        taken_new.add(j)

    new_of_old = {i: j for i, (j, _) in matched.items()}
    old_of_new = {j: i for i, j in new_of_old.items()}
    extra: list[tuple[int, AlignedPair]] = []  # (new index, row)
    merged_old: set[int] = set()
    # Merge: an unmatched old article whose text now lives inside the new article that its
    # neighbour became. Split: an unmatched new article cut out of the old article that
    # its neighbour came from. Bigram containment proposes, a character-level check
    # confirms (bigram sets overlap a lot between any two articles of one law).
    for i in range(len(olds)):
        if i in matched or len(ob[i]) < MIN_CONTAINED_BIGRAMS:
            continue
        j = int(np.argmax(inter[i] / osize[i]))
        partner = old_of_new.get(j)
        if (
            partner is not None
            and abs(partner - i) <= NEIGHBOURHOOD
            and _covered(olds[i].text, news[j].text) >= MIN_CONTAINMENT
        ):
            merged_old.add(i)
            extra.append((j, _row(olds[i], news[j], "modified", group="merged")))
    for j in range(len(news)):
        if j in taken_new or len(nb[j]) < MIN_CONTAINED_BIGRAMS:
            continue
        i = int(np.argmax(inter[:, j] / nsize[j]))
        partner = new_of_old.get(i)
        if (
            partner is not None
            and abs(partner - j) <= NEIGHBOURHOOD
            and _covered(news[j].text, olds[i].text) >= MIN_CONTAINMENT
        ):
            extra.append((j, _row(olds[i], news[j], "modified", group="split")))

    carried = _carried_paragraphs(olds, news, nb, matched, extra, merged_old)
    # An unmatched article whose paragraphs went to several articles is paired with a free
    # one first (then the others are splits of it); merged into a taken one, it is merged
    # into that one only: a merged row stands for the article's only place.
    carried.sort(key=lambda pair: pair[1] in taken_new)
    for i, j in carried:
        if i in merged_old:
            continue
        if i not in matched and j not in taken_new:
            matched[i] = (j, "moved" if _out_of_order(i, j, new_of_old) else None)
            taken_new.add(j)
            new_of_old[i] = j
        elif i not in matched:
            merged_old.add(i)
            extra.append((j, _row(olds[i], news[j], "modified", group="merged")))
        else:
            extra.append((j, _row(olds[i], news[j], "modified", group="split")))

    rows_by_new: dict[int, list[AlignedPair]] = {}
    for i, (j, change) in matched.items():
        rows_by_new.setdefault(j, []).append(_row(olds[i], news[j], change))
    for j, row in extra:
        rows_by_new.setdefault(j, []).append(row)
    for j, art in enumerate(news):
        if j not in rows_by_new:
            rows_by_new[j] = [_added(art)]

    deleted_after: dict[int, list[AlignedPair]] = {}
    for i, art in enumerate(olds):
        if i in matched or i in merged_old:
            continue
        prev = next((new_of_old[k] for k in range(i - 1, -1, -1) if k in new_of_old), -1)
        deleted_after.setdefault(prev, []).append(_deleted(art))

    out: list[AlignedPair] = list(deleted_after.get(-1, []))
    for j in range(len(news)):
        out.extend(rows_by_new[j])
        out.extend(deleted_after.get(j, []))
    return out


def _carried_paragraphs(
    olds: list[Article],
    news: list[Article],
    nb: list[frozenset[str]],
    matched: dict[int, tuple[int, str | None]],
    extra: list[tuple[int, AlignedPair]],
    merged_old: set[int],
) -> list[tuple[int, int]]:
    """(old index, new index) for each 款 of an old article that stands in a new article
    other than the ones the article was paired with: a paragraph cut out into an article
    of its own, or moved into an article far away (公司法 2018 第二十条第三款 → 2023 第二十三条,
    第六十三条 → 第二十三条第三款), which the article-level passes cannot see because the rest
    of the article went elsewhere or the new article is mostly new wording. The paragraph
    must be in one new article clearly more than in any other (``PARAGRAPH_MARGIN``): a
    law's boilerplate paragraphs stand in many."""
    import numpy as np

    partners: dict[int, set[int]] = {i: {j} for i, (j, _) in matched.items()}
    old_index = {a.key: i for i, a in enumerate(olds)}
    for j, row in extra:
        if row.old_key in old_index:
            partners.setdefault(old_index[row.old_key], set()).add(j)
    wanted: list[tuple[int, str, frozenset[str]]] = []
    for i, art in enumerate(olds):
        if i in merged_old:
            continue
        for para in art.paragraphs or []:
            grams = bigrams(para.text)
            if len(grams) < MIN_CONTAINED_BIGRAMS:
                continue
            own = partners.get(i, set())
            if any(_covered(para.text, news[j].text) >= MIN_CONTAINMENT for j in own):
                continue
            wanted.append((i, para.text, grams))
    if not wanted:
        return []
    inter = _overlap_matrix([g for _, _, g in wanted], nb)
    found: list[tuple[int, int]] = []
    for row, (i, text, _grams) in zip(inter, wanted):
        candidates = [int(j) for j in np.argsort(-row, kind="stable")[:PARAGRAPH_CANDIDATES]]
        scored = sorted(((_covered(text, news[j].text), j) for j in candidates), reverse=True)
        (best, j), runner_up = scored[0], (scored[1][0] if len(scored) > 1 else 0.0)
        if best >= MIN_CONTAINMENT and best - runner_up >= PARAGRAPH_MARGIN and (i, j) not in found:
            found.append((i, j))
    return found


def _out_of_order(i: int, j: int, new_of_old: dict[int, int]) -> bool:
    """Whether pairing old i with new j crosses a pair already made."""
    return any((k < i and n > j) or (k > i and n < j) for k, n in new_of_old.items())


def _covered(part: str, whole: str) -> float:
    """Share of ``part``'s characters found in ``whole`` in common runs of at least
    ``MIN_RUN`` characters."""
    a, b = normalise(part), normalise(whole)
    if not a:
        return 0.0
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return sum(blk.size for blk in blocks if blk.size >= MIN_RUN) / len(a)


def _row(o: Article, n: Article, change: str | None, group: str | None = None) -> AlignedPair:
    same = normalise(o.text) == normalise(n.text)
    if change is None:
        change = "unchanged" if same else "modified"
    return AlignedPair(
        old=o.number,
        new=n.number,
        similarity=1.0 if same else round(text_ratio(o.text, n.text), 4),
        change=change,
        old_key=o.key,
        new_key=n.key,
        old_label=o.label,
        new_label=n.label,
        group=group,
    )


def _added(n: Article) -> AlignedPair:
    return AlignedPair(None, n.number, 0.0, "added", new_key=n.key, new_label=n.label)


def _deleted(o: Article) -> AlignedPair:
    return AlignedPair(o.number, None, 0.0, "deleted", old_key=o.key, old_label=o.label)


# --- article diff -------------------------------------------------------------------


@dataclass
class Span:
    """One change between two texts: ``op`` is replace / delete / insert; positions are
    in the normalised texts."""

    op: str
    old: str
    new: str
    old_start: int
    new_start: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "old": self.old,
            "new": self.new,
            "old_start": self.old_start,
            "new_start": self.new_start,
        }


def diff_article(old_text: str, new_text: str) -> list[Span]:
    """Changed spans between two article texts, compared character by character on the
    normalised texts; changes separated by at most ``FOLD_EQUAL`` equal characters are
    merged so that "第[五]条…[二]百元" stays readable and "由[五百]元" does not split
    into single characters."""
    a, b = normalise(old_text), normalise(new_text)
    ops = difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()
    spans: list[list[int]] = []  # [i1, i2, j1, j2]
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        if tag == "equal":
            continue
        if spans:
            prev = spans[-1]
            gap_old, gap_new = i1 - prev[1], j1 - prev[3]
            if gap_old == gap_new and gap_old <= FOLD_EQUAL:
                prev[1], prev[3] = i2, j2
                continue
        spans.append([i1, i2, j1, j2])
    out = []
    for i1, i2, j1, j2 in spans:
        op = "replace" if i2 > i1 and j2 > j1 else "delete" if i2 > i1 else "insert"
        out.append(Span(op, a[i1:i2], b[j1:j2], i1, j1))
    return out


def inserted_text(old_text: str, new_text: str) -> str:
    """Everything the new text has that the old one did not (the new side of each span)."""
    return "\n".join(s.new for s in diff_article(old_text, new_text) if s.new)


def format_inline_diff(old_text: str, new_text: str) -> str:
    """The new text with changes marked: [-removed-]{+inserted+}."""
    a = normalise(old_text)
    out: list[str] = []
    pos = 0
    for span in diff_article(old_text, new_text):
        out.append(a[pos : span.old_start])
        if span.old:
            out.append(f"[-{span.old}-]")
        if span.new:
            out.append(f"{{+{span.new}+}}")
        pos = span.old_start + len(span.old)
    out.append(a[pos:])
    return "".join(out)


def summarise(rows: list[AlignedPair]) -> dict[str, int]:
    """Counts per change kind, plus the merge/split rows."""
    counts = {c: 0 for c in CHANGES}
    for r in rows:
        if r.group is None:
            counts[r.change] += 1
    counts["merged"] = sum(1 for r in rows if r.group == "merged")
    counts["split"] = sum(1 for r in rows if r.group == "split")
    return counts
