"""Semantic mapping of reference-free suggestions: accuracy on the sample consultation and on
our own labelled cases (tests/pipeline/data/labelled/semantic.jsonl)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from minyi.core.settings import PipelineSettings
from pipeline.embed import get_embedder
from pipeline.semantic import (
    share_declared,
    ArticleDoc,
    SemanticMapper,
    cited_keys,
    expand_query,
    key_terms,
    tokenize,
)

REPO = Path(__file__).resolve().parents[2]
LABELLED = Path(__file__).parent / "data" / "labelled" / "semantic.jsonl"


def _bench(name: str):
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def sample():
    if not (REPO / "samples" / "ebike" / "labels.jsonl").is_file():
        pytest.skip("samples/ebike/labels.jsonl not built")
    return _bench("sample")


@pytest.fixture(scope="module")
def mapper(sample):
    return SemanticMapper(sample.sample_articles(), get_embedder("use", PipelineSettings()), settings=PipelineSettings())


def _top1(links, gold) -> bool:
    return bool(links) and int("".join(ch for ch in links[0].article_key if ch.isdigit())) in gold


def test_tokens_use_the_legal_dictionary_and_drop_stop_words():
    tokens = tokenize("建议对违法行为的行政处罚由主管部门作出")
    assert {"违法行为", "行政处罚", "主管部门"} <= set(tokens)
    assert "的" not in tokens and "建议" not in tokens
    # Only general legal vocabulary ships (issue 10): no draft's topic words.
    assert "罚款" in expand_query("罚单开得太多")
    assert key_terms("罚单太多，要投诉") >= {"罚款", "投诉举报"}
    assert cited_keys("同意第四十五条和第10条之一") == ["45", "10之一"]


def test_tokens_of_a_repeated_text_are_remembered_and_each_caller_gets_its_own_list():
    from pipeline.semantic import _tokens

    text = "建议对违法行为的行政处罚由主管部门作出，罚款数额应当公开"
    first = tokenize(text)
    hits = _tokens.cache_info().hits
    assert tokenize(text) == first and _tokens.cache_info().hits == hits + 1  # jieba not run again
    first.append("被调用方改动")
    first.remove("行政处罚")
    # A campaign's copies are tokenized once; what one stage does to its list stays its own.
    again = tokenize(text)
    assert "行政处罚" in again and "被调用方改动" not in again
    assert again == tokenize(text) and again is not tokenize(text)
    assert tokenize("") == [] and tokenize(None) == []  # type: ignore[arg-type]


def test_sample_reference_free_top1_at_least_80_percent(sample, mapper):
    calibrate = _bench("calibrate")
    points, general = calibrate.mapping_sets()
    assert len(points) >= 50
    texts, contexts = [p["text"] for p in points], calibrate.contexts_for(points)
    # Top-1: is the best-scoring article a gold one (the ranking, threshold aside)?
    ranking = SemanticMapper(mapper.articles, mapper.embedder, params=mapper.params, threshold=0.0,
                             article_embeddings=mapper.pieces_embeddings)
    top1 = sum(_top1(ls, p["articles"]) for ls, p in zip(ranking.map(texts, contexts=contexts), points)) / len(points)
    # With the calibrated threshold: linked to a gold article, and 总体意见 left unlinked.
    links = mapper.map(texts, contexts=contexts)
    linked_right = sum(_top1(ls, p["articles"]) for ls, p in zip(links, points)) / len(points)
    general_links = mapper.map([p["text"] for p in general], contexts=calibrate.contexts_for(general))
    unlinked = sum(not ls for ls in general_links) / max(len(general), 1)
    print(
        f"\nsemantic mapping, sample reference-free points (tuned on this set): top-1 {top1:.1%} of "
        f"{len(points)}; with the threshold {linked_right:.1%} linked to a gold article; "
        f"{unlinked:.0%} of {len(general)} 总体意见 points left unlinked"
    )
    # The sample's own synonyms and dictionary entries were removed (issue 10: nothing in
    # resources may be specific to one draft's topic), so its old 80% is no longer the
    # floor: the measured figure minus a margin (bench/RESULTS.md, Held-out evaluation).
    assert top1 >= 0.55
    assert linked_right >= 0.45
    for ls in links:
        assert all(l.method == "semantic" and 0.0 <= l.score <= 1.0 for l in ls)
        assert [l.score for l in ls] == sorted((l.score for l in ls), reverse=True)


def test_own_labelled_cases_generalise(sample, mapper):
    rows = [json.loads(x) for x in LABELLED.read_text(encoding="utf-8").splitlines() if x.strip()]
    specific = [r for r in rows if r["articles"]]
    general = [r for r in rows if not r["articles"]]
    assert len(specific) >= 60
    ranking = SemanticMapper(mapper.articles, mapper.embedder, params=mapper.params, threshold=0.0,
                             article_embeddings=mapper.pieces_embeddings)
    accuracy = sum(_top1(ls, r["articles"]) for ls, r in zip(ranking.map([r["text"] for r in specific]), specific)) / len(specific)
    links = mapper.map([r["text"] for r in specific])
    linked = sum(bool(ls) for ls in links) / len(specific)
    general_links = mapper.map([r["text"] for r in general])
    to_general = sum(not ls for ls in general_links)
    print(
        f"\nsemantic mapping, own labelled cases: top-1 {accuracy:.1%} of {len(specific)}; "
        f"linked {linked:.1%}; {to_general}/{len(general)} general comments left unlinked"
    )
    assert accuracy >= 0.80
    assert linked >= 0.85
    assert to_general >= len(general) // 2 + 1


def test_multi_article_links_and_threshold():
    docs = [
        ArticleDoc("1", "第一条", "驾驶电动自行车应当佩戴安全头盔。"),
        ArticleDoc("2", "第二条", "违反本条例第一条规定，未佩戴安全头盔的，处五十元罚款。", chapter="第三章 法律责任"),
        ArticleDoc("3", "第三条", "禁止在楼道内为电动自行车充电。"),
    ]
    emb = get_embedder("tfidf", PipelineSettings())
    m = SemanticMapper(docs, emb, settings=PipelineSettings(), top_k=3)
    # A penalty complaint goes to the penalty article first.
    assert m.map(["未佩戴安全头盔罚五十元太重了"])[0][0].article_key == "2"
    # Nothing in common with any article: 总体意见.
    assert m.map(["希望政府多修公园"])[0] == []
    strict = SemanticMapper(docs, emb, settings=PipelineSettings(), threshold=1.01)
    assert strict.map(["驾驶电动自行车应当佩戴安全头盔"]) == [[]]


def test_learned_examples_are_capped_per_article_and_compared_in_blocks(monkeypatch):
    import numpy as np

    from pipeline import semantic

    docs = [ArticleDoc("1", "第一条", "驾驶电动自行车应当佩戴安全头盔。"),
            ArticleDoc("2", "第二条", "禁止在楼道内为电动自行车充电。")]
    m = SemanticMapper(docs, get_embedder("tfidf", PipelineSettings()), settings=PipelineSettings())
    rng = np.random.default_rng(3)
    examples = rng.normal(size=(300, 16)).astype(np.float32)
    keys = ["1"] * 250 + ["2"] * 40 + ["9"] * 10  # "9": no such article, ignored
    queries = rng.normal(size=(50, 16)).astype(np.float32)
    m.learn_examples(examples, keys)
    kept = np.bincount(m._ex_owner, minlength=2)
    assert kept.tolist() == [semantic.EXAMPLES_PER_ARTICLE, 40]
    whole = m.example_matrix(queries)
    # The same matrix computed a few rows at a time.
    monkeypatch.setattr(semantic, "_EXAMPLE_BLOCK", 7)
    assert np.array_equal(m.example_matrix(queries), whole)
    # Every kept example of article 2 counts: the best cosine is the direct maximum.
    sims = queries @ examples[250:290].T
    p = m.params
    expected = np.clip((sims.max(axis=1) - p.ex_lo) / max(p.ex_hi - p.ex_lo, 1e-6), 0, 1)
    assert np.allclose(whole[:, 1], expected, atol=1e-6)


def test_a_forms_list_of_articles_is_shared_out_only_when_every_listed_article_has_its_point():
    import numpy as np

    # Each point clearly on one listed article, and each listed article some point's.
    assert share_declared(np.array([[0.69, 0.40], [0.41, 0.74]])) == [[0], [1]]
    # A point that prefers neither by the margin keeps the whole list.
    assert share_declared(np.array([[0.69, 0.40], [0.45, 0.50], [0.30, 0.70]])) == [[0], [0, 1], [1]]
    # Both points on the first article: the second was listed for one of them; all keep both.
    assert share_declared(np.array([[0.69, 0.40], [0.66, 0.30]])) is None
    # Nothing scored: no point is placed by its content.
    assert share_declared(np.zeros((2, 2))) == [[0, 1], [0, 1]]
