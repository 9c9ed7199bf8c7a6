"""Clustering within a scope: every suggestion in exactly one cluster, labels, medoids, the
two-stage path for large scopes, and the choice of method by name."""

from __future__ import annotations

import numpy as np
import pytest

from minyi.core.errors import ConfigError
from minyi.core.settings import PipelineSettings
from pipeline.cluster import cluster_scope, ctfidf_keywords, medoid, proposal_labels, scope_cut, topicless_cut
from pipeline.embed import get_embedder, thresholds_for

SETTINGS = PipelineSettings()
TOPICS = {
    "speed": ["限速十五公里太低了，建议提高到二十五公里", "最高时速十五公里跑不了单，建议放宽限速",
              "电动车限速应当与国家标准一致", "时速限制太严，上班通勤太慢"],
    "helmet": ["不戴头盔罚五十元太重", "头盔罚款过高，建议先警告", "未戴安全头盔首次违法不要罚款"],
    "charging": ["老旧小区没有充电桩，建议政府补贴建设充电设施", "小区充电设施太少，大家只能在楼道充电",
                 "建议在老小区集中建设电动车充电棚"],
}


def _flatten():
    texts, gold = [], []
    for topic, items in TOPICS.items():
        texts += items
        gold += [topic] * len(items)
    return texts, gold


def _check_partition(clusters, n):
    seen = sorted(i for c in clusters for i in c.members)
    assert seen == list(range(n)), "every suggestion in exactly one cluster"
    for c in clusters:
        assert c.representative in c.members


@pytest.fixture(scope="module")
def use():
    return get_embedder("use", SETTINGS)


@pytest.mark.parametrize("method", ["agglomerative", "hdbscan"])
def test_topics_recovered_with_labels_and_weighted_sizes(use, method):
    texts, gold = _flatten()
    weights = [3] + [1] * (len(texts) - 1)  # the first suggestion stands for a group of 3
    # Topic view: the embedding cosine alone (embedding_weight 1.0) at the old threshold.
    clusters = cluster_scope(texts, use.encode(texts), weights, method=method, settings=SETTINGS,
                             embedding_weight=1.0, distance_threshold=0.562)
    _check_partition(clusters, len(texts))
    assert sum(c.size for c in clusters) == sum(weights)
    # No cluster mixes topics, and most of each topic's suggestions share one cluster.
    for c in clusters:
        assert len({gold[i] for i in c.members}) == 1
    for topic, items in TOPICS.items():
        largest = max(sum(gold[i] == topic for i in c.members) for c in clusters)
        assert largest >= 0.6 * len(items), topic
    assert {gold[i] for i in clusters[0].members} == {"speed"} and clusters[0].size >= 5
    for c in clusters:
        assert c.label == "、".join(c.keywords) and 1 <= len(c.keywords) <= 5
    speed_label = clusters[0].label
    assert "限速" in speed_label or "公里" in speed_label


def test_hdbscan_noise_becomes_singletons_not_an_outlier_bin(use):
    texts, _ = _flatten()
    texts = texts + ["希望政府多修几个公园", "法律条文应该通俗易懂"]
    clusters = cluster_scope(texts, use.encode(texts), method="hdbscan", settings=SETTINGS)
    _check_partition(clusters, len(texts))
    loners = [c for c in clusters if len(c.members) == 1]
    assert any(c.members == [len(texts) - 1] for c in loners) or any(
        c.members == [len(texts) - 2] for c in loners
    )


def test_large_scope_takes_the_two_stage_path_and_stays_a_partition():
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((5, 32))
    gold = np.repeat(np.arange(5), 120)
    vectors = centres[gold] + 0.05 * rng.standard_normal((600, 32))
    vectors = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    texts = [f"意见{g}号" for g in gold]
    clusters = cluster_scope(texts, vectors, method="agglomerative", distance_threshold=0.3,
                             settings=SETTINGS, max_direct=200, micro_size=10)
    _check_partition(clusters, 600)
    assert len(clusters) == 5
    for c in clusters:
        assert len(set(gold[c.members])) == 1


def test_single_item_method_by_name_and_unknown_method(use):
    one = cluster_scope(["只有一条意见"], use.encode(["只有一条意见"]), settings=SETTINGS)
    assert len(one) == 1 and one[0].members == [0] and one[0].representative == 0
    texts, _ = _flatten()
    km = cluster_scope(texts, use.encode(texts), method="kmeans", settings=SETTINGS)
    _check_partition(km, len(texts))
    with pytest.raises(ConfigError, match="unknown clusterer 'dbscan'"):
        cluster_scope(texts, use.encode(texts), method="dbscan", settings=SETTINGS)
    assert thresholds_for(use, SETTINGS).cluster_distance > 0


def test_ctfidf_prefers_words_distinctive_of_a_cluster_and_medoid_is_central():
    clusters = [
        [(["电动自行车", "限速", "公里"], 1.0), (["电动自行车", "限速"], 2.0)],
        [(["电动自行车", "头盔", "罚款"], 1.0), (["电动自行车", "头盔"], 1.0)],
    ]
    kw = ctfidf_keywords(clusters, top_n=2)
    assert kw[0][0] == "限速" and kw[1][0] == "头盔"
    # A word the whole draft uses stops competing once the draft is a background class.
    background = [["电动自行车", "管理", "电动自行车"]] * 20
    kw = ctfidf_keywords(clusters, top_n=2, background=background)
    assert kw[0] == ["限速", "公里"] and "电动自行车" not in kw[1]
    emb = np.array([[1, 0], [0.9, 0.1], [0.8, 0.2], [0, 1]], dtype=np.float32)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True)
    assert medoid(emb, [0, 1, 2]) == 1


def test_opposed_requests_never_share_a_cluster_and_same_request_does():
    """One cluster = one proposal: raising and lowering a fine, stricter and more lenient,
    stay apart even when worded alike; the same request in other words joins."""
    from pipeline.cluster import proposal_distances, requested_directions

    texts = [
        "第九十五条罚款太低，建议提高罚款上限，按营业额比例处罚。",
        "罚款上限太低，对大平台不痛不痒，建议提高。",
        "第九十五条罚款过高，建议降低，以违法所得为基数。",
        "罚款过重，中小企业承受不了，建议降低罚款数额。",
    ]
    assert requested_directions(texts[0])["amount"] == 1 and requested_directions(texts[2])["amount"] == -1
    # A request that names the new figure pulls the same way as one that says "lower".
    assert requested_directions("法定公积金提取比例建议由百分之十降为百分之五。") == {"amount": -1}
    assert requested_directions("累计上限应当增加到注册资本的百分之百。") == {"amount": 1}
    tfidf = get_embedder("tfidf", SETTINGS)
    emb = tfidf.encode(texts)
    dist = proposal_distances(texts, emb, "违反本条例规定的，处上一年度营业额百分之五以下罚款。", 0.0)
    assert dist[0, 2] == 2.0 and dist[1, 3] == 2.0
    clusters = cluster_scope(texts, emb, method="agglomerative", settings=SETTINGS, distance_threshold=1.5,
                             embedding_weight=0.0)
    _check_partition(clusters, len(texts))
    for c in clusters:
        assert not ({0, 1} & set(c.members) and {2, 3} & set(c.members)), "raise and lower merged"
    assert any({0, 1} <= set(c.members) for c in clusters) and any({2, 3} <= set(c.members) for c in clusters)


def test_a_block_of_proposal_distances_is_that_block_of_the_square():
    """New members against stored ones (``first``): the same numbers as the square's block,
    opposed requests included, without the stored × stored square."""
    from pipeline.cluster import proposal_distances

    texts = [
        "罚款上限太低，对大平台不痛不痒，建议提高。",
        "建议延长公示期限至三十日。",
        "第九十五条罚款过高，建议降低，以违法所得为基数。",
        "公示期限太短，建议延长。",
        "罚款过重，中小企业承受不了，建议降低罚款数额。",
    ]
    emb = get_embedder("tfidf", SETTINGS).encode(texts)
    article = "违反本条例规定的，处上一年度营业额百分之五以下罚款。"
    for weight in (0.0, 0.5, 1.0):
        square = proposal_distances(texts, emb, article, weight)
        block = proposal_distances(texts, emb, article, weight, first=2)
        assert block.shape == (2, 3)
        np.testing.assert_allclose(block, square[:2, 2:], atol=1e-9)
    assert block[0, 0] == 2.0 and block[0, 2] == 2.0  # raise vs lower, both stored ones


def test_an_english_comment_is_compared_with_chinese_ones_by_the_embedding_alone():
    """Request words are Chinese words: half an English comment's similarity would be 0
    whatever it says. Its pairs take the (multilingual) embedding's cosine alone; Chinese
    pairs keep the mix, in the square and in a block alike."""
    from pipeline.cluster import proposal_distances

    texts = [
        "建议延长公示期限至三十日。",
        "公示期限太短，建议延长。",
        "The notice period is too short; it should be extended to thirty days.",
    ]
    emb = np.array([[1.0, 0.0], [0.8, 0.6], [0.9, np.sqrt(1 - 0.81)]])
    cos = emb @ emb.T
    square = proposal_distances(texts, emb, None, 0.5)
    np.testing.assert_allclose(square[0, 2], 1 - cos[0, 2], atol=1e-9)
    np.testing.assert_allclose(square[1, 2], 1 - cos[1, 2], atol=1e-9)
    assert square[0, 1] > 1 - cos[0, 1]  # Chinese pair: the words' share counts (here < 1)
    block = proposal_distances(texts, emb, None, 0.5, first=1)
    np.testing.assert_allclose(block, square[:1, 1:], atol=1e-9)


def test_kinds_are_never_mixed():
    texts = ["支持本条规定", "支持本条规定，很好", "建议修改本条规定", "建议修改本条规定的期限"]
    emb = get_embedder("tfidf", SETTINGS).encode(texts)
    clusters = cluster_scope(texts, emb, settings=SETTINGS, distance_threshold=1.9, embedding_weight=0.5,
                             kinds=["support", "support", "change", "change"])
    assert sorted(sorted(c.members) for c in clusters) == [[0, 1], [2, 3]]



def _two_proposals(within: float, between: float) -> np.ndarray:
    """Unit vectors of six suggestions, two proposals of three: cosine ``within`` inside a
    proposal, ``between`` across."""
    same = np.repeat(np.arange(2), 3)
    gram = np.where(same[:, None] == same[None, :], within, between)
    np.fill_diagonal(gram, 1.0)
    return np.linalg.cholesky(gram)


@pytest.mark.parametrize("within, between", [(0.7, 0.4), (0.25, 0.0)])
def test_each_scope_is_cut_by_its_own_spread_of_distances(within, between):
    # A narrow article (its proposals 0.6 apart, one cut of 0.7 merges them) and a broad one
    # (one proposal's writers 0.75 apart, which that cut leaves as six singletons): cut
    # relative to each scope's own distances, both come out as their two proposals.
    texts = [f"第{k}位来信人的意见" for k in range(6)]
    emb = _two_proposals(within, between)
    fixed = cluster_scope(texts, emb, settings=SETTINGS, distance_threshold=0.7, embedding_weight=1.0)
    own = cluster_scope(texts, emb, settings=SETTINGS, distance_threshold=0.7, embedding_weight=1.0, spread=0.9)
    assert sorted(sorted(c.members) for c in own) == [[0, 1, 2], [3, 4, 5]]
    assert len(fixed) != 2


def test_the_spread_is_the_calibrated_one_unless_a_cut_is_set():
    assert thresholds_for("use", SETTINGS).cluster_spread is not None
    assert thresholds_for("use", PipelineSettings(cluster_distance_threshold=0.6)).cluster_spread is None
    # A small scope (under four units) tells no spread: it is cut at the given distance (its
    # own cut would set the third apart).
    texts = ["意见一", "意见二", "意见三"]
    emb = _two_proposals(0.7, 0.4)[[0, 1, 3]]
    assert len(cluster_scope(texts, emb, settings=SETTINGS, distance_threshold=0.7, embedding_weight=1.0,
                             spread=0.9)) == 1


def test_the_proposal_is_the_request_sentences_without_stories_reasons_or_citations():
    from pipeline.cluster import proposal_text

    story = "我家住在老旧小区，楼道里天天有人给电动车充电，去年还着过一次火。建议第二十条明确由街道统一建设充电棚。"
    assert proposal_text(story) == "建议明确由街道统一建设充电棚"
    # Only a request, or no request at all: the whole text is the proposal.
    assert proposal_text("建议由街道统一建设充电棚。") is None
    assert proposal_text("楼道里天天有人充电，太危险了。") is None


def test_same_request_with_different_stories_is_closer_by_its_request_sentences(use):
    """Two people asking for the same change seldom tell the same story: compared by their
    request sentences they are nearer than by their whole texts, and nearer than a
    different request told with the first one's story."""
    from pipeline.cluster import proposal_text

    first = "我家住在老旧小区，楼道里天天有人给电动车充电，去年还着过一次火。建议由街道统一建设充电棚。"
    second = "我每天骑车送孩子上学，车停在单位也没地方充。建议由街道统一建设充电棚。"
    other = "我家住在老旧小区，楼道里天天有人给电动车充电，去年还着过一次火。建议加大对楼道充电的罚款。"
    whole = use.encode([first, second, other])
    asks = use.encode([proposal_text(t) for t in (first, second, other)])
    assert asks[0] @ asks[1] > whole[0] @ whole[1] + 0.2
    assert asks[0] @ asks[1] > asks[0] @ asks[2]
    assert whole[0] @ whole[2] > whole[0] @ whole[1]  # by whole texts the story dominates


def test_opinions_that_share_no_article_are_cut_strictly_not_by_their_own_spread():
    """Twelve opinions on the whole draft, all far apart (0.75–0.95, as different opinions on
    no one article are) but for one pair (0.3): the scope's own cut sits just below their
    distances and merges unrelated ones; the cut for a scope without an article joins the
    pair only."""
    rng = np.random.default_rng(7)
    n = 12
    dist = rng.uniform(0.72, 1.0, (n, n))
    dist = (dist + dist.T) / 2
    dist[0, 1] = dist[1, 0] = 0.3
    np.fill_diagonal(dist, 0.0)
    assert dist[np.triu_indices(n, 1)][1:].min() > 0.7
    own = scope_cut(dist, 0.7, 0.9)
    assert len(set(proposal_labels(dist, own))) < n - 1  # unrelated opinions merged
    labels = proposal_labels(dist, topicless_cut(0.7))
    assert labels[0] == labels[1] and len(set(labels)) == n - 1
