"""Find and mask personal data in a comment: mobile and landline numbers, 18-digit identity
numbers (check digit verified), e-mail, bank card numbers (Luhn), WeChat ids, and names in
"提出人：/联系人：/姓名：" lines, speaker turns and signatures.

``mask(text) -> Masked(text, spans)``: the masked text, with typed placeholders such as
【手机号】, and the spans found in the *input* (kind, start, end). The original stays in the
database (``Comment.text``); the masked text is what reports and reviewers without the
right to see personal data get.

Digit runs are judged whole: a valid identity number is masked as one, a long number that
fails every check (an order number, an invalid ID) is left alone rather than having a
"mobile number" cut out of its middle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

PLACEHOLDERS = {
    "mobile": "【手机号】",
    "landline": "【固定电话】",
    "id_number": "【身份证号】",
    "email": "【邮箱】",
    "bank_card": "【银行卡号】",
    "wechat": "【微信号】",
    "name": "【姓名】",
}


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

    @property
    def kinds(self) -> list[str]:
        return sorted({s.kind for s in self.spans})


# --- numbers ----------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def valid_id_number(number: str) -> bool:
    """18-digit resident identity number with a valid check digit and birth date."""
    s = number.upper()
    if not re.fullmatch(r"[1-9]\d{16}[\dX]", s):
        return False
    year, month, day = int(s[6:10]), int(s[10:12]), int(s[12:14])
    if not (1900 <= year <= 2100 and 1 <= month <= 12 and 1 <= day <= 31):
        return False
    total = sum(int(d) * w for d, w in zip(s[:17], _ID_WEIGHTS))
    return _ID_CHECK[total % 11] == s[17]


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


# A run of digits possibly broken by single spaces or dashes (138-1234-5678,
# 6222 0212 3456 7890 123), optionally with a +86 prefix, or ending in X (identity number).
_DIGIT_RUN = re.compile(r"(?<![\dA-Za-z])(?:\+?86[\s-]?)?\d(?:[\s-]?\d){6,22}[Xx]?(?![\dA-Za-z])")
_LANDLINE = re.compile(
    r"(?<!\d)(?:[（(]0\d{2,3}[）)]\s*|0\d{2,3}\s*[-－—]\s*)[2-9]\d{6,7}(?:\s*[-－转]\s*\d{1,6})?(?!\d)"
)
_EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_WECHAT = re.compile(
    r"(?:微信号?|微信ID|微信id|VX|vx|WX|wx|V信|薇信)\s*(?:号|ID|id)?\s*[：:是为]?\s*(?P<id>[A-Za-z][A-Za-z0-9_\-]{5,19}|1[3-9]\d{9})"
)
_PHONE_CONTEXT = re.compile(r"(?:电话|座机|固话|手机|联系方式|Tel|TEL|tel)\s*[：:]?\s*$")


def _classify_digits(run: str, before: str) -> str | None:
    digits = re.sub(r"\D", "", run.upper().replace("X", "9"))
    raw = re.sub(r"[\s-]", "", run)
    if raw.startswith("+86"):
        raw, digits = raw[3:], digits[2:]
    elif raw.startswith("86") and len(raw) == 13:
        raw, digits = raw[2:], digits[2:]
    if len(raw) == 18 and valid_id_number(raw):
        return "id_number"
    if len(raw) == 18:
        return None  # an 18-digit number that is no valid ID: never a "phone" inside it
    if len(digits) == 11 and re.fullmatch(r"1[3-9]\d{9}", digits):
        return "mobile"
    if 16 <= len(digits) <= 19 and raw.isdigit() and luhn_ok(digits) and digits[0] in "3456789":
        return "bank_card"
    if raw.isdigit() and raw.startswith("0") and 10 <= len(raw) <= 12 and _PHONE_CONTEXT.search(before):
        return "landline"
    return None


# --- names --------------------------------------------------------------------------------

# Common single-character surnames and a few compound ones: a "name" must start with one, so
# that 谢谢/此致 or a role word at the end of a comment is not taken for a signature.
_SURNAMES = set(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施"
    "文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷"
    "盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷"
    "晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)
_COMPOUND_SURNAMES = ("欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙")
_NOT_NAMES = {"谢谢", "此致", "敬礼", "致敬", "同志", "居民", "市民", "业主", "群众", "代表", "委员", "律师",
              "老师", "师傅", "网友", "匿名", "无", "不详", "本人", "全体", "以上", "附件", "联系", "电话"}
_NAME_LABEL = re.compile(
    r"(?P<label>提出人|建议人|联系人|反映人|姓名|署名|签名|落款|发言人|执笔人|意见人|申请人)\s*[：:]\s*"
    r"(?P<name>[\u4e00-\u9fff·]{1,6}(?:先生|女士|老师|同志)?)"
)
_HONORIFIC_NAME = re.compile(r"(?P<name>[\u4e00-\u9fff])(?:先生|女士|老师)")
# Speaker turns in symposium minutes: "张三（某公司法务）：", "李四：".
_SPEAKER = re.compile(r"(?:^|(?<=\n))(?P<name>[\u4e00-\u9fff]{2,4})(?=\s*(?:[（(][^）)\n]{1,30}[）)])?\s*[：:])")
# Last line(s) of a letter: "张三", "居民 张三 2026年1月5日", "——张三".
_SIGN_LINE = re.compile(
    r"(?:^|\n)[ \t]*(?:——|--)?\s*(?:[\u4e00-\u9fff]{0,12}(?:居民|业主|市民|代表|律师|职工|员工|学生)\s*)?"
    r"(?P<name>[\u4e00-\u9fff·]{2,4})\s*(?:\d{4}\s*[年\-./]\s*\d{1,2}\s*[月\-./]\s*\d{1,2}\s*日?)?\s*$"
)


def looks_like_name(name: str) -> bool:
    if not (2 <= len(name) <= 4) or name in _NOT_NAMES:
        return False
    if name.startswith(_COMPOUND_SURNAMES):
        return len(name) >= 3
    return name[0] in _SURNAMES


def _name_spans(text: str) -> list[Span]:
    spans = []
    for m in _NAME_LABEL.finditer(text):
        name = m.group("name")
        # Stop at words that follow a name on the same line ("张三电话：…").
        cut = re.search(r"电话|手机|联系|邮箱|微信|单位|地址|身份|[男女]$", name)
        if cut:
            name = name[: cut.start()]
        base = re.sub(r"(先生|女士|老师|同志)$", "", name)
        if name and base not in _NOT_NAMES and (len(base) >= 1):
            spans.append(Span("name", m.start("name"), m.start("name") + len(name)))
    for m in _SPEAKER.finditer(text):
        if looks_like_name(m.group("name")):
            spans.append(Span("name", m.start("name"), m.end("name")))
    tail_start = max(0, len(text) - 60)
    m = _SIGN_LINE.search(text, tail_start)
    if m and looks_like_name(m.group("name")) and text[: m.start()].strip():
        spans.append(Span("name", m.start("name"), m.end("name")))
    return spans


# --- masking ------------------------------------------------------------------------------


def find_personal_data(text: str) -> list[Span]:
    """Non-overlapping spans of personal data in ``text``, in order."""
    spans: list[Span] = []
    for m in _EMAIL.finditer(text):
        spans.append(Span("email", m.start(), m.end()))
    for m in _WECHAT.finditer(text):
        spans.append(Span("wechat", m.start("id"), m.end("id")))
    for m in _LANDLINE.finditer(text):
        spans.append(Span("landline", m.start(), m.end()))
    for m in _DIGIT_RUN.finditer(text):
        kind = _classify_digits(m.group(0), text[max(0, m.start() - 12) : m.start()])
        if kind:
            spans.append(Span(kind, m.start(), m.end()))
    spans.extend(_name_spans(text))
    # Earlier kinds in the list win over later overlapping ones.
    chosen: list[Span] = []
    for s in spans:
        if all(s.end <= c.start or s.start >= c.end for c in chosen):
            chosen.append(s)
    return sorted(chosen, key=lambda s: s.start)


def mask(text: str) -> Masked:
    """``text`` with personal data replaced by typed placeholders, and the spans found."""
    spans = find_personal_data(text or "")
    out, pos = [], 0
    for s in spans:
        out.append(text[pos : s.start])
        out.append(PLACEHOLDERS[s.kind])
        pos = s.end
    out.append((text or "")[pos:])
    return Masked("".join(out), spans)


def mask_text(text: str) -> str:
    return mask(text).text
