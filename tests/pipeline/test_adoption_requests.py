"""Adoption rules added for reworded, partial and already-covered requests, on a small
draft and final text of our own (an imaginary 社区图书馆条例)."""

from __future__ import annotations

from minyi.core.drafts import Article, Paragraph, ParsedDraft
from minyi.core.numerals import to_chinese
from pipeline.adoption import (
    ADOPTED,
    ALREADY,
    NOT_ADOPTED,
    PARTLY,
    UNKNOWN,
    SuggestionInput,
    parse_request,
    propose,
    requests_in,
    requested_quantities,
)
from pipeline.align import align_versions

FIRST = "为了规范社区图书馆的设立和服务，保障居民阅读权利，制定本条例。"
LAST = "本条例自公布之日起施行。"
# 第二条 in the draft: two paragraphs.
LOAN = "社区图书馆应当向居民免费提供图书借阅服务。\n读者借阅图书的期限为十五日，可以续借一次。"
ROOM = "社区图书馆应当设置阅览室，开放时间由区文化主管部门确定。"


def art(n: int, text: str) -> Article:
    return Article(n, None, f"第{to_chinese(n)}条", text, [Paragraph(p) for p in text.split("\n")])


def decide(draft_text: str, final_text: str | None, suggestion: str, type_: str = "修改",
           added: list[str] | None = None, articles: tuple[str, ...] = ("2",)):
    old = ParsedDraft("草案", [art(1, FIRST), art(2, draft_text), art(3, LAST)])
    texts = [FIRST, *([final_text] if final_text else []), *(added or []), LAST]
    new = ParsedDraft("公布稿", [art(i, t) for i, t in enumerate(texts, start=1)])
    return propose(SuggestionInput(suggestion, type_, list(articles)), align_versions(old, new), old, new)


# --- reading the suggestion ------------------------------------------------------------


def test_bare_deletion_after_a_quote_deletes_the_quoted_wording():
    r = parse_request("第二条“可以续借一次”没有必要，建议删去。", "删除")
    assert (r.kind, r.old) == ("delete_phrase", "可以续借一次")


def test_bare_deletion_after_a_paragraph_reference_deletes_that_paragraph():
    r = parse_request("第二条第二款关于借阅期限的规定，建议删除。", "删除")
    assert (r.kind, r.old) == ("delete_phrase", "#paragraph:2")


def test_bare_deletion_with_nothing_cited_still_means_the_article():
    assert parse_request("第二条是宣示性条款，建议删除。", "删除").kind == "delete_article"


def test_a_rule_described_in_the_writers_words_is_a_phrase_to_delete_not_the_article():
    r = parse_request("第二条建议删除读者借阅图书须十五日内归还的规定，只保留续借。", "删除")
    assert (r.kind, r.old) == ("delete_phrase", "读者借阅图书须十五日内归还")
    r = parse_request("读者借阅图书的期限为十五日的规定应当删除。", "删除")
    assert (r.kind, r.old) == ("delete_phrase", "读者借阅图书的期限为十五日")


def test_requests_are_split_at_joins_not_at_commas():
    parts = requests_in("借阅期限应当延长，方便上班族，并增加夜间开放")
    assert parts == ["借阅期限应当延长，方便上班族", "增加夜间开放"]
    assert requests_in("报刊阅览也建议一并纳入") == ["报刊阅览也建议一并纳入"]  # 一并 is "as well"


def test_a_sentence_telling_what_happened_beside_a_request_is_no_request_of_its_own():
    story = "上周去借书，管理员说只能借十五天，我还没看完就得还。建议借阅期限延长为三十日。"
    assert requests_in(story) == ["建议借阅期限延长为三十日"]
    # Listed requests stay requests, asking words or not; a text that asks in no words is all request.
    listed = "一是借阅期限延长为三十日；二是周末也开放"
    assert requests_in(listed) == ["一是借阅期限延长为三十日", "二是周末也开放"]
    assert requests_in("周末也开放。晚上也开放。") == ["周末也开放", "晚上也开放"]


def test_what_the_rule_says_now_before_the_first_request_is_no_request():
    # The sentence before 建议 holds 应当 and 可以, but as the rule stands or as it should
    # have been; 建议 as a thing sent (提建议, 一份审查建议) opens no request.
    text = "有些书按理应当可以续借，可是系统不让。建议借阅期限延长为三十日。"
    assert requests_in(text) == ["建议借阅期限延长为三十日"]
    sent = "我上个月提了一份建议，说周末应该开放，一直没回音。希望周末也开放。"
    assert requests_in(sent) == ["希望周末也开放"]
    # Requests after the first stay requests, with or without 建议.
    assert requests_in("建议延长借阅期限。同时应当增加夜间开放。") == ["建议延长借阅期限", "应当增加夜间开放"]


def test_a_request_carried_is_adopted_though_the_story_before_it_is_not_in_the_law():
    final = ROOM + "\n社区图书馆应当提供夜间开放服务。"
    p = decide(ROOM, final, "我每天加班到八点，到图书馆门口已经关门了，白跑好几趟。建议提供夜间开放服务。")
    assert p.status == ADOPTED, p.evidence
    # A rule in the law's own words (不予, 予以, 给予) asks, and the story after it does not.
    lenient = LOAN + "\n逾期三日内归还的，不予收取逾期费。"
    rule = decide(LOAN, lenient, "建议增加：逾期三日内归还的，不予收取逾期费。我邻居就因为晚还一天被收了五块钱。", "增加")
    assert rule.status == ADOPTED, rule.evidence


def test_a_request_read_first_is_weighed_with_the_others_beside_it():
    # The first request carried, another not: partly adopted.
    final = LOAN.replace("十五日", "三十日")
    p = decide(LOAN, final, "第二条建议作两处修改：一是借阅期限改为三十日；二是增加夜间开放。")
    assert p.status == PARTLY, (p.rule, p.evidence)
    # The first not carried, another carried: partly adopted too.
    night = LOAN + "\n社区图书馆应当提供夜间开放服务。"
    p = decide(LOAN, night, "第二条建议：借阅期限改为三十日；另外应当提供夜间开放服务。")
    assert p.status == PARTLY, (p.rule, p.evidence)
    # Both carried: adopted.
    both = final + "\n社区图书馆应当提供夜间开放服务。"
    assert decide(LOAN, both, "第二条建议：借阅期限改为三十日；另外应当提供夜间开放服务。").status == ADOPTED


def test_examples_closed_by_deng_and_the_laws_qingxing_are_read_as_written():
    # "改为儿童、老年人等" names examples; the law lists them without 等.
    draft = "社区图书馆应当为读者提供便利。"
    final = "社区图书馆应当为儿童、老年人和残疾人提供便利。"
    p = decide(draft, final, "建议将“读者”修改为儿童、老年人等表述。")
    assert p.status == ADOPTED, (p.rule, p.evidence)
    # Writers say 情况 where laws write 情形.
    late = LOAN + "\n遇有紧急情形的，可以延长借阅期限。"
    p = decide(LOAN, late, "建议增加：遇有紧急情况，可以延长借阅期限。", "增加")
    assert p.status == ADOPTED, (p.rule, p.evidence)


def test_a_quantity_the_draft_already_has_is_a_quotation_not_a_request():
    assert requested_quantities("借阅期限十五日太短，建议延长为三十日", LOAN) == ["30日"]


# --- deciding --------------------------------------------------------------------------


def test_deleting_a_quoted_wording_that_went_is_adopted():
    final = LOAN.replace("，可以续借一次", "")
    p = decide(LOAN, final, "第二条“可以续借一次”没有必要，建议删去。", "删除")
    assert p.status == ADOPTED and p.rule == "phrase_deleted"


def test_deleting_a_rule_quoted_loosely_that_went_is_adopted_and_one_kept_is_not():
    # "须……内" for "的期限为……": the draft's words in order, a few of the writer's between.
    asked = "第二条建议删除读者借阅图书的期限须为十五日的规定。"
    assert decide(LOAN, LOAN.split("\n")[0], asked, "删除").status == ADOPTED
    assert decide(LOAN, LOAN.replace("免费", "无偿"), asked, "删除").status == NOT_ADOPTED


def test_deleting_wording_whose_article_went_is_adopted_unless_it_moved():
    asked = "删除“开放时间由区文化主管部门确定”。"
    p = decide(ROOM, None, asked, "删除")
    assert p.status == ADOPTED and p.rule == "phrase_deleted_with_its_article"
    # The wording lives on in another article of the final text: not adopted by deletion.
    assert decide(ROOM, None, asked, "删除", added=["阅览室开放时间由区文化主管部门确定。"]).status != ADOPTED


def test_deleting_a_paragraph_that_went_is_adopted_and_one_kept_is_not():
    first_only = LOAN.split("\n")[0]
    assert decide(LOAN, first_only, "第二条第二款关于借阅期限的规定，建议删除。", "删除").status == ADOPTED
    kept = LOAN.replace("免费", "无偿")
    assert decide(LOAN, kept, "第二条第二款关于借阅期限的规定，建议删除。", "删除").status == NOT_ADOPTED


def test_reworded_request_is_adopted_despite_a_reason_beside_it():
    final = ROOM + "\n社区图书馆应当提供夜间开放服务。"
    p = decide(ROOM, final, "阅览室应当晚上也开放，提供夜间服务，很多人白天要上班没空去。")
    # The reason clause has words the final text lacks; the request itself is carried.
    assert p.status == ADOPTED, p.evidence


def test_two_requests_one_carried_is_partly_adopted():
    final = ROOM + "\n社区图书馆应当提供夜间开放服务。"
    p = decide(ROOM, final, "建议提供夜间开放服务，并设立儿童专区配备绘本。")
    assert p.status == PARTLY and p.rule == "some_requests_carried"


def test_a_second_duty_in_the_same_sentence_is_a_point_of_its_own():
    """"……应当……，……必须……" and "……可以……，但……必须……" are two points: the first carried
    and the second not is a partial adoption. A clause without a duty before one is its
    context, and a reason after it does not dilute it."""
    final = ROOM + "\n社区图书馆应当提供夜间开放服务。"
    two = decide(ROOM, final, "社区图书馆应当提供夜间开放服务，儿童专区必须配备绘本。")
    assert two.status == PARTLY and two.rule == "some_requests_carried", two.evidence
    but = decide(ROOM, final, "社区图书馆可以提供夜间开放服务，但是必须配备专职安保人员。")
    assert but.status == PARTLY, but.evidence
    context = decide(ROOM, final, "上班族白天没空，社区图书馆应当提供夜间开放服务。")
    assert context.status == ADOPTED, context.evidence
    reason = decide(ROOM, final, "社区图书馆应当提供夜间开放服务，很多居民白天上班没空去。")
    assert reason.status == ADOPTED, reason.evidence


def test_a_time_limit_the_final_does_not_carry_is_not_adopted():
    final = LOAN.replace("可以续借一次", "可以续借两次")
    p = decide(LOAN, final, "借阅期限十五日太短，建议延长为三十日。")
    assert p.status == NOT_ADOPTED
    carried = LOAN.replace("十五日", "三十日")
    assert decide(LOAN, carried, "借阅期限十五日太短，建议延长为三十日。").status == ADOPTED


def test_a_time_limit_not_carried_makes_an_otherwise_adopted_suggestion_partial():
    final = LOAN + "\n社区图书馆应当提供图书线上预约服务。"
    p = decide(LOAN, final, "借阅期限建议延长为三十日，并提供线上预约服务。")
    assert p.status == PARTLY


def test_a_percentage_asked_for_is_compared_however_it_is_written():
    """百分之三十 and 30% are one figure: a request to raise a share the final text left as it
    was is not adopted, and one the final text wrote in the other notation is."""
    fee = "社区图书馆的逾期罚金不得超过图书定价的百分之十。"
    asked = "逾期罚金百分之十的上限太低，建议提高到百分之三十。"
    kept = decide(fee, fee + "\n罚金应当开具收据。", asked)
    assert kept.status not in (ADOPTED, PARTLY), kept.evidence
    raised = decide(fee, fee.replace("百分之十", "百分之三十") + "\n罚金应当开具收据。", "逾期罚金上限建议提高到30%。")
    assert raised.status == ADOPTED, raised.evidence


def test_a_list_asked_for_with_only_some_items_carried_is_partly_adopted():
    """"增加A和B" with A written into the final text and B nowhere: 部分采纳. A companion
    ("和法律文本一起") is no list, and a list carried whole is adopted."""
    final = ROOM + "\n社区图书馆应当设置儿童阅读专区。"
    some = decide(ROOM, final, "建议增加儿童阅读专区和老年人电子阅览室。", "增加")
    assert some.status == PARTLY, some.evidence
    both = decide(ROOM, ROOM + "\n社区图书馆应当设置儿童阅读专区和老年人电子阅览室。",
                  "建议增加儿童阅读专区和老年人电子阅览室。", "增加")
    assert both.status == ADOPTED, both.evidence
    companion = decide(ROOM, ROOM + "\n阅览室开放时间应当向居民公布。",
                       "阅览室开放时间应当和借阅规则一起向居民公布。")
    assert companion.status == ADOPTED, companion.evidence


def test_an_addition_made_a_new_article_is_adopted_though_an_example_beside_it_is_not_there():
    """The request's point is carried by a new article; the example given with it ("比如摆放绘本")
    is not there, and does not make the adoption partial. Two points of which the new
    article carries one stay partial."""
    added = ["社区图书馆应当设置儿童阅读专区。"]
    example = decide(ROOM, ROOM, "建议增加儿童阅读专区，比如摆放绘本。", "增加", added=added)
    assert example.status == ADOPTED and example.rule == "content_in_new_article", example.evidence
    two = decide(ROOM, ROOM, "建议增加儿童阅读专区，并且应当配备讲解员。", "增加", added=added)
    assert two.status == PARTLY, two.evidence


def test_a_new_figure_of_the_kind_asked_for_is_partial_and_one_the_other_way_is_not():
    """The rule asked for came in with another figure: 部分采纳. A figure moved the other way
    (asked to lengthen, shortened) is no step towards the request."""
    days = decide(ROOM, ROOM + "\n阅览室每周开放不少于五日。", "阅览室每天至少开放十二小时。")
    assert days.status == NOT_ADOPTED, days.evidence  # days are not a figure of hours
    capped = decide(ROOM, ROOM + "\n阅览室每日开放时间不少于八小时。", "阅览室每天至少开放十二小时。")
    assert capped.status == PARTLY, capped.evidence
    longer = decide(LOAN, LOAN.replace("十五日", "三十日"), "借阅期限十五日太短，建议延长为六十日。")
    assert longer.status == PARTLY, longer.evidence
    shorter = decide(LOAN, LOAN.replace("十五日", "十日"), "借阅期限十五日太短，建议延长为六十日。")
    assert shorter.status != PARTLY and shorter.status != ADOPTED, shorter.evidence


def test_a_request_whose_quantity_is_missing_is_partly_adopted_when_the_rest_is_carried():
    # The request's other clause (an online renewal) came in; its quantity (三十日) did not.
    final = LOAN.replace("可以续借一次", "可以通过网络办理续借一次")
    asked = "读者应当可以通过网络办理续借，借阅期限不少于三十日。"
    assert decide(LOAN, final, asked).status == PARTLY
    # A clause carrying a single new word beside the missing quantity is no point of its own.
    final = LOAN.replace("可以续借一次", "经网络预约可以续借一次")
    assert decide(LOAN, final, "读者预约以后，借阅期限应当不少于三十日。").status == NOT_ADOPTED


def test_deleting_a_described_wording_is_adopted_when_the_words_it_names_went():
    asked = "第二条建议取消借阅最多十五日的期限限制。"
    gone = LOAN.replace("读者借阅图书的期限为十五日，可以续借一次。", "读者可以续借图书。")
    p = decide(LOAN, gone, asked, "删除")
    assert p.status == ADOPTED and p.rule == "named_wording_removed"
    assert p.evidence["removed"] == ["15", "期限"]
    # The article changed, but what the writer named stayed: not adopted by this rule.
    kept = LOAN.replace("免费", "无偿")
    assert decide(LOAN, kept, asked, "删除").status != ADOPTED


def test_one_word_in_three_found_is_no_longer_partial():
    final = ROOM.replace("区文化主管部门", "区人民政府文化主管部门")
    p = decide(ROOM, final, "阅览室应当由街道办事处管理。")
    assert p.status != PARTLY


def test_asking_for_what_the_draft_already_says_is_already_provided():
    final = LOAN.replace("十五日", "二十日")
    p = decide(LOAN, final, "建议规定社区图书馆向居民免费提供借阅服务。", "增加")
    assert p.status == ALREADY and p.rule == "draft_already_provides"


def test_a_new_quantity_is_never_already_provided():
    final = LOAN.replace("可以续借一次", "可以续借两次")
    p = decide(LOAN, final, "社区图书馆向居民免费提供借阅服务，期限为三十日。")
    assert p.status != ALREADY


def test_request_found_in_an_article_split_off_right_after_the_target():
    final = ROOM.replace("由区文化主管部门确定", "应当向社会公布")
    split = "社区图书馆应当为视力障碍读者配备盲文图书和有声读物。"
    p = decide(ROOM, final, "建议为视力障碍读者配备盲文图书。", added=[split])
    assert p.status == ADOPTED and "第三条" in p.final_articles


def test_request_carried_by_another_article_than_the_mapped_one():
    final_room = ROOM
    other = "社区图书馆应当为视力障碍读者配备盲文图书和有声读物。"
    # Mapped to the unchanged 第一条 by mistake; the request stands word for word elsewhere.
    p = decide(ROOM, final_room, "建议为视力障碍读者配备盲文图书和有声读物。", added=[other], articles=("1",))
    assert p.status == ADOPTED and p.rule in ("requests_carried_elsewhere", "wording_enacted_verbatim")


def test_a_request_in_words_the_draft_has_is_found_where_the_revision_wrote_them():
    # Every word of the request is somewhere in the draft, so no word is new to it; the
    # revision wrote them into 第三条, while the mapping put the suggestion on 第二条.
    old = ParsedDraft("草案", [art(1, FIRST), art(2, LOAN), art(3, ROOM), art(4, LAST)])
    asked = "阅览室应当免费向居民开放。"
    room = ROOM + "\n阅览室应当向居民免费开放。"
    new = ParsedDraft("公布稿", [art(1, FIRST), art(2, LOAN), art(3, room), art(4, LAST)])
    p = propose(SuggestionInput(asked, "修改", ["2"]), align_versions(old, new), old, new)
    assert (p.status, p.rule) == (ADOPTED, "request_in_changed_wording")
    assert "第三条" in p.final_articles
    # The reviewer is shown the change that carries it, not only the mapped article.
    assert p.evidence["found"] == {"final_article": "第三条", "draft_article": "第三条",
                                   "draft_text": ROOM, "final_text": room}
    # When the writer cited 第二条 (or a reviewer put it there), the article is not in doubt.
    cited = propose(SuggestionInput(asked, "修改", ["2"], cited=True), align_versions(old, new), old, new)
    assert (cited.status, cited.rule) == (NOT_ADOPTED, "article_unchanged")
    # Half of them written into each of two articles point at neither ...
    half = ParsedDraft("公布稿", [art(1, FIRST), art(2, LOAN + "\n图书借阅对居民免费。"),
                                  art(3, ROOM + "\n阅览室应当延长开放时间。"), art(4, LAST)])
    assert propose(SuggestionInput(asked, "修改", ["1"]), align_versions(old, half), old, half).status != ADOPTED
    # ... all of them written into two parallel articles were taken up, in both.
    loan = LOAN + "\n阅览室和借阅室应当向居民免费开放。"
    both = ParsedDraft("公布稿", [art(1, FIRST), art(2, loan), art(3, room), art(4, LAST)])
    p = propose(SuggestionInput(asked, "修改", ["1"]), align_versions(old, both), old, both)
    assert p.status == ADOPTED and p.evidence["next_best_share"] == p.evidence["changed_wording_share"] == 1.0
    # Found, but without the hours asked for: partly adopted.
    new = ParsedDraft("公布稿", [art(1, FIRST), art(2, LOAN), art(3, room), art(4, LAST)])
    longer = "阅览室应当免费向居民开放，每周四十小时。"
    assert propose(SuggestionInput(longer, "修改", ["2"]), align_versions(old, new), old, new).status == PARTLY


def test_a_word_or_two_elsewhere_does_not_make_a_general_point_adopted():
    other = "社区图书馆应当每年公开经费使用情况。"
    p = decide(ROOM, ROOM, "经费应当公开。", added=[other], articles=())
    assert p.status != ADOPTED


def test_two_new_words_count_when_an_article_carries_them_and_most_of_the_rest():
    # Unmapped "阅览室开放时间应当每年评估": 每年 and 评估 are new to the draft.
    carried = "区文化主管部门应当每年评估社区图书馆阅览室的开放时间。"
    p = decide(ROOM, ROOM, "阅览室开放时间应当每年评估。", added=[carried], articles=())
    assert p.status == ADOPTED and p.rule == "requests_carried_elsewhere" and "第三条" in p.final_articles
    # The two new words alone, about something else, prove nothing.
    elsewhere = "区文化主管部门应当每年评估社区文化设施。"
    assert decide(ROOM, ROOM, "阅览室开放时间应当每年评估。", added=[elsewhere], articles=()).status != ADOPTED


def test_a_request_for_the_whole_city_is_carried_by_the_final_texts_own_jurisdiction():
    # Writers say 全市; a local regulation says 本市.
    draft = "社区图书馆应当在中心城区设立流动借阅点。"
    final = "本市支持社区图书馆在本市范围内设立流动借阅点。"
    p = decide(draft, final, "建议社区图书馆流动借阅点不应只限于中心城区，允许在全市设立。")
    assert p.status == ADOPTED


def test_every_rule_the_detection_can_give_has_a_chinese_label():
    import inspect
    import re

    import pipeline.adoption
    from minyi.core.vocab import ADOPTION_RULES, adoption_rule_label

    source = inspect.getsource(pipeline.adoption)
    codes = set(re.findall(r'_verdict\([^"\n]*"([a-z_]+)"', source))
    codes |= {"request_in_changed_wording", "request_in_changed_wording_without_its_quantity",
              "requests_carried", "some_requests_carried", "general_suggestion", "no_article",
              "article_changed_in_another_language"}
    assert codes and not codes - set(ADOPTION_RULES), sorted(codes - set(ADOPTION_RULES))
    assert adoption_rule_label("requests_carried_in_added_neighbour") == "所提各项均已写入（见于其后新增的条文）"
    assert adoption_rule_label("no_rule_for_支持") == "“支持”类意见无自动判断规则"
    assert adoption_rule_label("some_future_rule") == "some_future_rule" and adoption_rule_label(None) == ""


def test_the_wanted_wording_first_and_the_replaced_one_after_is_a_replacement():
    r = parse_request("第二条开放时间应当由“街道办事处”确定，而不是“区文化主管部门”。")
    assert (r.kind, r.old, r.new) == ("replace", "区文化主管部门", "街道办事处")
    r = parse_request("建议用“应当”代替“可以”。")
    assert (r.kind, r.old, r.new) == ("replace", "可以", "应当")
    final = ROOM.replace("区文化主管部门", "街道办事处")
    asked = "阅览室的开放时间应当由“街道办事处”确定，而不只是“区文化主管部门”。"
    assert decide(ROOM, final, asked).status == ADOPTED


def test_an_insertion_written_out_with_its_surroundings_is_adopted_though_the_draft_had_the_rest():
    # The draft already says nearly all of it; the two characters it lacks are what went in.
    final = ROOM.replace("设置阅览室", "设置阅览室和自习室")
    asked = "社区图书馆应当设置阅览室和自习室，开放时间由区文化主管部门确定。"
    assert decide(ROOM, final, asked).status == ADOPTED
    assert decide(ROOM, final, asked, type_="增加").status == ADOPTED
    # The same words without the inserted ones: the draft already provides it.
    assert decide(ROOM, final, "社区图书馆应当设置阅览室，开放时间由区文化主管部门确定。").status != ADOPTED


def test_a_suggestion_in_another_language_is_left_to_the_reviewer_when_its_article_changed():
    draft = "市场监管部门应当加强知识产权保护，依法查处侵权行为。"
    final = "市场监管部门应当加强知识产权和商业秘密保护，依法查处侵权行为。"
    english = "Article 2 covers IP enforcement but says nothing about trade secrets. Please add them."
    p = decide(draft, final, english, "增加")
    assert (p.status, p.rule) == (UNKNOWN, "article_changed_in_another_language")
    assert p.evidence["rules_said"] and p.evidence["rule"] == p.rule
    # Its article unchanged, it was not adopted, whatever language it is in.
    assert decide(draft, draft, english, "增加").status == NOT_ADOPTED
    # In Chinese the same request is compared word for word.
    assert decide(draft, final, "第二条只讲知识产权，建议增加商业秘密保护。", "增加").status == ADOPTED


def test_the_part_of_the_law_named_as_the_place_is_not_a_word_asked_for():
    draft = "社区图书馆应当保护读者的合法权益。"
    final = "社区图书馆应当保护读者和志愿者的合法权益。"
    assert decide(draft, final, "立法目的中应当写上保护志愿者的合法权益。", "增加").status == ADOPTED
    assert decide(draft, final, "建议在本条例中规定保护志愿者的合法权益。", "增加").status == ADOPTED
    # The place named, the content asked for not carried: not adopted.
    assert decide(draft, final, "立法目的中应当写上保护捐赠人的合法权益。", "增加").status == NOT_ADOPTED
