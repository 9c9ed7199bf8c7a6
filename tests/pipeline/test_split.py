import pytest

from pipeline.split import split_comment

TITLE = ["深圳经济特区电动自行车管理条例（征求意见稿）"]


def test_chinese_enumeration_with_lead_in_and_closing():
    s = split_comment(
        "我对草案提几点意见：\n一、关于第五条，建议明确职责。\n二、第三十条时速太低，建议提高到二十五公里。\n以上意见供参考。",
        TITLE,
    )
    assert s.texts == ["关于第五条，建议明确职责。", "第三十条时速太低，建议提高到二十五公里。"]
    assert s.dropped == ["我对草案提几点意见：", "以上意见供参考。"]


def test_arabic_and_parenthesised_enumerations():
    assert split_comment("1. 第十二条应增加告知义务；2. 第十三条建议删除第（四）项。").texts == [
        "第十二条应增加告知义务",
        "第十三条建议删除第（四）项。",
    ]
    assert split_comment("（一）建议增加头盔补贴。（二）建议放宽载人年龄。").texts == [
        "建议增加头盔补贴。",
        "建议放宽载人年龄。",
    ]
    assert split_comment("①第五十五条应细化；②第五十七条应改为应当投保。").texts == [
        "第五十五条应细化",
        "第五十七条应改为应当投保。",
    ]


def test_yi_shi_er_shi_enumeration_keeps_an_uncited_last_point_apart():
    s = split_comment("我们提出以下意见。一是第六十二条应当明确提前通知的时限。二是第六十五条建议留出适应期。"
                      "三是希望在政策制定时听取行业协会的意见。以上意见，恳请研究采纳。")
    assert s.texts == ["第六十二条应当明确提前通知的时限。", "第六十五条建议留出适应期。", "希望在政策制定时听取行业协会的意见。"]
    # Not a marker inside a sentence, nor "一是一，二是二".
    assert len(split_comment("一是一，二是二，这条很好。").texts) == 1


def test_nested_enumeration_stays_inside_its_point():
    s = split_comment("一、关于第四十五条：1. 架空层应允许充电；2. 应配备喷淋。\n二、关于第五十条：收费应公开。")
    assert s.texts == ["关于第四十五条：1. 架空层应允许充电；2. 应配备喷淋。", "关于第五十条：收费应公开。"]


def test_one_point_per_cited_article_without_enumeration():
    s = split_comment("第五条职责不清，建议明确；第三十条时速太低，建议提高到二十五公里；第四十五条架空层应允许充电。", TITLE)
    assert s.texts == ["第五条职责不清，建议明确", "第三十条时速太低，建议提高到二十五公里", "第四十五条架空层应允许充电。"]


def test_preamble_with_content_is_attached_to_the_first_point():
    s = split_comment("我认为应加强对骑手的管理。具体：①第五十五条应细化；②第五十七条应改为应当投保。")
    assert s.texts[0] == "我认为应加强对骑手的管理。\n第五十五条应细化"
    assert s.dropped == ["具体："]
    s = split_comment("总体赞成制定本条例。建议：\n1.加强对骑手权益的保障；\n2.执法要坚持教育与处罚相结合。")
    assert s.texts == ["总体赞成制定本条例。", "加强对骑手权益的保障", "执法要坚持教育与处罚相结合。"]
    assert s.dropped == ["建议："]


def test_single_point_stays_one_even_when_citing_another_law():
    text = "第三十条规定最高时速十五公里，太低了。根据《道路交通安全法》第五十八条，时速不得超过十五公里，但建议调整。"
    assert split_comment(text, TITLE).texts == [text]
    assert split_comment("电动自行车管理很重要，建议加强宣传。").texts == ["电动自行车管理很重要，建议加强宣传。"]


def test_same_article_in_consecutive_sentences_is_one_point():
    text = "第三十条限速太低。第三十条应当与国家标准一致，改为二十五公里。"
    assert split_comment(text).texts == [text]


def test_numbers_that_are_not_markers_do_not_split():
    text = "载物高度1.5米太低，建议2.0米，因为3、4月份雨多。"
    assert split_comment(text).texts == [text]


def test_closing_is_set_aside_never_lost_and_empty_text_has_no_points():
    s = split_comment("建议第三十条时速改为二十公里。谢谢！")
    assert s.texts == ["建议第三十条时速改为二十公里。"]
    assert s.dropped == ["谢谢！"]
    assert split_comment("  ").pieces == []
    only = split_comment("谢谢！")
    assert only.texts == ["谢谢！"]


def test_spans_point_into_the_input():
    text = "一、第五条要明确。二、第六条要细化。"
    for p in split_comment(text).pieces:
        assert text[p.start : p.end] == p.text


def test_attitude_then_request_and_another_point_are_two_points():
    assert split_comment("支持为骑手买保险，但建议由平台和站点共同承担。").texts == [
        "支持为骑手买保险",
        "建议由平台和站点共同承担。",  # the connective ties it to the point before: not kept
    ]
    assert split_comment("支持免费登记。号牌工本费也应当免收。").texts == ["支持免费登记。", "号牌工本费也应当免收。"]
    assert split_comment("第二十一条让我们代办登记，建议改为自愿，另外第七十三条罚款太高，建议降低。").texts == [
        "第二十一条让我们代办登记，建议改为自愿",
        "第七十三条罚款太高，建议降低。",
    ]
    # A request with its reason stays one point.
    text = "第三十条限速太低，建议改为二十五公里，但要加强对超速的处罚。"
    assert split_comment(text).texts == [text]


def test_contact_sentences_and_colon_lead_ins_are_set_aside():
    s = split_comment("提出人：王某某，电话：13829406152。建议在公园门口设置共享电单车停放区。")
    assert s.texts == ["建议在公园门口设置共享电单车停放区。"]
    assert s.dropped == ["提出人：王某某，电话：13829406152。"]
    s = split_comment("荔园新村的充电问题说了好几年了，希望这次立法能解决。我的电话13827364510，欢迎来小区看看。")
    assert s.texts == ["荔园新村的充电问题说了好几年了，希望这次立法能解决。"]
    s = split_comment("我的看法：第二十二条过渡期太短")
    assert s.texts == ["第二十二条过渡期太短"] and s.dropped == ["我的看法："]


def test_a_head_before_a_colon_that_names_the_request_stays_with_it():
    """"但希望进一步明确付款期限：" is the request itself, the colon introducing its wording;
    "具体建议如下：" only announces it."""
    s = split_comment("第二十一条规定不得拖欠账款，我们非常支持。但希望进一步明确付款期限：验收合格之日起三十日内支付。")
    assert s.texts == ["第二十一条规定不得拖欠账款，我们非常支持。", "希望进一步明确付款期限：验收合格之日起三十日内支付。"]
    assert s.dropped == []
    s = split_comment("第二十一条规定不得拖欠账款，我们非常支持。具体建议如下：验收合格之日起三十日内支付。")
    assert s.texts[-1] == "验收合格之日起三十日内支付。" and s.dropped == ["具体建议如下："]


def test_a_request_after_an_attitude_on_an_article_continues_that_article():
    s = split_comment("第五十条明码标价好，但很多充电桩要下载好几个APP，建议统一支付方式。")
    assert s.texts == ["第五十条明码标价好", "很多充电桩要下载好几个APP，建议统一支付方式。"]
    assert [p.continues for p in s.pieces] == [False, True]


def test_points_under_a_head_naming_one_article_are_all_on_that_article():
    # The head is set aside (no point of its own) and places every point under it.
    s = split_comment("第三十条建议作两处修改：一是时速提高到二十五公里；二是夜间行驶必须开灯。")
    assert s.texts == ["时速提高到二十五公里", "夜间行驶必须开灯。"]
    assert s.dropped == ["第三十条建议作两处修改："]
    assert [(p.continues, p.heading) for p in s.pieces] == [(True, "第三十条建议作两处修改：")] * 2
    s = split_comment("关于第三十条，提三点意见：（一）提高时速；（二）放宽载人年龄；（三）夜间必须开灯。")
    assert s.texts == ["提高时速", "放宽载人年龄", "夜间必须开灯。"]
    assert {p.heading for p in s.pieces} == {"关于第三十条，提三点意见："}
    # A head that makes a point of its own, or points that cite their own articles, stay apart.
    s = split_comment("第三十条很好。一是第五条应当明确职责；二是第九条建议删除。")
    assert s.texts[0] == "第三十条很好。" and not any(p.continues for p in s.pieces)


def test_split_on_the_sample_consultation(sqlite_url, sample_dir):
    """Share of the gold points (labels.jsonl) that come out as exactly one suggestion."""
    import json
    import re

    from sqlalchemy import select

    from minyi.services.context import SYSTEM
    from minyi.services.intake import import_files
    from models.db import session_scope
    from models.entities import Comment
    from models.store import create_consultation
    from pipeline.normalise import normalise_text

    labels = sample_dir / "labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"{labels} is absent")
    with session_scope(sqlite_url) as session:
        c = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
        import_files(session, SYSTEM, c.id, sorted((sample_dir / "comments").iterdir()))
        texts = list(session.scalars(select(Comment.text).where(Comment.consultation_id == c.id)))
    pieces = {p for t in texts for p in split_comment(normalise_text(t), TITLE).texts}
    marker = re.compile(r"^\s*(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]|[①-⑳])\s*")
    gold = [
        marker.sub("", normalise_text(p["text"])).rstrip("；;，,")
        for line in labels.read_text(encoding="utf-8").splitlines()
        if line.strip() and not json.loads(line)["quarantine"]
        for p in json.loads(line)["points"]
    ]
    share = sum(g in pieces for g in gold) / len(gold)
    print(f"\nsplit, sample consultation: {share:.1%} of {len(gold)} gold points reproduced exactly")
    assert share >= 0.88  # measured 92.4%


def test_a_connective_that_opens_a_point_is_not_part_of_it():
    text = "支持外卖车统一标识。另外，站点希望车辆备案能够在网上办理。同时建议增加罚则。"
    s = split_comment(text)
    assert s.texts == ["支持外卖车统一标识。", "站点希望车辆备案能够在网上办理。", "建议增加罚则。"]
    assert all(text[p.start : p.end] == p.text for p in s.pieces)  # the comment keeps it
    assert split_comment("同时建议增加罚则。").texts == ["建议增加罚则。"]
    # Words that only look like one stay: "还有的小区" is what it says.
    assert split_comment("还有的小区没有物业，建议由社区代管。").texts == ["还有的小区没有物业，建议由社区代管。"]



def test_a_letters_closing_signature_and_date_are_set_aside_after_the_last_point():
    letter = ("一、关于第六十六条。建议明确扣留期限。\n二、建议增加一条个人信息保护的规定。\n\n以上意见妥否，请酌。\n\n"
              "提出人：周伟（某律师事务所律师）\n电话：13631456072\n2025年10月8日")
    s = split_comment(letter)
    assert s.texts == ["关于第六十六条。建议明确扣留期限。", "建议增加一条个人信息保护的规定。"]
    assert s.dropped == ["以上意见妥否，请酌。\n\n提出人：周伟（某律师事务所律师）\n电话：13631456072\n2025年10月8日"]
    # Without enumeration: the contact lines are set aside once, with the rest of the end.
    s = split_comment("建议增加一条个人信息保护的规定。\n以上意见供参考。\n提出人：周伟\n电话：13631456072\n2025年10月8日")
    assert s.texts == ["建议增加一条个人信息保护的规定。"]
    assert s.dropped == ["以上意见供参考。\n提出人：周伟\n电话：13631456072\n2025年10月8日"]


def test_a_letters_salutation_is_set_aside():
    s = split_comment("人大领导：\n我的案子法院判了三年了，一直没有执行。请人大督促法院执行。")
    assert s.texts == ["我的案子法院判了三年了，一直没有执行。请人大督促法院执行。"] and s.dropped == ["人大领导："]
    s = split_comment("法工委的同志们：\n建议第三十条提高限速。")
    assert s.texts == ["建议第三十条提高限速。"] and s.dropped == ["法工委的同志们："]
    assert split_comment("第三十条：建议提高限速。").texts == ["第三十条：建议提高限速。"]  # a head, not a salutation


def test_a_letters_sign_off_in_chinese_or_english_is_set_aside():
    s = split_comment("对草案的总体意见是：立法时要多考虑基层执法的可行性。\n此致\n敬礼\n张三")
    assert s.texts == ["对草案的总体意见是：立法时要多考虑基层执法的可行性。"] and s.dropped == ["此致\n敬礼\n张三"]
    s = split_comment("Dear Sir or Madam,\nI suggest an official English summary.\nKind regards,\nDaniel Hoffmann")
    assert s.texts == ["I suggest an official English summary."]
    assert s.dropped == ["Dear Sir or Madam,", "Kind regards,\nDaniel Hoffmann"]
    # A last point that is only the sign-off goes whole.
    s = split_comment("一、建议第三十条提高限速。\n二、建议第五条明确职责。\n三、此致\n敬礼！\n东湖街道居民张三")
    assert s.texts == ["建议第三十条提高限速。", "建议第五条明确职责。"]


def test_a_closing_wish_and_an_address_line_end_a_letter():
    s = split_comment("另外希望社区能发纸质的草案。\n祝工作顺利！\n吴秀英\n住址：江城市解放路88号3栋\n电话：13907214456")
    assert s.texts == ["希望社区能发纸质的草案。"]
    assert sorted(s.dropped) == sorted(["住址：江城市解放路88号3栋", "电话：13907214456", "祝工作顺利！\n吴秀英"])


def test_an_attitude_ending_a_story_concedes_and_the_request_stays_with_it():
    text = "我们市报上去的一部法规，省里一直不批，也不说为什么，后来就不了了之了。不批可以，但要给个书面理由。"
    assert split_comment(text).texts == [text]
    # An attitude that is the whole point before the request is a point of its own, and so is
    # support at the end of a story.
    assert split_comment("支持这一条。但建议明确标准。").texts == ["支持这一条。", "建议明确标准。"]
    assert split_comment("去年垫付的货款至今未结清。第二十一条规定不得拖欠账款，我们非常支持。但希望明确付款期限。").texts == [
        "去年垫付的货款至今未结清。第二十一条规定不得拖欠账款，我们非常支持。", "希望明确付款期限。"]
