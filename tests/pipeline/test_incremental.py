"""New members joining stored clusters (pipeline.incremental)."""

from __future__ import annotations

from typing import NamedTuple

from minyi.core.settings import PipelineSettings
from pipeline.embed import get_embedder
from pipeline.incremental import JOIN_SAMPLE, join_sample, join_stored

SETTINGS = PipelineSettings(embedding_backend="tfidf")


class Member(NamedTuple):
    suggestion_id: int
    text: str
    type: str | None = None
    duplicate_group_id: int | None = None


def test_the_join_sample_is_capped_spread_and_independent_of_order():
    ids = list(range(1000, 1000 + 5 * JOIN_SAMPLE))
    sample = join_sample(ids)
    assert len(sample) == JOIN_SAMPLE
    assert sample[0] == ids[0] and sample[-1] >= ids[-5]  # spread over the whole cluster
    assert join_sample(list(reversed(ids))) == sample
    assert join_sample(ids[:10]) == ids[:10]


def test_a_new_member_joins_the_cluster_of_its_proposal_by_the_sample_of_a_large_cluster():
    """Stored clusters far larger than the sample: the new member is compared with the
    sample only (the rest are not embedded at all), and still joins the one saying the
    same thing, never the one asking the opposite."""
    longer = ["建议延长公示期限至三十日，便于群众充分发表意见。", "公示期限太短，建议延长到三十日以上。"]
    lower = ["罚款数额过高，建议降低罚款，减轻小微企业负担。", "罚款过重，建议降低罚款数额。"]
    stored_texts = {}
    stored = {1: [], 2: []}
    sid = 0
    for cluster, pool in ((1, longer), (2, lower)):
        for k in range(3 * JOIN_SAMPLE):
            sid += 1
            stored_texts[sid] = pool[k % 2] + ("" if k < 2 else f"（来信{k}）")
            stored[cluster].append(sid)
    new = [Member(10_001, "建议把公示期限延长至三十日。"), Member(10_002, "建议提高罚款数额，加大处罚力度。")]
    sampled = [s for ids in stored.values() for s in join_sample(ids)]
    texts = [m.text for m in new] + [stored_texts[s] for s in sampled]
    emb = get_embedder("tfidf", SETTINGS).encode(texts)
    vec = {s: emb[k] for k, s in enumerate([m.suggestion_id for m in new] + sampled)}
    text_of = {**stored_texts, **{m.suggestion_id: m.text for m in new}}
    touched, rest = join_stored(new, stored, vec, {}, 0.9, text_of=text_of, embedding_weight=0.0)
    assert touched == {1: [10_001]}  # the longer period joins its proposal
    assert [m.suggestion_id for m in rest] == [10_002]  # raising a fine joins no "lower it" cluster
