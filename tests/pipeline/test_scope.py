"""pipeline.scope: how people write to a consultation, whatever the draft."""

from __future__ import annotations

import pytest

from pipeline.scope import adds_nothing_to_agreement, agreed_speaker, agrees_with_earlier_post, not_opinion


@pytest.mark.parametrize("text", ["同意楼上", "同上，支持！", "同意楼上老张的意见，先警告再罚款。", "+1", "附议，说得好！",
                                  "同意1楼", "3楼说得对！"])
def test_an_agreement_that_adds_nothing_needs_its_thread(text):
    assert agrees_with_earlier_post(text)
    assert adds_nothing_to_agreement(text)


@pytest.mark.parametrize("text", [
    "同意大家的意见，小区门禁必须保留刷卡密码，不能只刷脸！",
    "同上。按营业额罚款会让小企业直接倒闭，建议改成按违法所得罚。",
    "+1，建议把期限延长到三十日。",
])
def test_an_agreement_that_goes_on_to_make_its_point_is_an_opinion(text):
    assert agrees_with_earlier_post(text)
    assert not adds_nothing_to_agreement(text)


def test_a_text_that_does_not_agree_with_anyone_is_not_a_reply():
    assert not adds_nothing_to_agreement("建议删除第五条。")


def test_the_points_under_a_general_heading_until_a_heading_for_articles():
    from pipeline.scope import under_general_heading

    letter = ("关于草案的总体意见（某区工商联）：一、草案结构清晰，总体赞成。二、建议加强宣传引导。"
              "具体意见：三、第三十条建议提高限速。")
    assert under_general_heading(letter, "草案结构清晰，总体赞成。")
    assert under_general_heading(letter, "建议加强宣传引导。")
    assert not under_general_heading(letter, "第三十条建议提高限速。")
    assert under_general_heading("总体意见：建议加强宣传。", "建议加强宣传。")
    # A general word inside a letter is not a heading.
    assert not under_general_heading("第三十条限速太低，总体意见是提高。", "第三十条限速太低，总体意见是提高。")


def test_links_found_by_score_stand_unless_the_point_speaks_of_the_whole_draft_or_its_heading_does():
    from pipeline.scope import GENERAL_MARGIN, semantic_links_stand

    plain = "建议提高电动自行车停放点的充电设施配置。"
    assert semantic_links_stand(plain, plain, best=0.41, threshold=0.4)
    overall = "建议条例总体上加强电动自行车充电设施的建设。"
    assert not semantic_links_stand(overall, overall, best=0.41, threshold=0.4)
    # A whole-draft cue yields only to a clear match ...
    assert semantic_links_stand(overall, overall, best=0.4 + GENERAL_MARGIN + 0.01, threshold=0.4)
    # ... and a point on the wording throughout (全文, 很多条文) to none: it is 总体意见.
    for whole in ("建议全文把“市场主体”统一改为“经营主体”。", "草案很多条文写“由有关部门责令改正”，建议统一处罚幅度。"):
        assert not semantic_links_stand(whole, whole, best=0.95, threshold=0.4)
    letter = "关于草案的总体意见：一、" + plain
    assert not semantic_links_stand(plain, letter, best=0.9, threshold=0.4)
    # The draft's structure (a chapter of its own) is not one article's business either.
    for structure in ("建议增设国家出资公司专章，把国有资本控股公司也纳入。", "建议把公司登记单独设一章，现在的规定太分散。"):
        assert not semantic_links_stand(structure, structure, best=0.41, threshold=0.4)
    assert not semantic_links_stand("建议增设“公众参与”一章。", "建议增设“公众参与”一章。", best=0.9, threshold=0.4)
    # Another document's full text is not the draft's: "处罚决定书全文公开" may ask something
    # of an article, and does when it matches one clearly.
    for text in ("建议行政处罚决定书全文公开。", "草案应当规定检查结果全文公开。"):
        assert semantic_links_stand(text, text, best=0.4 + GENERAL_MARGIN + 0.01, threshold=0.4), text


def test_a_word_about_the_whole_draft_that_the_matched_article_says_itself_does_not_hold_the_point_back():
    from pipeline.scope import GENERAL_MARGIN, general_cue, semantic_links_stand

    point = "一年时间制定配套规定太紧了，建议放宽到两年。"
    rules = "有关国家机关应当自法律施行之日起一年内作出配套的具体规定。"
    assert general_cue(point)  # 配套 is most often about the implementing rules to come ...
    assert not semantic_links_stand(point, point, best=0.45, threshold=0.4, best_article_text="公民有权提出意见。")
    # ... but this draft has an article on them, and the point matches it.
    assert not general_cue(point, rules)
    assert semantic_links_stand(point, point, best=0.45, threshold=0.4, best_article_text=rules)
    # A cue the article does not say still asks for the margin.
    both = "总体上，一年时间制定配套规定太紧了。"
    assert not semantic_links_stand(both, both, best=0.45, threshold=0.4, best_article_text=rules)
    assert semantic_links_stand(both, both, best=0.4 + GENERAL_MARGIN + 0.01, threshold=0.4, best_article_text=rules)


@pytest.mark.parametrize("text, whole", [
    ("建议增加一章“数字营商环境”，把数据跨境流动集中规定。", True),  # a chapter added
    ("把“市场主体”统一改成“企业等经营主体”很好。", True),  # a term renamed throughout
    ("全文的“法律委员会”建议统一改为“宪法和法律委员会”。", True),
    ("建议增加一款：企业可以申请章程备案，一章程一备案。", False),  # 一章程 is no chapter
    ("罚款统一改为五千元。", False),  # a figure made uniform, on its article
    ("您好！我是一名基层公务员。对草案的总体意见是：立法要多考虑基层执法的可行性。", True),  # said to be a view of the whole
    ("总体赞成这次修改，把基层立法联系点写进法律是看得见的进步。", True),
    ("整体来看，草案对备案审查、区域协同立法都有新规定，值得肯定。", True),
    ("听证制度总体上是好的，但建议公开听证报告。", False),  # a point on one article
])
def test_points_on_the_draft_s_structure_or_wording_throughout(text, whole):
    from pipeline.scope import whole_text_cue

    assert whole_text_cue(text) is whole


def test_a_call_to_word_things_alike_speaks_of_the_whole_draft():
    from pipeline.scope import general_cue

    assert general_cue("条例里“有关部门”“有关政府部门”混着用，建议统一表述。")
    assert not general_cue("建议明确有关部门的职责。")


@pytest.mark.parametrize("text, cue", [("整体很好，建议尽快出台。", True), ("支持出台！", True), ("希望条例早日出台。", True),
                                       ("法律出台前的评估是可以进行，建议改为应当。", False),
                                       ("有的草案只是出台时机不成熟，建议允许延期审议。", False)])
def test_coming_out_is_about_the_whole_draft_only_when_the_draft_s_own_is_wished_for(text, cue):
    from pipeline.scope import general_cue

    assert general_cue(text) is cue


@pytest.mark.parametrize("text, referred", [("同意2楼", 2), ("同意楼上，说得对", 4), ("楼上说得对", 4),
                                                   ("支持楼主", 1), ("顶楼主", 1), ("我同意", None), ("楼下的车位", None)])
def test_the_floor_a_reply_on_floor_five_agrees_with(text, referred):
    from pipeline.scope import referred_floor

    assert referred_floor(text, 5) == referred


@pytest.mark.parametrize("text, floor", [("同意1楼，凭证必须能查", 1), ("负责的董事也得赔。同意5楼", 5),
                                         ("支持三楼的意见", 3), ("同意楼上", None), ("顶层设计要加强", None)])
def test_a_reply_that_names_the_floor_it_agrees_with(text, floor):
    from pipeline.scope import named_floor

    assert named_floor(text) == floor
    assert agrees_with_earlier_post(text) == (text != "顶层设计要加强")


@pytest.mark.parametrize("text, who", [
    ("我同意李秀英的意见，我们楼的架空层很宽敞。", "李秀英"),
    ("赞同王建国代表刚才的发言。", "王建国"),
    ("我完全同意刘强的观点", "刘强"),
    # Not a person named: the floor above, everyone, a role said before it, the draft itself.
    ("我同意楼上的意见", None),
    ("同意大家的意见，门禁必须保留刷卡。", None),
    ("同意刚才老师的意见。另外补充一点", None),
    ("我同意这个规定。", None),
])
def test_the_speaker_a_turn_agrees_with_is_read_by_name(text, who):
    assert agreed_speaker(text) == who



@pytest.mark.parametrize("text, reason", [
    ("无意见。", "nothing said"),
    ("暂无建议", "nothing said"),
    ("测试", "nothing said"),
    ("Hello, this is a test message.", "nothing said"),
    ("【姓名】\n【手机号】\n2023年3月20日", "signature"),  # a signature alone, masked
    ("孙建军", "signature"),  # a name the masker did not know, alone
    ("以上意见仅供参考。", "nothing said"),  # a closing split from what it closed
    ("已阅。", "nothing said"),
    ("前面几位说得很全面了，我没有什么补充。", "nothing said"),
    ("我有几点意见想提，请问是发到这个邮箱吗？", "question about the consultation"),
    ("建议提高罚款，没有别的补充。", None),
    # Opinions, however short:
    ("无异议。", None),
    ("第三十条无意见", None),
    ("我没有意见，支持！", None),
    ("测试数据要删除", None),
    ("同意。", None),
    ("Article 12 should say X.", None),
])
def test_nothing_said_and_a_signature_alone_are_not_opinions(text, reason):
    assert not_opinion(text) == reason


def test_a_complaint_that_asks_nothing_of_the_draft_is_on_no_article():
    from pipeline.scope import semantic_links_stand

    story = "楼下饭店油烟太大，晚上十一点还在营业，吵得孩子没法睡觉，投诉了好几次都没用。"
    assert not semantic_links_stand(story, story, best=0.9, threshold=0.4)
    asks = "楼下饭店油烟太大，投诉了好几次都没用，建议条例规定餐饮店安装净化设备。"
    assert semantic_links_stand(asks, asks, best=0.9, threshold=0.4)
