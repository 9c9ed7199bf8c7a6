"""The figures of shared/EVALUATION.md, computed from labels and predictions (pure functions).

A prediction per comment (``Predicted``) holds what the analysis stored for it: the union
of its suggestions' article links, the citation checks raised, the duplicate groups and the
per-article clusters its suggestions fell in.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

NO_ARTICLE_SCOPES = ("general", "chapter", "out_of_scope", "not_opinion")
# Strongest first: a comment split into pieces gets the strongest status proposed for any.
STATUS_ORDER = ("采纳", "部分采纳", "已有规定", "未采纳")
# The 3-class figure: 已有规定 is a way of not adopting (the text stays as it was).
THREE_CLASS = {"采纳": "采纳", "部分采纳": "部分采纳", "未采纳": "未采纳", "已有规定": "未采纳"}


@dataclass
class Predicted:
    articles: set[int] = field(default_factory=set)
    checks: list[dict[str, Any]] = field(default_factory=list)  # citation_check values
    groups: set[int] = field(default_factory=set)  # duplicate group ids
    clusters: dict[int, int] = field(default_factory=dict)  # article number → cluster id
    scopes: list[str] = field(default_factory=list)  # per suggestion
    statuses: list[str] = field(default_factory=list)  # adoption proposals per suggestion


def _ratio(num: int | float, den: int | float) -> float | None:
    return round(num / den, 4) if den else None


def labelled_articles(c: dict[str, Any]) -> set[int]:
    return {int(a) for a in c.get("articles") or []}


def with_checks(pred: Predicted) -> set[int]:
    """The predicted set read with every citation check's suggestion taken."""
    out = set(pred.articles)
    for chk in pred.checks:
        out -= {int(a) for a in chk.get("cited") or []}
        out |= {int(a) for a in chk.get("likely") or []}
    return out


def explicit(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    """Comments citing a number: predicted set == labelled set (a flagged wrong number counts
    when its 'likely' article is the labelled one)."""
    rows = [c for c in comments if c.get("cited")]
    right, misses = 0, []
    for c in rows:
        p, gold = preds[c["id"]], labelled_articles(c)
        if p.articles == gold or (p.checks and with_checks(p) == gold):
            right += 1
        else:
            misses.append({"id": c["id"], "gold": sorted(gold), "pred": sorted(p.articles),
                           "checks": p.checks, "text": c["text"][:80]})
    return {"n": len(rows), "exact": _ratio(right, len(rows)), "misses": misses}


def reference_free(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    rows = [c for c in comments if c.get("articles") and not c.get("cited")]
    right = hit = n_pred = n_gold = 0
    misses = []
    for c in rows:
        p, gold = preds[c["id"]].articles, labelled_articles(c)
        right += p == gold
        hit += len(p & gold)
        n_pred += len(p)
        n_gold += len(gold)
        if p != gold:
            misses.append({"id": c["id"], "gold": sorted(gold), "pred": sorted(p), "text": c["text"][:80]})
    return {
        "n": len(rows),
        "exact": _ratio(right, len(rows)),
        "precision": _ratio(hit, n_pred),
        "recall": _ratio(hit, n_gold),
        "links_per_comment": _ratio(n_pred, len(rows)),
        "misses": misses,
    }


def kept_off(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    rows = [c for c in comments if c.get("scope") in NO_ARTICLE_SCOPES]
    ok = [c for c in rows if not preds[c["id"]].articles]
    by_scope = Counter(c["scope"] for c in rows)
    ok_scope = Counter(c["scope"] for c in ok)
    misses = [{"id": c["id"], "scope": c["scope"], "pred": sorted(preds[c["id"]].articles), "text": c["text"][:80]}
              for c in rows if preds[c["id"]].articles]
    return {
        "n": len(rows),
        "share": _ratio(len(ok), len(rows)),
        "by_scope": {s: _ratio(ok_scope[s], n) for s, n in sorted(by_scope.items())},
        "misses": misses,
    }


def scope_accuracy(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    """Not an EVALUATION.md figure: the comment's scope as the analysis stored it (the first
    suggestion's, 'article' when any suggestion is on an article) against the label."""
    right, n = 0, 0
    confusion: Counter[str] = Counter()
    for c in comments:
        scopes = preds[c["id"]].scopes
        if not scopes:
            continue
        got = "article" if "article" in scopes else scopes[0]
        n += 1
        right += got == c.get("scope")
        confusion[f"{c.get('scope')}→{got}"] += 1
    return {"n": n, "accuracy": _ratio(right, n), "confusion": dict(confusion.most_common())}


def duplicates(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    """Pairs of comments: labelled same dup_group vs sharing a predicted duplicate group."""
    tp = fp = fn = 0
    missed, wrong = [], []
    for a, b in combinations(comments, 2):
        gold = bool(a.get("dup_group")) and a.get("dup_group") == b.get("dup_group")
        pred = bool(preds[a["id"]].groups & preds[b["id"]].groups)
        if gold and pred:
            tp += 1
        elif pred:
            fp += 1
            wrong.append((a["id"], b["id"]))
        elif gold:
            fn += 1
            missed.append((a["id"], b["id"]))
    p, r = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    f1 = round(2 * p * r / (p + r), 4) if p and r else (None if p is None or r is None else 0.0)
    return {"pairs": tp + fn, "precision": p, "recall": r, "f1": f1, "missed": missed[:40], "wrong": wrong[:40]}


def point_of(c: dict[str, Any], article: int) -> str | None:
    if c.get("points"):
        return c["points"].get(str(article))
    return c.get("point")


def clusters(comments: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    """Per article with ≥6 single-article comments making ≥2 points: ARI of predicted
    cluster vs labelled point; a comment not clustered on that article is a singleton."""
    from sklearn.metrics import adjusted_rand_score

    by_article: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for c in comments:
        arts = labelled_articles(c)
        if len(arts) == 1 and c.get("scope") == "article":
            by_article[next(iter(arts))].append(c)
    per: dict[str, float] = {}
    for art, rows in sorted(by_article.items()):
        points = [point_of(c, art) for c in rows]
        if len(rows) < 6 or len(set(points)) < 2:
            continue
        predicted = []
        for k, c in enumerate(rows):
            cl = preds[c["id"]].clusters.get(art)
            predicted.append(f"c{cl}" if cl is not None else f"alone{k}")
        per[str(art)] = round(float(adjusted_rand_score(points, predicted)), 4)
    mean = round(sum(per.values()) / len(per), 4) if per else None
    return {"articles": per, "mean_ari": mean}


def strongest(statuses: list[str]) -> str:
    known = [s for s in statuses if s in STATUS_ORDER]
    return min(known, key=STATUS_ORDER.index) if known else "未采纳"


def adoption(rows: list[dict[str, Any]], preds: dict[str, Predicted]) -> dict[str, Any]:
    right3 = right4 = 0
    confusion: Counter[str] = Counter()
    misses = []
    for r in rows:
        got = strongest(preds[r["id"]].statuses)
        right3 += THREE_CLASS[got] == THREE_CLASS[r["status"]]
        right4 += got == r["status"]
        confusion[f"{r['status']}→{got}"] += 1
        if THREE_CLASS[got] != THREE_CLASS[r["status"]]:
            misses.append({"id": r["id"], "gold": r["status"], "pred": got, "pred_articles": sorted(preds[r["id"]].articles),
                           "gold_articles": r.get("articles"), "text": r["text"][:80]})
    return {
        "n": len(rows),
        "accuracy_3class": _ratio(right3, len(rows)),
        "accuracy_4class": _ratio(right4, len(rows)),
        "confusion": dict(sorted(confusion.items())),
        "misses": misses,
    }


def alignment(rows: list[dict[str, Any]], predicted: dict[int, set[int]]) -> dict[str, Any]:
    """Draft articles whose final counterpart the adoption labels name (采纳/部分采纳 rows on
    one article): share whose predicted counterparts include it."""
    truth: dict[int, set[int]] = defaultdict(set)
    for r in rows:
        if r.get("final_articles") and len(r.get("articles") or []) == 1:
            truth[int(r["articles"][0])] |= {int(a) for a in r["final_articles"]}
    ok = sum(1 for a, want in truth.items() if want & predicted.get(a, set()))
    wrong = {a: (sorted(want), sorted(predicted.get(a, set()))) for a, want in truth.items() if not want & predicted.get(a, set())}
    return {"n": len(truth), "share": _ratio(ok, len(truth)), "wrong": wrong}
