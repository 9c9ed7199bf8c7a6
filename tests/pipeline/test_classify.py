import pytest

from pipeline.classify import classify, is_out_of_scope

DRAFT = "电动自行车应当经交通管理部门登记。驾驶电动自行车应当佩戴安全头盔。住宅小区集中充电场所。外卖平台企业。"


@pytest.mark.parametrize(
    "text,expected",
    [
        ("建议将第三十条的时速由十五公里改为二十五公里。", "修改"),
        ("能否把时速提高到二十公里？", "修改"),
        ("第七十条考核条款没有必要，建议删除。", "删除"),
        ("不同意，建议删去第三十七条。", "删除"),
        ("建议增加一条，规定外卖平台为骑手购买保险。", "增加"),
        ("应当补充对老旧小区的补贴规定。", "增加"),
        ("建议把充电设施的维护记录也列入公示范围。", "增加"),
        ("骑手的保险由平台缴纳，这一条应该写进去。", "增加"),
        ("建议再加一句：收费标准向社会公布。", "增加"),
        ("支持乘坐人员也要戴头盔的规定，这一条很有必要。", "支持"),
        ("我赞成登记不收费。", "支持"),
        ("坚决反对台风天一律禁行。", "反对"),
        ("不同意这一条，不切实际。", "反对"),
        ("临时号牌到期以后车怎么处理？", "询问"),
        ("请问阻车装置的费用由谁承担", "询问"),
        ("今天天气不错。", "其他"),
    ],
)
def test_types(text, expected):
    assert classify(text) == expected


def test_consent_as_the_rules_condition_is_not_the_writer_agreeing():
    assert classify("业主经物业同意，可以在车库安装充电桩。") != "支持"
    assert classify("小区充电桩安装一律须经业主大会同意。") != "支持"
    assert classify("建议允许不经同意处理员工数据。") == "修改"
    assert classify("同意业主自行安装充电桩。") == "支持"


def test_the_laws_pair_for_amending_or_repealing_is_no_request_to_delete():
    assert classify("制定机关收到审查意见后，应当研究提出是否修改或者废止的意见。") == "修改"
    assert classify("建议明确哪些机关有权改变或者撤销不适当的规定。") == "修改"
    assert classify("本条没有必要，建议废止。") == "删除"
    assert classify("建议删除或者修改第五条。") == "删除"


def test_a_rule_proposed_with_may_is_a_request():
    assert classify("法律案搁置满两年的，可以由主任会议决定延期审议，等条件成熟再审。") == "修改"
    assert classify("规模较小的公司经全体股东同意，可以不设监事。") == "修改"


def test_a_request_after_praise_or_a_question_is_a_request():
    assert classify("头盔登记免费这个做法很好，建议外卖骑手的头盔也由平台免费发放。") == "修改"
    assert classify("充电桩为什么只装在地面车库？建议地下车库也按比例配建。") == "修改"
    assert classify("罚款难道只罚骑车人吗？应该把平台企业也补进去。") == "增加"
    # Praise with a wish that the draft pass, or a seconding of a joint letter, stays support;
    # a question with no request after it stays a question.
    assert classify("总体支持这个草案，希望早日通过。") == "支持"
    assert classify("同意小区居民关于第十条的联名建议。") == "支持"
    assert classify("建议增加充电桩，可是费用谁来出？") == "增加"
    assert classify("登记以后车牌丢了怎么办？") == "询问"


def test_suggestion_as_a_thing_sent_asks_nothing_and_the_writers_own_does():
    # 建议 named as what was sent ("提了建议", "寄了一份审查建议") asks nothing after praise or a
    # question; "我的建议是……" is the writer's own request. One pattern, shared with adoption.
    assert classify("这次征求意见的做法很好，我们楼里好几户都提了建议。") == "支持"
    assert classify("上次寄的那份建议收到了吗？") == "询问"
    assert classify("这一条总体很好，我的建议是押金标准再低一些。") == "修改"


def test_whether_as_the_object_of_examining_or_deciding_is_no_question():
    assert classify("登记机关除审查材料是否齐全外，还应当审查是否存在冒用他人身份的情形。") == "修改"
    assert classify("我前天已经提交过意见，想确认一下是否收到。") == "其他"
    assert classify("充电场所是否可以设在地下车库？") == "询问"
    assert classify("请问登记是否收费") == "询问"


@pytest.mark.parametrize(
    "text",
    [
        "押金的上限定在三百元挺合适，不能降。",
        "登记免费这一条很好，千万别改，改了大家又要跑腿。",
        "头盔的要求与国家标准一致，建议维持。",
        "十六周岁的年龄界限建议保持不变。",
        "乘坐人员也戴头盔的规定应当保留，不宜删除。",
        "维持现行规定，由街道统一安排充电场所。",
    ],
)
def test_defending_the_text_as_it_stands_is_support_however_it_is_phrased(text):
    assert classify(text) == "支持"


def test_keeping_something_new_or_keeping_it_but_asking_a_change_is_no_support():
    # 保留 with an object asks for a guarantee the text lacks.
    assert classify("建议增加“各部门应当保留线下登记窗口”。") == "增加"
    # Kept, but a change is asked for after it.
    assert classify("限速这一条应当保留，但“特殊情形”由谁认定没有说清楚。建议明确认定机关。") == "修改"
    assert classify("收费标准不能降，但建议明确减免的条件。") == "修改"


def test_out_of_scope_needs_a_clear_signal():
    assert is_out_of_scope("建议市里多建公园，扩大绿化面积，改善空气质量。", DRAFT)
    assert is_out_of_scope("题外话：小区门口路灯坏了。", DRAFT)
    assert not is_out_of_scope("外卖骑手太多，乱停乱放，应该管管。", DRAFT)
    assert not is_out_of_scope("很好。", DRAFT)  # too little to tell
    assert not is_out_of_scope("建议市里多建公园。", "")  # no draft: nothing is out of scope


def test_an_opinion_on_the_draft_itself_is_not_out_of_scope():
    # None of its words is the draft's, but it is about the draft: 总体意见, not 其他意见.
    assert not is_out_of_scope("条例总体写得比较全面，结构清楚。", DRAFT)
    assert not is_out_of_scope("我支持这个条例，早就该管了！", DRAFT)
    # A grievance asking whether the draft reaches it stays outside.
    assert is_out_of_scope("楼上邻居装修噪音太大，物业也不理，这个条例能不能管一管？", DRAFT)


def test_type_accuracy_on_the_sample_labels(sample_dir):
    import json

    labels = sample_dir / "labels.jsonl"
    if not labels.is_file():
        pytest.skip(f"{labels} is absent")
    points = [p for line in labels.read_text(encoding="utf-8").splitlines() if line.strip()
              for p in json.loads(line)["points"]]
    accuracy = sum(classify(p["text"]) == p["type"] for p in points) / len(points)
    print(f"\nsuggestion type (rules), sample labels: {accuracy:.1%} of {len(points)} points")
    assert accuracy >= 0.72  # measured 75.2%; a regression guard, not a target


LAW = ("全国人民代表大会和全国人民代表大会常务委员会根据宪法规定行使国家立法权。国家机关、单位应当"
       "提高立法质量，及时出台配套规定。法规应当在公布后三十日内报送备案。")


def test_a_grievance_is_out_of_scope_though_a_long_law_has_its_common_words():
    # 提高, 单位 and 监察 are in the law; 个人所得税, 起征点, 工资 and 劳动 are what the
    # opinions are about, and they are not.
    assert is_out_of_scope("个人所得税起征点建议提高到每月一万元。", LAW)
    assert is_out_of_scope("我们单位拖欠工资三个月了，去劳动监察大队反映也没结果。", LAW)
    # A resident's opinion on the draft in words no law uses stays: it says this is the law-making.
    assert not is_out_of_scope("终于要立法管电动车了，支持！楼下电动车乱停乱放好多年了。", LAW)
    assert is_out_of_scope("与本草案无关，但想反映一下：本市公交车班次太少。", LAW)
    assert not is_out_of_scope("建议提高立法质量，法规出台后及时报送备案。", LAW)
