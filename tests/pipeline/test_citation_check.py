"""Citation check: flag a citation whose text does not fit, never re-map; name the likely article."""

import numpy as np

from pipeline.citation_check import check_citation, neighbour_keys

KEYS = [str(n) for n in range(1, 61)]


def row(**scores: float) -> np.ndarray:
    out = np.zeros(len(KEYS))
    for key, value in scores.items():
        out[KEYS.index(key.lstrip("a"))] = value
    return out


def test_a_sound_citation_is_not_flagged():
    assert check_citation(["20"], [], KEYS, row(a20=0.5, a50=0.55)) is None


def test_a_missing_number_names_the_best_article():
    check = check_citation([], ["120"], KEYS, row(a12=0.6))
    assert check["cited"] == [120] and check["likely"] == [12]
    assert "草案没有第120条" in check["evidence"]


def test_content_elsewhere_names_the_best_article():
    check = check_citation(["20"], [], KEYS, row(a20=0.05, a50=0.6, a21=0.2))
    assert check == {"cited": [20], "likely": [50],
                     "evidence": "疑似引用有误，可能为第50条：内容与第50条的匹配度0.60，与第20条仅0.05"}


def test_a_neighbour_nearly_tied_with_the_best_is_the_likely_one():
    # 第二十条 written for 第二十一条: one off, scoring within the slack of the best article.
    check = check_citation(["20"], [], KEYS, row(a20=0.06, a50=0.57, a21=0.53))
    assert check["cited"] == [20] and check["likely"] == [21]
    # Swapped digits (12 for 21) count as a neighbour too.
    assert check_citation(["12"], [], KEYS, row(a12=0.0, a40=0.6, a21=0.58))["likely"] == [21]


def test_a_neighbour_clearly_better_than_the_cited_article_is_the_likely_one_though_a_far_one_leads():
    # "第三十二条股东查账时……" for 第三十三条: the neighbour beats the cited article by more than
    # half the margin and matches well, while a far article's words happen to match best.
    check = check_citation(["32"], [], KEYS, row(a32=0.35, a33=0.63, a50=0.71))
    assert check["cited"] == [32] and check["likely"] == [33]
    # A neighbour that matches weakly, or barely beats the cited article, leaves the best.
    assert check_citation(["32"], [], KEYS, row(a32=0.35, a33=0.48, a50=0.71))["likely"] == [50]
    assert check_citation(["32"], [], KEYS, row(a32=0.4, a33=0.52, a50=0.71))["likely"] == [50]


def test_a_close_or_weak_match_elsewhere_raises_no_flag():
    # A sound citation flagged as doubtful teaches the reviewer to ignore the flag.
    assert check_citation(["20"], [], KEYS, row(a20=0.46, a50=0.59)) is None  # lead under the margin
    assert check_citation(["20"], [], KEYS, row(a20=0.0, a50=0.46)) is None  # too weak a match


def test_a_paragraph_the_cited_article_lacks_names_the_better_article_at_a_lower_bar():
    # "第四十二条第五款……" where 第四十二条 has four paragraphs: a number from an earlier version
    # of the law. Any clear article that beats the cited one is the likely one.
    check = check_citation(["42"], [], KEYS, row(a42=0.63, a53=0.75), absent_parts=["第42条没有第5款"])
    assert check == {"cited": [42], "likely": [53],
                     "evidence": "疑似引用有误，可能为第53条：第42条没有第5款，内容与第53条的匹配度0.75，与第42条仅0.63"}
    # Without that evidence the same scores raise no flag; with it, the cited article's own
    # best score, or a weak best, raise none either.
    assert check_citation(["42"], [], KEYS, row(a42=0.63, a53=0.75)) is None
    assert check_citation(["42"], [], KEYS, row(a42=0.7, a53=0.6), absent_parts=["第42条没有第5款"]) is None
    assert check_citation(["42"], [], KEYS, row(a42=0.1, a53=0.2), absent_parts=["第42条没有第5款"]) is None


def test_wording_copied_from_one_other_article_names_it():
    check = check_citation(["94"], [], [str(n) for n in range(1, 100)], np.zeros(99),
                           wording_hits={"95": "情节严重的处上一年度营业额百分之五以下罚款"})
    assert check["cited"] == [94] and check["likely"] == [95]
    assert "“情节严重的处上一年度营业额百分之五以下罚款”见于第95条，不见于第94条" in check["evidence"]
    # Wording also in the cited article, or equally in two others, names nothing.
    keys = [str(n) for n in range(1, 100)]
    assert check_citation(["94"], [], keys, np.zeros(99), wording_hits={"94": "甲" * 12, "95": "甲" * 14}) is None
    assert check_citation(["94"], [], keys, np.zeros(99), wording_hits={"95": "甲" * 12, "96": "乙" * 12}) is None


def test_a_missing_number_names_the_article_whose_wording_is_restated():
    check = check_citation([], ["120"], KEYS, row(a12=0.6), wording_hits={"48": "住宅小区的电梯应当安装电动自行车阻车装置"})
    assert check["cited"] == [120] and check["likely"] == [48]
    assert check["evidence"] == "疑似引用有误：草案没有第120条；意见中的原文“住宅小区的电梯应当安装电动自行车阻车装置”见于第48条"


def test_a_neighbour_that_matches_best_and_leads_by_half_the_margin_is_flagged():
    # One off, best of all, 0.17 ahead of the cited article (less than the full margin).
    check = check_citation(["12"], [], KEYS, row(a12=0.43, a11=0.6))
    assert check == {"cited": [12], "likely": [11], "evidence": "疑似引用有误，可能为相邻的第11条：内容与第11条的匹配度0.60，与第12条仅0.43"}
    # Less than half the margin ahead, under the floor, or another article clearly better: no flag.
    assert check_citation(["12"], [], KEYS, row(a12=0.5, a11=0.6)) is None
    assert check_citation(["12"], [], KEYS, row(a12=0.2, a11=0.45)) is None
    assert check_citation(["12"], [], KEYS, row(a12=0.43, a11=0.6, a30=0.67)) is None


def test_neighbour_keys():
    assert neighbour_keys("12") == ["11", "13", "21"]
    assert neighbour_keys("20") == ["19", "21"]
    assert neighbour_keys("11") == ["10", "12"]
    assert neighbour_keys("5之一") == []
