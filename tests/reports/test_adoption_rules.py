"""Adoption rules on drafts and suggestions we write, and precision/recall on labelled cases
(tests/reports/data/adoption_cases.jsonl and, when present, samples/ebike/labels.jsonl)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from pipeline.align import align_versions
from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.numerals import to_chinese
from pipeline.adoption import (
    ADOPTED,
    NOT_ADOPTED,
    PARTLY,
    UNKNOWN,
    SuggestionInput,
    anchor,
    canon,
    parse_request,
    propose,
)

CASES = Path(__file__).parent / "data" / "adoption_cases.jsonl"
FIRST = "为了加强电动自行车管理，维护道路交通秩序，保障人身和财产安全，制定本条例。"
LAST = "本条例所称电动自行车，是指符合强制性国家标准的两轮自行车。"


def art(n: int, text: str) -> Article:
    return Article(n, None, f"第{to_chinese(n)}条", text, [Paragraph(p) for p in text.split("\n")])


def versions(draft_text: str, final_text: str | None, added: str | None = None):
    """A three-article draft whose 第二条 is the one under discussion, and its final text
    (第二条 changed, deleted when None, an article inserted after it when ``added``)."""
    old = ParsedDraft("草案", [art(1, FIRST), art(2, draft_text), art(3, LAST)])
    texts = [FIRST, *([final_text] if final_text else []), *([added] if added else []), LAST]
    new = ParsedDraft("公布稿", [art(i, t) for i, t in enumerate(texts, start=1)])
    return old, new


def decide(draft_text, final_text, suggestion, type_="修改", added=None, articles=("2",)):
    old, new = versions(draft_text, final_text, added)
    return propose(SuggestionInput(suggestion, type_, list(articles)), align_versions(old, new), old, new)


PENALTY = "违反本条例规定，驾驶电动自行车未佩戴安全头盔的，由公安机关交通管理部门处五百元罚款。"
PARKING = "居住区内禁止在楼道、楼梯间停放电动自行车或者为其充电。物业服务人应当及时劝阻。"
STALL = "公共停车场的经营者应当在停车场内设置电动自行车专用停放区域，并配备充电设施。"


# --- reading requests ---------------------------------------------------------------


@pytest.mark.parametrize(
    "text,kind,old,new",
    [
        ("建议将第十二条中的“五百元”改为“二百元”。", "replace", "五百元", "二百元"),
        ("建议把电动车修改为电动自行车", "replace", "电动车", "电动自行车"),
        ("“应当”应改为“可以”", "replace", "应当", "可以"),
        ("罚款由五百元降为二百元，以减轻群众负担", "replace", "五百元", "二百元"),
        ("期限从十五日延长至三十日为宜", "replace", "十五日", "三十日"),
        ("罚款过高，建议改为二百元", "replace", None, "二百元"),
        ("建议删除本条", "delete_article", None, None),
        ("第十二条应当删去", "delete_article", None, None),
        ("建议删除“情节严重的”", "delete_phrase", "情节严重的", None),
        ("“有关部门”的表述应删除", "delete_phrase", "有关部门", None),
        ("建议删除第二款", "delete_phrase", "#paragraph:2", None),
        ("支持本条规定", "none", None, None),
    ],
)
def test_parse_request(text, kind, old, new):
    r = parse_request(text)
    assert (r.kind, r.old, r.new) == (kind, old, new)


def test_parse_request_addition_and_types():
    r = parse_request("建议增加关于头盔的规定：驾驶人应当佩戴安全头盔")
    assert r.kind == "add" and "佩戴安全头盔" in r.content
    assert parse_request("本条过于严格", "删除").kind == "delete_article"
    assert parse_request("建议明确充电设施的建设标准", "修改").kind == "change"


def test_numbers_compare_across_notations():
    assert canon("处五百元罚款") == canon("处500元罚款")
    assert canon("十五日内") == "15日内"
    assert canon("统一管理") == "统一管理"  # no unit, no number
    assert anchor("删掉记录购买人姓名、联系方式的要求", "如实记录购买人姓名、联系方式和车辆识别代码") != ""
    assert anchor("完全无关的文字内容", "如实记录购买人姓名") == ""


# --- replacement --------------------------------------------------------------------


def test_replacement_made_is_adopted():
    p = decide(PENALTY, PENALTY.replace("五百元", "二百元"), "罚款由五百元降为二百元")
    assert (p.status, p.rule) == (ADOPTED, "replacement_made")
    assert p.draft_articles == ["第二条"] and p.final_articles == ["第二条"]
    ev = p.evidence
    assert ev["draft_text"] == PENALTY and "二百元" in ev["final_text"]
    assert ev["spans"] and ev["spans"][0]["op"] == "replace"


def test_replacement_with_arabic_digits_in_final():
    p = decide(PENALTY, PENALTY.replace("五百元", "200元"), "建议将“五百元”改为“二百元”")
    assert p.status == ADOPTED


def test_old_wording_gone_but_not_the_asked_one_is_partly_adopted():
    p = decide(PENALTY, PENALTY.replace("五百元", "三百元"), "罚款由五百元降为二百元")
    assert (p.status, p.rule) == (PARTLY, "old_wording_changed_otherwise")


def test_replacement_on_unchanged_article_is_not_adopted():
    p = decide(PENALTY, PENALTY, "建议将“五百元”改为“二百元”")
    assert (p.status, p.rule) == (NOT_ADOPTED, "article_unchanged")
    assert p.confidence >= 0.8


def test_replacement_not_made_in_changed_article():
    final = PENALTY.replace("违反本条例规定，", "违反本条例第八条规定，")
    p = decide(PENALTY, final, "建议将“五百元”改为“二百元”")
    assert (p.status, p.rule) == (NOT_ADOPTED, "replacement_not_made")


def test_wanted_wording_contains_old_wording():
    final = STALL.replace("电动自行车专用停放区域", "电动自行车、电动摩托车专用停放区域")
    adopted = decide(STALL, final, "建议将“电动自行车专用停放区域”改为“电动自行车、电动摩托车专用停放区域”")
    assert adopted.status == ADOPTED
    refused = decide(STALL, STALL.replace("并配备", "并按规定配备"), "建议“电动自行车”统一修改为“电动自行车、电动摩托车”")
    assert refused.status == NOT_ADOPTED


# --- deletion -----------------------------------------------------------------------


def test_article_deleted_as_asked():
    p = decide(STALL, None, "建议删除本条。", "删除")
    assert (p.status, p.rule) == (ADOPTED, "article_deleted_as_asked")
    assert p.final_articles == []


def test_article_kept_when_deletion_asked():
    assert decide(STALL, STALL, "建议删除本条。", "删除").status == NOT_ADOPTED
    kept = decide(STALL, STALL.replace("应当", "可以"), "建议删除该条", "删除")
    assert (kept.status, kept.rule) == (NOT_ADOPTED, "article_kept")


def test_deleted_article_without_deletion_request_is_unknown():
    p = decide(STALL, None, "建议将“应当”改为“可以”")
    assert (p.status, p.rule) == (UNKNOWN, "article_deleted")


def test_phrase_deleted_and_kept():
    final = PARKING.replace("或者为其充电", "")
    assert decide(PARKING, final, "建议删除“或者为其充电”", "删除").status == ADOPTED
    kept = decide(PARKING, PARKING.replace("楼梯间", "楼梯间、电梯轿厢"), "建议删除“或者为其充电”", "删除")
    assert (kept.status, kept.rule) == (NOT_ADOPTED, "phrase_kept")


def test_paragraph_deletion():
    text = "驾驶电动自行车应当佩戴安全头盔。\n搭载未成年人的，应当使用安全座椅。"
    p = decide(text, "驾驶电动自行车应当佩戴安全头盔。", "建议删除第二款", "删除")
    assert (p.status, p.rule) == (ADOPTED, "phrase_deleted")


# --- addition -----------------------------------------------------------------------


def test_addition_inserted_in_the_article():
    final = PARKING.replace("物业服务人应当及时劝阻。", "物业服务人应当及时劝阻；劝阻无效的，应当向消防救援机构报告。")
    p = decide(PARKING, final, "建议增加劝阻无效时向消防救援机构报告的规定", "增加")
    assert (p.status, p.rule) == (ADOPTED, "content_inserted")
    assert p.evidence["coverage"] >= 0.6


def test_addition_becoming_a_new_article():
    added = "新建住宅小区应当按照标准配套建设电动自行车集中充电设施，并与主体工程同步设计、同步施工、同步验收。"
    p = decide(STALL, STALL, "建议新增一条，规定新建住宅小区应当配套建设集中充电设施。", "增加", added=added)
    assert (p.status, p.rule) == (ADOPTED, "content_in_new_article")
    assert "第三条" in p.final_articles


def test_addition_absent():
    p = decide(PARKING, PARKING, "建议增加对违规充电的处罚规定，明确罚款金额。", "增加")
    assert (p.status, p.rule) == (NOT_ADOPTED, "article_unchanged")
    other = decide(PARKING, PARKING.replace("楼梯间", "楼梯间、电梯轿厢"), "建议增加为骑手购买意外伤害保险的规定", "增加")
    assert other.status == NOT_ADOPTED


# --- other types --------------------------------------------------------------------


def test_support_and_question_are_unknown():
    assert decide(STALL, STALL, "支持本条规定。", "支持").status == UNKNOWN
    assert decide(STALL, STALL.replace("应当", "可以"), "请问专用停放区域如何认定？", "询问").status == UNKNOWN


def test_opposition():
    assert decide(STALL, None, "反对本条规定，增加经营者负担。", "反对").status == ADOPTED
    assert decide(STALL, STALL, "反对本条规定，增加经营者负担。", "反对").status == NOT_ADOPTED


def test_general_suggestion_without_article_is_unknown():
    old, new = versions(STALL, STALL)
    p = propose(SuggestionInput("建议加大宣传力度。", "其他", [], is_general=True), align_versions(old, new), old, new)
    assert (p.status, p.rule) == (UNKNOWN, "general_suggestion")


def test_unlinked_suggestion_located_by_its_quote():
    old, new = versions(PENALTY, PENALTY.replace("五百元", "二百元"))
    p = propose(SuggestionInput("建议将“处五百元罚款”改为“处二百元罚款”", "修改", []), align_versions(old, new), old, new)
    assert p.status == ADOPTED and p.evidence["located_by_quote"] is True


def test_renumbered_article_is_followed():
    # An article inserted before the target: the suggestion cites 第二条 of the draft,
    # which is 第三条 in the final text.
    old = ParsedDraft("草案", [art(1, FIRST), art(2, PENALTY), art(3, LAST)])
    new = ParsedDraft(
        "公布稿", [art(1, FIRST), art(2, PARKING), art(3, PENALTY.replace("五百元", "二百元")), art(4, LAST)]
    )
    p = propose(SuggestionInput("罚款由五百元降为二百元", "修改", ["2"]), align_versions(old, new), old, new)
    assert p.status == ADOPTED and p.final_articles == ["第三条"]


# --- labelled cases: precision and recall -------------------------------------------


def _scores(pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    """Precision/recall per status over (gold, predicted) pairs."""
    out = {}
    for status in sorted({g for g, _ in pairs} | {p for _, p in pairs}):
        tp = sum(g == p == status for g, p in pairs)
        predicted = sum(p == status for _, p in pairs)
        gold = sum(g == status for g, _ in pairs)
        out[status] = {
            "precision": tp / predicted if predicted else 0.0,
            "recall": tp / gold if gold else 0.0,
            "gold": gold,
            "predicted": predicted,
        }
    return out


def _print_scores(name: str, pairs: list[tuple[str, str]]) -> dict[str, dict[str, float]]:
    scores = _scores(pairs)
    accuracy = sum(g == p for g, p in pairs) / len(pairs)
    print(f"\n{name}: {len(pairs)} cases, accuracy {accuracy:.2f}")
    for status, s in scores.items():
        print(f"  {status}: precision {s['precision']:.2f} recall {s['recall']:.2f} (gold {s['gold']}, predicted {s['predicted']})")
    return scores


def test_labelled_cases_precision_recall():
    cases = [json.loads(line) for line in CASES.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(cases) >= 40
    pairs = []
    for c in cases:
        p = decide(c["draft"], c["final"], c["suggestion"], c["type"], added=c.get("added"))
        pairs.append((c["gold"], p.status))
    scores = _print_scores("adoption_cases.jsonl", pairs)
    assert Counter(g for g, _ in pairs).keys() >= {ADOPTED, PARTLY, NOT_ADOPTED, UNKNOWN}
    # The decisions that matter most for reports: adopted and not adopted.
    assert scores[ADOPTED]["precision"] >= 0.85 and scores[ADOPTED]["recall"] >= 0.8
    assert scores[NOT_ADOPTED]["precision"] >= 0.85 and scores[NOT_ADOPTED]["recall"] >= 0.8
    assert sum(g == p for g, p in pairs) / len(pairs) >= 0.8


def test_sample_consultation_precision_recall(sample_dir):
    """Every point of samples/ebike/labels.jsonl carries a gold adoption judgement made by
    reading draft.md against final.md; articles are in the draft's numbering."""
    labels = sample_dir / "labels.jsonl"
    if not (labels.is_file() and (sample_dir / "final.md").is_file()):
        pytest.skip("samples/ebike is not built yet")
    from pipeline.drafts.parser import parse_file

    old, new = parse_file(sample_dir / "draft.md"), parse_file(sample_dir / "final.md")
    alignment = align_versions(old, new)
    pairs = []
    for line in labels.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for point in record.get("points") or []:
            if "adopted" not in point:
                continue
            keys = [str(a) for a in point.get("articles") or []]
            s = SuggestionInput(point["text"], point.get("type"), keys, is_general=not keys,
                                cited=bool(point.get("explicit")))
            pairs.append((point["adopted"], propose(s, alignment, old, new).status))
    assert len(pairs) >= 100
    scores = _print_scores("samples/ebike", pairs)
    # Floors well under the measured figures (P 0.97 / R 0.65 for 采纳, P 0.81 / R 0.95 for
    # 未采纳, accuracy 0.82): the detector proposes, a reviewer decides; what it calls
    # 采纳 must be right even when it misses paraphrased adoptions.
    assert scores[ADOPTED]["precision"] >= 0.9 and scores[ADOPTED]["recall"] >= 0.35
    assert scores[NOT_ADOPTED]["precision"] >= 0.7 and scores[NOT_ADOPTED]["recall"] >= 0.85
    assert sum(g == p for g, p in pairs) / len(pairs) >= 0.7
