"""Find and mask personal data in a comment or any field that may reach a document.

Kinds found (``PLACEHOLDERS``): mobile numbers in any spacing (+86/0086, spaces, dashes,
dots), landlines with or without area code or parentheses, 18- and 15-digit identity
numbers (check digit and birth date verified), e-mail, WeChat ids (微信/VX/wx/威信 …), QQ
numbers, bank card numbers (Luhn, or any long number after 卡号/账号), licence plates, home
addresses down to the room, and private persons' names: in labelled lines (提出人：/联系人：/
姓名：), self-introductions (我是/本人/我叫/爱人 …), speaker turns, signatures and closings
(此致敬礼 张三), and a name written right next to a phone number or e-mail (a file name such
as 张三13812345678意见.xlsx). Organisations, officials' titles and place names stay readable.
What follows 我是, 本人 or a role word (职工, 业主) may be what one is, not one's name: 我是党员,
职工董事, 业主车辆 and 我是丰台区 stay readable (``_begins_description``).

``mask(text) -> Masked(text, spans)``: the masked text, with typed placeholders such as
【手机号】, and the spans found in the *input* (kind, start, end). The original stays in the
database (``Comment.text``); the masked text is what documents and reviewers without the
right to see personal data get. ``Masked.piece(part)`` masks a part cut from the same input
(a split point) with everything the whole input revealed: a name found after 联系人： is
masked in the piece even when the label stayed in another piece.

Digit runs are judged whole first: a valid identity number is masked as one, a long number
that fails every check (an order number, an invalid ID) is left alone rather than having a
"mobile number" cut out of its middle; a run of separately written numbers ("2024 138 1234
5678") is then judged group by group. Full-width digits and letters are read as ASCII.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

PLACEHOLDERS = {
    "mobile": "【手机号】",
    "landline": "【固定电话】",
    "id_number": "【身份证号】",
    "email": "【邮箱】",
    "bank_card": "【银行卡号】",
    "wechat": "【微信号】",
    "qq": "【QQ号】",
    "plate": "【车牌号】",
    "address": "【住址】",
    "name": "【姓名】",
}
# Kinds whose found text is worth masking wherever it recurs in a piece of the same input.
_RECURRING_MIN_CHARS = 2


@dataclass(frozen=True)
class Span:
    kind: str  # a key of PLACEHOLDERS
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "start": self.start, "end": self.end}


@dataclass
class Masked:
    text: str
    spans: list[Span] = field(default_factory=list)
    source: str = ""  # the input the spans point into

    @property
    def kinds(self) -> list[str]:
        return sorted({s.kind for s in self.spans})

    def found(self) -> list[tuple[str, str]]:
        """(kind, text as written) of every span, longest first."""
        pairs = {(s.kind, self.source[s.start : s.end]) for s in self.spans}
        return sorted((p for p in pairs if len(p[1]) >= _RECURRING_MIN_CHARS), key=lambda p: -len(p[1]))

    def piece(self, part: str) -> Masked:
        """``part`` (cut from this input, maybe with its labels stripped) masked with what
        the whole input revealed, then with what the part shows on its own."""
        return mask(part, known=self.found())


# --- reading full-width characters as ASCII (same length, so spans stay valid) ---------

_FOLD = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x2014: 0x2D, 0x2013: 0x2D, 0x2012: 0x2D, 0x2212: 0x2D, 0x00A0: 0x20})
_FOLD[0xFF08] = 0xFF08  # keep （ ） as they are: the patterns know both forms
_FOLD[0xFF09] = 0xFF09
_FOLD[0xFF1A] = 0xFF1A  # ： likewise


def _fold(text: str) -> str:
    return text.translate(_FOLD)


# --- numbers ----------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def _valid_date(year: int, month: int, day: int) -> bool:
    return 1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31


def valid_id_number(number: str) -> bool:
    """18-digit resident identity number with a valid check digit and birth date."""
    s = number.upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", s):
        return False
    if not _valid_date(int(s[6:10]), int(s[10:12]), int(s[12:14])):
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17]


def valid_old_id_number(number: str) -> bool:
    """15-digit identity number (issued before 1999): region code and a birth date YYMMDD."""
    return bool(re.fullmatch(r"[1-9]\d{14}", number)) and _valid_date(
        1900 + int(number[6:8]), int(number[8:10]), int(number[10:12])
    )


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


_SEP = r"[ \t\-.·]{1,3}"
# A run of digits possibly broken by spaces, dashes or dots (138-1234-5678,
# 6222 0212 3456 7890 123), optionally with a +86/0086 prefix, or ending in X (ID number).
_DIGIT_RUN = re.compile(
    rf"(?<!\d)(?:(?:\+|00)?86(?:{_SEP})?|[(（]\+?86[)）]\s?)?\d(?:(?:{_SEP})?\d){{4,30}}(?:[Xx](?![A-Za-z]))?(?!\d)"
)
_LANDLINE = re.compile(
    r"(?<!\d)(?<!\d[ \t\-.])(?:[（(]0\d{2,3}[）)][ \t]*|0\d{2,3}[ \t]*[-－—][ \t]*|0\d{2,3}[ \t]+)"
    r"[2-9]\d{2,3}[ \t-]?\d{4}(?:[ \t]*(?:[-－转]|ext\.?)[ \t]*\d{1,6})?(?!\d)"
)
# (138)1234 5678: the prefix in brackets.
_BRACKETED_MOBILE = re.compile(r"(?<!\d)[(（]\s?1[3-9]\d\s?[)）][ \t\-]?\d{4}[ \t\-]?\d{4}(?!\d)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_WECHAT = re.compile(
    r"(?:微信|威信|薇信|维信|V信|v信|VX|vx|Vx|vX|WX|wx|Wx|weixin|WeChat|wechat)\s*(?:号码|号|ID|id|Id)?"
    r"\s*(?:[：:]|是|为|同号)?\s*(?P<id>[A-Za-z][A-Za-z0-9_\-]{3,29}|\+?\d[\d \-]{4,18}\d)"
)
_QQ = re.compile(r"(?:QQ|qq|Qq|扣扣|企鹅号)\s*(?:号码|号)?\s*(?:[：:]|是|为)?\s*(?P<id>[1-9]\d{4,11})(?!\d)")
_PHONE_CONTEXT = re.compile(
    r"(?:电话|座机|固话|手机|联系方式|号码|热线|Tel|TEL|tel|Phone|phone|致电|打)\s*(?:号码|号)?\s*[：:是为]?\s*$"
)
_CARD_CONTEXT = re.compile(r"(?:卡号|银行卡|账号|帐号|账户|帐户|信用卡|储蓄卡)\s*(?:号码|号)?\s*[：:是为]?\s*$")
_ID_CONTEXT = re.compile(r"(?:身份证|证件|身份号码|身份证号码?)\s*(?:号码|号)?\s*[：:是为]?\s*$")
_PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼使领"
_PLATE = re.compile(
    rf"(?<![A-Za-z0-9])[{_PROVINCES}][A-Z][ ·•.\-]?(?=[A-Z0-9]{{5,6}}(?![A-Za-z0-9]))"
    rf"(?=[A-Z]*\d)[A-Z0-9]{{5,6}}(?![A-Za-z0-9])"
)


def _classify_digits(run: str, before: str) -> str | None:
    raw = re.sub(r"[^\dXx]", "", re.sub(r"^\s*[(（]?\s*(?:\+|00)?86\s*[)）]?(?=.{11,})", "", run)).upper()
    if len(raw) == 18 and valid_id_number(raw):
        return "id_number"
    if len(raw) == 15 and raw.isdigit() and valid_old_id_number(raw):
        return "id_number"
    if _ID_CONTEXT.search(before) and len(raw) in (15, 18):
        return "id_number"  # after 身份证号: masked even if mistyped
    if len(raw) == 18:
        return None  # an 18-digit number that is no valid ID: never a "phone" inside it
    if not raw.isdigit():
        return None
    if len(raw) == 11 and re.fullmatch(r"1[3-9]\d{9}", raw):
        return "mobile"
    if 16 <= len(raw) <= 19 and luhn_ok(raw) and raw[0] in "3456789":
        return "bank_card"
    if 10 <= len(raw) <= 23 and _CARD_CONTEXT.search(before):
        return "bank_card"
    if raw.startswith("0") and 10 <= len(raw) <= 12 and _PHONE_CONTEXT.search(before):
        return "landline"
    if 7 <= len(raw) <= 8 and raw[0] in "23456789" and _PHONE_CONTEXT.search(before):
        return "landline"  # a local number without area code, after 电话/座机
    return None


def _digit_spans(text: str) -> list[Span]:
    spans = []
    for m in _DIGIT_RUN.finditer(text):
        kind = _classify_digits(m.group(0), text[max(0, m.start() - 12) : m.start()])
        if kind:
            spans.append(Span(kind, m.start(), m.end()))
        elif re.search(_SEP, m.group(0)):
            spans.extend(_group_spans(text, m.start(), m.group(0)))
    return spans


def _group_spans(text: str, offset: int, run: str) -> list[Span]:
    """A run of separately written numbers judged by its groups: longest windows first."""
    groups = [(g.start(), g.end()) for g in re.finditer(r"\d+", run)]
    found: list[Span] = []
    taken: set[int] = set()
    n = len(groups)
    for size in range(n - 1, 0, -1):
        for i in range(0, n - size + 1):
            if any(k in taken for k in range(i, i + size)):
                continue
            s, e = groups[i][0], groups[i + size - 1][1]
            digits = re.sub(r"\D", "", run[s:e])
            if len(digits) < 7:
                continue
            kind = _classify_digits(run[s:e], text[max(0, offset + s - 12) : offset + s])
            if kind:
                found.append(Span(kind, offset + s, offset + e))
                taken.update(range(i, i + size))
    return found


# --- addresses ----------------------------------------------------------------------------

_NUM = r"(?:\d{1,5}|[一二三四五六七八九十百零〇两]{1,4})"
# The dwelling part: 3栋2单元501室, 5幢1802, 12号楼3门402, 3组45号, 501房.
_DWELLING = re.compile(
    rf"(?:{_NUM}\s*(?:栋|幢|号楼|座|楼|区|期|组|队|巷|弄)\s*[-－]?\s*)+"
    rf"(?:{_NUM}\s*(?:单元|门|层|楼)\s*[-－]?\s*)*"
    rf"(?:{_NUM}\s*(?:室|房|户|号房|号)|\d{{3,4}}(?![\d年月日元条款项%]))"
    rf"|{_NUM}\s*单元\s*[-－]?\s*\d{{3,4}}\s*(?:室|房|号)?"
    rf"|\d{{1,4}}\s*[-－]\s*\d{{1,2}}\s*[-－]\s*\d{{3,4}}\s*(?:室|房)?"
    rf"|\d{{3,4}}\s*(?:室|房)(?![间屋])"
)
# A place the dwelling part belongs to: 阳光小区, 幸福里, 建设路12号, 某某村.
_ESTATE = re.compile(
    r"(?:[\u4e00-\u9fff]{1,8}(?:小区|花园|家园|公寓|新村|新城|苑|府|庭|园|城|村|大厦|广场|公馆|名苑|里|坊|宿舍|社区)"
    r"|[\u4e00-\u9fff]{1,8}(?:路|街|道|巷|弄)\s*\d{1,5}\s*号(?:院)?)\s*$"
)
_ADDRESS_LABEL = re.compile(
    r"(?:家庭住址|家庭地址|住址|现住址|居住地址|通讯地址|联系地址|家住|住在|现住|居住在|收件地址)\s*[：:是为在]?\s*"
)
_ADDRESS_STOP = re.compile(r"[，,。；;！!？?\n（(]|电话|手机|联系|邮箱|微信|姓名|$")
# Words that end an administrative area: an estate name starts after the last of them.
_AREA_END = re.compile(r".*(?:省|市|(?<![小社园])区|县|镇|乡|街道|自治州|旗|在|住|是|于|的|，|,)")


_ADDRESS_HINT = re.compile(r"[栋幢室单元楼组号房座]|住|地址")


def _address_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    if not _ADDRESS_HINT.search(text):
        return spans
    for m in _DWELLING.finditer(text):
        head = text[max(0, m.start() - 20) : m.start()]
        estate = _ESTATE.search(head)
        labelled = _ADDRESS_LABEL.search(text[max(0, m.start() - 30) : m.start()])
        room = re.search(r"室|房|单元|栋|幢|号楼", m.group(0))
        if not (estate or labelled or room):
            continue
        if not estate and not room:
            continue
        start = m.start()
        if estate:
            name = estate.group(0)
            area = _AREA_END.match(name)
            start = m.start() - len(name) + (area.end() if area else 0)
        spans.append(Span("address", start, m.end()))
    for m in _ADDRESS_LABEL.finditer(text):
        rest = text[m.end() : m.end() + 60]
        stop = _ADDRESS_STOP.search(rest)
        value = rest[: stop.start() if stop else len(rest)].rstrip()
        if value and re.search(r"\d|号|室|栋|幢|单元|组|村", value):
            spans.append(Span("address", m.end(), m.end() + len(value)))
    return spans


# --- names --------------------------------------------------------------------------------

# Common single-character surnames and a few compound ones: a "name" must start with one, so
# that 谢谢/此致 or a role word at the end of a comment is not taken for a signature.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
    "萧傅钮洪闻邸贝荆庄辜汲祖丰乐官宣楚黄门"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙")
_NOT_NAMES = {"谢谢", "此致", "敬礼", "致敬", "同志", "居民", "市民", "业主", "群众", "代表", "委员", "律师",
              "老师", "师傅", "网友", "匿名", "无", "不详", "本人", "全体", "以上", "附件", "联系", "电话"}
# Dictionary words that are no person's name (尤其, 高度, 周边): jieba's dictionary, loaded once
# when a name is first judged, restricted to words that start with a surname.
_COMMON_WORD_MIN_FREQ = 2000


# After 我是/本人 or a role word (职工, 学生), a dictionary word that is no name at least this
# frequent begins a description, not a name: 我是董事会成员, 本人常年从事, 学生安全教育, 家长应当.
_DESCRIPTION_MIN_FREQ = 100


@cache
def _jieba_words() -> tuple[dict[str, tuple[int, bool]], frozenset[str]]:
    """One read of jieba's dictionary file (no tokenizer: the reading processes need none):
    the words of 2–4 characters that start with a surname, word → (frequency, whether jieba
    tags it as a person's name); and the two-character words used at least
    ``_COMMON_WORD_MIN_FREQ`` times, whatever they start with."""
    import os

    import jieba

    words = {}
    frequent = set()
    with open(os.path.join(os.path.dirname(jieba.__file__), "dict.txt"), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) < 3 or not 2 <= len(parts[0]) <= 4:
                continue
            word, freq = parts[0], int(parts[1])
            if len(word) == 2 and freq >= _COMMON_WORD_MIN_FREQ:
                frequent.add(word)
            if word[0] in _SURNAMES:
                words[word] = (freq, parts[2].startswith("nr"))
    return words, frozenset(frequent)


def _surname_words() -> dict[str, tuple[int, bool]]:
    return _jieba_words()[0]


@cache
def _common_words() -> frozenset[str]:
    return frozenset(w for w, (freq, name) in _surname_words().items() if not name or freq >= _COMMON_WORD_MIN_FREQ)


def _frequent_pair(word: str) -> bool:
    """A two-character dictionary word used at least ``_COMMON_WORD_MIN_FREQ`` times (属于)."""
    return word in _jieba_words()[1]


def _ordinary_word(word: str) -> bool:
    """A frequent dictionary word that jieba does not take for a person's name."""
    freq, name = _surname_words().get(word, (0, True))
    return not name and freq >= _DESCRIPTION_MIN_FREQ


# Surnames that are far more often a function word right after 居民/业主/本人 (居民和学生,
# 本人向相关部门, 业主方实际已支付, 居民应享的权利, 村民曾于): there they begin no name.
_FUNCTION_SURNAMES = frozenset("和向应于曾方")
# A place, not a person, where 我是 is followed by 丰台区, 龙华区, 华富新村, 田面花园 (a
# village or a housing estate: 我是华富新村的居民).
_PLACE_AFTER = re.compile(r"(?:区|市|县|省|镇|乡|街道|村|园|苑|小区|社区|公寓|大厦)(?!长|委|民|人大|政协|丁|主任)")


def _begins_description(text: str, start: int, end: int) -> bool:
    """Whether the would-be name ``text[start:end]`` after 我是 or a role word begins a
    description instead (董事会成员, 应届毕业生, 安全员, 丰台区, 和学生): it is itself a word that
    is no name or starts with one that the text goes on after (王国庆，/王国庆住在 end where a
    name ends; 应届毕业生, 严重超员 do not), a place, or a function word. The author's own name,
    when the form gives it, is masked wherever it recurs whatever this says."""
    name = text[start:end]
    # The place may be a character longer than the name tried (石景 of 石景山区).
    longer_place = "\u4e00" <= text[end : end + 1] <= "\u9fff" and _PLACE_AFTER.match(text, end + 1)
    if name[0] in _FUNCTION_SURNAMES or _PLACE_AFTER.match(text, end) or longer_place:
        return True
    if _ordinary_word(name) or any(_ordinary_word(text[start : start + n]) for n in (3, 4)):
        return True  # 党员, 董事会, 成千上万
    if len(name) == 3 and name in _surname_words() and _ordinary_word(name[:2]):
        return True  # 安全员
    if len(name) == 3 and _ordinary_word(name[:2]):
        after = text[end : end + 1]
        if not after or _NAME_END.match(after) or _TITLE_AFTER.match(text, end):
            return False
        # 职工董事属于…: the third character begins the next word (属于), as no name's does.
        return after not in _ENDS_A_NAME or _frequent_pair(name[2] + after)
    return False


_NAME_CHARS = r"[\u4e00-\u9fff·]"
_LABELS = r"提出人|建议人|联系人|反映人|姓名|署名|签名|落款|意见人|填表人|提交人|来信人|写信人"
_NAME_LABEL = re.compile(
    rf"(?P<label>{_LABELS}|发言人|执笔人|申请人|投诉人|举报人|经办人)\s*(?:姓名)?\s*[：:]\s*"
    r"(?P<name>[\u4e00-\u9fff·]{1,8}(?:\s*[、及/]\s*[\u4e00-\u9fff·]{2,8}){0,8})"
)
# Bodies, not persons: a 提出人 cell may name one (提出人：某物流公司).
_ORG_WORDS = re.compile(
    r"(?:公司|企业|集团|协会|商会|学会|社区|小区|街道|中心|事务所|平台|学校|大学|学院|医院|委员会|居委会|"
    r"村委会|业委会|办公室|局|厅|所|队|站|部|处|科|院|会|店|行|社|团|组|联合会|工作室|联络站|联系点)$"
)
# 我是张三 / 本人张三 / 我叫李四 / 我爱人王五 / 老伴赵六: the name that follows the phrase.
# A label without its colon and then 和/与/及/或 names a field in a list ("只记录姓名和联系电话",
# "签名和日期"), not a person.
_SELF_INTRO = re.compile(
    rf"(?:我是|我叫|我的名字是|我名叫|本人(?:姓名)?[：:]?|(?:{_LABELS})(?!\s*[：:和与及或])|爱人|我丈夫|我妻子|我老公|我老婆|老伴|我儿子|我女儿|"
    r"我父亲|我母亲|家属|签字人|此致\s*敬礼[!！。]?|敬礼[!！。]|——|--)\s*[：:]?\s*"
)
# Role words after which a person's name may follow: 居民张三反映, 业主李四提出.
_ROLE_BEFORE_NAME = re.compile(
    r"(?:居民|市民|村民|业主|网友|职工|员工|学生|家长|患者|骑手|车主|租户|房东|群众|志愿者|信息员|人大代表|政协委员"
    r"|法人|法定代表人|工作者|网格员|社工)\s*"
)
# Speaker turns in symposium minutes: "张三（某公司法务）：", "李四：".
_SPEAKER = re.compile(r"(?:^|(?<=\n))(?P<name>[\u4e00-\u9fff]{2,4})(?=\s*(?:[（(][^）)\n]{1,30}[）)])?\s*[：:])")
# Last line(s) of a letter: "张三", "居民 张三 2026年1月5日", "——张三".
# A body or place before it introduces the name as well, with a space or without one
# ("浙江某律师事务所 陈思远", "某市人大常委会法工委王建平", "彩田村12栋 陈志远"), and a
# title may follow it ("韩立新 律师").
_SIGN_LINE = re.compile(
    r"(?:^|\n|(?<=[。！!]))[ \t]*(?:——|--)?\s*(?:[\u4e00-\u9fff]{0,12}(?:居民|业主|市民|代表|律师|职工|员工|学生|会计)\s*"
    r"|[\u4e00-\u9fff（）()\d]{2,24}?(?:[所委会司店局院校处科站心道区村栋号室厂行部队组]\s*|[ \t　]+))?"
    r"(?P<name>[\u4e00-\u9fff·]{2,4})\s*(?:律师|先生|女士|老师|同志)?\s*"
    r"(?:\d{4}\s*[年\-./]\s*\d{1,2}\s*[月\-./]\s*\d{1,2}\s*日?)?\s*$"
)
# A Latin name: two or three capitalised words ("Daniel Hoffmann").
_LATIN_WORDS = r"[A-Z][a-z]+(?: [A-Z][a-z]+){1,2}"
# A Latin name after an English closing, or right before an e-mail or a title
# ("Kind regards,\nDaniel Hoffmann", "David Chen (d.chen@…)", "Thomas Becker, Legal Counsel").
_LATIN_SIGNATURE = re.compile(
    rf"(?i:regards|sincerely|thanks|thank you|best)[,.!]?\s+(?P<a>{_LATIN_WORDS})\b"
    rf"|(?P<b>{_LATIN_WORDS})(?=\s*[,(（<]\s*(?:[\w.+-]+@|(?:Legal|General|Managing|Chief|Senior|Head)\b))"
    rf"|(?:^|\n)\s*(?:--|——)\s*(?P<c>{_LATIN_WORDS})\b"
)
# A speaker turn that opens with the speaker's body and title ("某科技公司董事长冯建军：……").
_TITLED_SPEAKER = re.compile(
    r"(?:^|\n)[^\n：:，。]{0,20}?(?:董事长|总经理|经理|总监|主席|主任|书记|处长|科长|局长|部长|站长|所长|院长|校长|会长"
    r"|秘书长|律师|代表|委员|负责人|网格员)(?P<name>[\u4e00-\u9fff]{2,3})(?=\s*[：:])"
)
# The contact lines and date a signature's name stands above ("住址：……", "电话：……",
# "2023年3月20日", a bare number or e-mail).
_CONTACT_TAIL = re.compile(
    r"(?:\n[ \t]*(?:(?:联系|电子)?(?:电话|手机|邮箱|微信|住址|地址|邮编|单位)\s*[：:][^\n]*|[\d\-+\s@.A-Za-z_]+"
    r"|\d{4}\s*年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?))+\s*$"
)
# Characters that end a name when they follow it (我是王芳律师 → 王芳; 我是张三，住在 → 张三).
_AFTER_NAME = set(
    "的是在住从来今电手联同老现家和与也就对认建觉希这那因为、，。；：,.;:（( \n律居代先女师工员学主"
    "每说提反表讲还都已一所但要会想在于把被向给让请我你他她们等及或"
)
# The characters of _AFTER_NAME that begin what is said next, not a title (律师, 居民, 工人):
# after a would-be name that starts with an ordinary word, only these end it.
_ENDS_A_NAME = _AFTER_NAME - set("律居代先女师工员学主每")
_TITLE_AFTER = re.compile(r"律师|先生|女士|老师|同志|师傅|代表|委员|居民|业主|村民")
_NAME_END = re.compile(r"[\s，。；：、,.;:！!？?（()）—\-\d]")
# Closing words that follow a name and are not part of it.
_TRAILING_WORDS = re.compile(r"(?:先生|女士|老师|同志|律师|居民|代表|委员|提出|建议|反映|表示|认为|敬上|谨上|上|说)$")


_PLACE_OR_BODY = re.compile(
    r"(?:街道|社区|小区|区|市|县|镇|乡|村|省|路|街|局|委|会|院|所|站|队|处|科|办|厅|部|中心|公司|集团|门店|店"
    r"|主任|局长|书记|经理|老师|律师|代表|委员|站长|所长|科长|处长|院长|校长|师傅|先生|女士|同志|热线|电话|手机)$"
)


def is_signature_line(line: str) -> bool:
    """A letter's signature line: a name alone, after a role or place ("东湖街道居民张三"),
    with a date, or already masked ("居民【姓名】"); a Latin name ("Daniel Hoffmann")."""
    t = line.strip().rstrip("。.")
    if re.fullmatch(_LATIN_WORDS, t.replace("-", " ")):
        return True
    if re.fullmatch(r"(?:——|--)?\s*[\u4e00-\u9fff]{0,12}【姓名】", t):
        return True
    m = _SIGN_LINE.fullmatch("\n" + t)
    return bool(m) and looks_like_name(_TRAILING_WORDS.sub("", m.group("name")), context="weak")


def looks_like_name(name: str, *, context: str | None = None) -> bool:
    """Whether ``name`` reads as a person's name. ``context`` "strong": it follows 我是/
    联系人：/此致敬礼, so any word that starts with a surname is taken (严明 is a name there);
    "weak": a line of its own, or right before a phone number: dictionary words are refused
    but not names that begin with one (万峰娟); None: both are refused."""
    if not (2 <= len(name) <= 4) or name in _NOT_NAMES or _PLACE_OR_BODY.search(name):
        return False
    if name.startswith(_COMPOUND_SURNAMES):
        return len(name) >= 3
    if name[0] not in _SURNAMES or re.search(r"[的了是在和与就也都很不要会能可将被把对]", name[1:]):
        return False
    if context == "strong":
        return True
    common = _common_words()
    if context == "weak":
        return name not in common
    return name not in common and not (len(name) == 3 and name[:2] in common)


def _name_after(text: str, pos: int, *, described: bool = False) -> tuple[int, int] | None:
    """The span of a person's name starting at ``pos``, if one starts there. ``described``:
    after 我是 or a role word, where a description may follow instead (``_begins_description``)."""
    window = text[pos : pos + 5]
    compound = window.startswith(_COMPOUND_SURNAMES)
    lengths = (4, 3) if compound else (3, 2)
    for length in lengths:
        name = window[:length]
        if len(name) < length or not re.fullmatch(r"[\u4e00-\u9fff]+", name):
            continue
        if length == lengths[0] and name[-1] in _AFTER_NAME:
            continue
        if described and _begins_description(text, pos, pos + length):
            continue
        if name.endswith(("某", "某某")) or looks_like_name(name, context="strong"):
            # Most names have three characters; a two-character one is read where the
            # third would begin an ordinary word (王芳建议 → 王芳, 王芳每天 → 王芳).
            return pos, pos + length
    return None


def _name_before(text: str, end: int) -> tuple[int, int] | None:
    """The span of a person's name ending at ``end`` (张三13812345678, 意见_张三_138…)."""
    for length in (3, 2, 4):
        start = end - length
        if start < 0:
            continue
        name = text[start:end]
        # Right before a phone number or e-mail: a word that starts with a surname is a name.
        if not re.fullmatch(r"[\u4e00-\u9fff]+", name) or not looks_like_name(name, context="strong"):
            continue
        if length == 3 and looks_like_name(name[1:]) and name[0] not in _SURNAMES:
            continue
        return start, end
    return None


def _labelled_names(text: str) -> list[Span]:
    spans = []
    for m in _NAME_LABEL.finditer(text):
        offset = m.start("name")
        for part in re.finditer(r"[^、及/\s]+", m.group("name")):
            name = part.group(0)
            # Stop at words that follow a name on the same line ("张三电话：…").
            cut = re.search(r"电话|手机|联系|邮箱|微信|单位|地址|身份|职务|[男女]$", name)
            if cut:
                name = name[: cut.start()]
            base = re.sub(r"(先生|女士|老师|同志|师傅)$", "", name)
            if not name or base in _NOT_NAMES or _ORG_WORDS.search(name):
                continue
            start = offset + part.start()
            if len(base) > 4:  # more than a name: mask the name it starts with, if any
                found = _name_after(text, start)
                if found:
                    spans.append(Span("name", *found))
                continue
            spans.append(Span("name", start, start + len(name)))
    return spans


def _name_spans(text: str, contacts: list[Span]) -> list[Span]:
    spans = _labelled_names(text)
    for pattern in (_SELF_INTRO, _ROLE_BEFORE_NAME):
        for m in pattern.finditer(text):
            # 我是/本人/a role word may be followed by what one is; 我叫, 联系人 or 此致敬礼 by a name.
            described = pattern is _ROLE_BEFORE_NAME or m.group(0).startswith(("我是", "本人"))
            found = _name_after(text, m.end(), described=described)
            if found and not text[m.end() : found[1]].startswith(("某", "一", "个")):
                spans.append(Span("name", *found))
    for m in _SPEAKER.finditer(text):
        if looks_like_name(m.group("name")):
            spans.append(Span("name", m.start("name"), m.end("name")))
    # The letter's last line before its contact lines and date: where its signature stands.
    tail = _CONTACT_TAIL.search(text)
    body = text[: tail.start()] if tail else text
    m = _SIGN_LINE.search(body, max(0, len(body) - 60))
    # A name alone is a signature only with something before it, or contact lines after it
    # ("孙建军\n13962187730\n2023年3月20日").
    if m and (text[: m.start()].strip() or tail):
        name = _TRAILING_WORDS.sub("", m.group("name"))
        if looks_like_name(name, context="weak"):  # a line of its own at the end
            spans.append(Span("name", m.start("name"), m.start("name") + len(name)))
    for m in _LATIN_SIGNATURE.finditer(text):
        which = next(g for g in ("a", "b", "c") if m.group(g))
        spans.append(Span("name", m.start(which), m.end(which)))
    for m in _TITLED_SPEAKER.finditer(text):
        if looks_like_name(m.group("name"), context="weak"):
            spans.append(Span("name", m.start("name"), m.end("name")))
    # A name written right before a phone number, e-mail or WeChat id, or before 电话：.
    for c in contacts:
        end = c.start
        while end > 0 and text[end - 1] in " _-—:：,，(（/":
            end -= 1
        label = re.search(r"(?:电话|手机|联系电话|联系方式|邮箱|微信|手机号|tel|Tel)\s*[：:]?\s*$", text[max(0, end - 8) : end])
        if label:
            end = max(0, end - 8) + label.start()
            while end > 0 and text[end - 1] in " _-—:：,，(（/":
                end -= 1
        found = _name_before(text, end)
        if found:
            spans.append(Span("name", *found))
    return spans


# --- masking ------------------------------------------------------------------------------


def _contact_spans(text: str) -> list[Span]:
    spans: list[Span] = []
    for m in _EMAIL.finditer(text):
        spans.append(Span("email", m.start(), m.end()))
    for m in _WECHAT.finditer(text):
        spans.append(Span("wechat", m.start("id"), m.end("id")))
    for m in _QQ.finditer(text):
        spans.append(Span("qq", m.start("id"), m.end("id")))
    for m in _BRACKETED_MOBILE.finditer(text):
        spans.append(Span("mobile", m.start(), m.end()))
    for m in _LANDLINE.finditer(text):
        spans.append(Span("landline", m.start(), m.end()))
    spans.extend(_digit_spans(text))
    for m in _PLATE.finditer(text):
        spans.append(Span("plate", m.start(), m.end()))
    return spans


def _known_spans(text: str, known: list[tuple[str, str]]) -> list[Span]:
    spans = []
    for kind, literal in known:
        start = text.find(literal)
        while start >= 0:
            spans.append(Span(kind, start, start + len(literal)))
            start = text.find(literal, start + len(literal))
    return spans


def find_personal_data(text: str, known: list[tuple[str, str]] | None = None) -> list[Span]:
    """Non-overlapping spans of personal data in ``text``, in order. ``known``: (kind,
    literal) pairs found elsewhere in the same input, masked wherever they recur."""
    folded = _fold(text)
    spans = _known_spans(text, known or [])
    contacts = _contact_spans(folded)
    spans.extend(contacts)
    spans.extend(_address_spans(folded))
    spans.extend(_name_spans(folded, contacts))
    # Earlier kinds in the list win over later overlapping ones.
    chosen: list[Span] = []
    for s in spans:
        if s.end > s.start and all(s.end <= c.start or s.start >= c.end for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)


def mask(text: str, known: list[tuple[str, str]] | None = None) -> Masked:
    """``text`` with personal data replaced by typed placeholders, and the spans found."""
    text = text or ""
    spans = find_personal_data(text, known)
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(PLACEHOLDERS[s.kind])
        pos = s.end
    out.append(text[pos:])
    return Masked("".join(out), spans, text)


def mask_text(text: str) -> str:
    return mask(text).text
