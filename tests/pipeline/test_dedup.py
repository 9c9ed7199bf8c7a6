"""Duplicate detection: labelled near-duplicate/campaign/semantic pairs and hard negatives
(tests/pipeline/data/labelled/dedup.jsonl) and the sample consultation's labels."""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest

from minyi.core.settings import PipelineSettings
from pipeline.dedup import canonical_text, deduplicate, numbers_of, stance
from pipeline.embed import get_embedder, thresholds_for

REPO = Path(__file__).resolve().parents[2]
LABELLED = Path(__file__).parent / "data" / "labelled" / "dedup.jsonl"
SETTINGS = PipelineSettings()


def _precision_recall(pred: set, gold: set, negatives: set = frozenset()) -> tuple[float, float]:
    tp = len(pred & gold)
    fp = len(pred - gold) if not negatives else len(pred & negatives)
    return tp / max(tp + fp, 1), tp / max(len(gold), 1)


def test_labelled_pairs_precision_and_recall_at_least_95_percent():
    rows = [json.loads(x) for x in LABELLED.read_text(encoding="utf-8").splitlines() if x.strip()]
    assert sum(r["duplicate"] for r in rows) >= 40 and sum(not r["duplicate"] for r in rows) >= 40
    texts, scopes = [], []
    for r in rows:
        scope = r.get("scope", "general")
        texts += [r["a"], r["b"]]
        scopes += [scope, r.get("scope_b", scope)]
    embedder = get_embedder("use", SETTINGS)
    # All pairs in one run, as in a consultation: a campaign template shared by several
    # pairs must not swallow the look-alike negatives.
    result = deduplicate(
        texts,
        embedder.encode(texts),
        scopes=scopes,
        semantic_threshold=thresholds_for(embedder, SETTINGS).semantic_dup,
        settings=SETTINGS,
    )
    group = result.group_index(len(texts))
    same = {k for k in range(len(rows)) if group[2 * k] is not None and group[2 * k] == group[2 * k + 1]}
    positives = {k for k, r in enumerate(rows) if r["duplicate"]}
    negatives = {k for k, r in enumerate(rows) if not r["duplicate"]}
    precision, recall = _precision_recall(same, positives, negatives)
    print(f"\ndedup, labelled pairs: precision {precision:.3f}, recall {recall:.3f} "
          f"({len(positives)} positive, {len(negatives)} hard negative pairs)")
    for s in result.stages:
        print(f"  {s.name}: {s.units_before} -> {s.units_after} in {s.seconds:.3f}s")
    assert precision >= 0.95 and recall >= 0.95
    # The kinds are told apart: every labelled campaign pair found is grouped as a campaign.
    kinds = {k: result.groups[group[2 * k]].kind for k in same}
    assert all(kinds[k] == "campaign" for k in same if rows[k]["kind"] == "campaign")
    assert all(kinds[k] in ("exact", "near") for k in same if rows[k]["kind"] == "near")


def test_sample_campaign_and_duplicate_labels():
    labels = REPO / "samples" / "ebike" / "labels.jsonl"
    if not labels.is_file():
        pytest.skip("samples/ebike/labels.jsonl not built")
    records = [json.loads(x) for x in labels.read_text(encoding="utf-8").splitlines() if x.strip()]
    texts, scopes, where = [], [], {}
    campaigns: dict[str, list[int]] = defaultdict(list)
    for r in records:
        for k, p in enumerate(r["points"]):
            where[(r["file"], str(r["key"]), k)] = len(texts)
            if r["campaign"]:
                campaigns[r["campaign"]].append(len(texts))
            texts.append(p["text"])
            scopes.append(",".join(map(str, p["articles"])) or "general")
    gold = {tuple(sorted(p)) for members in campaigns.values() for p in itertools.combinations(members, 2)}
    for r in records:
        if r["duplicate_of"]:
            for k in range(len(r["points"])):
                other = where.get((r["file"], str(r["duplicate_of"]), k))
                if other is not None:
                    gold.add(tuple(sorted((where[(r["file"], str(r["key"]), k)], other))))
    assert len(campaigns) >= 1 and len(gold) > 50
    # The sample labels re-submissions and the campaign (text stages); its semantic
    # duplicates are not labelled, so the semantic stage is measured on the pairs above.
    result = deduplicate(texts, scopes=scopes, stages=("exact", "near", "campaign"), settings=SETTINGS)
    precision, recall = _precision_recall(result.pairs(), gold)
    print(f"\ndedup, sample labels: precision {precision:.3f}, recall {recall:.3f} ({len(gold)} gold pairs)")
    assert precision >= 0.95 and recall >= 0.95
    campaign = [g for g in result.groups if g.kind == "campaign"]
    assert len(campaign) == 1 and campaign[0].size == len(next(iter(campaigns.values())))
    assert campaign[0].count_label == f"有{campaign[0].size}人提出"


def test_exact_stage_ignores_width_case_punctuation_but_respects_scope():
    texts = ["建议删除这一条。", "建议删除这一条!", "建议删除这一条", "ＡＢＣ 限速 25 公里。", "abc限速25公里"]
    result = deduplicate(texts, scopes=["article:37", "article:37", "article:44", "g", "g"],
                         stages=("exact",), settings=SETTINGS)
    assert sorted(g.members for g in result.groups) == [[0, 1], [3, 4]]
    assert canonical_text("ＡＢＣ，限速") == "abc限速"
    assert result.stages[0].units_before == 5 and result.stages[0].units_after == 3


def test_people_agreeing_with_posts_are_never_duplicates_of_each_other():
    # Two forum replies "同意楼上" (in one thread or two) are two people agreeing, not a text
    # sent twice; a reply that goes on to make its point is compared as any text is.
    texts = ["同意楼上", "同意楼上", "同意楼主", "同意2楼。", "我同意王某的意见。",
             "同意楼上，建议把临时号牌的有效期延长到三年。", "同意楼上，建议把临时号牌的有效期延长到三年。"]
    result = deduplicate(texts, get_embedder("use", SETTINGS).encode(texts), scopes=["general"] * len(texts),
                         settings=SETTINGS, backend="use")
    assert [g.members for g in result.groups] == [[5, 6]]


def test_numbers_and_stance_guards():
    assert numbers_of("临时号牌有效期最长不超过二年") == frozenset({"2"})
    assert numbers_of("限速25公里") != numbers_of("限速二十公里")
    assert stance("支持这条规定") == 1 and stance("建议删除这条规定") == -1 and stance("建议修改") == 0
    near = ["建议将临时号牌有效期由二年延长到三年，方便群众更换车辆，减少浪费。",
            "建议将临时号牌有效期由二年延长到五年，方便群众更换车辆，减少浪费。"]
    assert deduplicate(near, stages=("exact", "near", "campaign"), settings=SETTINGS).groups == []


def test_semantic_stage_is_blocked_not_quadratic_and_still_finds_planted_duplicates():
    rng = np.random.default_rng(1)
    n = 6000
    vectors = rng.standard_normal((n, 64)).astype(np.float32)
    planted = [(i, i + 3000) for i in range(0, 3000, 300)]
    for a, b in planted:
        vectors[b] = vectors[a] + 0.01 * rng.standard_normal(64)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    # Distinct texts without digits, so only the vectors decide.
    texts = [f"第{chr(0x4e00 + i)}号意见" for i in range(n)]
    result = deduplicate(texts, vectors, semantic_threshold=0.95, stages=("semantic",), settings=SETTINGS)
    found = result.pairs()
    assert all(p in found for p in planted)
    assert len(found) == len(planted)


def test_a_text_marked_alone_is_in_no_group_whatever_it_says():
    letter = "建议将第二十条规定的公示期由十五日延长为三十日，让居民有足够时间提出意见。"
    texts = [letter, letter, letter, "居民代表李某：" + letter]
    grouped = deduplicate(texts, stages=("exact", "near", "campaign"))
    assert [sorted(g.members) for g in grouped.groups] == [[0, 1, 2, 3]]
    alone = deduplicate(texts, stages=("exact", "near", "campaign"), alone=[False, False, False, True])
    assert [sorted(g.members) for g in alone.groups] == [[0, 1, 2]]


def test_shortened_letters_join_their_campaign_and_own_sentences_stay_visible():
    """A campaign read as whole letters: a short copy made of the template's words joins it;
    an independent comment on the same matter does not; each letter's own sentences are
    kept apart from the template's."""
    from pipeline.dedup import campaigns_of, own_sentences, shortened_letters

    template = "《条例（草案）》第二十一条规定不得拖欠账款，我们非常支持。希望进一步明确付款期限：验收合格之日起三十日内支付，最长不超过六十日。恳请采纳！"
    own = ["我是一家提供保洁服务的小微企业负责人，服务费要拖五个月。", "我是一家食材配送企业负责人，四十多万元至今未结清。",
           "我是一家布展公司的负责人，尾款一直说没有预算。", "我是一家校服供应商，欠款占营业额三成。"]
    letters = [o + template for o in own] + [
        "同上，建议三十日内付款，最长不超过六十日。中小企业等不起！",
        "付款期限应当由合同双方自行约定，条例不宜规定统一期限。",
        "建议增加逾期付款的利息，按同期利率计算。",
    ]
    groups = [{0}] * 4 + [set(), set(), set()]
    assert [c.letters for c in campaigns_of(letters, groups)] == [[0, 1, 2, 3]]
    joined = shortened_letters(letters, groups, draft_text="机关、事业单位不得拖欠市场主体账款。")
    assert set(joined) == {4}
    assert own_sentences(letters[0], joined[4].wording) == [own[0]]


def test_a_copy_in_its_own_words_joins_when_it_restates_the_request_on_the_campaigns_article():
    """Few of the template's words, but the campaign's request restated on its article: it
    joins. The same words on another article, a comment far in meaning, or one stating only
    the draft's number (三十日) while the campaign asks for 四十五日, do not."""
    from pipeline.dedup import Meanings, campaigns_of, shortened_letters

    template = ("法律草案向社会公布征求意见的时间一般不少于三十日，这一期限偏短，很多群众来不及研究。"
                "建议将“一般不少于三十日”修改为“一般不少于四十五日”。")
    own = ["我是法学院的研究生。", "我是一名社区工作者。", "我是基层法律服务工作者。", "我是退休教师。"]
    letters = [o + template for o in own] + [
        "征求意见只有三十天太短了，改成四十五天吧。",  # 4: restates, on article 37
        "征求意见只有三十天太短了，改成四十五天吧。",  # 5: the same, but on article 67
        "征求意见结束后应当公布采纳情况和理由。",  # 6: article 37, another request
        "行政法规草案公开征求意见也应当不少于三十天。",  # 7: article 37 by mistake, only the draft's number
    ]
    groups = [{0}] * 4 + [set()] * 4
    draft = "法律草案向社会公布征求意见的时间一般不少于三十日。"
    campaigns = campaigns_of(letters, groups, draft)
    assert [c.letters for c in campaigns] == [[0, 1, 2, 3]] and "四十五日" in campaigns[0].request
    request = np.array([1.0, 0.0], dtype=np.float32)
    near, far = np.array([0.8, 0.6], dtype=np.float32), np.array([0.0, 1.0], dtype=np.float32)
    vectors = np.stack([request] * 4 + [near, near, far, near])
    scopes = ["article:37"] * 5 + ["article:67", "article:37", "article:37"]
    meanings = Meanings([[k] for k in range(8)], vectors, scopes, np.stack([request]))
    assert set(shortened_letters(letters, groups, draft, campaigns, meanings)) == {4}
    assert shortened_letters(letters, groups, draft, campaigns) == {}  # without meanings: words only


def test_a_comment_quoting_the_campaigns_draft_sentence_but_wanting_another_wording_restates_nothing():
    """Both quote the draft's "应当有公司职工代表"; the campaign wants the threshold lowered, the
    comment wants "可以有": close in meaning and words, but another request."""
    from pipeline.dedup import Meanings, campaigns_of, shortened_letters

    template = ("草案第六十八条规定，职工人数三百人以上的有限责任公司，其董事会成员中应当有公司职工代表。"
                "多数民营企业职工不足三百人。建议将设置职工董事的门槛由职工人数三百人以上降低为一百人以上。")
    own = ["我是一名车间工人。", "我在工会工作。", "我是人事专员。", "我是退休职工。"]
    letters = [o + template for o in own] + [
        "第六十八条中“其董事会成员中应当有公司职工代表”，建议改为“可以有公司职工代表”。",  # 4: another wording
        "职工董事的门槛太高了，三百人以上才设，建议改成一百人以上。",  # 5: the campaign's wording, restated
    ]
    groups = [{0}] * 4 + [set()] * 2
    draft = "职工人数三百人以上的有限责任公司，其董事会成员中应当有公司职工代表。"
    campaigns = campaigns_of(letters, groups, draft)
    request = np.array([1.0, 0.0], dtype=np.float32)
    near = np.array([0.8, 0.6], dtype=np.float32)
    vectors = np.stack([request] * 4 + [near, near])
    meanings = Meanings([[k] for k in range(6)], vectors, ["article:68"] * 6, np.stack([request]))
    assert set(shortened_letters(letters, groups, draft, campaigns, meanings)) == {5}


def test_a_copy_stating_the_new_figures_the_campaign_asks_for_needs_less_of_its_meaning():
    """四十五日 is in no article: a short comment on the campaign's article asking for exactly
    that joins at a lower bar (``RESTATED_WITH_FIGURES``) than one that states no figure,
    however alike their meaning."""
    from pipeline.dedup import RESTATED_REQUEST, RESTATED_WITH_FIGURES, Meanings, campaigns_of, shortened_letters

    template = ("法律草案向社会公布征求意见的时间一般不少于三十日，这一期限偏短，很多群众来不及研究。"
                "建议将“一般不少于三十日”修改为“一般不少于四十五日”。")
    own = ["我是法学院的研究生。", "我是一名社区工作者。", "我是基层法律服务工作者。", "我是退休教师。"]
    letters = [o + template for o in own] + [
        "征求意见只有三十天太短了，改成四十五天吧。",  # 4: the campaign's new figure, in other words
        "征求意见的时间太短了，应该再长一些。",  # 5: the same meaning, no figure
    ]
    groups = [{0}] * 4 + [set()] * 2
    draft = "法律草案向社会公布征求意见的时间一般不少于三十日。"
    campaigns = campaigns_of(letters, groups, draft)
    request = np.array([1.0, 0.0], dtype=np.float32)
    # Cosine 0.45 with the request: with the share of their bigrams in the campaign's wording
    # (0.29 and 0.38), both restate it between the two bars.
    alike = np.array([0.45, np.sqrt(1 - 0.45**2)], dtype=np.float32)
    vectors = np.stack([request] * 4 + [alike, alike])
    meanings = Meanings([[k] for k in range(6)], vectors, ["article:37"] * 6, np.stack([request]))
    assert RESTATED_WITH_FIGURES < RESTATED_REQUEST
    assert set(shortened_letters(letters, groups, draft, campaigns, meanings)) == {4}


def test_endorsing_the_joint_letter_on_its_article_joins_the_campaign_whatever_its_words():
    """"同意工会的联名意见" signs the campaign's letter; on another article, or only agreeing
    with someone, it does not."""
    from pipeline.dedup import Meanings, campaigns_of, shortened_letters

    template = ("法律草案向社会公布征求意见的时间一般不少于三十日，这一期限偏短，很多群众来不及研究。"
                "建议将“一般不少于三十日”修改为“一般不少于四十五日”。")
    own = ["我是法学院的研究生。", "我是一名社区工作者。", "我是基层法律服务工作者。", "我是退休教师。"]
    letters = [o + template for o in own] + [
        "同意律师协会的联名意见，征求意见期要延长。",  # 4: on the campaign's article
        "同意律师协会的联名意见，征求意见期要延长。",  # 5: the same words, on another article
        "同意楼上的意见，征求意见期要延长。",  # 6: agrees with a post, not with the joint letter
        "支持律师协会会员们关于第三十七条延长征求意见期限的联名意见。",  # 7: the letter described
        "同意第三十七条的规定，但是不同意律师协会的联名意见。",  # 8: agrees, but not with the letter
    ]
    groups = [{0}] * 4 + [set()] * 5
    draft = "法律草案向社会公布征求意见的时间一般不少于三十日。"
    campaigns = campaigns_of(letters, groups, draft)
    request = np.array([1.0, 0.0], dtype=np.float32)
    far = np.array([0.2, np.sqrt(1 - 0.2**2)], dtype=np.float32)  # restates little of it
    vectors = np.stack([request] * 4 + [far] * 5)
    scopes = ["article:37"] * 5 + ["article:12"] + ["article:37"] * 3
    meanings = Meanings([[k] for k in range(9)], vectors, scopes, np.stack([request]))
    assert set(shortened_letters(letters, groups, draft, campaigns, meanings)) == {4, 7}


def test_a_resubmission_with_a_sentence_added_is_a_duplicate_however_short():
    from pipeline.dedup import deduplicate

    first = "第二十三条“严重损害公司债权人利益”的标准不清楚，建议明确列举财产混同、过度控制、资本显著不足三种情形。"
    texts = [
        first,
        first + "我在基层法院工作，同类案件不同合议庭的判法都不一样。",  # 1: the same writer, a sentence added
        first + "这三种情形以外的，我坚决反对一律适用人格否认。",  # 2: the added sentence turns the stance
        "建议删除第五条。",  # 3: too short to tell a copy from a coincidence ...
        "建议删除第五条。理由是和第六条重复。",  # 4: ... inside another text
    ]
    groups = [(g.kind, g.members) for g in deduplicate(texts).groups]
    assert groups == [("near", [0, 1])]
    # A form letter's copy with a long insertion of one's own is still a campaign's letter
    # (统一格式来信), not a resubmission, though the template is whole inside it too.
    template = ("我们是本市的个体工商户，就草案第四十七条联名提出意见。小微企业资金紧张，五年内缴足出资压力太大，"
                "建议小微企业和初创企业的缴足期限延长为十年。")
    insertion = "我开了一家小面馆，注册资本写了五十万，每个月流水还不到三万，房租和工资一付就所剩无几，真的缴不起。"
    letters = [(g.kind, g.members) for g in deduplicate([template, insertion + template]).groups]
    assert letters == [("campaign", [0, 1])]


def test_a_copy_of_the_campaigns_words_about_another_article_stays_out():
    """"第十二条……参照这一修改同步调整" borrows the campaign's words for an article of its own."""
    from pipeline.dedup import Meanings, campaigns_of, shortened_letters

    template = ("法律草案向社会公布征求意见的时间一般不少于三十日，这一期限偏短，很多群众来不及研究。"
                "建议将“一般不少于三十日”修改为“一般不少于四十五日”。")
    own = ["我是法学院的研究生。", "我是一名社区工作者。", "我是基层法律服务工作者。", "我是退休教师。"]
    borrowed = "这一期限偏短，群众来不及研究，行政法规草案征求意见也应同步改为四十五日。"
    letters = [o + template for o in own] + [borrowed, borrowed]
    groups = [{0}] * 4 + [set()] * 2
    draft = "法律草案向社会公布征求意见的时间一般不少于三十日。"
    campaigns = campaigns_of(letters, groups, draft)
    request = np.array([1.0, 0.0], dtype=np.float32)
    vectors = np.stack([request] * 6)
    scopes = ["article:37"] * 4 + ["article:67", "article:37"]
    meanings = Meanings([[k] for k in range(6)], vectors, scopes, np.stack([request]))
    assert set(shortened_letters(letters, groups, draft, campaigns, meanings)) == {5}


def test_citing_the_campaigns_article_does_not_make_a_short_point_a_copy():
    """Every comment on the article cites it: the shortened-copy stage compares the words
    around the citation, so one point of a writer's own list stays out and a real shortened
    copy still joins."""
    template = ("《公司法》草案第五十八条规定一个自然人只能投资设立一个一人有限责任公司。这一限制已不适应大众创业的实际，"
                "导致创业者不得不找亲友代持股份，反而埋下纠纷隐患。建议删除第五十八条，允许自然人设立多个一人有限责任公司。")
    own = ["本人在东莞开模具厂。", "本人在郑州从事农产品电商。", "本人在厦门做民宿经营。", "本人是一名独立设计师。"]
    texts = [o + template for o in own] + [
        "第五十八条删除一人公司数量限制",  # 4: a point of someone's numbered list
        "第五十八条这一限制已不适应大众创业的实际，建议删除",  # 5: a shortened copy
    ]
    result = deduplicate(texts, scopes=["article:58"] * 6, stages=("exact", "near", "campaign"), settings=SETTINGS)
    assert [sorted(g.members) for g in result.groups] == [[0, 1, 2, 3, 5]]


def test_the_result_keeps_what_a_later_batch_queries():
    from pipeline.dedup import TextDupParams, text_bands, text_key

    letter = "建议第十九条明确登记办理时限，三个工作日太长，应当当场办结，方便来深建设者。" * 2
    texts = ["建议删除这一条。", "建议删除这一条！", letter, "我是幸福花园的居民。" + letter, "第三十条限速太低。"]
    scopes = ["article:5", "article:5", "general", "general", "article:30"]
    vectors = np.eye(5, dtype=np.float32)
    result = deduplicate(texts, vectors, scopes=scopes, semantic_threshold=0.99, backend="tfidf")
    index = result.index
    assert index.keys[0] == index.keys[1] == text_key(texts[1], "article:5") != text_key(texts[1], "article:6")
    assert index.keys[2] == text_key(letter, "article:9")  # a long text's key has no scope
    # The bands of what the text stage indexed are those a new text computes for itself.
    assert index.bands and all(np.array_equal(b, text_bands([texts[i]], TextDupParams())[0]) for i, b in index.bands.items())
    # Every input has a block, of its own scope; the block's centroid is a unit vector.
    assert all(cell is not None for cell in index.cells)
    assert {index.centroids[index.cells[i]][0] for i in range(5)} == set(scopes)
    assert all(abs(np.linalg.norm(c) - 1) < 1e-5 for _s, c in index.centroids)
    assert index.cells[0] == index.cells[1] and index.cells[2] == index.cells[3]


def test_sign_codes_find_the_near_vectors_and_leave_the_far_ones():
    from pipeline.dedup import code_radius, nearest_by_code, sign_codes

    rng = np.random.default_rng(1)
    stored = rng.standard_normal((3000, 64)).astype(np.float32)
    stored /= np.linalg.norm(stored, axis=1, keepdims=True)
    # Each query is a stored vector moved to cosine about 0.9 from it.
    noise = rng.standard_normal((50, 64)).astype(np.float32)
    noise -= (noise * stored[:50]).sum(axis=1, keepdims=True) * stored[:50]
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    queries = 0.9 * stored[:50] + np.sqrt(1 - 0.81) * noise
    found = nearest_by_code(sign_codes(queries), sign_codes(stored), k=5, radius=code_radius(0.85))
    assert sum(i in row for i, row in enumerate(found)) >= 48
    # Random vectors in 64 dimensions are nearly orthogonal: almost none within the radius.
    assert sum(len(row) for row in found) <= 50 + 10
