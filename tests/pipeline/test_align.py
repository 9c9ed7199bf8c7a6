"""Alignment of draft versions: small drafts with every change kind, and real successive
versions of laws from ../shared/data/laws."""

from __future__ import annotations

from collections import Counter

import pytest

from pipeline.align import _covered, align_versions, diff_article, format_inline_diff, inserted_text, summarise
from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.numerals import to_chinese


def art(n: int, text: str, suffix: str | None = None) -> Article:
    label = f"第{to_chinese(n)}条{suffix or ''}"
    return Article(n, suffix, label, text, [Paragraph(p) for p in text.split("\n")])


def draft(*texts: str | tuple[str, str]) -> ParsedDraft:
    """Articles numbered in order; a (suffix, text) tuple makes 第N条之一 after article N."""
    arts: list[Article] = []
    n = 0
    for t in texts:
        if isinstance(t, tuple):
            arts.append(art(n, t[1], t[0]))
        else:
            n += 1
            arts.append(art(n, t))
    return ParsedDraft("测试条例", arts)


PURPOSE = "为了加强电动自行车管理，维护道路交通秩序，保障人身和财产安全，根据有关法律，结合本市实际，制定本条例。"
SCOPE = "本条例适用于本市行政区域内电动自行车的销售、登记、通行、停放、充电及其相关管理活动。"
DUTIES = "市公安机关交通管理部门负责电动自行车登记和通行管理；市场监督管理部门负责销售环节的产品质量监督。"
PARKING = "居住区内禁止在楼道、楼梯间、疏散通道、安全出口停放电动自行车或者为其充电，物业服务人应当及时劝阻。"
CHARGING = "新建住宅小区应当配套建设电动自行车集中停放场所和充电设施，并与主体工程同步设计、同步施工、同步验收。"
INSURANCE = "鼓励保险机构开发电动自行车第三者责任保险产品，鼓励电动自行车所有人投保，保险费用可以适当优惠。"
HELMET = "驾驶电动自行车应当佩戴安全头盔；搭载未成年人的，未成年人也应当佩戴安全头盔，并使用安全座椅。"
PENALTY = "违反本条例规定，驾驶电动自行车未佩戴安全头盔的，由公安机关交通管理部门处五十元罚款。"
EFFECT = "本条例自2026年6月1日起施行。"
NEW_ART = "电动自行车维修经营者不得改装电动自行车的动力系统、限速装置，不得为改装车辆提供维修服务。"


def rows_by_old(rows):
    out: dict[str, list] = {}
    for r in rows:
        if r.old_key:
            out.setdefault(r.old_key, []).append(r)
    return out


def test_identical_versions_are_all_unchanged():
    d = draft(PURPOSE, SCOPE, DUTIES, EFFECT)
    rows = align_versions(d, d)
    assert [(r.old, r.new, r.change) for r in rows] == [(i, i, "unchanged") for i in range(1, 5)]
    assert all(r.similarity == 1.0 for r in rows)


def test_insertion_renumbers_following_articles():
    old = draft(PURPOSE, SCOPE, PARKING, EFFECT)
    new = draft(PURPOSE, NEW_ART, SCOPE, PARKING, EFFECT)
    rows = align_versions(old, new)
    pairs = [(r.old, r.new, r.change) for r in rows]
    assert pairs == [
        (1, 1, "unchanged"),
        (None, 2, "added"),
        (2, 3, "unchanged"),
        (3, 4, "unchanged"),
        (4, 5, "unchanged"),
    ]


def test_deletion_and_modification():
    old = draft(PURPOSE, SCOPE, INSURANCE, PENALTY, EFFECT)
    new = draft(PURPOSE, SCOPE, PENALTY.replace("五十元", "二十元"), EFFECT)
    rows = align_versions(old, new)
    by_old = rows_by_old(rows)
    assert by_old["3"][0].change == "deleted" and by_old["3"][0].new is None
    assert (by_old["4"][0].new, by_old["4"][0].change) == (3, "modified")
    assert 0.9 < by_old["4"][0].similarity < 1.0
    # The deleted row sits after its predecessor's row, in document order.
    assert [r.old for r in rows] == [1, 2, 3, 4, 5]


def test_moved_article_found_outside_the_monotone_path():
    old = draft(PURPOSE, SCOPE, DUTIES, PARKING, CHARGING, INSURANCE, EFFECT)
    # INSURANCE moves to the front of the substantive articles.
    new = draft(PURPOSE, INSURANCE, SCOPE, DUTIES, PARKING, CHARGING, EFFECT)
    rows = align_versions(old, new)
    by_old = rows_by_old(rows)
    assert (by_old["6"][0].new, by_old["6"][0].change) == (2, "moved")
    assert sum(r.change == "moved" for r in rows) == 1
    assert summarise(rows)["unchanged"] == 6


def test_merge_and_split_share_an_article():
    old = draft(PURPOSE, HELMET, PENALTY, PARKING + "\n" + CHARGING, EFFECT)
    new = draft(
        PURPOSE,
        HELMET + "\n" + PENALTY,  # 2 + 3 merged
        PARKING,  # 4 split in two
        CHARGING,
        EFFECT,
    )
    rows = align_versions(old, new)
    merged = [r for r in rows if r.new == 2]
    assert sorted(r.old for r in merged) == [2, 3]
    assert [r.group for r in merged].count("merged") == 1
    split = [r for r in rows if r.old == 4]
    assert sorted(r.new for r in split) == [3, 4]
    assert [r.group for r in split].count("split") == 1
    assert not any(r.change in ("added", "deleted") for r in rows)
    counts = summarise(rows)
    assert (counts["merged"], counts["split"]) == (1, 1)


LEDGER = "电动自行车维修经营者应当建立维修台账，如实记录维修项目、更换部件和车辆信息，台账保存期限不少于二年。"
INSPECTION = "区人民政府应当组织有关部门对维修经营者开展联合检查，检查结果向社会公布。"
COMMON = "违反本条例规定的行为，法律、行政法规已有处罚规定的，从其规定。"


def test_a_paragraph_moved_into_a_far_article_of_new_wording_is_found():
    # 第三条第二款 (the penalty) now closes a new article at the end, mostly new wording.
    old = draft(PURPOSE, SCOPE, HELMET + "\n" + PENALTY, PARKING, CHARGING, INSURANCE, EFFECT)
    new = draft(PURPOSE, SCOPE, HELMET, PARKING, CHARGING, INSURANCE, NEW_ART + "\n" + LEDGER + "\n" + PENALTY, EFFECT)
    rows = rows_by_old(align_versions(old, new))["3"]
    assert sorted((r.new, r.group) for r in rows) == [(3, None), (7, "split")]


def test_an_article_become_a_paragraph_of_a_far_new_article_is_paired_with_it():
    old = draft(PURPOSE, INSURANCE, SCOPE, HELMET, PARKING, CHARGING, EFFECT)
    new = draft(PURPOSE, SCOPE, HELMET, PARKING, CHARGING,
                NEW_ART + "\n" + LEDGER + "\n" + INSPECTION + "\n" + INSURANCE, EFFECT)
    rows = align_versions(old, new)
    assert [(r.new, r.change) for r in rows_by_old(rows)["2"]] == [(6, "moved")]
    assert not any(r.change in ("added", "deleted") for r in rows)


def test_a_paragraph_found_in_several_new_articles_pairs_with_none_of_them():
    old = draft(PURPOSE, HELMET + "\n" + COMMON, EFFECT)
    new = draft(PURPOSE, HELMET, NEW_ART + "\n" + COMMON, LEDGER + "\n" + COMMON, EFFECT)
    assert [r.new for r in rows_by_old(align_versions(old, new))["2"]] == [2]


def test_zhiyi_article_keeps_its_key():
    old = draft(PURPOSE, SCOPE, EFFECT)
    new = draft(PURPOSE, SCOPE, ("之一", NEW_ART), EFFECT)
    rows = align_versions(old, new)
    added = [r for r in rows if r.change == "added"]
    assert len(added) == 1
    assert (added[0].new, added[0].new_key, added[0].new_label) == (2, "2之一", "第二条之一")
    assert added[0].to_dict()["new_key"] == "2之一"


def test_unrelated_articles_are_not_paired():
    old = draft(PURPOSE, INSURANCE)
    new = draft(PURPOSE, NEW_ART)
    rows = align_versions(old, new)
    assert Counter(r.change for r in rows) == Counter({"unchanged": 1, "deleted": 1, "added": 1})


def test_layout_and_punctuation_width_do_not_count_as_changes():
    old = draft("处五十元罚款，情节严重的，\n暂扣车辆１２日。")
    new = draft("处五十元罚款,情节严重的,暂扣车辆12日。")
    assert align_versions(old, new)[0].change == "unchanged"


def test_diff_article_groups_spans():
    old = "违反本条例第十二条规定的，由公安机关交通管理部门处五百元罚款。\n情节严重的，暂扣车辆。"
    new = "违反本条例第十三条规定的，由公安机关交通管理部门处二百元罚款。"
    spans = diff_article(old, new)
    assert [(s.op, s.old, s.new) for s in spans] == [
        ("replace", "二", "三"),
        ("replace", "五", "二"),
        ("delete", "情节严重的，暂扣车辆。", ""),
    ]
    assert format_inline_diff(old, new).endswith("处[-五-]{+二+}百元罚款。[-情节严重的，暂扣车辆。-]")
    assert inserted_text("应当及时劝阻。", "应当及时劝阻，并向消防救援机构报告。") == "，并向消防救援机构报告"


def test_diff_article_folds_short_equal_runs():
    # "限速装置" and "动力" change with one equal character between: one readable span.
    spans = diff_article("不得改装动力系统", "不得拆除限速系统")
    assert len(spans) == 1 and spans[0].old == "改装动力" and spans[0].new == "拆除限速"


# --- real successive versions -------------------------------------------------------


def _laws(shared_data, old_name: str, new_name: str):
    from pipeline.drafts.parser import parse_file

    folder = shared_data / "laws"
    return parse_file(folder / f"{old_name}.md"), parse_file(folder / f"{new_name}.md")


PAIRS = [
    ("立法法(2015-03-15)", "立法法(2023-03-13)"),
    ("公司法(2018-10-26)", "公司法(2023-12-29)"),
    ("慈善法(2016-03-16)", "慈善法(2023-12-29)"),
    ("上海市优化营商环境条例(2020-04-10)", "上海市优化营商环境条例(2024-09-27)"),
    ("北京市机动车停车条例(2021-09-24)", "北京市机动车停车条例(2024-03-29)"),
]


@pytest.mark.parametrize("old_name,new_name", PAIRS, ids=[p[0].split("(")[0] for p in PAIRS])
def test_real_pairs_are_one_to_one_except_merges_and_splits(shared_data, old_name, new_name):
    old, new = _laws(shared_data, old_name, new_name)
    rows = align_versions(old, new)
    plain = [r for r in rows if r.group is None]
    # Plain rows pair articles one to one; merge and split rows are extra edges (an old
    # article merged into a new one, a paragraph of one carried into another). Every
    # article has a row, a merged-away old article and a split-off new one only theirs.
    plain_olds = [r.old_key for r in plain if r.old_key]
    plain_news = [r.new_key for r in plain if r.new_key]
    assert len(plain_olds) == len(set(plain_olds)) and len(plain_news) == len(set(plain_news))
    assert {r.old_key for r in rows if r.old_key} == {a.key for a in old.articles}
    assert {r.new_key for r in rows if r.new_key} == {a.key for a in new.articles}
    for r in rows:
        if r.group == "merged":
            assert any(p.new_key == r.new_key and p.old_key for p in plain)
        if r.group == "split":
            assert any(p.old_key == r.old_key and p.new_key for p in plain)
    # Paired articles really are alike, or one carries a paragraph of the other.
    for r in plain:
        if r.change in ("modified", "unchanged") and r.similarity < 0.3:
            paragraphs = old.article(r.old_key).paragraphs
            assert max(_covered(p.text, new.article(r.new_key).text) for p in paragraphs) >= 0.6, r


def test_lifafa_2015_2023(shared_data):
    old, new = _laws(shared_data, *PAIRS[0])
    rows = align_versions(old, new)
    counts = summarise(rows)
    # The 2023 amendment touched about a third of the 105 articles and added 15.
    assert 55 <= counts["unchanged"] <= 75
    assert new.article(120) and old.article(105)
    # 第七十二条 (地方性法规) was split into 第八十条 (provinces) and 第八十一条 (设区的市).
    assert sorted(r.new for r in rows if r.old == 72) == [80, 81]
    # 第一百零五条 (施行日期) is the last article of both.
    last = [r for r in rows if r.old == 105]
    assert last[0].new == 120


def test_gongsifa_2018_2023(shared_data):
    old, new = _laws(shared_data, *PAIRS[1])
    assert (len(old.articles), len(new.articles)) == (218, 266)
    rows = align_versions(old, new)
    by_old = rows_by_old(rows)
    # 第十六条 (投资、担保) became 第十五条.
    assert [r.new for r in by_old["16"]] == [15]
    # Paragraphs that moved on their own: 第二十条第三款 (piercing the veil) became 第二十三条,
    # which also took in 第六十三条 (the one-person company's burden of proof); 第一百二十二条
    # (独立董事) is now part of 第一百三十六条.
    assert sorted(r.new for r in by_old["20"]) == [21, 23]
    assert [r.new for r in by_old["63"]] == [23]
    assert [r.new for r in by_old["122"]] == [136]
    counts = summarise(rows)
    # A thorough revision: few articles stayed word for word, many were added.
    assert counts["unchanged"] < 40 and counts["added"] >= 48


def test_cishanfa_2016_2023(shared_data):
    old, new = _laws(shared_data, *PAIRS[2])
    rows = align_versions(old, new)
    by_new = {r.new_key: r for r in rows if r.new_key and r.group is None}
    # 第二十七条 (互联网公开募捐服务平台) is new in 2023, opened by 第二十三条第三款 (募捐 on
    # the internet) moved there: a split of 第二十三条, which otherwise stayed 第二十三条.
    assert "27" not in by_new
    assert sorted((r.new, r.group) for r in rows_by_old(rows)["23"]) == [(23, None), (27, "split")]
    # 第三十条 (重大突发事件) moved into the new 应急慈善 chapter as 第七十条.
    moved = rows_by_old(rows)["30"]
    assert [(r.new, r.change) for r in moved] == [(70, "moved")]
    assert summarise(rows)["unchanged"] >= 60


def test_beijing_parking_2021_2024(shared_data):
    old, new = _laws(shared_data, *PAIRS[4])
    rows = align_versions(old, new)
    assert all(r.old == r.new for r in rows)  # same 43 articles, no renumbering
    changed = [r.old for r in rows if r.change == "modified"]
    assert 29 in changed and len(changed) <= 8
