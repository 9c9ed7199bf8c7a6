import pytest

from pipeline.mask import find_personal_data, luhn_ok, mask, valid_id_number

_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def make_id(first17: str) -> str:
    return first17 + "10X98765432"[sum(int(d) * w for d, w in zip(first17, _W)) % 11]


def make_card(prefix: str) -> str:
    for last in "0123456789":
        if luhn_ok(prefix + last):
            return prefix + last
    raise AssertionError


VALID_ID = make_id("44030519900101123")


def test_id_check_digit_is_verified():
    assert valid_id_number(VALID_ID)
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    assert not valid_id_number(wrong)
    assert not valid_id_number(make_id("44030519901301123"))  # month 13


def test_valid_id_is_masked_invalid_18_digits_are_left_alone_not_taken_for_a_phone():
    wrong = VALID_ID[:-1] + ("0" if VALID_ID[-1] != "0" else "1")
    assert mask(f"身份证号{VALID_ID}。").text == "身份证号【身份证号】。"
    out = mask(f"编号{wrong}").text
    assert out == f"编号{wrong}"


@pytest.mark.parametrize(
    "raw",
    ["13812345678", "138-1234-5678", "138 1234 5678", "+86 138 1234 5678", "+8613812345678"],
)
def test_mobiles_with_separators(raw):
    assert mask(f"电话{raw}，谢谢").text == "电话【手机号】，谢谢"


@pytest.mark.parametrize("raw", ["0755-83456789", "(0755)83456789", "（0755）83456789", "010-6512345", "0755-83456789-123"])
def test_landlines(raw):
    assert mask(f"座机：{raw}。").text == "座机：【固定电话】。"


def test_email_wechat_and_bank_card():
    card = make_card("622202123456789012")
    m = mask(f"邮箱 zhang.san@qq.com，微信：zs_2025abc，卡号{card}")
    assert m.text == "邮箱 【邮箱】，微信：【微信号】，卡号【银行卡号】"
    assert m.kinds == ["bank_card", "email", "wechat"]
    bad = card[:-1] + str((int(card[-1]) + 1) % 10)
    assert "【银行卡号】" not in mask(f"订单编号{bad}").text  # no Luhn, no card context
    assert mask(f"卡号{bad}").text == "卡号【银行卡号】"  # after 卡号 a mistyped card still is one


def test_names_in_labelled_lines_speaker_turns_and_signatures():
    assert mask("提出人：张三，电话：13812345678").text == "提出人：【姓名】，电话：【手机号】"
    assert mask("联系人：王女士").text == "联系人：【姓名】"
    assert mask("姓名：欧阳娜娜 单位：某公司").text == "姓名：【姓名】 单位：某公司"
    minutes = "刘建国（某物流公司负责人）：建议第五十五条修改。\n陈静：同意。"
    assert mask(minutes).text == "【姓名】（某物流公司负责人）：建议第五十五条修改。\n【姓名】：同意。"
    letter = "建议第三十条时速提高到二十五公里。\n居民 刘德华 2025年10月1日"
    assert mask(letter).text == "建议第三十条时速提高到二十五公里。\n居民 【姓名】 2025年10月1日"


def test_ordinary_text_numbers_and_closings_are_not_masked():
    for text in [
        "时速提高到25公里，罚款1000元，2025年10月1日施行",
        "第十二条应删除。\n谢谢",
        "以上意见供参考。\n此致",
        "建议参照GB17761-2018标准",
    ]:
        assert mask(text).text == text, text
        assert find_personal_data(text) == []


def test_spans_point_into_the_input():
    text = "我的电话13812345678，邮箱a@b.cn"
    m = mask(text)
    assert [(s.kind, text[s.start : s.end]) for s in m.spans] == [
        ("mobile", "13812345678"),
        ("email", "a@b.cn"),
    ]


@pytest.mark.parametrize("text", [
    "我是董事会成员，建议第五条修改",
    "本人常年从事物流运输",
    "我是应届毕业生",
    "第四十四条规定职工董事由职工代表大会选举产生",
    "加强学生安全教育",
    "家长应当履行监护职责",
    "物业不得以未缴费为由限制业主车辆进出小区",
    "第四十四条职工董事由“可以有”改为“应当有”",  # a quotation mark ends no name
    "该班学生严重超员",
    "民办学校学生成千上万",
    "我是石景山区鲁谷街道的居民",  # a place
    "我是华富新村的居民，架空层原来就有充电桩",  # a village
    "我是田面花园的业主",  # a housing estate
    "小区居民和学生的安全",  # 和, 向, 应: function words far more often than surnames here
    "本人向相关部门反映过",
    "设不设职工董事属于公司自治的范围",  # 董事 then 属于: the third character begins a word
    "硬塞一个职工董事进来，商业秘密怎么保",
    "三是本人申请作为购买权证的代表加入村委会",
    "建议明确只记录姓名和联系电话",  # a label then 和: fields listed, no name
    "签名和日期都要有",
    "联系人与电话要公开",
])
def test_what_follows_i_am_or_a_role_word_is_a_description_not_a_name(text):
    assert mask(text).text == text


@pytest.mark.parametrize("text, masked", [
    ("我是王国庆，住在幸福花园", "我是【姓名】，住在幸福花园"),  # 王国 is a word; the name ends where names end
    ("我是黄金花", "我是【姓名】"),
    ("我是高明，建议删除", "我是【姓名】，建议删除"),  # a word jieba knows as a name
    ("居民高明反映问题", "居民【姓名】反映问题"),
    ("此致敬礼 马力", "此致敬礼 【姓名】"),  # after a closing, a name whatever it means
    ("我是黄金花律师", "我是【姓名】律师"),
    ("我是李明市民", "我是【姓名】市民"),
    ("我是张伟，华富村居民", "我是【姓名】，华富村居民"),  # the village after the name
    ("我是职工王国庆于2020年入职", "我是职工【姓名】于2020年入职"),  # 庆于 is no word
])
def test_names_that_begin_with_a_word_are_still_names(text, masked):
    assert mask(text).text == masked


def test_a_signatures_name_on_the_line_above_its_number_is_masked():
    assert mask("孙建军\n13962187730\n2023年3月20日").text == "【姓名】\n【手机号】\n2023年3月20日"
    assert mask("建议删除第五条。\n孙建军\n13962187730").text == "建议删除第五条。\n【姓名】\n【手机号】"
    # A line of more than a name above a number is left as it is.
    assert mask("第三十条应删除\n13962187730").text == "第三十条应删除\n【手机号】"


@pytest.mark.parametrize("line, signs", [
    ("东湖街道居民张三", True), ("居民【姓名】", True), ("——李明", True), ("Daniel Hoffmann", True),
    ("建议删除", False), ("谢谢", False), ("第三十条应删除", False),
])
def test_a_signature_line_is_told_from_a_point(line, signs):
    from pipeline.mask import is_signature_line

    assert is_signature_line(line) is signs


def test_a_signatures_name_above_its_contact_lines_is_masked():
    """The letter's last line before its 住址/电话/邮箱 lines is where its signature stands."""
    letter = "希望社区能发纸质的草案。\n祝工作顺利！\n吴秀英\n住址：江城市解放路88号3栋\n电话：13907214456"
    assert mask(letter).text == "希望社区能发纸质的草案。\n祝工作顺利！\n【姓名】\n住址：【住址】\n电话：【手机号】"
    letter = "以上意见供参考。\n浙江某律师事务所 陈思远\n电话：0571-86735210\n邮箱：chensiyuan@zjlaw.cn"
    assert mask(letter).text == "以上意见供参考。\n浙江某律师事务所 【姓名】\n电话：【固定电话】\n邮箱：【邮箱】"
    assert mask("建议提高到 二十五公里").text == "建议提高到 二十五公里"


@pytest.mark.parametrize("text, masked", [
    ("以上意见。\n某市人大常委会法工委王建平\n电话：0731-84226501", "以上意见。\n某市人大常委会法工委【姓名】\n电话：【固定电话】"),
    ("以上意见，请予考虑。\n韩立新律师\n邮箱：a@b.cn", "以上意见，请予考虑。\n【姓名】律师\n邮箱：【邮箱】"),
    ("此致敬礼！福田区莲花街道彩田村12栋 陈志远", "此致敬礼！福田区莲花街道彩田村12栋 【姓名】"),
    ("某科技公司董事长冯建军：董事做商业决策，事后亏了就追责。", "某科技公司董事长【姓名】：董事做商业决策，事后亏了就追责。"),
    ("我是福田区某街道网格员郑晓燕，日常入户采集信息。", "我是福田区某街道网格员【姓名】，日常入户采集信息。"),
    ("Kind regards,\nDaniel Hoffmann\nd.hoffmann@outlook.com", "Kind regards,\n【姓名】\n【邮箱】"),
    ("Thomas Becker, Legal Counsel", "【姓名】, Legal Counsel"),
])
def test_names_in_signatures_turns_and_english_sign_offs(text, masked):
    assert mask(text).text == masked
