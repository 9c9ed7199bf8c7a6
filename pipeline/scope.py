"""Where a suggestion belongs, before and beside mapping: 条文意见 (article), 总体意见
(general: the whole draft, or a chapter — one row for the chapter), 草案范围外
(out_of_scope: grievances and matters outside the draft), 非意见 (not_opinion: greetings, a
host's remarks, "同问", submission notes, content-free replies).

The rules are about how people write to a consultation, not about any draft's topic:

- ``not_opinion``: what a host or chair says (``speaker_role == "host"``, given by the
  minutes importer), thanks and greetings that ask for nothing, "附件……请查收", questions
  about the consultation itself (截止日期), and forum replies that only echo ("同问", "顶");
- ``reply``: a forum reply that agrees with an earlier post ("同意楼上", "+1", "同上",
  "同意1楼": that floor) takes its articles from the thread when the thread is known;
- ``general_cue``: words about the draft as a whole (总体, 全文, 条例名称, 上位法, 实施细则);
  such a text needs a clearly better article match before it is put on an article, and
  one about its wording throughout (``whole_text_cue``: 全文统一, 草案很多条文, 增设专章) is
  put on none;
- ``under_general_heading``: the points of a letter headed 总体意见 (up to a 具体意见
  heading) are on the whole draft unless they cite an article;
- ``grievance_cue``: a personal complaint or request for help (去哪里申诉, 帮忙催一下,
  有没有人管) — with no article match it is 草案范围外;
- ``semantic_links_stand``: the one decision, after scoring, whether the articles found
  for a point stand, given the cues and the heading above.
"""

from __future__ import annotations

import re

from minyi.core.numerals import parse_number
from pipeline.mask import looks_like_name

SCOPES = ("article", "general", "chapter", "out_of_scope", "not_opinion")

_REQUEST = re.compile(r"建议|应当|应该|必须|不得|要求|希望|改为|增加|删除|明确|规定")
_GREETING_ONLY = re.compile(
    r"^(?:[^。！？!?]{0,12}(?:谢谢|感谢|辛苦|您好|你好|大家好|致敬|点赞|收到)[^。！？!?]{0,30}[。！!？?…~～]*)+$"
)
_SUBMISSION = re.compile(r"附件(?:为|是|中|里)?|请查收|详见附件|见附件|另附|附后")
_PROCEDURE = re.compile(
    r"(?:截止|截至)(?:日期|时间|到)|什么时候截止|哪天截止|(?:在哪里?|怎么|如何|通过什么方式)(?:提交|提意见|反映意见)"
    r"|意见(?:怎么|如何|在哪)(?:提交|提)|(?:是|要)?(?:发到|寄到|交到)(?:这个|哪个|哪里|哪儿)"
)
# Replies that add nothing ("同问", "顶", "mark"): not an opinion of their own.
_ECHO_ONLY = re.compile(r"^\s*(?:同问|顶+(?:一下)?|沙发|蹲|mark|Mark|MARK|围观|路过)[！!。，,~～\s]*")
# Replies that agree with an earlier post: they carry its point.
# "同意1楼", "支持三楼的意见", "5楼说得对": a reply naming the floor it agrees with.
_NAMED_FLOOR = re.compile(
    r"(?:同意|赞同|支持|赞成|附议|回复)\s*(?P<n>\d{1,3}|[一二三四五六七八九十]{1,3})\s*楼"
    r"|(?P<m>\d{1,3}|[一二三四五六七八九十]{1,3})\s*楼(?:说|讲)得"
)
_AGREE = re.compile(
    rf"^\s*(?:{_NAMED_FLOOR.pattern}|"
    r"顶(?=[，,。！!\s])|同意楼上|赞同楼上|支持楼上|楼[主上](?:各位)?(?:说|讲)得(?:对|好|有道理|在理)|说得对|同上|附议|\+1|＋1|同感|同意(?:楼上|[^，。]{0,6}的意见)"
    r"|我也(?:这么|这样)?(?:认为|觉得)|赞同|赞成楼上|顶楼主|支持楼主|同意楼主)"
)
_GENERAL = re.compile(
    r"总体|整体|全文|通篇|全篇|条例名称|名称叫|立法目的|框架|体例|结构上|各条|逐条|多处|条文太多|"
    r"专章|(?:单独|单列|另行?|增)设(?:立)?一章|独立成章|这一章|该章|"
    # "出台" alone is any rule coming out ("法律出台前的评估", "出台时机不成熟"); the draft's own
    # coming out is wished for ("尽快出台", "支持出台").
    r"(?:尽快|早日|及早|抓紧|加快|早点|支持|期待|盼望|希望)出台|上位法|配套|实施细则|过渡期|与会(?:人员|代表|同志)|大家(?:普遍)?认为|普遍认为|"
    r"(?:条例|草案|意见稿)(?:的)?(?:内容|规定)?(?:太|过于|比较|很|总的)|本条例(?:总的|整体)|拆分|英文译本|翻译|"
    r"统一(?:表述|用语|提法|称谓)"
)
# Words that put a text on the draft's wording as a whole ("全文统一称…", "草案很多条文用…",
# "建议增设…专章"): such a point is 总体意见 whatever article its words resemble; only a
# cited article puts it on one.
_WHOLE_TEXT = re.compile(
    # Not another document's full text ("决定书全文公开", "合同全文").
    r"(?<![书定告件同])全文(?![公发刊上]|应当?公|要公)|通篇|全篇|整部(?:条例|法律|法|草案)?"
    r"|草案(?:中)?(?:很多|许多|不少|多个|多处|好几)(?:条|处|地方)|(?:很多|许多|不少|多个)条(?:文|款)"
    r"|(?:增设|单设|另设|新设|专设|增加|新增|增写|增列)[^，。；]{0,16}?(?:专章|一章(?!程))"
    # A term renamed throughout ("把“市场主体”统一改成“经营主体”"), not a figure made uniform.
    r"|[”」』\"][^，。；“]{0,8}统一(?:改|修改|替换|更改)(?:为|成)\s*[“「『\"]"
    # The writer says it is a view of the whole ("我的总体意见是：", "总体赞成这次修改",
    # "整体来看，……"; not "总体上，" before a point that may well be on one article).
    r"|总体意见|总的意见|(?:总体|整体)(?:来看|来说|而言)|(?:总体|整体)上?(?:赞成|支持|同意|肯定|认可)"
)
_GRIEVANCE = re.compile(
    r"(?:去哪里?|到哪里?|找谁|向谁|怎么|如何)(?:申诉|投诉|举报|报案|办理|解决|退|维权|要回)|帮(?:忙|我们?)[^。]{0,8}(?:催|问|查|解决|处理)"
    r"|有没有人管|没人管|不管|管管|打不通|没到账|还没(?:退|到|给|结)|拖欠我|被拍|罚款\s*\d+|扣\s*\d+\s*分|"
    r"楼上邻居|楼下|隔壁|油烟|装修|噪音|太坑|能不能快|要排队|被拒|请问[^。]{0,20}(?:能不能|可不可以|怎么办)"
)
_FIRST_PERSON = re.compile(r"我|本人|我家|我们(?:家|小区|公司)")
# Told as one's own case though in no person: "投诉了好几次都没用", "打了几次电话".
_TRIED = re.compile(r"(?:投诉|反映|举报|打电话|打了[^，。]{0,4}电话)(?:了|过)[^，。]{0,6}(?:次|回|遍)|都没用|没人管")


# "无意见。", "暂无建议", "测试", "Hello, this is a test message.": nothing said.
_NOTHING_SAID = re.compile(
    r"^(?:(?:暂|目前|本人|我)?(?:无|没有?)(?:任何)?(?:意见|建议)?|测试(?:一下)?|试一下|test(?:ing)?|已阅|已收到|收到)[。！!.~～\s]*$"
    # A closing alone ("以上意见仅供参考。"): the letter's end, split from what it closed.
    r"|^(?:以上|上述)[^。！？]{0,12}?(?:意见|建议)[^。！？]{0,6}?(?:供参考|请参考|请酌|请审阅|请予考虑)[。！!]?$"
    r"|\btest(?:ing)? (?:message|post|submission)\b",
    re.IGNORECASE,
)
# "前面几位说得很全面了，我没有什么补充。": nothing to add, when nothing is asked before it.
_NOTHING_TO_ADD = re.compile(r"^[^。！？]{0,20}(?:没有|无)(?:什么|其他|别的)?(?:补充|要补充的|要说的)[了。！!\s]*$")
# What a signature is made of once masked: placeholders, dates, contact labels.
_PLACEHOLDER = re.compile(r"【[^】]{1,8}】")
_DATE = re.compile(r"\d{4}\s*(?:年\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|[-./]\d{1,2}[-./]\d{1,2})")
_CONTACT_LABEL = re.compile(r"(?:联系)?(?:电话|手机|邮箱|微信|地址|姓名|提出人|联系人|署名|落款)\s*[：:]?")
_SIGNATURE_REST = re.compile(r"[\s\d\-—_.,，。:：()（）/]+")


def signature_only(text: str) -> bool:
    """A comment that is only a signature ("孙建军\n13962187730\n2023年3月20日", masked:
    "【姓名】\n【手机号】\n2023年3月20日"): nothing is left once the placeholders, dates and
    contact labels are taken out but, at most, a name the masker did not know."""
    if len(text) > 80:
        return False
    rest = _SIGNATURE_REST.sub("", _CONTACT_LABEL.sub("", _DATE.sub("", _PLACEHOLDER.sub("", text))))
    return not rest or looks_like_name(rest, context="weak")


def not_opinion(text: str, *, speaker_role: str | None = None, forum_reply: bool = False) -> str | None:
    """Why the text is not an opinion (a short English reason), or None."""
    t = (text or "").strip()
    if speaker_role == "host":
        return "host"
    if not t:
        return "empty"
    if _NOTHING_SAID.search(t) or (_NOTHING_TO_ADD.match(t) and not _REQUEST.search(t)):
        return "nothing said"
    if signature_only(t):
        return "signature"
    if _GREETING_ONLY.match(t) and not _REQUEST.search(t):
        return "greeting"
    if _SUBMISSION.search(t) and not _REQUEST.search(_SUBMISSION.sub("", t)) and len(t) < 120:
        return "submission note"
    if _PROCEDURE.search(t) and len(t) < 60:
        return "question about the consultation"
    if _ECHO_ONLY.match(t):
        rest = _ECHO_ONLY.sub("", t, count=1)
        if not rest or not re.search(r"建议|应当|应该|必须|不得|不能|要求", rest):
            return "echo reply"
    return None


def agrees_with_earlier_post(text: str) -> bool:
    """"同意楼上，……" / "+1，……" / "同意1楼，……": the reply's subject is the earlier post's;
    so is a reply that names the floor it agrees with anywhere ("……负责的董事也得赔。同意5楼")."""
    return bool(_AGREE.match(text or "")) or named_floor(text) is not None


def named_floor(text: str) -> int | None:
    """The floor number a reply names as the one it agrees with, or None."""
    m = _NAMED_FLOOR.search(text or "")
    return parse_number(m.group("n") or m.group("m")) if m else None


_ABOVE = re.compile(r"^\s*(?:同意|赞同|支持|赞成|附议)?楼上")
_OPENING = re.compile(r"^\s*(?:同意|赞同|支持|赞成|附议|顶)?楼主")


def referred_floor(text: str, floor: int) -> int | None:
    """The floor of the post a reply on ``floor`` agrees with: the one it names ("同意2楼"),
    the post just above ("同意楼上") or the opening post ("支持楼主"); None when it names none."""
    named = named_floor(text)
    if named is not None:
        return named
    if _ABOVE.match(text or ""):
        return floor - 1
    return 1 if _OPENING.match(text or "") else None


# "我同意李秀英的意见，……", "赞同王建国代表刚才的发言": a speaker at a meeting agreeing with
# another, named (a name of two to four characters, a title after it).
_AGREES_WITH_NAMED = re.compile(
    r"^\s*(?:我们?|本人)?(?:也|都)?(?:完全|非常|很)?(?:同意|赞同|赞成|附议)"
    r"(?P<who>[\u4e00-\u9fff]{2,4}?)(?:代表|委员|同志|老师|律师|主任|书记|师傅|先生|女士|阿姨)?"
    r"(?:刚才|刚刚)?(?:的|所)?(?:意见|观点|发言|说法|看法|建议|提议)"
)
_NOT_A_NAME = re.compile(r"^(?:楼|大家|各位|上述|以上|前面|刚才|刚刚|上面|这位|那位|他|她|您|你)")


def agreed_speaker(text: str) -> str | None:
    """The person a speaker says they agree with ("我同意李秀英的意见，……" → 李秀英), or None."""
    m = _AGREES_WITH_NAMED.match(text or "")
    if m is None or _NOT_A_NAME.match(m.group("who")):
        return None
    return m.group("who")


# What an agreeing reply must add to be an opinion of its own ("同意大家的意见，门禁必须
# 保留刷卡"): more than a few words beyond the agreement, whom it agrees with ("老张的意见")
# and applause.
_AGREEMENT_WORDS = re.compile(r"[^，。！？!?,\s]{0,6}的(?:意见|建议|说法|观点)|楼[上主]|支持|赞同|赞成|同意|顶|附议|谢谢|感谢|"
                              r"说得好|有道理|在理|好")
_OWN_WORDS_MIN = 8


def adds_nothing_to_agreement(text: str) -> bool:
    """An agreeing reply with nothing of its own ("同意李某的意见。", "同上，支持！"): out of
    its thread it says nothing. One that goes on to make its point is an opinion."""
    match = _AGREE.match(text or "")
    if not match:
        return False
    rest = _AGREEMENT_WORDS.sub("", text[match.end():])
    return len(re.findall(r"[\u4e00-\u9fffA-Za-z0-9]", rest)) < _OWN_WORDS_MIN


# A letter headed as opinions on the whole draft ("关于草案的总体意见（某协会）：", "总体意见：")
# until a heading for article-by-article opinions ("具体意见", "分条意见", "逐条意见").
_GENERAL_HEADING = re.compile(
    r"^\s*(?:关于|对)?[^。！？：:，,\n]{0,20}?(?:总体|整体)(?:意见|看法|评价|建议)[^。！？：:，,\n]{0,20}[：:]"
)
_ARTICLE_HEADING = re.compile(r"(?:具体|分条|逐条|条文|条款)(?:修改)?(?:意见|建议)")


def under_general_heading(comment_text: str, piece: str) -> bool:
    """The piece stands under the comment's own 总体意见 heading (and before any heading
    for article-by-article opinions)."""
    head = _GENERAL_HEADING.match(comment_text or "")
    if not head:
        return False
    at = comment_text.find(piece)
    # Where the piece is not found verbatim, any article heading after the general one counts.
    between = comment_text[head.end() : at if at >= 0 else len(comment_text)]
    return not _ARTICLE_HEADING.search(between)


# How much better than the mapping threshold a text that speaks of the whole draft, or of a
# personal grievance, must match an article to be put on it.
GENERAL_MARGIN = 0.12
# What asks something of a draft: a grievance without any of it only tells a story.
_ASKS = re.compile(rf"{_REQUEST.pattern}|请求|不能|能不能|可否|能否|请|取消|提高|降低|放宽")


def semantic_links_stand(piece: str, comment_text: str, best: float, threshold: float,
                         best_article_text: str = "") -> bool:
    """Whether a point's articles found by score (best score ``best``, on the article whose
    text is ``best_article_text``) stand: not when it speaks of the whole draft or of a
    grievance and matches no article clearly (``GENERAL_MARGIN`` above the threshold), nor
    when it stands under its letter's own 总体意见 heading (only a cited article puts such a
    point on an article)."""
    if whole_text_cue(piece):
        return False
    if grievance_cue(piece) and not _ASKS.search(piece):
        return False  # a complaint that asks nothing of the draft ("楼下饭店油烟太大……投诉了好几次都没用")
    if (general_cue(piece, best_article_text) or grievance_cue(piece)) and best < threshold + GENERAL_MARGIN:
        return False
    return not under_general_heading(comment_text, piece)


def whole_text_cue(text: str) -> bool:
    return bool(_WHOLE_TEXT.search(text or ""))


def general_cue(text: str, article_text: str = "") -> bool:
    """Words about the draft as a whole; those the article in question says itself are not
    (a draft with an article on 配套规定 or 过渡期 gets points on them)."""
    return any(m.group() not in article_text for m in _GENERAL.finditer(text or ""))


def grievance_cue(text: str) -> bool:
    t = text or ""
    return bool(_GRIEVANCE.search(t)) and bool(_FIRST_PERSON.search(t) or _TRIED.search(t) or "请问" in t or "？" in t
                                               or "?" in t)
