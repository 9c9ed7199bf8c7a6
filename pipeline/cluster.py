"""Clustering within one scope (one article, or 总体意见): suggestions making the same point.

``cluster_scope(texts, embeddings, weights)`` takes the scope's deduplicated suggestions
(one unit per duplicate group, ``weights`` = group sizes) and returns clusters covering
every input exactly once:

- ``agglomerative`` (default): scikit-learn AgglomerativeClustering, cosine distance, average
  linkage, cut at the backend's calibrated distance threshold;
- ``hdbscan``: sklearn.cluster.HDBSCAN on the unit vectors (euclidean on unit vectors is
  monotone in cosine); its noise points become singleton clusters: nothing is left in an
  "outlier" bin a reviewer would have to read separately;
- ``kmeans``: MiniBatchKMeans with k ≈ √(n/2) (a fast, coarse alternative).

Above ``max_direct`` units (agglomerative needs O(n²) memory) a scope is clustered in two
stages: MiniBatchKMeans into micro-clusters of about ``micro_size`` units, then the chosen
method on the micro-clusters' centroids.

Each cluster gets a label: its top c-TF-IDF keywords (jieba tokens, legal dictionary, stop
words removed; class-based TF-IDF as in BERTopic, weighted by group size) joined with "、",
and a representative: the medoid (the member most similar, weighted, to the others).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

METHODS = ("agglomerative", "hdbscan", "kmeans")
_AMOUNT = re.compile(r"^[\d零〇一二两三四五六七八九十百千万.]+[元年月日天岁周公里米倍次条款项个人%％]*$")


@dataclass
class ClusterOut:
    members: list[int]  # indices into the input
    representative: int  # medoid (index into the input)
    keywords: list[str]
    label: str  # keywords joined with "、"
    size: int  # weighted: people, duplicates included


def cluster_scope(
    texts: Sequence[str],
    embeddings: np.ndarray,
    weights: Sequence[int] | None = None,
    *,
    method: str | None = None,
    distance_threshold: float | None = None,
    settings=None,  # type: ignore[no-untyped-def]
    max_direct: int = 2000,
    micro_size: int = 20,
    top_keywords: int = 4,
    background: Sequence[str] | None = None,
) -> list[ClusterOut]:
    """Cluster one scope's suggestions; largest clusters first.

    ``distance_threshold`` defaults to the calibrated one of ``settings.embedding_backend``
    (``pipeline.embed.thresholds_for``). ``background`` (e.g. the draft's article texts) is
    an extra class for c-TF-IDF so that words every suggestion of the scope uses (电动自行车)
    do not become every label.
    """
    from minyi.errors import ConfigError

    if settings is None:
        from minyi.settings import get_settings

        settings = get_settings().pipeline
    method = (method or settings.clusterer or "agglomerative").lower()
    if method not in METHODS:
        raise ConfigError(f"unknown clusterer {method!r} (pipeline.clusterer): choose one of {', '.join(METHODS)}")
    n = len(texts)
    if n == 0:
        return []
    emb = np.asarray(embeddings, dtype=np.float32)
    if emb.shape[0] != n:
        raise ValueError(f"{n} texts but {emb.shape[0]} embedding rows")
    w = np.ones(n) if weights is None else np.asarray(weights, dtype=np.float64)
    if distance_threshold is None:
        from pipeline.embed import thresholds_for

        distance_threshold = thresholds_for(settings.embedding_backend, settings).cluster_distance
    labels = assign_labels(emb, w, method, distance_threshold, max_direct=max_direct, micro_size=micro_size)
    groups: dict[int, list[int]] = {}
    for i, label in enumerate(labels):
        groups.setdefault(int(label), []).append(i)
    members = sorted(groups.values(), key=lambda m: (-w[m].sum(), m[0]))
    tokens = [_tokens(t) for t in texts]
    keywords = ctfidf_keywords(
        [[(tokens[i], w[i]) for i in m] for m in members],
        top_n=top_keywords,
        background=_background_tokens(tuple(background or ())),
    )
    out = []
    for m, kw in zip(members, keywords):
        rep = medoid(emb, m, w)
        out.append(
            ClusterOut(
                members=m,
                representative=rep,
                keywords=kw,
                label="、".join(kw) if kw else _fallback_label(texts[rep]),
                size=int(round(w[m].sum())),
            )
        )
    return out


# --- assignment -----------------------------------------------------------------------


def assign_labels(
    emb: np.ndarray,
    weights: np.ndarray,
    method: str,
    distance_threshold: float,
    *,
    max_direct: int = 2000,
    micro_size: int = 20,
) -> np.ndarray:
    """A cluster number per row (all rows, no noise label)."""
    n = emb.shape[0]
    if n == 1:
        return np.zeros(1, dtype=np.int64)
    if n > max_direct:
        return _two_stage(emb, weights, method, distance_threshold, max_direct, micro_size)
    return _direct(emb, weights, method, distance_threshold)


def _direct(emb: np.ndarray, weights: np.ndarray, method: str, distance_threshold: float) -> np.ndarray:
    n = emb.shape[0]
    if method == "agglomerative":
        from sklearn.cluster import AgglomerativeClustering

        model = AgglomerativeClustering(
            n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance_threshold
        )
        return model.fit_predict(emb)
    if method == "hdbscan":
        from sklearn.cluster import HDBSCAN

        if n < 3:
            return _direct(emb, weights, "agglomerative", distance_threshold)
        labels = HDBSCAN(min_cluster_size=2, min_samples=1, metric="euclidean", copy=True).fit_predict(emb)
        return _noise_to_singletons(labels)
    from sklearn.cluster import MiniBatchKMeans

    k = max(1, min(n, int(round(math.sqrt(n / 2)))))
    return MiniBatchKMeans(n_clusters=k, random_state=0, n_init=3).fit_predict(emb, sample_weight=weights)


def _noise_to_singletons(labels: np.ndarray) -> np.ndarray:
    labels = labels.copy()
    next_label = labels.max() + 1 if labels.size else 0
    for i in np.flatnonzero(labels < 0):
        labels[i] = next_label
        next_label += 1
    return labels


def _two_stage(
    emb: np.ndarray, weights: np.ndarray, method: str, distance_threshold: float, max_direct: int, micro_size: int
) -> np.ndarray:
    """k-means micro-clusters, then ``method`` over their centroids (memory ~ (n/micro)²)."""
    from sklearn.cluster import MiniBatchKMeans

    n = emb.shape[0]
    k = min(max_direct, max(2, n // micro_size))
    micro = MiniBatchKMeans(n_clusters=k, random_state=0, n_init=1, batch_size=4096).fit(emb, sample_weight=weights)
    micro_labels = micro.labels_
    centroids = micro.cluster_centers_.astype(np.float32)
    norms = np.linalg.norm(centroids, axis=1, keepdims=True)
    centroids = centroids / np.where(norms == 0, 1, norms)
    used = np.unique(micro_labels)  # k-means may leave a centre empty
    mass = np.bincount(micro_labels, weights=weights, minlength=k)[used]
    top = _direct(centroids[used], mass, method, distance_threshold)
    remap = np.full(k, -1, dtype=np.int64)
    remap[used] = top
    return remap[micro_labels]


# --- representative and keywords --------------------------------------------------------


def medoid(emb: np.ndarray, members: list[int], weights: np.ndarray | None = None) -> int:
    """The member with the highest weighted similarity to the others (to the weighted
    centroid for large clusters, which ranks the same way for unit vectors)."""
    if len(members) == 1:
        return members[0]
    sub = emb[members]
    w = np.ones(len(members)) if weights is None else weights[members]
    centre = (sub * w[:, None]).sum(axis=0)
    return members[int(np.argmax(sub @ centre))]


@lru_cache(maxsize=8)
def _background_tokens(background: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
    # The same draft is the background of every scope in a run: tokenise it once.
    return tuple(tuple(_tokens(t)) for t in background)


def _tokens(text: str) -> list[str]:
    from pipeline.semantic import tokenize

    # One-character tokens (省, 车, 罚) and bare amounts (五十元) make poor labels.
    return [t for t in tokenize(text) if len(t) > 1 and not _AMOUNT.match(t)]


def ctfidf_keywords(
    clusters: Sequence[Sequence[tuple[Sequence[str], float]]],
    top_n: int = 4,
    background: Sequence[Sequence[str]] = (),
) -> list[list[str]]:
    """Top c-TF-IDF terms per cluster: tf(t, c) · log(1 + A / f(t)), A the mean number of
    words per class and f(t) the term's frequency over all classes (BERTopic's c-TF-IDF).
    ``clusters`` holds (tokens, weight) per member; ``background`` documents form one extra
    class that is scored for idf only."""
    counts = []
    for members in clusters:
        c: Counter[str] = Counter()
        for toks, weight in members:
            for t in toks:
                c[t] += weight
        counts.append(c)
    bg: Counter[str] = Counter(t for doc in background for t in doc)
    classes = counts + ([bg] if bg else [])
    total: Counter[str] = Counter()
    for c in classes:
        total.update(c)
    avg = sum(sum(c.values()) for c in classes) / max(len(classes), 1)
    out = []
    for c in counts:
        size = sum(c.values()) or 1
        scored = sorted(
            ((v / size) * math.log(1 + avg / total[t]), t) for t, v in c.items()
        )
        out.append([t for _, t in sorted(scored, key=lambda x: (-x[0], x[1]))[:top_n]])
    return out


def _fallback_label(text: str) -> str:
    text = " ".join(text.split())
    return text[:20] + ("…" if len(text) > 20 else "")
