"""New members joining stored clusters (pipeline.incremental)."""

from __future__ import annotations

from typing import NamedTuple

from minyi.core.settings import PipelineSettings
from pipeline.embed import get_embedder
from pipeline.incremental import JOIN_SAMPLE, by_stance, join_sample, join_stored, units

SETTINGS = PipelineSettings(embedding_backend="tfidf")


class Member(NamedTuple):
    suggestion_id: int
    text: str
    type: str | None = None
    duplicate_group_id: int | None = None
    follows: tuple[int, ...] = ()


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


def test_a_reply_is_clustered_with_the_post_it_agrees_with_whatever_its_own_words():
    """"+1，我也这么认为" shares no request word with the post it supports: it joins the
    post's unit (the post's duplicate group included) and takes the post's stance."""
    post = Member(1, "第三十条限速太低，建议提高到二十五公里。", "修改", duplicate_group_id=7)
    copy = Member(2, "第三十条限速太低，建议提高到二十五公里！", "修改", duplicate_group_id=7)
    reply = Member(3, "+1，我也这么认为，骑手根本跑不完单。", "支持", follows=(1,))
    other = Member(4, "支持第三十条。", "支持")
    assert [[m.suggestion_id for m in u] for u in units([post, copy, reply, other])] == [[1, 2, 3], [4]]
    stances = by_stance([post, copy, reply, other])
    assert [m.suggestion_id for m in stances["change"]] == [1, 2, 3]
    assert [m.suggestion_id for m in stances["support"]] == [4]
    # The post stored earlier: its type is looked up.
    assert [m.suggestion_id for m in by_stance([reply], {1: "修改"})["change"]] == [3]
    # Without its post in the scope, a reply is a unit of its own.
    assert [[m.suggestion_id for m in u] for u in units([reply, other])] == [[3], [4]]


def test_questions_and_deletions_may_share_a_cluster_with_changes_but_support_and_opposition_may_not():
    """The type rules confuse the kinds of change ("建议删掉这个领域限制" is 删除, "建议明确只
    限行政管理领域" 修改), and a question often asks for one ("这个报告老百姓能不能看到？应该公开
    吧"): all are compared by their words. Support and opposition are positions of their own."""
    members = [
        Member(1, "第十条第三款授权决定实施情况的报告，建议向社会公布。", "修改"),
        Member(2, "这个报告老百姓能不能看到？应该公开吧。", "询问"),
        Member(3, "第十三条“等”字建议删除。", "删除"),
        Member(4, "支持第十条。", "支持"),
        Member(5, "反对第十条。", "反对"),
    ]
    stances = by_stance(members)
    assert {k: [m.suggestion_id for m in v] for k, v in stances.items()} == {
        "change": [1, 2, 3], "support": [4], "oppose": [5]}


def test_a_new_reply_joins_the_stored_cluster_of_its_post_or_stays_with_a_new_post():
    stored = {10: [1, 2], 11: [5]}
    text_of = {1: "建议提高限速。", 2: "限速应当提高。", 5: "建议删除本条。"}
    reply = Member(20, "同意楼上，说得太对了。", follows=(2,))
    new_post = Member(21, "建议给骑手配发头盔。")
    new_reply = Member(22, "+1，头盔必须配。", follows=(21,))
    new = [reply, new_post, new_reply]
    texts = [text_of[s] for s in (1, 2, 5)] + [m.text for m in new]
    emb = get_embedder("tfidf", SETTINGS).encode(texts)
    vec = {s: emb[k] for k, s in enumerate([1, 2, 5] + [m.suggestion_id for m in new])}
    text_of.update({m.suggestion_id: m.text for m in new})
    touched, rest = join_stored(new, stored, vec, {}, 0.05, text_of=text_of, embedding_weight=0.0)
    assert touched == {10: [20]}
    assert [m.suggestion_id for m in rest] == [21, 22]
    assert [[m.suggestion_id for m in u] for u in units(rest)] == [[21, 22]]
