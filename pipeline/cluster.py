"""Clustering within one scope (one article, or 总体意见): suggestions making the same point.

``cluster_scope(texts, embeddings, weights)`` takes the scope's deduplicated suggestions
(one unit per duplicate group, ``weights`` = group sizes) and returns clusters covering
every input exactly once:

- ``agglomerative`` (default): scikit-learn AgglomerativeClustering, average linkage over the
  *proposal distance* (below), cut at the backend's calibrated distance threshold, or, for
  a backend calibrated with a ``cluster_spread``, at the scope's own cut (``scope_cut``);
- ``hdbscan``: sklearn.cluster.HDBSCAN on the unit vectors (euclidean on unit vectors is
  monotone in cosine); its noise points become singleton clusters: nothing is left in an
  "outlier" bin a reviewer would have to read separately;
- ``kmeans``: MiniBatchKMeans with k ≈ √(n/2) (a fast, coarse alternative).

Above ``max_direct`` units (agglomerative needs O(n²) memory) a scope is clustered in two
stages: MiniBatchKMeans into micro-clusters of about ``micro_size`` units, then the chosen
method on the micro-clusters' centroids.

One cluster = one proposal. Within an article every comment shares the article's topic, so
topic similarity alone merges different requests. The proposal distance compares what each
suggestion asks for: its request words (sentences with 建议/应当/改为…, weighted over the
reasons around them) in a TF-IDF space fitted on the scope itself, where words the article
already says and words every member uses weigh little; mixed with the embedding cosine by
the backend's calibrated ``cluster_embedding_weight``; the workflow embeds each suggestion's
request sentences for it (``proposal_text``) when the suggestion also gives reasons. Two
suggestions asking in opposite directions on one axis (提高 vs 降低, 从严 vs 放宽) are never
merged.

Each cluster gets a label: its top c-TF-IDF keywords (jieba tokens, legal dictionary, stop
words removed; class-based TF-IDF as in BERTopic, weighted by group size) joined with "、",
and a representative: the medoid (the member most similar, weighted, to the others).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from minyi.core.language import in_another_language

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
    article_text: str | None = None,
    embedding_weight: float | None = None,
    kinds: Sequence[str] | None = None,
    spread: float | None = None,
) -> list[ClusterOut]:
    """Cluster one scope's suggestions; largest clusters first.

    ``distance_threshold`` defaults to the calibrated one of ``settings.embedding_backend``
    (``pipeline.embed.thresholds_for``). ``background`` (e.g. the draft's article texts) is
    an extra class for c-TF-IDF so that words every suggestion of the scope uses (电动自行车)
    do not become every label. ``article_text`` is the scope's article (its words tell
    little apart); ``embedding_weight`` the share of the embedding cosine in the proposal
    distance (default: the backend's calibrated ``cluster_embedding_weight``). ``kinds``
    (e.g. stances: support / oppose / change) are never mixed in one cluster. ``spread``:
    cut each scope relative to its own distances (``scope_cut``); it defaults to the
    backend's calibrated one only with the calibrated ``distance_threshold``: a threshold
    given is the cut.
    """
    from minyi.core.errors import ConfigError

    if settings is None:
        from minyi.core.settings import get_settings

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
    if distance_threshold is None or embedding_weight is None:
        from pipeline.embed import thresholds_for

        calibrated = thresholds_for(settings.embedding_backend, settings)
        if distance_threshold is None:
            distance_threshold = calibrated.cluster_distance
            spread = calibrated.cluster_spread if spread is None else spread
        embedding_weight = calibrated.cluster_embedding_weight if embedding_weight is None else embedding_weight
    if method == "agglomerative" and 1 < n <= max_direct:
        dist = proposal_distances(texts, emb, article_text, embedding_weight)
        labels = proposal_labels(dist, scope_cut(dist, distance_threshold, spread), kinds)
    else:
        labels = _within_kinds(
            kinds, n, lambda rows: assign_labels(emb[rows], w[rows], method, distance_threshold,
                                                 max_direct=max_direct, micro_size=micro_size))
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


# --- proposals: what a suggestion asks for ----------------------------------------------

# Sentences that carry the request; the others (stories, reasons) weigh ``_REASON_WEIGHT``.
_REQUEST_CUE = re.compile(
    r"建议|应当|应该|要求|希望|必须|不得|不能|不要|改为|改成|删除|删去|去掉|增加|明确|规定|写明|写清楚|"
    r"提高|降低|限制|例外|支持|反对|同意|不宜|应"
)
_REASON_WEIGHT = 0.3
_SENTENCE = re.compile(r"[。！？!?；;\n]")
# Where a citation was taken out of Chinese text ("建议第二十条明确" → "建议 明确").
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")
# Words of any request that say nothing about which change is asked for.
_REQUEST_WORDS = frozenset(
    "建议 意见 希望 应当 应该 认为 觉得 我们 大家 问题 规定 条例 草案 本条 本条例 这条 该条 明确 进一步 "
    "可以 需要 写明 写清楚 增加 修改 支持 同意 一下 是否 这个 这一".split()
)
# The citation itself ("第二十一条第二款", "Article 12(2)") is the scope, not the proposal.
_ENGLISH_CITATION = re.compile(r"Article\s*\d+(?:\(\d+\))?")
# Directions a request can take on one axis; two requests pulling opposite ways on the same
# axis are different proposals (raise vs lower a fine, stricter vs more lenient).
_DIRECTIONS = {
    "amount": (
        re.compile(r"提高|上调|提升|太低|过低|偏低|太少|过少|太短|过短|延长|增至|增加到|调高|升为"),
        re.compile(r"降低|下调|太高|过高|偏高|太多|过多|太长|过长|缩短|降为|降到|降至|减为|减至|减少到|调低"),
    ),
    "strictness": (
        re.compile(r"从严|加重|严格|收紧|加大(?:处罚|惩处|惩戒|力度)|不痛不痒|九牛一毛|取消上限|太轻|过轻|过宽|太宽|口子太大"),
        re.compile(r"放宽|从轻|减轻|宽松|免罚|不予处罚|豁免|过严|太严|过于严格|过重|太重|太死|一刀切|留点空间|留有余地|从宽"),
    ),
}


def requested_directions(text: str) -> dict[str, int]:
    """Axis → +1 (more, stricter) or −1 (less, more lenient), for the axes the text clearly
    pulls on (both ways at once says nothing)."""
    out = {}
    for axis, (more, less) in _DIRECTIONS.items():
        up, down = bool(more.search(text)), bool(less.search(text))
        if up != down:
            out[axis] = 1 if up else -1
    return out


def opposed(a: dict[str, int], b: dict[str, int]) -> bool:
    return any(axis in b and b[axis] != way for axis, way in a.items())


def _request_sentences(text: str) -> tuple[list[str], set[int]]:
    """The text's sentences, its citations taken out, and which of them carry a request."""
    from minyi.core.citations import LOOSE

    text = _ENGLISH_CITATION.sub(" ", LOOSE.sub(" ", text or ""))
    sentences = [x for x in _SENTENCE.split(text) if x.strip()]
    return sentences, {k for k, x in enumerate(sentences) if _REQUEST_CUE.search(x)}


def proposal_text(text: str) -> str | None:
    """What a suggestion asks for, when it says more than that: its request sentences,
    without the stories and reasons around them (which differ from one writer of the same
    proposal to the next) and without its citations. None when every sentence, or none,
    is a request: the whole text is then the proposal."""
    sentences, asks = _request_sentences(text)
    if not asks or len(asks) == len(sentences):
        return None
    return _CJK_GAP.sub("", "。".join(sentences[k].strip() for k in sorted(asks)))


def request_terms(text: str) -> Counter[str]:
    """Content words weighted by where they stand: in a request sentence 1, elsewhere 0.3."""
    from pipeline.semantic import tokenize

    sentences, asks = _request_sentences(text)
    out: Counter[str] = Counter()
    for k, sentence in enumerate(sentences):
        weight = 1.0 if (k in asks or not asks) else _REASON_WEIGHT
        for tok in tokenize(sentence):
            if len(tok) > 1 and tok not in _REQUEST_WORDS:
                out[tok] += weight
    return out


def lexical_similarity(texts: Sequence[str], article_text: str | None = None) -> np.ndarray:
    """Cosine of request-weighted TF-IDF vectors fitted on the scope (idf over its members,
    the article's own words counted as one more document that has them)."""
    matrix = _request_tfidf(texts, article_text)
    return matrix @ matrix.T


def _request_tfidf(texts: Sequence[str], article_text: str | None) -> np.ndarray:
    """L2-normalised request-weighted TF-IDF rows of ``texts`` (see lexical_similarity)."""
    from pipeline.semantic import tokenize

    read = {t: request_terms(t) for t in dict.fromkeys(texts)}  # a campaign's copies once
    docs = [read[t] for t in texts]
    article_words = set(tokenize(article_text or ""))
    df: Counter[str] = Counter()
    for d in docs:
        df.update(d.keys())
    n = len(docs)
    vocab: dict[str, int] = {}
    for d in docs:
        for w in d:
            vocab.setdefault(w, len(vocab))
    matrix = np.zeros((n, max(1, len(vocab))))
    for i, d in enumerate(docs):
        for w, c in d.items():
            idf = math.log((n + 1) / (df[w] + (w in article_words))) + 1
            matrix[i, vocab[w]] = (1 + math.log(1 + c)) * idf
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms == 0, 1, norms)
    return matrix


def proposal_distances(texts: Sequence[str], emb: np.ndarray, article_text: str | None = None,
                       embedding_weight: float = 1.0, first: int | None = None) -> np.ndarray:
    """Pairwise proposal distance (see the module doc); 2.0 between opposed requests.

    With ``first`` = k: only the first k texts against the others, a (k × n−k) block,
    weighed over all n as the square would be (what new members' distances to stored ones
    need, without the stored × stored square)."""
    n = len(texts)
    rows, cols = (slice(0, n), slice(0, n)) if first is None else (slice(0, first), slice(first, n))
    sim = np.zeros((rows.stop - rows.start, cols.stop - cols.start))
    if embedding_weight > 0:
        sim += embedding_weight * (emb[rows] @ emb[cols].T)
    if embedding_weight < 1:
        lexical = _request_tfidf(texts, article_text)
        sim += (1 - embedding_weight) * (lexical[rows] @ lexical[cols].T)
        # Request words are Chinese words: with an English comment they say nothing, so
        # its pairs are compared by the (multilingual) embedding alone.
        foreign = np.array([in_another_language(t) for t in texts], dtype=bool)
        if foreign.any():
            pairs = foreign[rows][:, None] | foreign[cols][None, :]
            sim = np.where(pairs, emb[rows] @ emb[cols].T, sim)
    dist = np.clip(1.0 - sim, 0.0, 2.0)
    ways = [requested_directions(t) for t in texts]
    if first is not None:
        stored = [(j, b) for j, b in enumerate(ways[first:]) if b]
        for i, a in enumerate(ways[:first]):
            for j, b in stored:
                if a and opposed(a, b):
                    dist[i, j] = 2.0
        return dist
    for i, a in enumerate(ways):
        if a:
            for j in range(i + 1, n):
                if ways[j] and opposed(a, ways[j]):
                    dist[i, j] = dist[j, i] = 2.0
    np.fill_diagonal(dist, 0.0)
    return dist


# The scope's own cut moves at most this far from the calibrated one, and only where there
# are enough pairs to tell a spread.
SPREAD_BAND = 0.2
SPREAD_MIN_UNITS = 4


def scope_cut(dist: np.ndarray, cut: float, spread: float | None) -> float:
    """Where to cut one scope's proposal distances: ``spread`` standard deviations below
    their mean, within ``SPREAD_BAND`` of the calibrated ``cut`` (``cut`` itself without a
    spread or below ``SPREAD_MIN_UNITS`` units).

    Every suggestion on an article shares its topic, and how much more they share varies
    from article to article: on a narrow one (法定代表人由谁担任) two different proposals
    are as near as two writers of one proposal on a broad one (办事渠道, told as stories).
    One cut for every article merges the first and splits the second; a cut from the
    scope's own distances does neither as often (bench/RESULTS.md, round 25)."""
    n = dist.shape[0]
    if spread is None or n < SPREAD_MIN_UNITS:
        return cut
    pairs = dist[np.triu_indices(n, 1)]
    pairs = pairs[pairs < 2.0]  # opposed requests are kept apart whatever the cut
    if pairs.size < 2:
        return cut
    own = float(pairs.mean() - spread * pairs.std())
    return min(max(own, cut - SPREAD_BAND), cut + SPREAD_BAND)


def topicless_cut(cut: float) -> float:
    """The cut for a scope whose opinions share no article (总体意见, one chapter's, 草案范围外):
    the strict end of the band ``scope_cut`` moves in, without the scope's own spread. What
    makes a scope's own cut right is the topic its members share; opinions on the whole
    draft share none, so their distances are all large and a cut relative to them merged
    "写字楼不让骑手进" with "平台算法逼着骑手闯红灯" and "信息必须保密" into one row."""
    return cut - SPREAD_BAND


def proposal_labels(dist: np.ndarray, distance_threshold: float, kinds: Sequence[str] | None = None) -> np.ndarray:
    """Average-linkage clusters of a proposal-distance matrix, within each kind; a cluster
    that still holds opposed requests (average linkage may outvote one 2.0) is split."""
    from sklearn.cluster import AgglomerativeClustering

    def agglomerate(rows: np.ndarray) -> np.ndarray:
        if len(rows) == 1:
            return np.zeros(1, dtype=np.int64)
        return AgglomerativeClustering(
            n_clusters=None, metric="precomputed", linkage="average", distance_threshold=distance_threshold
        ).fit_predict(dist[np.ix_(rows, rows)])

    return _split_opposed(_within_kinds(kinds, dist.shape[0], agglomerate), dist)


def _within_kinds(kinds: Sequence[str] | None, n: int, cluster: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """``cluster(rows)`` run on the rows of each kind separately; labels made distinct."""
    labels = np.zeros(n, dtype=np.int64)
    parts: dict[str, list[int]] = {}
    for i in range(n):
        parts.setdefault(kinds[i] if kinds else "", []).append(i)
    offset = 0
    for rows in parts.values():
        idx = np.asarray(rows)
        part = np.asarray(cluster(idx))
        labels[idx] = part + offset
        offset += int(part.max()) + 1 if part.size else 0
    return labels


def _split_opposed(labels: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Split every cluster holding an opposed pair (distance 2.0): each member goes with the
    nearer of the pair's two sides (mean distance), so opposed requests end apart."""
    labels = labels.copy()
    next_label = int(labels.max()) + 1 if labels.size else 0
    queue = list(np.unique(labels))
    while queue:
        label = queue.pop()
        rows = np.flatnonzero(labels == label)
        sub = dist[np.ix_(rows, rows)]
        pairs = np.argwhere(sub >= 2.0)
        if not len(pairs):
            continue
        a, b = pairs[0]
        side_b = [r for k, r in enumerate(rows) if k == b or (k != a and sub[k, b] < sub[k, a])]
        labels[side_b] = next_label
        queue += [label, next_label]
        next_label += 1
    return labels


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
