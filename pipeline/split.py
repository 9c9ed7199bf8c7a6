"""Split a comment into its points (suggestions).

A comment that makes several points becomes several suggestions:

- enumerated points: "一、……二、……", "（一）……（二）……", "1. …… 2. ……", "1、", "（1）", "①";
  the top-level enumeration is the first style whose markers run 1, 2, 3 … at the start of
  a line or sentence (nested enumerations stay inside their point);
- without enumeration, sentences or "；"-separated clauses that each cite a different
  article of the draft ("第五条……；第三十条……") become one point per article;
- otherwise the comment is one point.

Preamble before the first point ("我对草案提几点意见：") is attached to the first point when
it says something of its own, and set aside when it is only a lead-in; a closing line
("以上意见供参考，谢谢！") after the last point is set aside the same way. Set-aside text is
returned in ``Split.dropped`` and stays in the comment — nothing is lost.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from minyi.core import citations
from minyi.core.numerals import parse_number
from pipeline.mask import is_signature_line


@dataclass(frozen=True)
class Piece:
    text: str
    start: int  # span in the input text (marker excluded)
    end: int
    # True when the piece carries on the previous one's subject ("第五十条明码标价好" /
    # "但建议统一支付方式"): a piece that cites nothing then refers to the same article.
    continues: bool = False
    # The head the point stands under, set aside ("第三十条建议作两处修改："): its citations
    # place every point under it that cites nothing itself.
    heading: str | None = None


@dataclass
class Split:
    pieces: list[Piece]
    dropped: list[str] = field(default_factory=list)

    @property
    def texts(self) -> list[str]:
        return [p.text for p in self.pieces]


_B = r"(?:^|(?<=[\n。；;！？!?：:]))\s*"  # a point starts a line, a sentence or follows "："
_MARKERS: list[tuple[str, re.Pattern[str]]] = [
    ("cn", re.compile(_B + r"(?P<m>(?P<n>[一二三四五六七八九十]{1,3})\s*[、.．])")),
    ("cn_paren", re.compile(_B + r"(?P<m>[（(]\s*(?P<n>[一二三四五六七八九十]{1,3})\s*[）)]\s*[、.．]?)")),
    ("ordinal", re.compile(_B + r"(?P<m>(?:第|其)(?P<n>[一二三四五六七八九十]{1,3})\s*[，,、：:是](?!条|款|项|章))")),
    # "一是……。二是……。三是……" (a point may cite nothing: it must still stand alone).
    ("cn_shi", re.compile(_B + r"(?P<m>(?P<n>[一二三四五六七八九十]{1,3})是)(?![的否不])")),
    ("arabic", re.compile(_B + r"(?P<m>(?P<n>\d{1,2})\s*(?:[、．]|\.(?!\d)))")),
    ("arabic_paren", re.compile(_B + r"(?P<m>[（(]\s*(?P<n>\d{1,2})\s*[）)]\s*[、.．]?)")),
    ("circled", re.compile(r"(?P<m>(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]))")),
]
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# A lead-in that announces points but makes none itself.
_LEAD_IN = re.compile(
    r"^[^。！？]{0,60}?(?:提出?|有|如下|以下|几点|几条|若干|下列)[^。！？]{0,20}?(?:意见|建议|看法|想法)[^。！？]{0,10}?[：:。，,]?\s*$"
    r"|^[^。！？]{0,40}?(?:意见|建议)如下\s*[：:。]?\s*$"
    r"|^(?:您好|你好|各位领导|尊敬的[^。！？]{0,20})[！!，,：:。]?\s*$"
    r"|^Dear [^.!?\n]{1,40}[,:]?\s*$"
    # A letter's salutation on a line of its own ("人大领导：", "法工委的同志们：").
    r"|^[^。！？，,：:]{0,12}(?:领导|同志们?|工作人员|法工委|法制工作委员会|常委会|联系点)(?:们|你们好|您好)?[！!，,：:]\s*$"
)
# A short head before a colon ("我的看法：", "建议："): a lead-in only when it says nothing
# beyond such words. "但希望进一步明确付款期限：" names the request and stays with it.
_SHORT_HEAD = re.compile(r"^(?!.*(?:增加|新增|删除|修改|补充|一条|一款))[^。！？第]{0,12}[：:]\s*$")
_LEAD_IN_WORDS = re.compile(
    r"但是?|不过|另外|此外|同时|还有|其次|再次|最后|首先|总之|对此|为此|关于这|"
    r"我们?|本人|个人|大家|各位|的|具体|主要|简要|简单|几点|以下|如下|下面|一些|两点|三点|"
    r"希望|建议|认为|觉得|看法|意见|想法|观点|理由|原因|问题|说明|进一步|想说|说|是|有|如|好"
)
_LEAD_IN_OWN_CHARS = 2
_CLOSING = re.compile(
    r"^(?:以上|上述)[^。！？]{0,30}?(?:意见|建议)[^。！？]{0,30}?[。！!]?$|^(?:谢谢|感谢|此致|敬礼)[^。]{0,20}$"
    r"|^[^。！？]{0,10}(?:供参考|请予考虑|请考虑|请采纳|望采纳|恳请采纳|妥否|请酌|请审阅|请指正)[^。！？]{0,10}[。！!]?$"
    r"|^(?i:(?:kind|best|warm)?\s*regards|sincerely|yours (?:sincerely|faithfully)|thank you)[,.!]?$"
    r"|^祝[^。！？，]{1,10}[！!。]?$"
)
# A letter's date line ("2025年10月8日", "2025-10-08"), under its signature.
_DATE_LINE = re.compile(r"^\d{4}\s*(?:年\s*\d{1,2}\s*月\s*\d{1,2}\s*日?|[-./]\d{1,2}[-./]\d{1,2})$")


def _marker_number(style: str, token: str) -> int | None:
    if style == "circled":
        return _CIRCLED.index(token) + 1
    try:
        return parse_number(token)
    except ValueError:
        return None


def _enumeration(text: str) -> tuple[str, list[re.Match[str]]] | None:
    """The top-level enumeration: the style whose 1, 2, 3 … sequence starts earliest."""
    best: tuple[int, str, list[re.Match[str]]] | None = None
    for style, pattern in _MARKERS:
        seq: list[re.Match[str]] = []
        for m in pattern.finditer(text):
            n = _marker_number(style, m.group("n"))
            if n == len(seq) + 1:
                seq.append(m)
        if len(seq) >= 2 and (best is None or seq[0].start("m") < best[0]):
            best = (seq[0].start("m"), style, seq)
    return (best[1], best[2]) if best else None


_CITES = re.compile(rf"\bArt(?:icles?|s?\.)\s*\d|{citations.LOOSE.pattern}")


def _is_lead_in(text: str) -> bool:
    t = text.strip()
    # "Article 63:" / "第十二条：" names what follows: it is part of the point, not a lead-in.
    if not t:
        return True
    if _CITES.search(t):
        return False
    return bool(_LEAD_IN.match(t)) or (bool(_SHORT_HEAD.match(t)) and _says_nothing_of_its_own(t))


def _says_nothing_of_its_own(head: str) -> bool:
    rest = _LEAD_IN_WORDS.sub("", head)
    return len(re.findall(r"[\u4e00-\u9fffA-Za-z]", rest)) <= _LEAD_IN_OWN_CHARS


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start] in " \t\n":
        start += 1
    while end > start and text[end - 1] in " \t\n；;，,":
        end -= 1
    return start, end


# Compiled once (these run for every sentence of every comment).
_SENTENCE_END = re.compile(r"[。；;！？!?\n]+")
_CONTACT_DATA = re.compile(r"\d{7,}|\d{3,4}-\d{7,8}|[\w.]+@[\w.]+|【(?:手机号|固定电话|邮箱|微信号)】")
_SUBSTANTIVE = re.compile(rf"{citations.DI}\s*\S{{1,6}}?\s*{citations.TIAO}|建议|应当|应该|不得|禁止")
_CONTACT_WORDS = re.compile(r"[\d\-@.A-Za-z_【】]|手机号?|电话|邮箱|微信|联系方式|固定电话")
_COLON = re.compile(r"[：:]")
# The words that announce another point, and the words of a turn ("但建议……").
_ANOTHER_POINT = r"另外|此外|还有|再者|再有"
_BUT = r"但是?|不过"
_TURN = re.compile(rf"[，,](?=\s*(?:另外|此外|还有|再者)|\s*(?:{_BUT})[^。！？]*?(?:建议|应当|应该|希望|要|必须|不能))")


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text)))
    return [s for s in spans if text[s[0] : s[1]].strip()]


def _ends_a_letter(sentence: str) -> bool:
    return bool(_CLOSING.match(sentence) or _is_contact_only(sentence) or _DATE_LINE.match(sentence)
                or is_signature_line(sentence))


def _split_closing(text: str, pieces: list[Piece], dropped: list[str]) -> None:
    """Set aside the letter's end after the last piece: closing sentences ("以上意见妥否，
    请酌。", "此致 敬礼", "Kind regards,"), the signature (a name on its own line, its contact
    lines "提出人：……", "电话：……") and its date; a last piece that is all of these goes
    whole, when a piece is left before it."""
    if not pieces:
        return
    last = pieces[-1]
    sentences = _sentences(last.text)
    if len(pieces) > 1 and all(_ends_a_letter(last.text[s:e].strip()) for s, e in sentences):
        dropped.append(last.text.strip())
        pieces.pop()
        return
    cut = len(last.text)
    for s, e in reversed(sentences[1:]):
        if _ends_a_letter(last.text[s:e].strip()):
            cut = s
        else:
            break
    if cut < len(last.text):
        tail = last.text[cut:].strip()
        # Contact lines the sentence walk set aside already are in the tail now.
        dropped[:] = [d for d in dropped if d not in tail] + [tail]
        new_end = last.start + len(last.text[:cut].rstrip())
        pieces[-1] = replace(last, text=last.text[:cut].rstrip(), end=new_end)


def _by_enumeration(text: str, markers: list[re.Match[str]],
                    cited: Callable[[str], frozenset[str]]) -> Split:
    pieces: list[Piece] = []
    dropped: list[str] = []
    bounds = [m.start("m") for m in markers] + [len(text)]
    for i, m in enumerate(markers):
        s, e = _trim(text, m.end("m"), bounds[i + 1])
        if s < e:
            pieces.append(Piece(text[s:e], s, e))
    # Preamble: lead-ins ("我提几点意见：", "建议：") are set aside; an attitude or a cited
    # article of its own ("总体赞成制定本条例。") is a point; anything else introduces the
    # first point and goes with it.
    units = [u for u in _units(text[: bounds[0]])]
    while units and _is_lead_in(text[units[-1][0] : units[-1][1]]):
        dropped.insert(0, text[units[-1][0] : units[-1][1]].strip())
        units.pop()
    while units and _is_lead_in(text[units[0][0] : units[0][1]]):
        dropped.insert(0, text[units[0][0] : units[0][1]].strip())
        units.pop(0)
    if units and pieces:
        s, e = _trim(text, units[0][0], units[-1][1])
        preamble = text[s:e]
        named = cited(preamble)
        if len(named) == 1 and _announces_points(preamble) and not any(cited(p.text) for p in pieces):
            # "第七十九条第一款建议作两处修改：一是……；二是……": every point is on the article
            # the head names, and the head is no point of its own: set aside, it places them.
            dropped.append(preamble)
            pieces = [Piece(p.text, p.start, p.end, continues=True, heading=preamble) for p in pieces]
        elif _is_attitude(preamble) or named:
            pieces.insert(0, Piece(preamble, s, e))
        else:
            first = pieces[0]
            pieces[0] = Piece(preamble + "\n" + first.text, s, first.end)
    return Split(pieces, dropped)


# A head that announces points ("建议作两处修改：", "提三点意见：", "两点：").
_POINTS_ANNOUNCED = re.compile(r"(?:[两二三四五六七八九十几多]|以下|如下|下列)\s*(?:处|点|个方面|方面)")


def _announces_points(head: str) -> bool:
    """Whether ``head``, its citations aside, only announces the points that follow."""
    rest = _CITES.sub("", head).strip()
    return _is_lead_in(rest) or (bool(_POINTS_ANNOUNCED.search(rest)) and len(rest) <= 30)


# An attitude that concedes rather than supports ("不批可以", "这个能理解", "也没问题").
_CONCEDES = re.compile(r"可以[。，,！!]?$|没问题|能理解|可以理解|无可厚非|也行")
# A clause that only states an attitude ("支持免费登记", "条例总体写得比较全面").
_ATTITUDE = re.compile(r"支持|赞成|赞同|同意|拥护|点赞|是对的|很好|比较好|比较全面|合理|可以$|好$")
_REQUEST = re.compile(r"建议|应当|应该|希望|要求|请求|恳请|改为|删除|增加")
# "，另外……" / "。此外……": the commenter announces another point.
_ANOTHER = re.compile(
    rf"^(?:{_ANOTHER_POINT}|另一方面|同时建议"
    r"|(?:建议|希望)?(?:在条例中|条例)?(?:增加|新增|增设|补充|加)(?:一条|一款|规定|条款))"
)
# A sentence that only gives contact details ("提出人：王某，电话：…", "如需沟通，邮箱 …").
_CONTACT_ONLY = re.compile(r"^[^。！？]*?(?:提出人|联系人|姓名|联系方式|联系电话|电话|手机|邮箱|微信|住址|通讯地址)\s*[：:]")


def _is_attitude(sentence: str) -> bool:
    core = sentence.strip("，。！；,.!; \n")
    return bool(_ATTITUDE.search(core)) and not _REQUEST.search(core) and len(core) <= 40


def _is_contact_only(sentence: str) -> bool:
    t = sentence.strip()
    data = _CONTACT_DATA.search(t)
    labelled = _CONTACT_ONLY.match(t)
    if not (data or labelled) or _SUBSTANTIVE.search(t):
        return False
    if labelled:
        return True
    rest = _CONTACT_WORDS.sub("", t)
    return len(rest) <= 16


def _units(text: str) -> list[tuple[int, int]]:
    """Sentences, further cut at "，另外/此外…" and after an attitude before "，但建议…"."""
    units: list[tuple[int, int]] = []
    for s, e in _sentences(text):
        start = s
        colon = _COLON.search(text[s:e])
        if (
            colon and colon.end() < e - s and _is_lead_in(text[s : s + colon.end()])
            and not _is_contact_only(text[s:e])
        ):
            units.append((s, s + colon.end()))  # "我的看法：第二十二条……"
            start = s + colon.end()
        base = start
        for m in _TURN.finditer(text[base:e]):
            cut = base + m.end()
            head = text[start:cut]
            if _ANOTHER.match(text[cut:e].strip()) or _is_attitude(head):
                units.append((start, cut))
                start = cut
        units.append((start, e))
    return [u for u in units if text[u[0] : u[1]].strip()]


def _by_sentences(text: str, cited: Callable[[str], frozenset[str]]) -> Split:
    """Points without enumeration: a new one starts where a sentence cites other articles
    than the point before, announces another point (另外/此外), or makes a request after a
    sentence that only stated an attitude (支持…，但建议…). Lead-ins, closings and contact
    sentences are set aside."""
    groups: list[list[tuple[int, int]]] = []
    keys: list[frozenset[str]] = []
    continues: list[bool] = []
    lead: list[tuple[int, int]] = []
    dropped: list[str] = []
    prev_attitude = prev_concedes = lead_request = False
    for s, e in _units(text):
        sentence = text[s:e]
        if _is_contact_only(sentence):
            dropped.append(sentence.strip())
            continue
        if groups and _is_lead_in(sentence) and sentence.strip()[-1:] in "：:":
            # "建议：" between points: set aside, but the next sentence is a request.
            dropped.append(sentence.strip())
            lead_request = bool(_REQUEST.search(sentence))
            continue
        arts = cited(sentence)
        new_article = bool(arts) and (not keys or (arts != keys[-1] and not arts <= keys[-1]))
        another = bool(groups) and bool(_ANOTHER.match(sentence.strip())) and len(sentence.strip()) > 8
        # A concession ending a story ("……后来就不了了之了。不批可以，但要给个书面理由") is no
        # point of its own: the request after it is that story's. Support ("……我们非常支持。
        # 但希望……") and an attitude that is the whole point before are.
        after_attitude = (
            bool(groups) and prev_attitude and not new_article
            and (not prev_concedes or all(_is_attitude(text[s0:e0]) for s0, e0 in groups[-1]))
            and (bool(_REQUEST.search(sentence)) or lead_request or sentence.lstrip().startswith(("但", "不过")))
        )
        if new_article and keys and not keys[-1] and not another and not after_attitude:
            # The point so far cited nothing; this sentence names its article.
            groups[-1].append((s, e))
            keys[-1] = arts
        elif new_article or another or after_attitude:
            groups.append([(s, e)])
            keys.append(arts or (keys[-1] if after_attitude else frozenset()))
            continues.append(after_attitude and not arts)
        elif groups:
            groups[-1].append((s, e))
        elif _is_lead_in(sentence):
            lead.append((s, e))
        else:
            groups.append([(s, e)])
            keys.append(arts)
            continues.append(False)
        prev_attitude = _is_attitude(sentence)
        prev_concedes = prev_attitude and bool(_CONCEDES.search(sentence))
        lead_request = False
    if lead:
        lead_text = text[lead[0][0] : lead[-1][1]].strip()
        if groups:
            dropped.insert(0, lead_text)
        else:
            groups.append(lead)
            continues.append(False)
    pieces = []
    for g, cont in zip(groups, continues):
        s, e = _trim(text, g[0][0], g[-1][1])
        if s < e:
            pieces.append(Piece(text[s:e], s, e, cont))
    return Split(pieces, dropped)


def split_comment(text: str, titles: Sequence[str] = ()) -> Split:
    """The points of ``text`` (see the module doc). ``titles`` names the draft so that
    citations of another law do not start a new point."""
    from pipeline.references import find_citations

    def cited(sentence: str) -> frozenset[str]:
        keys = set()
        for c in find_citations(sentence, titles):
            if c.other_law or c.relative:
                continue
            keys.update(f"{n}{s or ''}" for n, s in c.articles)
            keys.update(f"{a}-{b}" for a, b in c.ranges)
            if c.chapter is not None:
                keys.add(f"ch{c.chapter}")
        return frozenset(keys)

    text = text or ""
    found = _enumeration(text)
    if found is not None:
        result = _by_enumeration(text, found[1], cited)
    else:
        result = _by_sentences(text, cited)
    _split_closing(text, result.pieces, result.dropped)
    result.pieces = [_without_connective(text, p) for p in result.pieces]
    return result


# A connective that opens a point ("另外，", "但建议……", "同时建议……"): it ties the point to the
# one before and is not part of the opinion (the comment keeps it).
_CONNECTIVE = re.compile(
    rf"^(?:(?:{_ANOTHER_POINT}|其次|同时)[，,、：:]\s*|(?:另外|此外)(?=\S)|同时(?=建议|希望|应当|应该)"
    rf"|(?:{_BUT})[，,]?\s*(?=\S))"
)


def _without_connective(text: str, piece: Piece) -> Piece:
    lead = _CONNECTIVE.match(piece.text)
    if lead is None or lead.end() >= len(piece.text):
        return piece
    start = piece.start + lead.end()
    return replace(piece, text=text[start : piece.end], start=start)
