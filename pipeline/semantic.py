"""Semantic mapping: link a suggestion that cites no article to the articles it is about.

Score of a (suggestion, article) pair, in [0, 1]:

    score = w_bm25 * lexical + (1 - w_bm25) * cos_scaled      (× a penalty-intent factor)

- ``lexical``: Okapi BM25 of the suggestion's jieba tokens (legal user dictionary
  ``resources/legal_dict.txt``, stop words ``resources/stopwords.txt``) against each
  article (chapter name + text) and against each of its 款/项 lines alone (the article keeps
  its best), mixed with BM25 over character bigrams (robust to segmentation), each
  saturated as ``b / (b + bm25_half)`` so the score is absolute, not relative to the best
  article. Colloquial words are first mapped to the draft's statutory ones
  (``resources/synonyms.txt``: 电瓶车 → 电动自行车, 飞线 → 私拉电线).
- ``cos_scaled``: the best cosine between the suggestion's embedding and the article's
  pieces (the whole article with label and chapter, and each line), rescaled from
  [cos_lo, cos_hi] to [0, 1] (each backend has its own cosine range). With
  ``expand_embeddings`` the embedded text is the synonym-expanded one
  (``SemanticMapper.embedding_texts``); ``term_mix`` is a cheaper stand-in.
- penalty intent: a suggestion about a penalty (罚, 处分) is pulled towards the 法律责任
  articles, one without it is pulled away from them (they repeat every duty's vocabulary).
- context (optional, per suggestion): the whole comment it was split from and the form's
  quoted draft wording, scored lexically and blended in with ``w_context``.

The top ``top_k`` articles scoring at least ``threshold`` and within ``relative`` of the
best are linked (several links are allowed); none means 总体意见 (an empty list). All
parameters per backend live in ``resources/thresholds.toml``: tfidf's and
sentence-transformers' written by ``bench/calibrate.py`` (tuned on the sample consultation's
reference-free points), the default USE backend's re-tuned on the tuning drafts by
``eval/tune_mapping.py`` (see bench/RESULTS.md); settings override the threshold.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from minyi.core import citations

RESOURCES = Path(__file__).parent / "resources"
LEGAL_DICT = RESOURCES / "legal_dict.txt"
STOPWORDS = RESOURCES / "stopwords.txt"
SYNONYMS = RESOURCES / "synonyms.txt"
# A suggestion about a penalty ("罚五十元太重") belongs with the 法律责任 articles; one
# without that intent seldom does, though penalty articles repeat every duty's vocabulary.
_PENALTY_INTENT = re.compile(r"罚|处分|刑事责任|法律责任|违法成本")
_PENALTY_ARTICLE = re.compile(r"处[^。；]{0,20}罚款|罚款[^。；]{0,6}以下|给予处分|追究刑事责任")

_WORDLIKE = re.compile(r"[\w\u4e00-\u9fff]")
_DIGITS = re.compile(r"^[\d.]+$")


# Learned examples: at most this many per article (evenly spread over the consultation),
# compared with the suggestions this many rows at a time.
EXAMPLES_PER_ARTICLE = 64
_EXAMPLE_BLOCK = 2048


def spread(items: list[int], limit: int) -> list[int]:
    """At most ``limit`` of ``items``, evenly spaced (all of them when there are fewer)."""
    if len(items) <= limit:
        return items
    step = len(items) / limit
    return [items[int(k * step)] for k in range(limit)]


@dataclass(frozen=True)
class ArticleDoc:
    """One article as the mapper sees it."""

    key: str  # "12" or "12之一" (minyi.core.drafts.Article.key)
    label: str  # "第十二条"
    text: str
    chapter: str | None = None  # "第二章 登记与上牌" (with the section appended, if any)
    provision_id: int | None = None

    @property
    def number(self) -> int:
        return int(re.match(r"\d+", self.key).group()) if re.match(r"\d+", self.key) else 0


@dataclass(frozen=True)
class SemanticLink:
    article_key: str
    provision_id: int | None
    score: float  # calibrated, in [0, 1]
    method: str = "semantic"


@dataclass(frozen=True)
class MapParams:
    """Mapping parameters for one backend (see the module doc)."""

    threshold: float = 0.35
    w_bm25: float = 0.5
    w_bigram: float = 0.5  # share of character-bigram BM25 in the lexical part
    penalty_boost: float = 0.15  # penalty intent: liability articles' score × (1 + boost)
    penalty_damp: float = 0.15  # no penalty intent: liability articles' score × (1 - damp)
    expand: bool = True  # append statutory terms for colloquial ones (synonyms.txt) for BM25
    # Embed the expanded text too (slightly better, but the suggestion's own embedding, which
    # dedup and clustering need anyway and the cache already holds, can then not be reused).
    expand_embeddings: bool = False
    # Add the embedding of the statutory terms alone ("私拉电线 物业服务企业") to the text's own
    # embedding with this weight: most of what embedding the expanded text gives, at the
    # cost of embedding a few distinct term strings (memoised) instead of every text again.
    term_mix: float = 0.0
    # Score the context with its embedding too (else lexically only: no second embedding).
    context_embed: bool = False
    w_context: float = 0.35  # weight of the context's scores (the whole comment, quoted text)
    line_bm25: bool = True  # also score each 款/项 line alone and keep the article's best
    context_ref_boost: float = 0.15  # added to articles the context cites explicitly
    context_decay: float = 0.0  # context weight × (1 − the point's own best score) ** decay
    bm25_half: float = 8.0
    cos_lo: float = 0.1
    cos_hi: float = 0.6
    # A second (third) article is linked only when its score is within ``relative`` of the
    # best: a point goes to several articles only when the text really spans them.
    relative: float = 0.97
    top_k: int = 2
    # Learned examples (the consultation's explicitly cited suggestions): their weight and
    # the cosine range rescaled to [0, 1].
    w_examples: float = 0.3
    ex_lo: float = 0.3
    ex_hi: float = 0.9


# --- tokens -------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _tokenizer():  # type: ignore[no-untyped-def]
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    # A private tokenizer: loading our dictionary must not change jieba's global state that
    # other stages (the classifier) may rely on.
    tok = jieba.Tokenizer()
    tok.load_userdict(str(LEGAL_DICT))
    return tok


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    lines = STOPWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def synonyms() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(statutory term, variants) pairs from synonyms.txt."""
    pairs = []
    for line in SYNONYMS.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or ":" not in line:
            continue
        term, _, variants = line.partition(":")
        pairs.append((term.strip(), tuple(v for v in variants.split() if v)))
    return tuple(pairs)


def expand_query(text: str) -> str:
    """``text`` plus the statutory term of every colloquial variant it uses."""
    extra = [term for term, variants in synonyms() if term not in text and any(v in text for v in variants)]
    return f"{text} {' '.join(extra)}" if extra else text


@lru_cache(maxsize=1)
def _legal_terms() -> frozenset[str]:
    words = [ln.split()[0] for ln in LEGAL_DICT.read_text(encoding="utf-8").splitlines() if ln.strip()]
    return frozenset(w for w in words if w not in stopwords())


def key_terms(text: str) -> frozenset[str]:
    """The legal vocabulary a text uses, colloquial variants mapped to the statutory term
    (电瓶车 → 电动自行车): two texts about different things differ here even when their
    sentence embeddings are close ("在人行道骑行" vs "在人行道停放")."""
    terms = set()
    for term, variants in synonyms():
        if term in text or any(v in text for v in variants):
            terms.add(term)
    legal = _legal_terms()
    covered = {v for term, variants in synonyms() if term in terms for v in variants}
    terms.update(t for t in tokenize(text) if t in legal and t not in covered)
    return frozenset(terms)


def cited_keys(text: str) -> list[str]:
    """Article keys ("12", "10之一") that ``text`` cites as 第…条."""
    return citations.article_keys(text)


def char_bigrams(text: str) -> list[str]:
    """Overlapping CJK character bigrams (robust to word-segmentation differences)."""
    runs = re.findall(r"[\u4e00-\u9fff]+", text or "")
    stop = stopwords()
    return [r[i : i + 2] for r in runs for i in range(len(r) - 1) if r[i : i + 2] not in stop]


def tokenize(text: str) -> list[str]:
    """jieba tokens (legal user dictionary loaded) without stop words, digits or punctuation."""
    return list(_tokens(text or ""))


# Texts remembered: the mapping, the type rules and the clustering each tokenize every
# suggestion, and a consultation repeats itself (a campaign's copies, a comment's context
# for each of its points); jieba is the mapping's largest cost. Bounded: about 55 MB.
@lru_cache(maxsize=32768)
def _tokens(text: str) -> tuple[str, ...]:
    stop = stopwords()
    return tuple(
        t
        for t in _tokenizer().lcut(text)
        if t.strip() and t not in stop and _WORDLIKE.search(t) and not _DIGITS.match(t)
    )


# --- articles -----------------------------------------------------------------------


def articles_from_draft(draft) -> list[ArticleDoc]:  # type: ignore[no-untyped-def]
    """ArticleDocs from a ``minyi.core.drafts.ParsedDraft``."""
    return [
        ArticleDoc(
            key=a.key,
            label=a.label,
            text=a.text,
            chapter=" ".join(x for x in (a.chapter, a.section) if x) or None,
        )
        for a in draft.articles
    ]


def _article_pieces(doc: ArticleDoc) -> list[str]:
    """Texts embedded for an article: the whole of it, then each non-trivial line."""
    whole = " ".join(x for x in (doc.label, doc.chapter or "", doc.text) if x)
    lines = [ln.strip() for ln in doc.text.splitlines() if len(ln.strip()) >= 8]
    return [whole] + (lines if len(lines) > 1 else [])


# --- BM25 ---------------------------------------------------------------------------


class BM25:
    """Okapi BM25 over pre-tokenised documents, precomputed as a sparse (term × document)
    weight matrix so a batch of queries is one sparse product."""

    def __init__(self, docs: Sequence[Sequence[str]], k1: float = 1.2, b: float = 0.75) -> None:
        from scipy.sparse import csr_matrix

        self.k1, self.b = k1, b
        tfs = [Counter(d) for d in docs]
        n = len(docs)
        lengths = np.array([len(d) for d in docs], dtype=np.float64)
        avg = float(lengths.mean()) if n else 0.0
        df = Counter(t for tf in tfs for t in tf)
        self.vocab = {t: i for i, t in enumerate(df)}
        rows, cols, vals = [], [], []
        for j, tf in enumerate(tfs):
            norm = k1 * (1 - b + b * lengths[j] / max(avg, 1e-9))
            for t, f in tf.items():
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                rows.append(self.vocab[t])
                cols.append(j)
                vals.append(idf * f * (k1 + 1) / (f + norm))
        self.n_docs = n
        self.weights = csr_matrix((vals, (rows, cols)), shape=(len(self.vocab), n))

    def scores_many(self, queries: Sequence[Sequence[str]]) -> np.ndarray:
        """BM25 of each query (its distinct terms) against every document: (queries, docs)."""
        from scipy.sparse import csr_matrix

        rows, cols = [], []
        for i, q in enumerate(queries):
            for t in {t for t in q if t in self.vocab}:
                rows.append(i)
                cols.append(self.vocab[t])
        if not queries or not self.n_docs:
            return np.zeros((len(queries), self.n_docs))
        q = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(queries), len(self.vocab)))
        return np.asarray((q @ self.weights).todense())

    def scores(self, query: Sequence[str]) -> np.ndarray:
        return self.scores_many([query])[0]


# --- the mapper ---------------------------------------------------------------------


# How much more a point must score on one listed article than on the next for the form's
# list to be shared out by content (``share_declared``).
DECLARED_MARGIN = 0.1


def share_declared(rows: np.ndarray, margin: float = DECLARED_MARGIN) -> list[list[int]] | None:
    """A comment that makes several points under a form's list of articles: for each point
    (a row of its scores against the listed articles), the columns it is about. A point
    that scores one listed article ``margin`` above the rest is about that one; any other
    keeps the whole list. None (the list stays with every point) when some listed article
    would be left to no point: the writer listed it for one of them."""
    out: list[list[int]] = []
    for row in rows:
        order = np.argsort(-row, kind="stable")
        best = float(row[order[0]])
        second = float(row[order[1]]) if len(order) > 1 else 0.0
        out.append([int(order[0])] if best > 0 and best - second >= margin else list(range(len(row))))
    covered = {j for share in out for j in share}
    return out if len(covered) == rows.shape[1] else None


def map_params_for(embedder_or_name, settings=None) -> MapParams:  # type: ignore[no-untyped-def]
    """Parameters for a backend from thresholds.toml; settings override the threshold."""
    from pipeline.embed import calibration, thresholds_for

    row = calibration(embedder_or_name)
    base = MapParams()
    fields = {k: type(getattr(base, k))(row[f"map_{k}"]) for k in base.__dataclass_fields__ if f"map_{k}" in row}
    params = MapParams(**fields)
    threshold = thresholds_for(embedder_or_name, settings).semantic_map
    return MapParams(**{**params.__dict__, "threshold": threshold})


class SemanticMapper:
    """``SemanticMapper(articles, embedder).map(texts, embeddings=None) -> list[list[SemanticLink]]``

    ``embeddings`` (rows for ``texts``, from the same embedder) may be passed to avoid
    re-embedding; an empty list for a text means 总体意见 (no article above threshold).
    ``params`` defaults to the backend's calibrated parameters; ``threshold``/``top_k``
    override single fields.
    """

    def __init__(
        self,
        articles: Sequence[ArticleDoc],
        embedder,  # type: ignore[no-untyped-def]
        *,
        threshold: float | None = None,
        top_k: int | None = None,
        settings=None,  # type: ignore[no-untyped-def]
        params: MapParams | None = None,
        article_embeddings: np.ndarray | None = None,
    ) -> None:
        self.articles = list(articles)
        self._column = {a.key: j for j, a in enumerate(self.articles)}  # article key → score column
        self.embedder = embedder
        params = params or map_params_for(embedder, settings)
        overrides = {}
        if threshold is not None:
            overrides["threshold"] = float(threshold)
        if top_k is not None:
            overrides["top_k"] = int(top_k)
        self.params = MapParams(**{**params.__dict__, **overrides})
        docs = [f"{a.chapter or ''} {a.text}" for a in self.articles]
        self._bm25 = BM25([tokenize(d) for d in docs])
        self._bm25_bi = BM25([char_bigrams(d) for d in docs])
        lines = [(i, ln.strip()) for i, a in enumerate(self.articles) for ln in a.text.splitlines() if len(ln.strip()) >= 8]
        self._line_owner = np.array([i for i, _ in lines], dtype=np.int64)
        self._bm25_lines = BM25([tokenize(ln) for _, ln in lines], b=0.5) if lines else None
        self._liability = np.array(
            [bool(_PENALTY_ARTICLE.search(a.text)) or "法律责任" in (a.chapter or "") for a in self.articles]
        )
        pieces: list[str] = []
        owner: list[int] = []
        for i, a in enumerate(self.articles):
            for piece in _article_pieces(a):
                pieces.append(piece)
                owner.append(i)
        self._owner = np.array(owner, dtype=np.int64)
        if article_embeddings is not None and len(article_embeddings) == len(pieces):
            self._piece_emb = np.asarray(article_embeddings, dtype=np.float32)
        else:
            self._piece_emb = embedder.encode(pieces) if pieces else np.zeros((0, embedder.dim), np.float32)

    @property
    def pieces_embeddings(self) -> np.ndarray:
        return self._piece_emb

    def cosine_matrix(self, embeddings: np.ndarray) -> np.ndarray:
        """Best cosine per (text, article) over the article's pieces."""
        n, m = len(embeddings), len(self.articles)
        best = np.full((n, m), -1.0, dtype=np.float32)
        if n == 0 or m == 0:
            return best
        sims = embeddings @ self._piece_emb.T  # (n, pieces): a few hundred columns at most
        for j in range(m):
            cols = np.flatnonzero(self._owner == j)
            best[:, j] = sims[:, cols].max(axis=1)
        return best

    def embedding_texts(self, texts: Sequence[str]) -> list[str]:
        """The texts whose embeddings ``map(texts, embeddings)`` expects (the texts themselves
        unless ``expand_embeddings``): embed these through the cache and pass them in."""
        return [expand_query(t) for t in texts] if self.params.expand_embeddings else list(texts)

    def score_matrix(
        self, texts: Sequence[str], embeddings: np.ndarray | None = None, *, lexical_only: bool = False
    ) -> np.ndarray:
        """Calibrated scores in [0, 1], shape (len(texts), len(articles))."""
        p = self.params
        queries = [expand_query(t) if p.expand else t for t in texts]
        m = len(self.articles)
        if lexical_only:
            cos_scaled = None
        else:
            if embeddings is None:
                embeddings = self.embedder.encode(self.embedding_texts(texts))
            embeddings = self._mix_terms(texts, np.asarray(embeddings, dtype=np.float32))
            cos = self.cosine_matrix(embeddings)
            cos_scaled = np.clip((cos - p.cos_lo) / max(p.cos_hi - p.cos_lo, 1e-6), 0.0, 1.0)
        tokens = [tokenize(q) for q in queries]
        words = self._bm25.scores_many(tokens).reshape(-1, m)
        if p.line_bm25 and self._bm25_lines is not None:
            line_scores = self._bm25_lines.scores_many(tokens)
            per_article = np.zeros_like(words)
            np.maximum.at(per_article.T, self._line_owner, line_scores.T)
            words = np.maximum(words, per_article)
        bigrams = self._bm25_bi.scores_many([char_bigrams(q) for q in queries]).reshape(-1, m)
        lexical = (1 - p.w_bigram) * words / (words + p.bm25_half) + p.w_bigram * bigrams / (
            bigrams + 2 * p.bm25_half
        )
        score = lexical if cos_scaled is None else p.w_bm25 * lexical + (1 - p.w_bm25) * cos_scaled
        intent = np.array([bool(_PENALTY_INTENT.search(t)) for t in texts])[:, None]
        factor = np.where(intent, 1 + p.penalty_boost, 1 - p.penalty_damp)
        score = np.where(self._liability[None, :], score * factor, score)
        return np.clip(score, 0.0, 1.0).astype(np.float32)

    def _mix_terms(self, texts: Sequence[str], embeddings: np.ndarray) -> np.ndarray:
        p = self.params
        if p.term_mix <= 0 or p.expand_embeddings or not len(texts):
            return embeddings
        terms = [expand_query(t)[len(t) :].strip() for t in texts]
        rows = [i for i, t in enumerate(terms) if t]
        if not rows:
            return embeddings
        from pipeline.embed import l2_normalise

        mixed = embeddings.copy()
        mixed[rows] = l2_normalise(embeddings[rows] + p.term_mix * self.embedder.encode([terms[i] for i in rows]))
        return mixed

    def score_of(self, row: np.ndarray, key: str) -> float:
        """The score a row of ``scores`` gives the article ``key`` (0 when the draft has none)."""
        j = self._column.get(key)
        return float(row[j]) if j is not None else 0.0

    def best_article_text(self, row: np.ndarray) -> str:
        """The text of the article a row of ``scores`` puts first ("" for an empty draft)."""
        return self.articles[int(np.argmax(row))].text if row.size else ""

    def links_from_scores(self, row: np.ndarray) -> list[SemanticLink]:
        """The links one row of scores yields (best first)."""
        p = self.params
        if row.size == 0:
            return []
        order = np.argsort(-row, kind="stable")[: p.top_k]
        best = float(row[order[0]])
        if best < p.threshold:
            return []
        return [
            SemanticLink(self.articles[j].key, self.articles[j].provision_id, round(float(row[j]), 4))
            for j in order
            if row[j] >= p.threshold and row[j] >= best * p.relative
        ]

    def declared_shares(self, rows: np.ndarray, keys: Sequence[str]) -> list[list[str]]:
        """The points of one comment whose form lists several articles (涉及条款：第三十八条、
        第二十八条), by their rows of ``score_matrix``: the listed articles each point is about
        (``share_declared``)."""
        index = self._column
        listed = [k for k in keys if k in index]
        if len(listed) < 2 or len(rows) < 2:
            return [list(keys) for _ in rows]
        shares = share_declared(np.asarray(rows)[:, [index[k] for k in listed]])
        if shares is None:
            return [list(keys) for _ in rows]
        return [[listed[j] for j in share] for share in shares]

    def learn_examples(self, embeddings: np.ndarray, article_keys: Sequence[str]) -> None:
        """The consultation's own explicitly cited suggestions (their embeddings and the
        article each cites) as labelled examples: a suggestion close to people who cited
        article X is likely about X too, in their words rather than the draft's."""
        index = self._column
        by_article: dict[int, list[int]] = {}
        for i, k in enumerate(article_keys):
            if k in index:
                by_article.setdefault(index[k], []).append(i)
        # At most EXAMPLES_PER_ARTICLE per article, spread evenly over the consultation: the
        # comparison stays linear in the number of suggestions (every example against every
        # suggestion was 10 GB and minutes at 100k comments).
        rows = sorted(i for members in by_article.values() for i in spread(members, EXAMPLES_PER_ARTICLE))
        self._ex_emb = np.asarray(embeddings, dtype=np.float32)[rows] if rows else None
        self._ex_owner = np.array([index[article_keys[i]] for i in rows], dtype=np.int64)

    def example_matrix(self, embeddings: np.ndarray) -> np.ndarray | None:
        """Per (text, article): the best cosine to an example citing that article, scaled
        like the article cosine; None without examples."""
        ex = getattr(self, "_ex_emb", None)
        if ex is None or not len(ex) or not len(embeddings):
            return None
        embeddings = np.asarray(embeddings, dtype=np.float32)
        best = np.zeros((len(embeddings), len(self.articles)), dtype=np.float32)
        owners = [(j, self._ex_owner == j) for j in np.unique(self._ex_owner)]
        for start in range(0, len(embeddings), _EXAMPLE_BLOCK):  # bounded memory
            sims = embeddings[start:start + _EXAMPLE_BLOCK] @ ex.T
            for j, mine in owners:
                best[start:start + _EXAMPLE_BLOCK, j] = sims[:, mine].max(axis=1)
        p = self.params
        return np.clip((best - p.ex_lo) / max(p.ex_hi - p.ex_lo, 1e-6), 0.0, 1.0)

    def scores(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        *,
        contexts: Sequence[str | None] | None = None,
        context_embeddings: np.ndarray | None = None,
    ) -> np.ndarray:
        """The final (text × article) scores ``map`` decides on: own scores, blended with the
        context's and with the learned examples'."""
        if embeddings is None and len(texts):
            embeddings = self.embedder.encode(self.embedding_texts(texts))
        scores = self.score_matrix(texts, embeddings)
        if contexts is not None:
            scores = self._blend_context(scores, list(texts), list(contexts), context_embeddings)
        ex = self.example_matrix(embeddings) if embeddings is not None else None
        if ex is not None and self.params.w_examples > 0:
            w = self.params.w_examples
            scores = np.clip((1 - w) * scores + w * ex * (scores > 0), 0.0, 1.0)
        return scores

    def map(
        self,
        texts: Sequence[str],
        embeddings: np.ndarray | None = None,
        *,
        contexts: Sequence[str | None] | None = None,
        context_embeddings: np.ndarray | None = None,
    ) -> list[list[SemanticLink]]:
        """Links for each text (best first); [] means 总体意见.

        ``contexts`` (optional, one per text, None where there is none): what surrounds the
        suggestion: the whole comment it was split from, plus the draft wording the form
        quoted. A point such as "“鼓励”改为“应当”。" names its article only through it. Its
        scores are blended in with weight ``w_context``.
        """
        out: list[list[SemanticLink]] = []
        # Chunks bound the (texts × pieces) similarity matrix for very large inputs.
        step = 2048
        for start in range(0, len(texts), step):
            chunk = list(texts[start : start + step])
            emb = None if embeddings is None else embeddings[start : start + step]
            scores = self.scores(
                chunk, emb,
                contexts=None if contexts is None else list(contexts[start : start + step]),
                context_embeddings=None if context_embeddings is None else context_embeddings[start : start + step],
            )
            out.extend(self.links_from_scores(row) for row in scores)
        return out

    def _blend_context(self, scores, texts, contexts, context_embeddings):  # type: ignore[no-untyped-def]
        rows = [i for i, (t, c) in enumerate(zip(texts, contexts)) if c and c.strip() and c != t]
        if not rows:
            return scores
        emb = None if context_embeddings is None else np.asarray(context_embeddings)[rows]
        ctx = self.score_matrix(
            [contexts[i] for i in rows], emb, lexical_only=not self.params.context_embed and emb is None
        )
        # A point that says what it is about needs its context less: the context's weight
        # shrinks as the point's own best score grows (numbered comments put other points,
        # on other articles, in the context).
        own_best = scores[rows].max(axis=1, keepdims=True)
        w = self.params.w_context * (1 - own_best) ** self.params.context_decay
        scores = scores.copy()
        scores[rows] = (1 - w) * scores[rows] + w * ctx
        # A point split from a comment that cites articles is most likely about one of them.
        index = self._column
        for i in rows:
            for key in cited_keys(contexts[i]):
                if key in index:
                    scores[i, index[key]] += self.params.context_ref_boost
        return np.clip(scores, 0.0, 1.0)
