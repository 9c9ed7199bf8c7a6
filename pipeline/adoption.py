"""Rules that propose whether a suggestion was adopted (采纳 / 部分采纳 / 未采纳 / 无法判断).

Pure functions: given a suggestion (its text, type and the draft articles it is linked to),
the alignment of the draft with the later version and both texts, :func:`propose` returns
a status, a confidence and the evidence a reviewer needs to check it (the draft wording, the
final wording, the changed spans and the rule that decided).

First :func:`parse_request` reads what the suggestion asks for:

- ``replace``: "将'A'改为'B'", "建议把A修改为B", "A应改为B", "罚款由五百元降为二百元";
- ``delete_article``: "建议删除本条", "第十二条应当删去";
- ``delete_phrase``: "删除'A'", "'A'的表述应删除", "删除第二款";
- ``add``: "增加…", "补充规定…" (or a suggestion typed 增加);
- ``change``: anything else that targets an article (a 修改 without a parsable wording).

Then one rule decides, looking at the articles the suggestion targets and where the
alignment took them. A suggestion without a parsable wording is cut into its separate
requests (joined by 并 / ；/ 同时 …; commas only part one request from its reasons) and each
is looked for in the final text (:func:`request_scores`): all carried → 采纳, some → 部分采纳.
A time limit or amount asked for counts only if the final text has it. A reviewer always has the last word (see models/adoption_store.py);
these proposals are meant to be checked, hence the evidence.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import lru_cache
from typing import Any

from pipeline.align import AlignedPair, diff_article, inserted_text, normalise
from pipeline.classify import SUGGESTION_AS_NOUN
from minyi.core.language import in_another_language
from minyi.core.drafts import Article, ParsedDraft
from minyi.core import citations
from minyi.core.numerals import parse_number

ADOPTED, PARTLY, NOT_ADOPTED, UNKNOWN = "采纳", "部分采纳", "未采纳", "无法判断"
ALREADY = "已有规定"
# A quoted wording shorter than this (canonical characters) proves nothing by appearing.
VERBATIM_MIN_CHARS = 4
# Share of an addition's content words the targeted draft article already has, at which the
# draft already says what is asked (已有规定), when the article did not change for it.
ALREADY_COVERAGE = 0.8

# Coverage of the requested content by the new text at which an addition counts as
# adopted / partly adopted (token share; see _coverage).
ADD_FULL = 0.6
ADD_PART = 0.3
# An addition may become a new article anywhere; content found only there must match more.
ADD_ELSEWHERE_FULL = 0.7
ADD_ELSEWHERE_PART = 0.45
# Words new to the whole draft a suggestion must ask for before its being carried by some
# other article than the targeted one counts.
ELSEWHERE_MIN_WORDS = 3
# Two new words count only when the article carries both, and this share of all the
# suggestion's words, and more of them than ELSEWHERE_MIN_WORDS ("经费应当公开" is too short
# to be told from chance in a whole law).
ELSEWHERE_FEW_WORDS = 2
ELSEWHERE_FEW_SHARE = 0.6
# Or the words the revision wrote into one article (its inserted spans, or the whole of a
# new article) hold this share of the suggestion's words, at least INSERTED_MARGIN more than
# any other article's do: what was changed, compared with what was asked, points at one
# place ("股东代表诉讼应当可以针对全资子公司的董事…" and the spans added to 第一百八十九条).
INSERTED_FULL = 0.5
INSERTED_MARGIN = 0.2
INSERTED_MIN_WORDS = 3
# Nearly all of the suggestion's words written anew needs no margin: a parallel article
# changed the same way ("全资子公司" written into both 查阅 articles) carries it too.
INSERTED_SURE = 0.8

# A single request counts as enacted when the final text carries this share of the new words
# of its best-covered clause (see _request_scores).
CLAUSE_FULL = 0.5

# Beside a quantity the final text lacks, a clause is a point of its own only when it
# carries at least this many new words: one word ("决议") in a clause that states a condition
# ("股东会作出分配利润的决议后") turns up by chance.
REST_MIN_WORDS = 2
_OPEN_Q = "“\"‘'「『"
_CLOSE_Q = "”\"’'」』"
_Q1 = f"[{_OPEN_Q}]"
_Q2 = f"[{_CLOSE_Q}]"
_NUMERAL = rf"[{citations.CHINESE_NUMERAL}\d]+"
_REPLACE_VERB = r"(?:统一|一律|均|都)?(?:修改|更改|改|替换|调整|修订|变更|统一)(?:为|成)"
_CHANGE_VERB = r"(?:降低|降|减少|减|下调|提高|提升|上调|增加|增|调整|改|修改|延长|缩短|放宽|增至|减至)(?:为|到|至)?"
_DELETE_VERB = r"(?:删除|删去|删掉|去掉|去除|取消)"
_ADD_VERB = r"(?:增加|增设|补充|新增|增写|加入|添加|写入|增补|加上)"
_STOP_CLAUSE = r"[，。；！？,;!?\n]"

# A reference to an article or paragraph at the start of a quoted stretch: "第十二条中的".
_REF_PREFIX = re.compile(
    rf"^(?:草案|条例|本法|本条例)?(?:第{_NUMERAL}条(?:之[一二三四五六七八九十]+)?|本条|该条|此条)?"
    rf"(?:第{_NUMERAL}款)?(?:第[（(]?{_NUMERAL}[）)]?项)?(?:中|里|规定)?(?:的)?(?:规定)?"
)
# Words a suggestion wraps around the wording it wants ("…为宜", "…更合适").
_TRAILING = re.compile(r"(?:的要求|的规定|的内容|等内容|等规定|这一规定|的条款|为宜|较为?合适|更为?合适|比较合理|更为?合理|较为?妥当|更为?妥当|更准确|更科学|的表述|表述|一词|字样|"
    # A list closed by 等 ("改为战区、军兵种等") names examples; 平等, 同等, 高等 are words.
    r"(?<![平同相对高中初均])等)+$")
_QUOTES = re.compile(f"[{_OPEN_Q}{_CLOSE_Q}]")

_REPLACE_PATTERNS = [
    # 将“A”改为“B” / “A”一词应修改为“B”
    re.compile(
        rf"{_Q1}(?P<a>[^{_CLOSE_Q}]{{1,80}}){_Q2}(?:一词|的表述|表述|字样|的规定)?"
        rf"(?:应当?|宜|建议|可)?(?:予以)?{_REPLACE_VERB}\s*{_Q1}(?P<b>[^{_CLOSE_Q}]{{1,120}}){_Q2}"
    ),
    # 应当“B”，而不是“A” / 用“B”代替“A”: the wanted wording first, the one it replaces after.
    re.compile(
        rf"{_Q1}(?P<b>[^{_CLOSE_Q}]{{1,120}}){_Q2}[^{_OPEN_Q}，。；]{{0,8}}[，,]?\s*(?:而不(?:只|仅|仅仅|单)?是|而非|而不应是|不应是)"
        rf"{_Q1}(?P<a>[^{_CLOSE_Q}]{{1,80}}){_Q2}"
    ),
    re.compile(rf"[用以]{_Q1}(?P<b>[^{_CLOSE_Q}]{{1,120}}){_Q2}(?:代替|取代|替代|替换){_Q1}(?P<a>[^{_CLOSE_Q}]{{1,80}}){_Q2}"),
    # 罚款由五百元降为二百元 / 期限从十五日延长至三十日
    re.compile(rf"[由从](?P<a>[^，。；由从]{{1,30}}?){_CHANGE_VERB}(?P<b>[^，。；！？\n]{{1,40}})"),
    # 将A改为B / 把A修改为B (unquoted)
    re.compile(rf"[将把](?P<a>[^，。；]{{1,60}}?){_REPLACE_VERB}(?P<b>[^，。；！？\n]{{1,80}})"),
    # A应改为B
    re.compile(
        rf"(?P<a>[^，。；：:]{{1,40}}?)(?:应当?|宜|建议|需要?|可以?)(?:予以)?{_REPLACE_VERB}(?P<b>[^，。；！？\n]{{1,80}})"
    ),
    # A改为B (no modal; last resort)
    re.compile(rf"(?P<a>[^，。；：:]{{1,40}}?){_REPLACE_VERB}(?P<b>[^，。；！？\n]{{1,80}})"),
]
_REPLACE_WITH_COLON = re.compile(rf"{_REPLACE_VERB}[：:](?P<b>[^。\n]{{2,300}})")
# "…过高，建议改为二十元": the wanted wording without the one it replaces.
_REPLACE_WITHOUT_OLD = re.compile(
    rf"(?:^|[，。；：:])(?:建议|应当?|宜|可以?)*{_REPLACE_VERB}(?P<b>[^，。；！？\n]{{1,80}})"
)
_DELETE_ARTICLE = re.compile(
    rf"{_DELETE_VERB}(?:本条|该条|此条|这一?条|第{_NUMERAL}条(?:之[一二三四五六七八九十]+)?)(?!第|中|的|里)"
    rf"|(?:本条|该条|此条|这一?条|第{_NUMERAL}条)(?:规定)?(?:应当?|宜|建议|可以?)?(?:予以|整条)?{_DELETE_VERB}"
    # "第七十一条建议删除……的规定": the verb has an object of its own, a part of the article.
    rf"(?![^，。；！？,;!?\n])"
)
_DELETE_PARAGRAPH = re.compile(rf"{_DELETE_VERB}(?:本条|该条|第{_NUMERAL}条)?第(?P<n>{_NUMERAL})款")
# "第十九条第一款第（四）项……建议删除": an item named, then deleted.
_DELETE_ITEM = re.compile(
    rf"第[（(]?(?P<n>{_NUMERAL})[）)]?项[^。；]{{0,60}}?{_DELETE_VERB}|{_DELETE_VERB}(?:本条|该条|第{_NUMERAL}条)?(?:第{_NUMERAL}款)?第[（(]?(?P<m>{_NUMERAL})[）)]?项"
)
_DELETE_QUOTED = [
    re.compile(rf"{_DELETE_VERB}(?:[^{_OPEN_Q}，。；]{{0,20}}?){_Q1}(?P<a>[^{_CLOSE_Q}]{{1,80}}){_Q2}"),
    re.compile(
        rf"{_Q1}(?P<a>[^{_CLOSE_Q}]{{1,80}}){_Q2}(?:一词|的表述|表述|字样|的规定|等字)?"
        rf"(?:应当?|宜|建议|可以?)?(?:予以)?{_DELETE_VERB}"
    ),
]
_DELETE_UNQUOTED = re.compile(rf"{_DELETE_VERB}(?P<a>[^，。；！？\n]{{2,40}})")
# "第三条“A”是口号，建议删去。" / "第五十六条第三款……，建议删除": a deletion verb with no
# object names what the sentence quoted or cited before it, not necessarily the whole article.
_BARE_DELETE = re.compile(rf"{_DELETE_VERB}(?=[。；！？\n]|$)")
_PARAGRAPH_REF = re.compile(rf"第(?P<n>{_NUMERAL})款")
# "发起人持有的本公司股份……不得转让的规定应当删除": the rule to delete, in the writer's words.
_DESCRIBED_RULE = re.compile(
    r"(?P<a>[^，。；：:！？]{4,60}?)(?:的规定|的限制|的要求|这一规定|这个规定|这一限制)(?:应当?|宜|建议|可以?|也)?(?:予以)?$"
)
_ADD = re.compile(rf"{_ADD_VERB}(?P<c>.+)", re.S)

_STOPWORDS = frozenset(
    """建议 增加 增设 补充 新增 增写 加入 添加 写入 规定 内容 条款 一款 一项 一条 应当 应该 需要 相关
    有关 明确 进一步 可以 以及 或者 并且 其中 本条 该条 本款 条例 本法 草案 部门 方面 问题 情况 进行 对于
    关于 通过 根据 按照 具体 措施 要求 加强 完善 做好 工作 提出 认为 希望 考虑 是否 我们 他们 这个 这些""".split()
)

_CN_NUM = "零〇一二三四五六七八九十百千万两"
_NUM_WITH_UNIT = re.compile(
    rf"[{_CN_NUM}]+(?=(?:元|日|天|个|年|月|周岁|岁|小时|分钟|倍|人|次|辆|米|公里|千米|千克|公斤|平方米|公斤|瓦|伏|%|项|条|款|周|层))"
)


@dataclass
class Request:
    """What a suggestion asks for."""

    kind: str  # replace / delete_article / delete_phrase / add / change / none
    old: str | None = None  # wording to replace or delete (A)
    new: str | None = None  # wording wanted instead (B)
    content: str | None = None  # content to add


@dataclass
class SuggestionInput:
    text: str
    type: str | None = None  # 修改 增加 删除 支持 反对 询问 其他
    draft_articles: list[str] = field(default_factory=list)  # article keys: "12", "10之一"
    is_general: bool = False
    id: int | None = None
    # The article was cited by the writer or set by a reviewer, not inferred by the mapping:
    # the request is then not looked for in the revision's changes elsewhere.
    cited: bool = False


@dataclass
class AdoptionProposal:
    status: str
    confidence: float
    rule: str
    draft_articles: list[str]  # labels in the draft: 第十二条
    final_articles: list[str]  # labels in the later version
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# --- reading the suggestion ---------------------------------------------------------


# 百分之二十五 is how laws write 25%; writers use both.
_PERCENT = re.compile(rf"百分之(?P<n>[{_CN_NUM}]+|\d+(?:\.\d+)?)")


def numbers_to_digits(text: str) -> str:
    """Chinese numerals before a unit as digits, and 百分之N as N%, so 五百元 and 500元,
    百分之五十 and 50% compare equal."""

    def conv(m: re.Match[str]) -> str:
        try:
            return str(parse_number(m.group()))
        except ValueError:
            return m.group()

    def percent(m: re.Match[str]) -> str:
        n = m.group("n")
        if n[0].isdigit():
            return f"{n}%"
        try:
            return f"{parse_number(n)}%"
        except ValueError:
            return m.group()

    return _NUM_WITH_UNIT.sub(conv, _PERCENT.sub(percent, text))


# A local regulation names its own jurisdiction 本市 / 本省 / 本区; writers say 全市, 全省.
_JURISDICTION = re.compile(r"全(?=[市省区县])")


@lru_cache(maxsize=8192)
def canon(text: str) -> str:
    """The form in which wording is compared: normalised, quotes dropped, numbers as digits,
    the jurisdiction as drafts name it (全市 → 本市), 情况 as laws write it (情形: "遇有紧急
    情况" asks for what "遇有紧急情形的" enacts). Cached: the same article texts are compared
    for every suggestion."""
    return _JURISDICTION.sub("本", numbers_to_digits(_QUOTES.sub("", normalise(text)))).replace("情况", "情形")


def _clean_phrase(phrase: str, *, quoted: bool = False) -> str:
    """The wording itself: a quoted phrase is taken as is; an unquoted one loses the
    modal words, the article reference and the trailing comment wrapped around it."""
    p = _QUOTES.sub("", phrase).strip().strip("：:，,")
    if quoted:
        return p
    p = re.sub(r"^(?:建议)?[将把]?", "", p)
    p = _REF_PREFIX.sub("", p, count=1)
    return _TRAILING.sub("", p).strip()


def parse_request(text: str, type_: str | None = None) -> Request:
    """What the suggestion asks for (see the module docstring)."""
    t = normalise(text)
    m = _REPLACE_WITH_COLON.search(t)
    if m and _clean_phrase(m.group("b"), quoted=True):
        # "建议修改为：……" introduces a whole new wording, commas and all.
        return Request("replace", old=None, new=_clean_phrase(m.group("b"), quoted=True))
    for n, pattern in enumerate(_REPLACE_PATTERNS):
        m = pattern.search(t)
        if m:
            quoted = n <= 2
            a, b = _clean_phrase(m.group("a"), quoted=quoted), _clean_phrase(m.group("b"), quoted=quoted)
            if a and b and a != b:
                return Request("replace", old=a, new=b)
    m = _REPLACE_WITHOUT_OLD.search(t)
    if m and _clean_phrase(m.group("b")):
        return Request("replace", old=None, new=_clean_phrase(m.group("b")))
    m = _DELETE_ITEM.search(t)
    if m:
        return Request("delete_phrase", old=f"#item:{parse_number(m.group('n') or m.group('m'))}")
    m = _DELETE_PARAGRAPH.search(t)
    if m:
        return Request("delete_phrase", old=f"#paragraph:{parse_number(m.group('n'))}")
    if _DELETE_ARTICLE.search(t):
        return Request("delete_article")
    bare = _bare_delete(t)
    if bare is not None:
        return bare
    for pattern in _DELETE_QUOTED:
        m = pattern.search(t)
        if m and _clean_phrase(m.group("a"), quoted=True):
            return Request("delete_phrase", old=_clean_phrase(m.group("a"), quoted=True))
    m = _DELETE_UNQUOTED.search(t)
    if m and _clean_phrase(m.group("a")):
        return Request("delete_phrase", old=_clean_phrase(m.group("a")))
    m = _ADD.search(t)
    if m:
        quoted = re.search(f"{_Q1}([^{_CLOSE_Q}]{{2,}}){_Q2}", m.group("c"))
        content = quoted.group(1) if quoted else m.group("c")
        return Request("add", content=content.strip("：:，, "))
    if type_ == "删除":
        return Request("delete_article")
    if type_ == "增加":
        return Request("add", content=t)
    if type_ == "修改":
        return Request("change")
    return Request("none")


def _bare_delete(t: str) -> Request | None:
    """What an object-less "建议删除" deletes: the wording quoted before it, else the
    paragraph cited before it; None when neither (then the article is meant)."""
    m = _BARE_DELETE.search(t)
    if not m:
        return None
    before = t[: m.start()]
    # Double quotes first: they may hold single ones ("全面深化‘放管服’改革").
    quoted = re.findall("“([^”]{2,80})”", before) or re.findall(f"{_Q1}([^{_CLOSE_Q}]{{2,80}}){_Q2}", before)
    quoted = [q for q in quoted if _clean_phrase(q, quoted=True)]
    if quoted:
        return Request("delete_phrase", old=_clean_phrase(quoted[-1], quoted=True))
    para = _PARAGRAPH_REF.search(before)
    if para:
        return Request("delete_phrase", old=f"#paragraph:{parse_number(para.group('n'))}")
    described = _DESCRIBED_RULE.search(before)
    if described and _clean_phrase(described.group("a")):
        return Request("delete_phrase", old=_clean_phrase(described.group("a")))
    return None


# --- tokens and coverage ------------------------------------------------------------


@lru_cache(maxsize=8192)
def tokens(text: str) -> frozenset[str]:
    """Content words (jieba), numbers as digits; stopwords and single characters dropped.
    Cached (hence frozen): the same article texts are tokenised for every suggestion."""
    import jieba

    jieba.setLogLevel(60)  # no "Building prefix dict" chatter on stderr
    return frozenset(w for w in jieba.lcut(canon(text)) if _is_content_word(w))


def _is_content_word(w: str) -> bool:
    return len(w) >= 2 and w not in _STOPWORDS and not _is_punct(w)


def _is_punct(w: str) -> bool:
    return all(not ch.isalnum() for ch in w)


def _coverage(content: str, inserted: str, old_text: str) -> float:
    """Share of the requested content's words found in the inserted text. Words the draft
    already had do not count (asking to "增加…电动自行车…" in a law about them proves
    nothing), unless the request has no new words at all."""
    want = tokens(content)
    novel = want - tokens(old_text)
    target = novel or want
    if not target:
        return 0.0
    return len(target & tokens(inserted)) / len(target)


def _coverage_in(content: str, text: str) -> float:
    """Share of the requested content's words that ``text`` has."""
    want = tokens(content)
    return len(want & tokens(text)) / len(want) if len(want) >= 2 else 0.0


# anchor(): a paraphrased quotation stands for the draft's stretch when this share of it is
# the draft's words in order, over at most this multiple of its length.
ANCHOR_IN_ORDER = 0.75
ANCHOR_SPREAD = 1.5


def anchor(phrase: str, old_text: str) -> str:
    """``phrase`` as it stands in the draft (canonical form), or "" when the draft has
    nothing like it. Suggestions misquote: "删除记录购买人姓名、联系方式的要求" targets
    "记录购买人姓名、联系方式"; the longest common run counts when it covers most of it."""
    p, o = canon(phrase), canon(old_text)
    if not p:
        return ""
    if p in o:
        return p
    matcher = difflib.SequenceMatcher(None, p, o, autojunk=False)
    m = matcher.find_longest_match(0, len(p), 0, len(o))
    if m.size >= max(3, 0.6 * len(p)):
        return p[m.a : m.a + m.size]
    # Or the draft's words in the draft's order with a few of the writer's between them
    # ("转让股权须经其他股东过半数同意" for "转让股权，应当经其他股东过半数同意"): that stretch
    # of the draft, when it is compact.
    blocks = [b for b in matcher.get_matching_blocks() if b.size >= 2]
    if blocks and sum(b.size for b in blocks) >= ANCHOR_IN_ORDER * len(p):
        start, end = blocks[0].b, blocks[-1].b + blocks[-1].size
        if end - start <= ANCHOR_SPREAD * len(p):
            return o[start:end]
    return ""


def _count(haystack: str, needle: str) -> int:
    return haystack.count(needle) if needle else 0


# --- several requests, clauses and numbers ----------------------------------------------

# Joins between separate requests in one suggestion: "…，并规定…", "…；…", "同时…". Commas
# only separate the parts of one request (its condition, its reason, an example).
_REQUEST_JOIN = re.compile(r"[。；;！!？?\n]|，?(?:同时|此外|另外)|，?(?<![合兼吞归一])并且?(?![购非行列存网案处发])")
_CLAUSE_SEP = re.compile(r"[，,：:]")
_ARTICLE_REF = re.compile(rf"第{_NUMERAL}[条款项]|第[（(]{_NUMERAL}[）)]项")
# A quantity a suggestion asks for (after canon: 五个工作日 → 5个工作日).
_QUANTITY = re.compile(r"\d+(?:\.\d+)?(?:个)?(?:工作日|日|天|小时|分钟|元|万元|倍|个月|月|年|周岁|%)")


# Where in the law something should go, named by the part instead of its number ("立法目的中
# 应当写上……", "在立法法中规定……", "总则里加上……"): a place, like 第N条, not a word asked for.
_PART_NAMED = re.compile(
    r"在?(?:本法|本条例|立法法|该法|本条|本款|该条)(?:的)?(?:中|里|当中)"
    r"|在?(?:本法|本条例|立法法|法律|条例)?的?(?:立法目的|立法宗旨|立法原则|基本原则|总则|附则|罚则|法律责任部分)"
    r"(?:中|里|当中)"
)


def _without_article_refs(text: str) -> str:
    """The normalised text without its 第N条/款/项 and the parts it names as the place for a
    change: a citation is not a word asked for."""
    return _PART_NAMED.sub("", _ARTICLE_REF.sub("", normalise(text)))


_SENTENCE_SEP = re.compile(r"[。！？!?\n]")  # not ；: "一是……；二是……" is one list of requests
# The words of asking, and the law's own words for a rule (不予处罚, 予以公开, 给予补偿). A
# sentence without any, beside one with some, tells what happened or why ("银行一查涉诉记录就
# 不放贷。建议建立涉诉信息澄清机制"): context, not a request of its own.
_ASKS = re.compile(
    r"建议|建意|希望|应当|应该|要求|请求|恳请|必须|不得|禁止|呼吁|可以|不予|予以|给予|改为|改成|修改为|"
    r"增加|增设|补充|加上|加进|纳入|列入|完善|明确|取消|删除|删去|"
    r"提高|降低|延长|缩短|压缩|放宽|扩大|不要|不用|无需"
)


# The words that open a request in the writer's own voice. The sentences before the first of
# them tell the story or the rule as it stands ("有些按理应当由大会制定的法律，等不到下次大会。
# 建议明确……"), whatever 应当 or 可以 they hold.
_OPENS_REQUEST = re.compile(r"建议|建意|希望|请求|恳请|呼吁")


def asking_sentences(text: str) -> list[str]:
    """The sentences of ``text`` that ask for something (all of them when none does, as in a
    bare "个体工商户不用再报年报"), article references dropped."""
    sentences = [s for s in _SENTENCE_SEP.split(_without_article_refs(text)) if len(s.strip()) >= 2]
    spoken = [SUGGESTION_AS_NOUN.sub("", s) for s in sentences]  # what each sentence asks with
    first = next((k for k, s in enumerate(spoken) if _OPENS_REQUEST.search(s)), 0)
    return [s for k, (s, words) in enumerate(zip(sentences, spoken)) if k >= first and _ASKS.search(words)] \
        or sentences


def requests_in(text: str) -> list[str]:
    """The separate requests of a suggestion: its asking sentences, each cut at its joins
    (同时, 此外, 并且; not 一并)."""
    return [p for s in asking_sentences(text) for p in _REQUEST_JOIN.split(s) if len(p.strip()) >= 2]


def requested_quantities(text: str, old_text: str) -> list[str]:
    """Quantities (time limits, amounts) the text names that the draft article does not have:
    one the draft has is a quotation of it ("二十日太长"), not a request."""
    old_c = canon(old_text)
    return [q for q in _QUANTITY.findall(canon(text)) if q not in old_c]


def _missing_from(quantities: list[str], new_text: str) -> bool:
    """Whether the final text lacks one of the quantities asked for (the text is read only
    when some are: the search elsewhere asks this of every changed article)."""
    if not quantities:
        return False
    new_c = canon(new_text)
    return any(q not in new_c for q in quantities)


_FIGURE = re.compile(r"^(\d+(?:\.\d+)?)(.+)$")


def _figures(quantities: Iterable[str]) -> list[tuple[float, str]]:
    """(value, unit) of canonical quantities ("5年" → (5.0, "年"))."""
    return [(float(m.group(1)), m.group(2)) for q in quantities if (m := _FIGURE.match(q))]


def _moved_towards(quantities: list[str], old_text: str, new_text: str) -> bool:
    """Whether the final text, without the figure asked for, wrote a new figure of the same
    kind that goes the requested way: the rule asked for came in, not the figure ("认缴出资期限
    最长不得超过三年" answered by a five-year limit where the draft had none), which is 部分采纳.
    A new figure the other way (asked to lengthen, shortened) is not."""
    old_c, new_c = canon(old_text), canon(new_text)
    fresh = _figures(q for q in _QUANTITY.findall(new_c) if q not in old_c)
    if not fresh:  # the common case on the search through every changed article
        return False
    before = _figures(_QUANTITY.findall(old_c))
    for asked, unit in _figures(quantities):
        had = [v for v, u in before if u == unit]
        for now, u in fresh:
            if u != unit:
                continue
            if not had or any((now - v) * (asked - v) > 0 for v in had):
                return True
    return False


# A clause that writes out a wording the revision put in, with this many characters around it
# on each side ("是否修改或者废止的意见" where 或者废止 went in), asked for exactly that change,
# whatever words the draft already had.
INSERTION_CONTEXT = 3
INSERTION_MIN_CHARS = 2
INSERTION_ALONE_CHARS = 12


@lru_cache(maxsize=4096)
def _insertions_in_context(old_text: str, new_text: str) -> tuple[str, ...]:
    """The revision's insertions into an article, each with ``INSERTION_CONTEXT`` characters
    of the new text around it, in ``canon`` form."""
    new = normalise(new_text)
    out = []
    for span in diff_article(old_text, new_text):
        if len(canon(span.new)) < INSERTION_MIN_CHARS:
            continue
        if len(canon(span.new)) >= INSERTION_ALONE_CHARS:
            out.append(canon(span.new))  # a sentence or a paragraph: specific enough alone
            continue
        window = new[max(0, span.new_start - INSERTION_CONTEXT): span.new_start + len(span.new) + INSERTION_CONTEXT]
        out.append(canon(window))
    return tuple(out)


def _writes_an_insertion(clause: str, old_text: str, new_text: str) -> bool:
    written = canon(clause)
    return any(w in written for w in _insertions_in_context(old_text, new_text))


def _written_out(text: str, t: _Target | None) -> tuple[str, str, list[float]] | None:
    """``_judge_requests``'s 采纳 for a suggestion that writes out one of the revision's
    insertions with the words around it ("是否修改或者废止的意见"): adopted, however much of the
    rest the draft already said. New words alone do not outweigh 已有规定 (a revision renaming
    市场主体 to 企业 everywhere). The cheap, cached test first: most suggestions write none."""
    if t is None or t.unchanged or not _writes_an_insertion(text, t.old_text, t.new_text):
        return None
    judged = _judge_requests(text, t)
    return judged if judged is not None and judged[0] == ADOPTED else None


def _request_scores(request: str, old_text: str, new_text: str) -> list[float]:
    """How far the final text carries one request, 0..1 ([] when the request has no word
    the draft lacks: nothing to look for), one score per point (``_points``). A point's
    best clause counts, so that a reason or an example given beside the request
    ("…，不能到别的区还要重新办") does not dilute it. A
    quantity asked for decides when the final text has it. When it does not, the clauses
    without the quantity are a second point of the request, judged as any other: "应当给予
    过渡期逐步调整，过渡期不少于五年" is partly adopted by a transition with no five years."""
    quantities = requested_quantities(request, old_text)
    clauses = _CLAUSE_SEP.split(request)
    if quantities:
        if not _missing_from(quantities, new_text):
            return [1.0]
        if _moved_towards(quantities, old_text, new_text):
            return [0.0, 1.0]
        clauses = [c for c in clauses if not requested_quantities(c, old_text)]
    old_words, new_words = tokens(old_text), tokens(new_text)
    points: list[float] = []
    for point in _points(clauses):
        best = None
        for clause in point:
            if _writes_an_insertion(clause, old_text, new_text):
                best = 1.0
                break
            novel = tokens(clause) - old_words
            carried = len(novel & new_words)
            # Only a clause carried in part can have listed some items and not others.
            if 0 < carried < len(novel) and _some_items_only(clause, old_words, new_words):
                best = None
                points.extend((1.0, 0.0))
                break
            if novel and (not quantities or carried >= REST_MIN_WORDS):
                best = max(best or 0.0, carried / len(novel))
        if best is not None:
            points.append(best)
    return [0.0, *points] if quantities else points


_LIST_JOINS = frozenset({"和", "及", "以及", "、"})
# 和/与 introducing a companion ("和法律文本一起刊载", "与中文同步发布") joins no list.
_TOGETHER_WITH = re.compile(r"[和与同][^，。；,;]{1,15}?(?:一起|一并|一同|共同|同步|同时)")
# An item decides only with this many characters of new words: a single short word
# ("捏造、散布虚假信息") is more often one of several verbs of one act that a revision rewords.
LIST_ITEM_MIN_CHARS = 4


def _some_items_only(clause: str, old_words: frozenset[str], new_words: frozenset[str]) -> bool:
    """Whether a clause listing several new things ("增加国家监察委员会和设区的市人大常委会")
    got some of them into the final text and not others: one item with words the draft lacks
    carried whole, another not at all. Items are cut at the conjunctions between jieba's
    words, so that 及时, 和解 and 共和国 stay whole."""
    if not any(join in clause for join in "和及、") or _TOGETHER_WITH.search(clause):
        return False
    import jieba

    items: list[set[str]] = [set()]
    for w in jieba.lcut(canon(clause)):
        if w in _LIST_JOINS:
            items.append(set())
        elif _is_content_word(w) and w not in old_words:
            items[-1].add(w)
    decisive = [i for i in items if sum(map(len, i)) >= LIST_ITEM_MIN_CHARS]
    return any(i <= new_words for i in decisive) and any(not i & new_words for i in decisive)


# A clause that states a duty of its own is a further point of the request, not a reason
# for it, when the point before it states one too ("立法应当坚持全过程人民民主，公众意见的采纳
# 情况必须逐条公开") or when it begins with 但 ("……可以一次审议即交付表决，但事先必须公开征求
# 意见"). A first clause without a duty is the context of the duty after it ("股东查账，除了
# 会计账簿，也应当可以查阅会计凭证"): one point.
_DUTY = re.compile(r"应当|必须|不得|应该")
_BUT = re.compile(r"\s*(?:但|但是|不过)")


def _points(clauses: list[str]) -> list[list[str]]:
    """The request's clauses grouped into its points (see ``_DUTY``); the best clause of a
    point counts, so that a reason or an example beside it does not dilute it."""
    points: list[list[str]] = []
    point_has_duty = False
    for clause in clauses:
        duty = bool(_DUTY.search(clause))
        if not points or (duty and (point_has_duty or _BUT.match(clause))):
            points.append([clause])
            point_has_duty = duty
        else:
            points[-1].append(clause)
            point_has_duty = point_has_duty or duty
    return points


def request_scores(text: str, old_text: str, new_text: str) -> list[float]:
    """The scores of each request of the suggestion that asks for something new."""
    return [s for r in requests_in(text) for s in _request_scores(r, old_text, new_text)]


def _judge_requests(text: str, t: _Target) -> tuple[str, str, list[float]] | None:
    """(status, rule, scores) from the requests one by one: all carried → 采纳, some → 部分采纳;
    None when none is. 部分采纳 means some of the points were taken up: a third of one
    request's words turning up is what common words do by chance, not a partial adoption."""
    scores = request_scores(text, t.old_text, t.new_text)
    if not scores:
        return None
    carried = [s >= CLAUSE_FULL for s in scores]
    if all(carried):
        return ADOPTED, "requests_carried", scores
    if any(carried):
        return PARTLY, "some_requests_carried", scores
    return None


# --- deciding -----------------------------------------------------------------------


@dataclass
class _Target:
    """The targeted draft articles and what became of them."""

    old_keys: list[str]
    old_labels: list[str]
    old_text: str
    rows: list[AlignedPair]
    new_keys: list[str]
    new_labels: list[str]
    new_text: str

    @property
    def deleted(self) -> bool:
        return bool(self.rows) and all(r.change == "deleted" for r in self.rows)

    @property
    def merged(self) -> bool:
        return any(r.group == "merged" for r in self.rows)

    @property
    def unchanged(self) -> bool:
        return bool(self.rows) and all(r.change == "unchanged" for r in self.rows)


def _target(keys: list[str], alignment: list[AlignedPair], old: ParsedDraft, new: ParsedDraft) -> _Target:
    rows = [r for r in alignment if r.old_key in keys]
    old_arts = [a for k in keys if (a := old.article(k)) is not None]
    new_keys: list[str] = []
    for r in rows:
        if r.new_key and r.new_key not in new_keys:
            new_keys.append(r.new_key)
    new_arts = [a for k in new_keys if (a := new.article(k)) is not None]
    return _Target(
        old_keys=[a.key for a in old_arts],
        old_labels=[a.label for a in old_arts],
        old_text="\n".join(a.text for a in old_arts),
        rows=rows,
        new_keys=new_keys,
        new_labels=[a.label for a in new_arts],
        new_text="\n".join(a.text for a in new_arts),
    )


def _added_next_to(t: _Target, alignment: list[AlignedPair], new: ParsedDraft) -> list[Article]:
    """Articles new in the final text that sit right after (or before) the target's
    counterpart: an article is often split, its paragraphs becoming new articles of their
    own that share too little wording with it for the alignment to call them a split."""
    found: list[Article] = []
    for i, row in enumerate(alignment):
        if row not in t.rows or row.change == "deleted":
            continue
        for step in (1, -1):
            j = i + step
            while 0 <= j < len(alignment) and alignment[j].change == "added":
                art = new.article(alignment[j].new_key) if alignment[j].new_key else None
                if art is not None and art not in found:
                    found.append(art)
                j += step
    return found


def _locate_by_quote(phrase: str | None, old: ParsedDraft) -> list[str]:
    """The one draft article that contains a quoted wording (when no link was made)."""
    if not phrase or phrase.startswith("#") or len(phrase) < 2:
        return []
    p = canon(phrase)
    hits = [a.key for a in old.articles if p in canon(a.text)]
    return hits if len(hits) == 1 else []


def _verdict(
    status: str, confidence: float, rule: str, target: _Target | None, request: Request, **extra: Any
) -> AdoptionProposal:
    evidence: dict[str, Any] = {
        "rule": rule,
        "request": asdict(request),
        "draft_text": target.old_text if target else None,
        "final_text": target.new_text if target else None,
        "spans": _spans(target.old_text, target.new_text) if target and target.new_text and target.old_text else [],
        "changes": [r.to_dict() for r in target.rows] if target else [],
    }
    evidence.update(extra)
    return AdoptionProposal(
        status=status,
        confidence=round(confidence, 2),
        rule=rule,
        draft_articles=target.old_labels if target else [],
        final_articles=target.new_labels if target else [],
        evidence=evidence,
    )


@lru_cache(maxsize=1024)
def _span_dicts(old_text: str, new_text: str) -> tuple[dict[str, Any], ...]:
    # The same targeted articles come up for many suggestions: their diff is computed once.
    return tuple(s.to_dict() for s in diff_article(old_text, new_text))


def _spans(old_text: str, new_text: str) -> list[dict[str, Any]]:
    """The changed spans as evidence (copies: each proposal owns its evidence)."""
    return [dict(d) for d in _span_dicts(old_text, new_text)]


def propose(
    suggestion: SuggestionInput,
    alignment: list[AlignedPair],
    old: ParsedDraft,
    new: ParsedDraft,
) -> AdoptionProposal:
    """Propose an adoption status for one suggestion."""
    request = parse_request(suggestion.text, suggestion.type)
    keys = [k for k in suggestion.draft_articles if old.article(k) is not None]
    located = False
    if not keys:
        keys = _locate_by_quote(request.old, old)
        located = bool(keys)
    proposal = _propose_by_rules(suggestion, request, keys, located, alignment, old, new)
    if in_another_language(suggestion.text):
        return _not_compared_in_another_language(proposal)
    if proposal.status == ADOPTED or request.kind not in ("add", "replace", "change"):
        return proposal
    if proposal.rule.endswith(_ANOTHER_NOT_CARRIED):
        return proposal  # the wording enacted is the one request already found carried
    verbatim = _enacted_verbatim(suggestion.text, request, old, new)
    if verbatim is None:
        return _carried_elsewhere(suggestion.text, request, proposal, keys, alignment, old, new,
                                  search_changes=not (suggestion.cited and keys))
    # The wording asked for is new to the whole draft and stands in the final text word for
    # word: adopted, wherever the mapping put the suggestion.
    target = _target(keys, alignment, old, new) if keys else None
    v = _verdict(ADOPTED, 0.85, "wording_enacted_verbatim", target, request, wording=verbatim[0],
                 rules_said=proposal.rule)
    v.final_articles = list(dict.fromkeys([*v.final_articles, *verbatim[1]]))
    return v


# What a suggestion in another language can be told without comparing its words with the law's.
_READ_WITHOUT_WORDS = ("article_unchanged", "article_deleted", "article_kept", "article_kept_unchanged",
                       "opposed_article_kept")


def _not_compared_in_another_language(proposal: AdoptionProposal) -> AdoptionProposal:
    """An English suggestion's words are not the law's: that none of them came in says nothing
    ("Article 22 … says nothing about trade secrets. Please add …" against a revision that
    added 商业秘密). Not adopted only when its article stayed as it was or went; the rest is
    for the reviewer."""
    if proposal.status != NOT_ADOPTED or proposal.rule in _READ_WITHOUT_WORDS:
        return proposal
    rule = "article_changed_in_another_language"
    return replace(proposal, status=UNKNOWN, confidence=0.3, rule=rule,
                   evidence={**proposal.evidence, "rule": rule, "rules_said": proposal.rule})


def _carried_elsewhere(text: str, request: Request, proposal: AdoptionProposal, keys: list[str],
                       alignment: list[AlignedPair], old: ParsedDraft, new: ParsedDraft,
                       search_changes: bool = True) -> AdoptionProposal:
    """采纳 for a suggestion the rules found nothing for (no article, or perhaps the wrong one)
    when one changed or added article of the final text carries most of the words it asks
    for that the whole draft lacks: the mapping may miss, the enacted text does not. Asks more
    (ADD_ELSEWHERE_FULL, ELSEWHERE_MIN_WORDS; with only two new words, ``_carries_the_rest``)
    than of the targeted article, since any article may match by chance. Then, unless the
    article was cited (``search_changes``), the revision's changes (_carried_by_changed_wording)."""
    if proposal.status not in (UNKNOWN, NOT_ADOPTED) or proposal.rule.startswith("article_kept"):
        return proposal
    draft_text = "\n".join(a.text for a in old.articles)
    words = tokens(_without_article_refs(text))
    novel = words - tokens(draft_text)
    if len(novel) < ELSEWHERE_FEW_WORDS:
        # A word found somewhere in a whole law proves nothing; the revision's own wording
        # matching the suggestion's, in one place only, does.
        if not search_changes:
            return proposal
        return _carried_by_changed_wording(text, words, request, proposal, keys, alignment, old, new)
    asked = requested_quantities(text, draft_text)  # once: it reads the whole draft
    best: tuple[float, AlignedPair] | None = None
    for row in alignment:
        if row.change in ("unchanged", "deleted") or not row.new_key:
            continue
        art = new.article(row.new_key)
        if art is None or _missing_from(asked, art.text):
            continue
        carried = tokens(art.text)
        share = len(novel & carried) / len(novel)
        if len(novel) < ELSEWHERE_MIN_WORDS and not _carries_the_rest(words, carried, share):
            continue
        if share >= ADD_ELSEWHERE_FULL and (best is None or share > best[0]):
            best = (share, row)
    if best is None:
        if not search_changes:
            return proposal
        return _carried_by_changed_wording(text, words, request, proposal, keys, alignment, old, new)
    target = _target(keys, alignment, old, new) if keys else None
    v = _verdict(ADOPTED, 0.4, "requests_carried_elsewhere", target, request, rules_said=proposal.rule,
                 request_scores=[best[0]], found=_found(best[1], old, new))
    v.final_articles = list(dict.fromkeys([*v.final_articles, best[1].new_label]))
    return v


def _found(row: AlignedPair, old: ParsedDraft, new: ParsedDraft) -> dict[str, str | None]:
    """The article a request was found in, away from the one it was mapped to, with its draft
    and final wording, so that the reviewer sees the change that carries it."""
    before = old.article(row.old_key) if row.old_key else None
    after = new.article(row.new_key) if row.new_key else None
    return {"final_article": row.new_label, "draft_article": row.old_label,
            "draft_text": before.text if before else "", "final_text": after.text if after else ""}


def _carried_by_changed_wording(text: str, words: frozenset[str], request: Request,
                                proposal: AdoptionProposal, keys: list[str], alignment: list[AlignedPair],
                                old: ParsedDraft, new: ParsedDraft) -> AdoptionProposal:
    """采纳 when the wording the revision wrote into one article carries most of the
    suggestion's words and no other article's comes close (INSERTED_FULL, INSERTED_MARGIN),
    or nearly all of them (INSERTED_SURE, however many articles do): the request stands
    where the text was changed, whatever article it was mapped to.
    部分采纳 when that article lacks a quantity asked for that its draft text lacked too, as
    for a request judged on its own article."""
    if len(words) < INSERTED_MIN_WORDS:
        return proposal
    rows, by_word = _changed_wording_index(alignment, old, new)
    hits: Counter[int] = Counter()  # changed row → the suggestion's words it wrote
    for w in words:
        hits.update(by_word.get(w, ()))
    shares: dict[str, tuple[float, AlignedPair]] = {}  # final article → (share, its best row)
    for k, n in hits.items():
        row = rows[k]
        share = n / len(words)
        if share > shares.get(row.new_label or "", (-1.0,))[0]:
            shares[row.new_label or ""] = (share, row)
    ranked = sorted(shares.values(), key=lambda found: -found[0])
    if not ranked:
        return proposal
    best, row = ranked[0]
    runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
    if best < INSERTED_FULL or (best - runner_up < INSERTED_MARGIN and best < INSERTED_SURE):
        return proposal
    target = _target(keys, alignment, old, new) if keys else None
    found = _found(row, old, new)
    status, rule = (PARTLY, "request_in_changed_wording_without_its_quantity") if _missing_from(
        requested_quantities(text, found["draft_text"] or ""), found["final_text"] or "") else (
        ADOPTED, "request_in_changed_wording")
    v = _verdict(status, 0.4, rule, target, request, rules_said=proposal.rule,
                 changed_wording_share=round(best, 3), next_best_share=round(runner_up, 3), found=found)
    v.final_articles = list(dict.fromkeys([*v.final_articles, row.new_label]))
    return v


# The last alignment's index (see _changed_wording_index): one detection run reads one
# alignment for every suggestion. Holding the list keeps its identity from being reused.
_LAST_INDEX: list[Any] = []


def _changed_wording_index(alignment: list[AlignedPair], old: ParsedDraft, new: ParsedDraft
                           ) -> tuple[list[AlignedPair], dict[str, tuple[int, ...]]]:
    """The changed and added rows, and for each word the rows that wrote it (in their
    inserted spans, or anywhere in a new article): a suggestion's words are looked up, not
    intersected with every row's."""
    if _LAST_INDEX and _LAST_INDEX[0] is alignment and _LAST_INDEX[1] is old and _LAST_INDEX[2] is new:
        return _LAST_INDEX[3]
    rows: list[AlignedPair] = []
    by_word: dict[str, list[int]] = defaultdict(list)
    for row in alignment:
        if row.change in ("unchanged", "deleted") or not row.new_key:
            continue
        art = new.article(row.new_key)
        if art is None:
            continue
        before = old.article(row.old_key) if row.old_key else None
        for w in _inserted_words(before.text if before else "", art.text):
            by_word[w].append(len(rows))
        rows.append(row)
    index = (rows, {w: tuple(ks) for w, ks in by_word.items()})
    _LAST_INDEX[:] = [alignment, old, new, index]
    return index


@lru_cache(maxsize=4096)
def _inserted_words(old_text: str, new_text: str) -> frozenset[str]:
    """The words of what the revision wrote into an article: its inserted spans, or all of
    it for a new article. Cached: the same rows are read for every suggestion."""
    return tokens(inserted_text(old_text, new_text) if old_text else new_text)


def _carries_the_rest(words: frozenset[str], carried: frozenset[str], novel_share: float) -> bool:
    """For a suggestion with only ``ELSEWHERE_FEW_WORDS`` new words: an article carrying them
    all carries enough of the rest too (``ELSEWHERE_FEW_SHARE``)."""
    shared = len(words & carried)
    return novel_share == 1.0 and shared > ELSEWHERE_MIN_WORDS and shared >= ELSEWHERE_FEW_SHARE * len(words)


_ANOTHER_NOT_CARRIED = "_another_request_not_carried"


def _with_other_requests(text: str, request: Request, t: _Target, v: AdoptionProposal) -> AdoptionProposal:
    """The verdict on the request the suggestion was read by, weighed with its other requests
    ("（一）第（二）项加上“监察委员会”；（二）增设一项……", "……改为一个月；……建议把合宪性问题也
    写进去"), each judged as ``_judge_requests`` judges one: the first carried and another not,
    or the first not and another carried, is 部分采纳."""
    if v.status not in (ADOPTED, NOT_ADOPTED) or t.unchanged:
        return v
    phrase = canon(request.new or request.content or request.old or "")
    asked = requests_in(text)
    if len(asked) < 2 or not phrase or phrase.startswith("#"):
        return v
    own = [r for r in asked if phrase in canon(r) or canon(r) in phrase]
    if not own:
        return v
    scores = [x for r in asked if r not in own for x in _request_scores(r, t.old_text, t.new_text)]
    if v.status == ADOPTED and any(x < CLAUSE_FULL for x in scores):
        return replace(v, status=PARTLY, rule=f"{v.rule}{_ANOTHER_NOT_CARRIED}",
                       evidence={**v.evidence, "other_request_scores": scores})
    if v.status == NOT_ADOPTED and any(x >= CLAUSE_FULL for x in scores):
        return replace(v, status=PARTLY, rule=f"{v.rule}_another_request_carried",
                       evidence={**v.evidence, "other_request_scores": scores})
    return v


def _propose_by_rules(suggestion: SuggestionInput, request: Request, keys: list[str], located: bool,
                      alignment: list[AlignedPair], old: ParsedDraft, new: ParsedDraft) -> AdoptionProposal:
    if not keys:
        if request.kind == "add":
            return _decide_add(request, None, alignment, new)
        rule = "general_suggestion" if suggestion.is_general else "no_article"
        return _verdict(UNKNOWN, 0.2, rule, None, request)
    target = _target(keys, alignment, old, new)
    extra = {"located_by_quote": True} if located else {}

    # An objection ("反对本条，增加负担") is about the article as a whole; its verbs are not a
    # request for new content.
    if request.kind == "delete_article" or (
        request.kind in ("none", "change", "add") and suggestion.type == "反对"
    ):
        return _decide_delete_article(request, target, suggestion.type, **extra)
    if target.deleted:
        gone = _phrase_gone_with_article(request, target, old, new)
        if gone:
            return _verdict(ADOPTED, 0.7, "phrase_deleted_with_its_article", target, request, phrase=gone, **extra)
        # The article went; whatever else was asked of it cannot be read from the text.
        return _verdict(UNKNOWN, 0.3, "article_deleted", target, request, **extra)
    if request.kind in ("replace", "delete_phrase", "add"):
        if request.kind == "replace":
            read = _decide_replace(request, target, **extra)
        elif request.kind == "delete_phrase":
            read = _decide_delete_phrase(suggestion.text, request, target, old, **extra)
        else:
            read = _decide_add(request, target, alignment, new, **extra)
        return _with_other_requests(suggestion.text, request, target, read)
    if request.kind == "change" or (request.kind == "none" and suggestion.type not in ("支持", "询问")):
        # A point typed 其他 that targets an article still asks for something of it.
        return _decide_change(suggestion.text, request, target, alignment, new, **extra)
    return _verdict(UNKNOWN, 0.2, f"no_rule_for_{suggestion.type or 'type'}", target, request, **extra)


_QUOTED = re.compile(f"{_Q1}([^{_CLOSE_Q}]{{2,60}}){_Q2}")


def _full_text(draft: ParsedDraft) -> str:
    return canon("\n".join(a.text for a in draft.articles))


def _enacted_verbatim(text: str, request: Request, old: ParsedDraft, new: ParsedDraft) -> tuple[str, list[str]] | None:
    """(wording, final article labels) when a wording the suggestion asks for — quoted, or
    the new wording of a replacement — is nowhere in the draft and stands in the final text."""
    candidates = [m.group(1) for m in _QUOTED.finditer(normalise(text))]
    if request.kind == "replace" and request.new:
        candidates.insert(0, request.new)
    if request.kind == "replace" and request.old:
        candidates = [c for c in candidates if canon(c) != canon(request.old)]
    old_full, new_full = _full_text(old), _full_text(new)
    for c in candidates:
        w = canon(c)
        if len(w) >= VERBATIM_MIN_CHARS and w not in old_full and w in new_full:
            return c, [a.label for a in new.articles if w in canon(a.text)]
    return None


def _decide_delete_article(request: Request, t: _Target, type_: str | None, **extra: Any) -> AdoptionProposal:
    asked = request.kind == "delete_article"
    if t.deleted:
        if asked:
            return _verdict(ADOPTED, 0.9, "article_deleted_as_asked", t, request, **extra)
        return _verdict(ADOPTED, 0.6, "opposed_article_deleted", t, request, **extra)
    if t.merged:
        return _verdict(PARTLY, 0.5, "article_merged", t, request, **extra)
    if not asked:
        # Opposition to an article that stayed as it was was not taken up; a changed
        # article may answer the objection in part, which the text alone cannot tell.
        if t.unchanged:
            return _verdict(NOT_ADOPTED, 0.6, "opposed_article_kept", t, request, **extra)
        return _verdict(UNKNOWN, 0.3, "opposed_article_changed", t, request, **extra)
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.9, "article_kept_unchanged", t, request, **extra)
    return _verdict(NOT_ADOPTED, 0.65, "article_kept", t, request, **extra)


def _decide_replace(request: Request, t: _Target, **extra: Any) -> AdoptionProposal:
    a, b = anchor(request.old or "", t.old_text), canon(request.new or "")
    old_c, new_c = canon(t.old_text), canon(t.new_text)
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.9, "article_unchanged", t, request, **extra)
    # Count A outside B, so that asking for 电动车 → 电动自行车 is not undone by B itself.
    a_old = _count(old_c.replace(b, "\0"), a) if b not in a else _count(old_c, a)
    a_new = _count(new_c.replace(b, "\0"), a) if b not in a else _count(new_c, a)
    b_old, b_new = _count(old_c, b), _count(new_c, b)
    counts = {"old_in_draft": a_old, "old_in_final": a_new, "new_in_draft": b_old, "new_in_final": b_new}
    if b_new <= b_old and len(tokens(request.new or "")) >= 3:
        # A long wanted wording is rarely enacted word for word: look for its words in
        # what the article gained.
        cov = _coverage(request.new or "", inserted_text(t.old_text, t.new_text), t.old_text)
        if cov >= ADD_FULL:
            return _verdict(ADOPTED, 0.55, "wanted_content_inserted", t, request, counts=counts, coverage=cov, **extra)
        if cov >= ADD_PART:
            return _verdict(PARTLY, 0.45, "wanted_content_partly_inserted", t, request, counts=counts, coverage=cov, **extra)
    if a_old == 0:
        # The suggestion misquotes the draft: judge by the wanted wording alone.
        if b_new > b_old:
            return _verdict(ADOPTED, 0.6, "wanted_wording_appears", t, request, counts=counts, **extra)
        return _verdict(NOT_ADOPTED, 0.5, "wanted_wording_absent", t, request, counts=counts, **extra)
    if b_new > b_old and a_new < a_old:
        return _verdict(ADOPTED, 0.9, "replacement_made", t, request, counts=counts, **extra)
    if b_new > b_old:
        return _verdict(PARTLY, 0.55, "wording_added_old_kept", t, request, counts=counts, **extra)
    if a_new < a_old:
        return _verdict(PARTLY, 0.6, "old_wording_changed_otherwise", t, request, counts=counts, **extra)
    return _verdict(NOT_ADOPTED, 0.75, "replacement_not_made", t, request, counts=counts, **extra)


def _decide_delete_phrase(text: str, request: Request, t: _Target, old: ParsedDraft,
                          **extra: Any) -> AdoptionProposal:
    phrase = request.old or ""
    if phrase.startswith("#"):
        phrase = _numbered_part(phrase, old.article(t.old_keys[0]))
        if phrase is None:
            return _change_fallback(request, t, **extra)
    a = anchor(phrase, t.old_text)
    old_c, new_c = canon(t.old_text), canon(t.new_text)
    if not a:
        gone = [] if t.unchanged else _named_words_removed(text, t)
        if gone:
            return _verdict(ADOPTED, 0.5, "named_wording_removed", t, request, removed=gone, **extra)
        return _change_fallback(request, t, **extra)
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.9, "article_unchanged", t, request, **extra)
    if _count(new_c, a) < _count(old_c, a):
        return _verdict(ADOPTED, 0.85, "phrase_deleted", t, request, phrase=a, **extra)
    return _verdict(NOT_ADOPTED, 0.75, "phrase_kept", t, request, phrase=a, **extra)


def _named_words_removed(text: str, t: _Target) -> list[str]:
    """Words of a deletion request that the draft article has and the final text dropped,
    when the wording to delete is not quoted from the draft but described or pointed at
    ("取消董事会成员最多十三人的上限" for "其成员为三人至十三人", "不应限于行政管理领域，删去这一
    限定"): what the writer named is gone, the rest of the article stays."""
    named = tokens(_without_article_refs(text)) & tokens(t.old_text)
    return sorted(named - tokens(t.new_text))


def _phrase_gone_with_article(request: Request, t: _Target, old: ParsedDraft, new: ParsedDraft) -> str | None:
    """The wording a deletion asked for, when it went with its article: found in the
    draft article and nowhere in the final text (not moved elsewhere)."""
    if request.kind != "delete_phrase" or not request.old or request.old.startswith("#"):
        return None
    a = anchor(request.old, t.old_text)
    return a if a and a not in _full_text(new) else None


def _numbered_part(ref: str, art: Article | None) -> str | None:
    """The text of "#paragraph:N" or "#item:N" (items counted through the article)."""
    if art is None:
        return None
    kind, n = ref[1:].split(":")
    if kind == "paragraph":
        return art.paragraphs[int(n) - 1].text if int(n) <= len(art.paragraphs) else None
    items = [i for p in art.paragraphs for i in p.items]
    return items[int(n) - 1] if int(n) <= len(items) else None


def _change_fallback(request: Request, t: _Target, **extra: Any) -> AdoptionProposal:
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.85, "article_unchanged", t, request, **extra)
    return _verdict(UNKNOWN, 0.3, "article_changed_direction_unknown", t, request, **extra)


def _decide_change(text: str, request: Request, t: _Target, alignment: list[AlignedPair], new: ParsedDraft,
                   **extra: Any) -> AdoptionProposal:
    """A 修改 we cannot parse: unchanged article → not adopted; the draft already saying it →
    已有规定; otherwise each request is looked for in the final text (see _judge_requests)."""
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.85, "article_unchanged", t, request, **extra)
    written = _written_out(text, t)
    if written is not None:
        return _verdict(ADOPTED, 0.5, written[1], t, request, request_scores=written[2], **extra)
    already = _already_provides(text, t.old_text)
    if already is not None:
        return _verdict(ALREADY, 0.5, "draft_already_provides", t, request, already=already, **extra)
    judged = _judge_requests(text, t)
    if judged is not None:
        status, rule, scores = judged
        conf = 0.5 if status == ADOPTED else 0.4
        return _verdict(status, conf, rule, t, request, request_scores=scores, **extra)
    split_off = _added_next_to(t, alignment, new)
    if split_off:
        wider = replace(t, new_text="\n".join([t.new_text, *(a.text for a in split_off)]))
        judged = _judge_requests(text, wider)
        if judged is not None:
            status, rule, scores = judged
            v = _verdict(status, 0.4 if status == ADOPTED else 0.35, f"{rule}_in_added_neighbour", t, request,
                         request_scores=scores, **extra)
            v.final_articles = [*v.final_articles, *(a.label for a in split_off)]
            return v
    scores = request_scores(text, t.old_text, t.new_text)
    if scores and max(scores) == 0:
        # The article changed, but none of what the suggestion asks for came in.
        return _verdict(NOT_ADOPTED, 0.4, "changed_elsewhere", t, request, request_scores=scores, **extra)
    return _verdict(UNKNOWN, 0.3, "article_changed_direction_unknown", t, request, request_scores=scores, **extra)


def _already_provides(text: str, old_text: str) -> float | None:
    """Share of the suggestion's content words the draft article already has, when that is
    enough to say the draft already provides what is asked (已有规定); None otherwise. A
    quantity or a quoted wording the draft lacks is something new, whatever the words."""
    if requested_quantities(text, old_text):
        return None
    old_c = canon(old_text)
    if any(canon(q) not in old_c for q in _QUOTED.findall(normalise(text))):
        return None
    share = _coverage_in(_without_article_refs(text), old_text)
    return round(share, 3) if share >= ALREADY_COVERAGE else None


def _decide_add(
    request: Request,
    t: _Target | None,
    alignment: list[AlignedPair],
    new: ParsedDraft,
    **extra: Any,
) -> AdoptionProposal:
    content = request.content or ""
    old_text = t.old_text if t else ""
    written = _written_out(content, t)
    if written is not None:
        return _verdict(ADOPTED, 0.5 + 0.4 * min(written[2]), "content_inserted", t, request,
                        request_scores=written[2], **extra)
    already = _already_provides(content, old_text) if t is not None else None
    if already is not None:
        # Checked first: content the draft already has also "appears" in any new text.
        return _verdict(ALREADY, 0.5, "draft_already_provides", t, request, already=already, **extra)
    here_judged = _judge_requests(content, t) if t is not None and not t.unchanged else None
    # What is looked for: the sentences that ask, not the story told beside them.
    asked = "。".join(asking_sentences(content))
    here = 0.0
    if t is not None and not t.unchanged:
        here = _coverage(asked, inserted_text(t.old_text, t.new_text), old_text)
    # The content may have become an article of its own.
    best_added, elsewhere = None, 0.0
    for row in alignment:
        if row.change == "added" and row.new_key:
            art = new.article(row.new_key)
            if art is not None:
                cov = _coverage(asked, art.text, old_text)
                if cov > elsewhere:
                    best_added, elsewhere = art, cov
    where = {"coverage": round(here, 3), "coverage_added_article": round(elsewhere, 3)}
    if best_added is not None:
        where["added_article"] = best_added.label
        where["added_article_text"] = best_added.text
    if here_judged is not None:
        where["request_scores"] = here_judged[2]
    if here_judged is not None and here_judged[0] == ADOPTED:
        return _verdict(ADOPTED, 0.5 + 0.4 * min(here_judged[2]), "content_inserted", t, request, **where, **extra)
    if elsewhere >= ADD_ELSEWHERE_FULL:
        v = _verdict(ADOPTED, 0.4 + 0.4 * elsewhere, "content_in_new_article", t, request, **where, **extra)
        v.final_articles = [*v.final_articles, best_added.label] if best_added else v.final_articles
        return v
    if here_judged is not None:
        return _verdict(PARTLY, 0.5, "content_partly_inserted", t, request, **where, **extra)
    # A new article that carries less of the whole: each point judged by its best clause, as in
    # the targeted article, so that an example or a reason beside the request ("……，比如根本没有
    # 召开会议") does not dilute it.
    points = request_scores(content, old_text, best_added.text) if best_added and elsewhere >= ADD_ELSEWHERE_PART else []
    if best_added is not None and points and min(points) >= ADD_ELSEWHERE_FULL:
        v = _verdict(ADOPTED, 0.4 + 0.4 * min(points), "content_in_new_article", t, request,
                     request_scores_added_article=points, **where, **extra)
        v.final_articles = [*v.final_articles, best_added.label]
        return v
    if elsewhere >= ADD_ELSEWHERE_PART:
        v = _verdict(PARTLY, 0.4, "content_partly_in_new_article", t, request, **where, **extra)
        v.final_articles = [*v.final_articles, best_added.label] if best_added else v.final_articles
        return v
    if t is None:
        return _verdict(NOT_ADOPTED, 0.4, "content_absent", None, request, **where, **extra)
    if t.unchanged:
        return _verdict(NOT_ADOPTED, 0.8, "article_unchanged", t, request, **where, **extra)
    return _verdict(NOT_ADOPTED, 0.55, "content_absent", t, request, **where, **extra)
