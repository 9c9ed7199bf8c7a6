"""Explicit references: unit cases per citation style, then accuracy on two labelled sets
(our own ~170 cases over every style, and the explicit points of the sample consultation)."""

import json
from pathlib import Path

import pytest

from pipeline.normalise import normalise_text
from pipeline.references import (
    DraftIndex,
    find_citations,
    is_own_title,
    match_quote,
    parse_declared,
    resolve_references,
)

LABELLED = Path(__file__).parent / "data" / "labelled" / "references.jsonl"
MIN_ACCURACY = 0.98


@pytest.fixture(scope="module")
def index(sample_dir) -> DraftIndex:
    from pipeline.drafts.parser import parse_file

    draft = sample_dir / "draft.md"
    if not draft.is_file():
        pytest.skip(f"{draft} is absent")
    return DraftIndex.from_parsed(parse_file(draft))


def keys(text, index, **kw):
    return resolve_references(normalise_text(text), index, **kw).article_keys


def test_articles_paragraphs_and_items(index):
    res = resolve_references("建议第十九条第一款第（四）项删除", index)
    (ref,) = res.references
    assert (ref.article_key, ref.paragraph, ref.item) == ("19", 1, 4)
    assert ref.evidence == "第十九条第一款第（四）项"
    assert ref.method == "explicit"
    assert res.problems == []
    (ref,) = resolve_references("第31条第4项", index).references
    assert (ref.article_key, ref.paragraph, ref.item) == ("31", None, 4)


def test_ranges_and_lists(index):
    assert keys("第十至十二条", index) == ["10", "11", "12"]
    assert keys("第10-12条", index) == ["10", "11", "12"]
    assert keys("第十条至第十二条", index) == ["10", "11", "12"]
    assert keys("第五、六条", index) == ["5", "6"]
    assert keys("第五条、第六条和第八条", index) == ["5", "6", "8"]
    # A bare number after a citation continues its list; a count or a street does not.
    assert keys("第五条、六条都是“探索”，建议删除", index) == ["5", "6"]
    assert keys("第5条、6条和第八条", index) == ["5", "6", "8"]
    assert keys("第五条和两条建议", index) == ["5"]
    assert keys("第五条、三条路", index) == ["5"]


def test_chapters_and_sections(index):
    # A chapter-level opinion is one row for the chapter, not a copy per article (issue 10).
    res = resolve_references("第三章", index)
    assert res.article_keys == [] and res.chapters == [(3, None)]
    assert resolve_references("第四章第二节", index).chapters == [(4, 2)]
    assert keys("第五章第四十五条", index) == ["45"]


def test_a_chapter_named_instead_of_numbered(index):
    # The sample's chapters: 第五章 停放和充电, 第八章 法律责任, 第九章 附则.
    for text, chapter in (("停放和充电这一章规定得太粗，建议充实。", 5), ("法律责任一章的罚款太轻。", 8),
                          ("建议在“附则”一章写明施行日期的过渡安排。", 9), ("我觉得法律责任章节写得不错。", 8)):
        res = resolve_references(text, index)
        assert (res.chapters, res.article_keys) == ([(chapter, None)], []), text
    # Not a chapter: a chapter the draft does not have, 章程 or 规章, a new chapter proposed
    # by a name no chapter has; and an article cited beside the name places the point.
    for text in ("建议增设“公众参与”一章。", "企业章程应当载明充电安全责任。", "部门规章不得增加处罚。"):
        assert resolve_references(text, index).chapters == [], text
    assert keys("法律责任一章中第七十二条的罚款太轻。", index) == ["72"]


def test_a_chapter_named_as_a_part_and_a_section_named_instead_of_numbered(index):
    # "总则部分", "附则部分"; the sample's 第四章 has 第一节 驾驶规范 and 第二节 通行保障.
    for text, chapters in (("总则部分建议增加一条立法目的。", [(1, None)]), ("附则部分建议写明过渡期。", [(9, None)]),
                           ("驾驶规范一节建议增加夜间行驶的规定。", [(4, 1)]),
                           ("通行保障这一节，建议增加非机动车道的宽度标准。", [(4, 2)])):
        res = resolve_references(text, index)
        assert (res.chapters, res.article_keys) == (chapters, []), text
    # 部分 after a name no chapter has, and 节 in other words, name nothing.
    for text in ("部分企业反映登记太难。", "这部分内容建议删去。", "春节期间的停放建议放宽。", "每一节电池都要登记。"):
        assert resolve_references(text, index).chapters == [], text


def test_cross_references_and_english_citations(index):
    res = resolve_references("第十条第二款要和第二十五条对应起来", index)
    assert res.article_keys == ["10"] and res.cross_references == ["第二十五条"]
    assert keys("第五条和第六条职责不清", index) == ["5", "6"]
    # The proposal's own wording refers to another article: "列入第二十五条规定的情形".
    res = resolve_references("建议第十条增加：指定中介机构的，依法追究责任，并列入第二十五条规定的情形。", index)
    assert res.article_keys == ["10"] and res.cross_references == ["第二十五条"]
    assert keys("Article 12(2): the fee should be lower.", index) == ["12"]
    # An English comparison or reference is evidence too; a plain second article is cited.
    res = resolve_references("Article 12 sets no time limit, unlike Article 25 for the fee. Please add one.", index)
    assert res.article_keys == ["12"] and res.cross_references == ["Article 25"]
    assert keys("Article 12 and Article 25 both set no time limit.", index) == ["12", "25"]
    assert keys("Article 12 sets no fee, and I would like Article 25 to set one too.", index) == ["12", "25"]


def test_out_of_range_numbers_are_reported_not_linked(index):
    res = resolve_references("第一百条和第二十七条第三款", index)
    assert res.article_keys == ["27"]
    assert res.references[0].paragraph is None
    reasons = [p.reason for p in res.problems]
    assert reasons == ["草案没有第100条（共87条）", "第27条没有第3款"]
    assert resolve_references("第十条之一", index).article_keys == []


def test_other_laws_are_not_this_draft(index):
    assert keys("《道路交通安全法》第十二条", index) == []
    assert keys("道路交通安全法第七十六条和第七十七条", index) == []
    assert keys("《深圳经济特区道路交通安全管理条例》第五十条", index) == []
    assert keys("《道路交通安全法》第十二条和本条例第二十五条", index) == ["25"]
    cites = find_citations("《消防法》第十六条、第十八条", ["电动自行车管理条例"])
    assert [c.other_law for c in cites] == [True, True]
    assert is_own_title("深圳经济特区电动自行车管理条例（征求意见稿）", index.titles)
    assert is_own_title("条例", [])
    assert not is_own_title("道路交通安全法", index.titles)


def test_a_code_is_another_law_and_a_national_law_s_short_name_is_its_own():
    company_law = ["中华人民共和国公司法"]
    # 民法典 ends in 法典, not 法: it is a statute's name all the same.
    assert [c.other_law for c in find_citations("与民法典第七十条的表述衔接", company_law)] == [True]
    assert [c.other_law for c in find_citations("证券法第七十八条", company_law)] == [True]
    # 公司法 is the draft 中华人民共和国公司法 less its prefix: its articles are this draft's.
    assert [c.other_law for c in find_citations("公司法第四十七条规定五年缴足", company_law)] == [False]
    assert [c.other_law for c in find_citations("中华人民共和国公司法第十条", company_law)] == [False]
    # A short tail shared with the draft's title is not enough (管理条例).
    assert [c.other_law for c in find_citations("道路交通安全管理条例第十条", ["某市电动自行车管理条例"])] == [True]


def test_a_writer_counts_own_points_in_the_first_few_and_cites_articles_beyond():
    def cited(text: str) -> list[tuple[int, str | None]]:
        return [a for c in find_citations(text, ["上海市优化营商环境条例"]) for a in c.articles]

    assert cited("我的第三条建议是增加检查码。") == []  # an ordinal of one's own points
    assert cited("第六十二条建议：写明每类企业的检查频次上限。") == [(62, None)]
    assert cited("第六十二、六十三条建议：检查码要覆盖所有检查。") == [(62, None), (63, None)]


def test_relative_references_use_the_comment_context(index):
    res = resolve_references("前款规定的年龄过低", index, context="28")
    assert [(r.article_key, r.via) for r in res.references] == [("28", "relative")]
    assert resolve_references("前款规定的年龄过低", index).references == []
    res = resolve_references("第三十条规定时速十五公里，该条太严", index)
    assert res.article_keys == ["30"] and res.context == "30"


def test_quotes_exact_fuzzy_and_ambiguous(index):
    assert match_quote("不得设置在住宅建筑的架空层", index) == [("45", 1.0)]
    fuzzy = match_quote("住宅小区电动自行车集中充电场所应设置在室外独立区域", index)
    assert [k for k, _ in fuzzy] == ["45"] and 0.8 <= fuzzy[0][1] < 1.0
    assert match_quote("集中充电场所", index) == []  # a term found in several articles
    assert match_quote("允许在符合消防标准的架空层设置充电场所", index) == []


def test_declared_article_column(index):
    assert parse_declared(["第三十条", 45, "76、77", None, ""]) == ["第三十条", "第45条", "第76、77条"]
    assert keys("限速太低", index, declared=["第三十条"]) == ["30"]
    assert keys("建议与第七十六条同步修改", index, declared=["第二十七条"]) == ["27", "76"]
    assert keys("建议与第七十六条同步修改", index, declared=["第二十七条"], declared_mode="fallback") == ["76"]


def _score(cases, index):
    wrong = []
    for case in cases:
        res = resolve_references(normalise_text(case["text"]), index, context=case.get("context"),
                                 declared=case.get("declared", ()))
        got = set(res.article_keys)
        if case.get("style") == "chapter" and res.chapters and not got:
            # One row for the chapter: the labelled articles are the chapter's.
            got = {k for c, sec in res.chapters for k in index.chapter_articles(c, sec)}
        gold = {str(a) for a in case["articles"]}
        if got != gold:
            wrong.append((case["text"], sorted(gold), sorted(got)))
    return 1 - len(wrong) / len(cases), wrong


def test_accuracy_on_our_labelled_citations(index):
    cases = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 150
    styles = {c["style"] for c in cases}
    assert {"cn", "arabic", "para", "item", "range", "list", "own", "typo", "chapter", "relative",
            "quote", "declared", "other_law", "not_citation"} <= styles
    accuracy, wrong = _score(cases, index)
    print(f"\nexplicit references, labelled set: {accuracy:.1%} exact article sets ({len(cases)} cases)")
    assert accuracy >= MIN_ACCURACY, wrong


def test_accuracy_on_the_sample_consultation_explicit_points(index, sample_dir):
    labels = sample_dir / "labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"{labels} is absent")
    points = [
        p
        for line in labels.read_text(encoding="utf-8").splitlines()
        if line.strip()
        for p in json.loads(line)["points"]
        if p["explicit"]
    ]
    assert points
    accuracy, wrong = _score(points, index)
    print(f"\nexplicit references, sample labels: {accuracy:.1%} exact article sets ({len(points)} points)")
    assert accuracy >= MIN_ACCURACY, wrong


def test_wording_copied_without_quotation_marks_names_its_article(index):
    from pipeline.references import WORDING_MIN_CHARS, copied_wording, described_wording

    found = copied_wording("第四十九条规定住宅小区的电梯应当安装电动自行车阻车装置，建议政府补贴。", index)
    assert found == {"48": "住宅小区的电梯应当安装电动自行车阻车装置"}
    # Punctuation and spaces aside; shorter than WORDING_MIN_CHARS is anyone's words.
    assert copied_wording("电梯 应当安装电动自行车阻车装置！", index) == {"48": "电梯应当安装电动自行车阻车装置"}
    assert copied_wording("安装电动自行车阻车"[: WORDING_MIN_CHARS - 1], index) == {}
    # After the writer starts proposing, the words are the proposal, not the draft's.
    assert described_wording("第八十条建议增加：住宅小区的电梯应当安装电动自行车阻车装置。", index) == {}
    assert described_wording("第四十九条规定住宅小区的电梯应当安装电动自行车阻车装置，建议补贴。", index) == {
        "48": "住宅小区的电梯应当安装电动自行车阻车装置"}


def test_articles_related_by_their_own_citations(index):
    from pipeline.references import related_articles

    # 第八十条 punishes breaches of 第四十三条第二款、第四十八条、第四十九条.
    assert {"43", "48", "49"} <= related_articles(index, "80")
    assert "80" in related_articles(index, "48")
    assert "48" not in related_articles(index, "49")


def test_a_relative_part_is_of_the_article_cited_before_when_the_last_one_lacks_it(index):
    text = ("第六十七条第一款列举的情形太窄，建议将首违不罚扩大到第三十条超速行驶；"
            "第二款“抵扣罚款”的表述不够严谨，建议改为“减轻或者免除处罚”。")
    res = resolve_references(text, index)
    assert [(r.article_key, r.paragraph) for r in res.references] == [("67", 1), ("30", None), ("67", 2)]
    assert res.problems == []
    # Nothing cited before has it: the last article's, flagged as before.
    res = resolve_references("第三十条限速太低；第二款也要改。", index)
    assert [p.reason for p in res.problems] == ["第30条没有第2款"]


def test_a_range_spanning_most_of_the_chapter_the_text_names_is_the_chapter(index):
    res = resolve_references("第一章总则第二条到第九条，都是原则性的表述。建议总则精简一些。", index)
    assert res.references == [] and res.chapters == [(1, None)]
    # A few of its articles, or a range without the chapter named: the articles.
    assert keys("第一章第二条到第三条建议合并。", index) == ["2", "3"]
    assert keys("第二条到第九条都是原则性表述。", index) == [str(n) for n in range(2, 10)]
