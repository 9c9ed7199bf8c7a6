"""Explicit references from a suggestion to the draft's articles.

People cite 第十二条, 第12条, 第十二条第二款, 第十二条第二款第（三）项, ranges (第十至十二条,
第10-12条, 第十条至第十二条), lists (第五、六条, 第五条、第六条和第八条), 本条例第X条, whole
chapters (第三章), relative provisions (前款 / 本条 / 该条: the article last cited in the
comment), and they quote the draft's wording (“……”). Forms also carry a declared article
column. This module turns all of that into ``Reference`` objects, validated against the
articles that really exist in the draft; citations of another law
(《道路交通安全法》第十二条) are recognised and *not* linked.

Two layers:

- ``find_citations(text, title=None)`` is draft-free: where the text cites articles of *this*
  draft and which numbers (the splitter uses it to cut a comment per article);
- ``resolve_references(text, index, ...)`` adds relative references, quotes and declared
  articles, and checks every key against the ``DraftIndex``. Numbers that do not exist are
  returned as ``problems`` (reported to the user), never linked.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from minyi.core import citations as grammar
from minyi.core.citations import heading_number
from minyi.core.drafts import DraftArticle, Reference
from minyi.core.numerals import parse_number

# --- the draft as the resolver sees it ------------------------------------------------


class DraftIndex:
    """The articles of one draft, looked up by key, chapter and section, plus its title
    (used to tell this draft's citations from another law's)."""

    def __init__(self, articles: Sequence[DraftArticle], title: str | None = None,
                 other_titles: Iterable[str] = ()) -> None:
        self.articles = list(articles)
        self.by_key = {a.key: a for a in self.articles}
        self.titles = [t for t in [title, *other_titles] if t]
        self._squashed = {a.key: _squash(a.text) for a in self.articles}
        self._wording: dict[str, tuple[str, ...]] | None = None  # see copied_wording
        self._related: dict[str, set[str]] | None = None  # see related_articles
        self._chapter_names: dict[int, str] | None = None  # see chapter_named
        self._section_names: dict[tuple[int, int], str] | None = None  # see section_named

    @classmethod
    def from_parsed(cls, draft: Any) -> DraftIndex:
        """From a ``minyi.core.drafts.ParsedDraft``."""
        return cls(
            [
                DraftArticle(
                    key=a.key,
                    number=a.number,
                    suffix=a.suffix,
                    label=a.label,
                    text=a.text,
                    chapter=a.chapter,
                    section=a.section,
                    paragraph_items=tuple(len(p.items) for p in a.paragraphs),
                    paragraph_texts=tuple(
                        "\n".join([p.text, *p.items]) for p in a.paragraphs
                    ),
                )
                for a in draft.articles
            ],
            title=draft.title,
        )

    def __len__(self) -> int:
        return len(self.articles)

    def __contains__(self, key: object) -> bool:
        return key in self.by_key

    def chapter_articles(self, chapter: int, section: int | None = None) -> list[str]:
        out = []
        for a in self.articles:
            if heading_number(a.chapter) != chapter:
                continue
            if section is not None and heading_number(a.section) != section:
                continue
            out.append(a.key)
        return out

    def chapter_named(self, mention: str) -> int | None:
        """The number of the one chapter whose title contains the longest end of
        ``mention`` (at least ``MIN_CHAPTER_NAME`` characters and that share of the title),
        "的" and punctuation aside; None when no chapter or several do."""
        if self._chapter_names is None:
            names: dict[int, str] = {}
            for a in self.articles:
                number = heading_number(a.chapter)
                if number is not None and number not in names:
                    names[number] = _name_core(grammar.HEADING.sub("", a.chapter or "", count=1))
            self._chapter_names = names
        return _named(mention, self._chapter_names)

    def section_named(self, mention: str) -> tuple[int, int] | None:
        """(chapter, section) of the one section whose title ``mention`` names, as
        ``chapter_named`` reads a chapter's."""
        if self._section_names is None:
            names: dict[tuple[int, int], str] = {}
            for a in self.articles:
                chapter, section = heading_number(a.chapter), heading_number(a.section)
                if chapter is not None and section is not None and (chapter, section) not in names:
                    names[(chapter, section)] = _name_core(grammar.HEADING.sub("", a.section or "", count=1))
            self._section_names = names
        return _named(mention, self._section_names)

    def keys_between(self, first: int, last: int) -> list[str]:
        """Article keys from ``first`` to ``last`` inclusive, with inserted 之一 articles."""
        return [a.key for a in self.articles if first <= a.number <= last]

    def squashed(self, key: str) -> str:
        return self._squashed[key]


# A chapter named in a comment: at least this many characters of its title, and this share.
MIN_CHAPTER_NAME = 2
MIN_CHAPTER_SHARE = 0.4


def _named(mention: str, names: dict) -> Any:
    """The one key of ``names`` whose title contains the longest end of ``mention`` (see
    ``DraftIndex.chapter_named``); None when none or several do."""
    wanted = _name_core(mention)
    for start in range(len(wanted) - MIN_CHAPTER_NAME + 1):
        tail = wanted[start:]
        hits = [key for key, name in names.items() if tail in name and len(tail) >= MIN_CHAPTER_SHARE * len(name)]
        if hits:
            return hits[0] if len(hits) == 1 else None
    return None


def _name_core(name: str) -> str:
    """A chapter name as compared: no "的", quotes, punctuation or spaces; "关于" dropped."""
    return re.sub(r"[的\s“”‘’「」、，,。·]|^关于", "", name or "")


# --- results ------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """A citation that names nothing in the draft (reported, not linked), or (``part``) an
    article of the draft with a 款 or 项 it lacks (the article stays linked)."""

    evidence: str
    span: tuple[int, int]
    reason: str
    part: bool = False


@dataclass
class Resolution:
    references: list[Reference] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # The article last cited, for 前款/本条 in the next suggestion of the same comment.
    context: str | None = None
    # Chapters (or a chapter's section) cited as a whole: (chapter, section or None). A
    # chapter-level opinion is one 总体意见 row for the chapter, never a copy per article.
    chapters: list[tuple[int, int | None]] = field(default_factory=list)
    # Citations written as another article of a list or a cross-reference inside a proposal
    # about the first one ("与第二十一条衔接"): evidence only, not linked.
    cross_references: list[str] = field(default_factory=list)

    @property
    def article_keys(self) -> list[str]:
        return list(dict.fromkeys(r.article_key for r in self.references))


@dataclass(frozen=True)
class Citation:
    """One explicit citation as written (draft-free)."""

    span: tuple[int, int]
    evidence: str
    # (number, suffix) of each article named; a range is expanded by the resolver.
    articles: tuple[tuple[int, str | None], ...] = ()
    ranges: tuple[tuple[int, int], ...] = ()
    paragraph: int | None = None
    item: int | None = None
    chapter: int | None = None
    section: int | None = None
    relative: bool = False  # 前款 / 本条 / 该条 / 第X款 without an article
    other_law: bool = False

    @property
    def names_articles(self) -> bool:
        return bool(self.articles or self.ranges or self.chapter is not None)


# --- patterns -----------------------------------------------------------------------

_DI = grammar.DI
_NUM = grammar.NUM
_SUF = grammar.SUFFIX
_RANGE_SEP = r"(?:至|到|－|-|—|–|~|～)"
_LIST_SEP = r"(?:、|和|及|与|或|以及|,)"
_ART = re.compile(
    rf"{_DI}\s*(?P<nums>{_NUM}{_SUF}(?:\s*(?:{_RANGE_SEP}|{_LIST_SEP})\s*{_DI}?\s*{_NUM}{_SUF})*)\s*条(?!例)(?P<suf>\s*之\s*[一二三四五六七八九十]+)?"
    rf"(?P<tail>(?:\s*{_DI}\s*(?P<para>{_NUM})\s*款)?"
    rf"(?:\s*(?:{_DI}\s*[（(]\s*(?P<item>{_NUM})\s*[）)]\s*项?|[（(]\s*(?P<item2>{_NUM})\s*[）)]\s*项"
    rf"|{_DI}\s*(?P<item3>{_NUM})\s*项))?)"
)
_CHAPTER = re.compile(
    rf"{_DI}\s*(?P<chap>{_NUM})\s*章(?:\s*{_DI}\s*(?P<sec>{_NUM})\s*节)?"
)
# 第X款 / 第（X）项 without an article: relative to the article in context.
_PARA_ONLY = re.compile(
    rf"{_DI}\s*(?P<para>{_NUM})\s*款(?:\s*{_DI}?\s*[（(]?\s*(?P<item>{_NUM})\s*[）)]?\s*项)?"
    rf"|{_DI}\s*[（(]\s*(?P<item2>{_NUM})\s*[）)]\s*项"
)
_RELATIVE = re.compile(r"前款|本款|该款|(?:本|该|此)条(?!例|件|路|街|道|线)(?:款)?|这一?条(?=规定|条款)|上述条款")
# "我的第一条建议是……": an ordinal of the commenter's own points, not an article.
_OWN_POINT = re.compile(r"\s*(?:建议|意见|看法|理由|问题|想法)(?:是|为|：|:|，|,)")
# Writers count their own points in the first few; "第六十二条建议：" and "第六十二、六十三条建议："
# cite articles.
OWN_POINTS_MAX = 10


def _could_count_points(articles: list[tuple[int, str | None]], ranges: list[tuple[int, int]]) -> bool:
    """A single number small enough to be the writer's own ordinal ("第三条建议是")."""
    return not ranges and len(articles) == 1 and articles[0][0] <= OWN_POINTS_MAX


# Law words that end a statute's name (《道路交通安全法》, 道路交通安全法实施条例).
_LAW_END = re.compile(r"(?:法|法典|条例|规定|办法|细则|规则|决定|法规|规章|通知|标准|解释|章程|公约|意见)$")
_OWN_END = re.compile(
    r"(?:本条例|本法|本办法|本规定|本细则|本决定|该条例|此条例|这个条例|草案|征求意见稿|意见稿|送审稿|修订稿|修改稿|本稿|条例)$"
)
_OTHER_END = re.compile(r"(?:该法|同法|上述法律|上位法|国家法律|相关法律|其他法律|法律)$")
_QUOTE = re.compile(r"“([^”]{6,300})”|‘([^’]{6,300})’|「([^」]{6,300})」|『([^』]{6,300})』|\"([^\"]{6,300})\"|'([^']{6,300})'")
_SQUASH = re.compile(r"[\s，。；：、！？,.;:!?“”‘’\"'（）()《》【】「」『』…—\-]")


def _squash(text: str) -> str:
    return _SQUASH.sub("", text)


def _num(token: str) -> int | None:
    try:
        return parse_number(token)
    except ValueError:
        return None


# Compiled once: _split_numlist runs for every citation found.
_NUMLIST_SEP = re.compile(rf"\s*({_RANGE_SEP}|{_LIST_SEP})\s*")
_LEADING_DI = re.compile(rf"^{_DI}\s*")
_ZHI_SUFFIX = re.compile(r"(.+?)\s*(之\s*[一二三四五六七八九十]+)$")

def _split_numlist(nums: str) -> tuple[list[tuple[int, str | None]], list[tuple[int, int]]]:
    """'十至十二' → ranges [(10, 12)]; '五、六' → articles [5, 6]; '10之一' → (10, '之一')."""
    parts = _NUMLIST_SEP.split(nums)
    values: list[tuple[int, str | None]] = []
    seps: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:
            seps.append(part)
            continue
        token = _LEADING_DI.sub("", part.strip())
        suffix = None
        m = _ZHI_SUFFIX.match(token)
        if m:
            token, suffix = m.group(1), m.group(2).replace(" ", "")
        n = _num(token)
        if n is None:
            return [], []
        values.append((n, suffix))
    articles: list[tuple[int, str | None]] = []
    ranges: list[tuple[int, int]] = []
    i = 0
    while i < len(values):
        if i < len(seps) and re.fullmatch(_RANGE_SEP, seps[i]):
            first, last = values[i][0], values[i + 1][0]
            if first < last and last - first <= 60:
                ranges.append((first, last))
            else:  # "第十二至十条" or an absurd span: keep the two ends only
                articles.extend([values[i], values[i + 1]])
            i += 2
        else:
            articles.append(values[i])
            i += 1
    return articles, ranges


# --- whose law is cited ---------------------------------------------------------------


def _core_title(title: str) -> str:
    t = re.sub(r"[（(][^）)]*[）)]", "", title)
    m = re.search(r"《([^》]+)》", t)
    if m:
        t = re.sub(r"[（(][^）)]*[）)]", "", m.group(1))
    t = re.sub(r"^关于|公开征求意见.*$|征求意见.*$|的公告$|的通知$", "", t)
    return _squash(t)


def is_own_title(name: str, titles: Sequence[str]) -> bool:
    """Is 《name》 the draft being commented on (or a generic name for it)?"""
    core = _core_title(name)
    if core in {"", "条例", "本条例", "草案", "征求意见稿", "本法", "意见稿", "办法", "本办法"}:
        return True
    for title in titles:
        own = _core_title(title)
        if own and (core in own or own in core):
            return True
    return False


@lru_cache(maxsize=64)
def _short_titles(titles: tuple[str, ...]) -> tuple[str, ...]:
    shorts = (re.sub(r"^中华人民共和国", "", _core_title(t)) for t in titles)
    return tuple(s for s in shorts if len(s) >= 3 and _LAW_END.search(s))


def _owner_is_other(text: str, start: int, titles: Sequence[str]) -> bool | None:
    """True if the citation at ``start`` names another law's article, False if it names this
    draft's, None if nothing says (the caller then inherits from a chained citation)."""
    before = text[max(0, start - 60) : start].rstrip()
    if before.endswith("》"):
        open_at = before.rfind("《")
        return not is_own_title(before[open_at + 1 : -1] if open_at >= 0 else "", titles)
    m = re.search(r"[\u4e00-\u9fff]+$", before)
    run = m.group(0) if m else ""
    if not run:
        return None
    if _OWN_END.search(run) and not re.search(r"(?:实施|管理|暂行|安全|保护)条例$", run):
        return False
    if _OTHER_END.search(run):
        return True
    if _LAW_END.search(run):
        # A national law's short name is its title less 中华人民共和国 (公司法第四十七条 on 公司法).
        if any(run.endswith(short) for short in _short_titles(tuple(titles))):
            return False
        # An unbracketed statute name: this draft's only if a long enough tail of it is part
        # of the draft's title (电动自行车管理条例, but not 道路交通安全管理条例).
        for k in range(min(len(run), 30), 5, -1):
            if is_own_title(run[-k:], titles) and titles:
                return False
        return True
    return None


_CHAIN_GAP = re.compile(rf"^\s*(?:{_LIST_SEP}|{_RANGE_SEP}|，)?\s*$")
# "第七十五条、七十六条": a bare number right after a citation continues its list. Not "和两条
# 建议" (a count) nor "、三条路" (a street): 一/两 and a following noun-like character end it.
_BARE_NEXT = re.compile(rf"\s*(?:、|和|及|与|以及)\s*(?P<num>(?![一两]条){_NUM})\s*条(?![例件路街道线措建意])")


def _bare_continuation(text: str, end: int) -> tuple[list[tuple[int, str | None]], int]:
    """Articles cited by bare numbers after a citation ending at ``end``, and their end."""
    more: list[tuple[int, str | None]] = []
    while (m := _BARE_NEXT.match(text, end)) and (n := _num(m.group("num"))) is not None:
        more.append((n, None))
        end = m.end()
    return more, end


def find_citations(text: str, titles: Sequence[str] | str | None = None) -> list[Citation]:
    """Explicit citations in ``text``, in order (draft-free; numbers are not validated).

    Citations of another law are returned with ``other_law=True`` so callers can report
    them; relative ones (前款, 本条, 第二款 alone) with ``relative=True``.
    """
    if isinstance(titles, str):
        titles = [titles]
    titles = list(titles or [])
    found: list[tuple[int, int, dict[str, Any]]] = []
    taken: list[tuple[int, int]] = []

    def free(a: int, b: int) -> bool:
        return all(b <= s or a >= e for s, e in taken)

    for m in _ART.finditer(text):
        articles, ranges = _split_numlist(m.group("nums"))
        if not articles and not ranges:
            continue
        if _OWN_POINT.match(text, m.end()) and not m.group("tail").strip() and _could_count_points(articles, ranges):
            continue
        if m.group("suf") and len(articles) == 1 and not ranges:  # 第十条之一
            articles = [(articles[0][0], m.group("suf").replace(" ", ""))]
        item = m.group("item") or m.group("item2") or m.group("item3")
        end = m.end()
        if not m.group("tail").strip() and not m.group("suf"):
            more, end = _bare_continuation(text, end)
            articles = list(articles) + more
        found.append(
            (
                m.start(),
                end,
                {
                    "articles": tuple(articles),
                    "ranges": tuple(ranges),
                    "paragraph": _num(m.group("para")) if m.group("para") else None,
                    "item": _num(item) if item else None,
                },
            )
        )
        taken.append((m.start(), end))
    _merge_ranges(text, found)
    for m in _CHAPTER.finditer(text):
        if not free(m.start(), m.end()):
            continue
        # "第四章第二十六条": the chapter only locates the article; no whole-chapter link.
        if re.match(rf"\s*{_DI}\s*{_NUM}\s*条", text[m.end() :]):
            taken.append((m.start(), m.end()))
            continue
        chap = _num(m.group("chap"))
        if chap is None:
            continue
        found.append(
            (
                m.start(),
                m.end(),
                {"chapter": chap, "section": _num(m.group("sec")) if m.group("sec") else None},
            )
        )
        taken.append((m.start(), m.end()))
    for pattern in (_PARA_ONLY, _RELATIVE):
        for m in pattern.finditer(text):
            if not free(m.start(), m.end()):
                continue
            info: dict[str, Any] = {"relative": True}
            if pattern is _PARA_ONLY:
                item = m.group("item") or m.group("item2")
                info["paragraph"] = _num(m.group("para")) if m.group("para") else None
                info["item"] = _num(item) if item else None
            found.append((m.start(), m.end(), info))
            taken.append((m.start(), m.end()))
    found.sort(key=lambda f: f[0])

    out: list[Citation] = []
    prev_end, prev_other = None, False
    for start, end, info in found:
        other = _owner_is_other(text, start, titles)
        if other is None:
            chained = prev_end is not None and _CHAIN_GAP.match(text[prev_end:start])
            other = prev_other if chained else False
        if info.get("relative"):
            # 该条 right after a citation of another law refers to that law's article.
            other = prev_other
        out.append(Citation(span=(start, end), evidence=text[start:end], other_law=bool(other), **info))
        prev_end, prev_other = end, bool(other)
    return out


_RANGE_GAP = re.compile(rf"^\s*{_RANGE_SEP}\s*$")

# "Article 54(2)", "Art. 12", "Articles 5 and 6" in English comments.
_ENGLISH = re.compile(r"\bArt(?:icles?|s?\.)\s*(?P<n>\d{1,3})(?:\s*\((?P<p>\d{1,2})\))?"
                      r"(?P<more>(?:\s*(?:,|and|&|-|to)\s*\d{1,3})*)", re.I)


def english_citations(text: str) -> list[Citation]:
    out = []
    for m in _ENGLISH.finditer(text or ""):
        nums = [int(m.group("n"))]
        more = m.group("more") or ""
        ranges: tuple[tuple[int, int], ...] = ()
        rest = [int(x) for x in re.findall(r"\d{1,3}", more)]
        if rest and re.search(r"-|to", more) and len(rest) == 1 and rest[0] > nums[0]:
            ranges = ((nums[0], rest[0]),)
            nums = []
        else:
            nums += rest
        out.append(Citation(span=m.span(), evidence=m.group(0), articles=tuple((n, None) for n in nums),
                            ranges=ranges, paragraph=int(m.group("p")) if m.group("p") and len(nums) == 1 else None))
    return out


# A later citation in the same sentence that a proposal only relates to: introduced by a
# verb of reference ("对违反第六十七条…的罚款", "依照第十条", "列入第九十六条规定的情形"), or
# joined by 与/和 and said to match it ("要和第二十五条对应起来", "与第二十一条衔接"). Comparisons
# ("第七十四条…和第七十五条…差距太大") stay: they are about both.
_CROSS_VERB = re.compile(r"(?:违反|依照|依据|按照|根据|参照|对照|适用|援引|比照|列入|纳入)(?:本条例|本法)?\s*$")
# The same in English comments ("…, unlike Article 13 for delegated legislation, sets no
# maximum period", "as in Article 12", "under Article 30").
_CROSS_VERB_EN = re.compile(r"\b(?:under|pursuant to|in accordance with|according to|referred to in|as in|like|unlike|"
                            r"similar to|consistent with|in line with|modell?ed on)\s+(?:the\s+)?$", re.I)
# ("I would like Article 12 to …" asks for something of that article: no comparison.)
_WISH_EN = re.compile(r"(?:would|'d)\s+like\s+(?:the\s+)?$", re.I)
_CROSS_JOIN = re.compile(r"(?:与|和|同|跟)(?:本条例|本法)?\s*$")
_CROSS_AFTER = re.compile(r"^[^，。；！？,;!?]{0,12}?(?:衔接|对应|相一致|保持一致|一致|并列|相协调|协调)")


def _english_cross_reference(before: str) -> bool:
    return bool(_CROSS_VERB_EN.search(before)) and not _WISH_EN.search(before)


def drop_cross_references(text: str, cites: list[Citation], dropped: list[str]) -> list[Citation]:
    """The citations a suggestion is about: a citation after the first one, separated from
    the previous by more than a list separator and introduced as a cross-reference, is
    evidence (kept in ``dropped``), not a link."""
    out: list[Citation] = []
    prev_end = None
    for c in cites:
        own = [x for x in out if not x.other_law and not x.relative and x.names_articles]
        if own and not c.other_law and not c.relative and prev_end is not None and (c.articles or c.ranges):
            gap = text[prev_end : c.span[0]]
            chained = bool(_CHAIN_GAP.match(gap))
            new_sentence = bool(re.search(r"[。；;！？!?\n]", gap))
            before = text[max(0, c.span[0] - 8) : c.span[0]]
            cross = not chained and not new_sentence and bool(
                _CROSS_VERB.search(before) or _english_cross_reference(text[max(0, c.span[0] - 24) : c.span[0]])
                or (_CROSS_JOIN.search(before) and _CROSS_AFTER.match(text[c.span[1] :]))
            )
            if cross and not any(x.articles == c.articles for x in own):
                dropped.append(c.evidence)
                prev_end = c.span[1]
                continue
        out.append(c)
        prev_end = c.span[1]
    return out


def _merge_ranges(text: str, found: list[tuple[int, int, dict[str, Any]]]) -> None:
    """'第十条至第十二条' is matched as two citations; join them into one range."""
    i = 0
    while i + 1 < len(found):
        (s1, e1, a), (s2, e2, b) = found[i], found[i + 1]
        if (
            len(a["articles"]) == 1 and not a["ranges"] and len(b["articles"]) == 1
            and not b["ranges"] and _RANGE_GAP.match(text[e1:s2])
        ):
            first, last = a["articles"][0][0], b["articles"][0][0]
            if first < last <= first + 60:
                found[i] = (s1, e2, {"articles": (), "ranges": ((first, last),),
                                     "paragraph": None, "item": None})
                del found[i + 1]
                continue
        i += 1


# --- quotes ---------------------------------------------------------------------------


def quoted_phrases(text: str) -> list[tuple[str, tuple[int, int]]]:
    """Phrases of 6+ characters in “”, ‘’, 「」, 『』 or ASCII quotes, with their spans."""
    out = []
    for m in _QUOTE.finditer(text):
        phrase = next(g for g in m.groups() if g is not None)
        if len(_squash(phrase)) >= 6:
            out.append((phrase, m.span()))
    return out


def match_quote(phrase: str, index: DraftIndex, *, min_ratio: float = 0.8,
                max_articles: int = 3) -> list[tuple[str, float]]:
    """Articles containing ``phrase``: exact (ignoring spaces and punctuation) first, then
    fuzzy (share of the phrase found in order in the article ≥ ``min_ratio``). A phrase
    found in more than ``max_articles`` articles says nothing about which one is meant."""
    needle = _squash(phrase)
    if len(needle) < 6 or not index.articles:
        return []
    exact = [(a.key, 1.0) for a in index.articles if needle in index.squashed(a.key)]
    if exact:
        # A short term ("集中充电场所") found in several articles names none of them.
        limit = max_articles if len(needle) >= 10 else 1
        return exact if len(exact) <= limit else []
    grams = {needle[i : i + 2] for i in range(len(needle) - 1)}
    scored = []
    for a in index.articles:
        hay = index.squashed(a.key)
        # Cheap bigram screen before the quadratic matcher.
        if sum(g in hay for g in grams) < 0.6 * len(grams):
            continue
        sm = SequenceMatcher(None, needle, hay, autojunk=False)
        matched = sum(b.size for b in sm.get_matching_blocks() if b.size >= 2)
        ratio = min(matched / len(needle), 0.99)  # 1.0 is kept for exact matches
        if ratio >= min_ratio:
            scored.append((a.key, round(ratio, 3)))
    if not scored:
        return []
    scored.sort(key=lambda s: -s[1])
    best = scored[0][1]
    top = [s for s in scored if s[1] >= best - 0.03]
    return top if len(top) <= max_articles else []


# Wording copied from the draft without quotation marks ("第九十四条规定情节严重的处上一年度营业额
# 百分之五以下罚款，建议……"): a span of at least this many characters (spaces and punctuation
# aside) found in an article.
WORDING_MIN_CHARS = 12


def copied_wording(text: str, index: DraftIndex) -> dict[str, str]:
    """The articles containing a span of ``text`` at least ``WORDING_MIN_CHARS`` long (spaces
    and punctuation aside, quoted or not), each with the longest such span."""
    n = WORDING_MIN_CHARS
    grams = _wording_grams(index)
    needle = _squash(text or "")
    runs: dict[str, tuple[int, int]] = {}  # article → (start, length) of its current run
    best: dict[str, tuple[int, int]] = {}  # article → (start, length) of its longest run
    for i in range(len(needle) - n + 1):
        for key in grams.get(needle[i : i + n], ()):
            start, length = runs.get(key, (i, 0))
            run = (start, length + 1) if start + length == i else (i, 1)
            runs[key] = run
            if run[1] > best.get(key, (0, 0))[1]:
                best[key] = run
    return {key: needle[start : start + length + n - 1] for key, (start, length) in best.items()}


# Where a writer starts proposing: the words after it are the writer's own, however much of
# the draft they repeat ("第七十九条建议增加一项：违反合同约定拖欠……"). Statutory words such as
# 应当 are not among them: a writer restating the draft copies those too.
_PROPOSAL_START = re.compile(r"建议|希望|恳请|请求|呼吁|改为|改成|增加|增设|补充|删除|删去")


def described_wording(text: str, index: DraftIndex) -> dict[str, str]:
    """``copied_wording`` of the part of ``text`` before it proposes anything: where it says
    what the draft says ("第九十四条规定情节严重的处上一年度营业额百分之五以下罚款，建议……")."""
    proposal = _PROPOSAL_START.search(text or "")
    return copied_wording(text[: proposal.start()] if proposal else text, index)


def restated_wording(text: str, index: DraftIndex, cited: str | None) -> dict[str, str] | None:
    """The articles whose wording a suggestion citing ``cited`` (or only numbers the draft
    lacks: None) repeats where it says what the draft says (``described_wording``), those
    that cite or are cited by ``cited`` aside (a penalty article repeats its duty's
    wording); None when there are none. The citation check's evidence
    (``pipeline.citation_check``, ``wording_hits``)."""
    found = described_wording(text, index)
    if found and cited is not None and cited not in found:
        for key in related_articles(index, cited):
            found.pop(key, None)
    return found or None


def related_articles(index: DraftIndex, key: str) -> set[str]:
    """The articles ``key``'s text cites and those citing it ("违反本条例第二十一条规定的……"):
    a penalty article repeats the wording of the duty it enforces."""
    if index._related is None:
        related: dict[str, set[str]] = {a.key: set() for a in index.articles}
        for a in index.articles:
            for c in find_citations(a.text, index.titles):
                if c.other_law or c.relative:
                    continue
                named = {f"{n}{suffix or ''}" for n, suffix in c.articles}
                named |= {str(n) for lo, hi in c.ranges for n in range(lo, hi + 1)}
                for other in named & (related.keys() - {a.key}):
                    related[a.key].add(other)
                    related[other].add(a.key)
        index._related = related
    return index._related.get(key, set())


def _wording_grams(index: DraftIndex) -> dict[str, tuple[str, ...]]:
    """Every ``WORDING_MIN_CHARS``-character span of the draft → the articles containing it
    (built once per index)."""
    if index._wording is None:
        n = WORDING_MIN_CHARS
        found: dict[str, list[str]] = {}
        for key, hay in index._squashed.items():
            for i in range(len(hay) - n + 1):
                keys = found.setdefault(hay[i : i + n], [])
                if not keys or keys[-1] != key:
                    keys.append(key)
        index._wording = {g: tuple(keys) for g, keys in found.items()}
    return index._wording


def _paragraph_of(phrase: str, article: DraftArticle) -> int | None:
    needle = _squash(phrase)
    hits = [i for i, p in enumerate(article.paragraph_texts, 1) if needle in _squash(p)]
    return hits[0] if len(hits) == 1 and len(article.paragraph_texts) > 1 else None


# --- resolution -------------------------------------------------------------------------


def _article_key(index: DraftIndex, number: int, suffix: str | None) -> str:
    return f"{number}{suffix or ''}"


def _check(index: DraftIndex, ref: Reference, problems: list[Problem]) -> Reference | None:
    article = index.by_key.get(ref.article_key)
    if article is None:
        problems.append(
            Problem(ref.evidence, ref.span, f"草案没有第{ref.article_key}条（共{len(index)}条）")
        )
        return None
    paragraph, item = ref.paragraph, ref.item
    missing = _missing_part(article, paragraph, item)
    if missing == "paragraph":
        problems.append(Problem(ref.evidence, ref.span, f"第{article.key}条没有第{paragraph}款", part=True))
        paragraph, item = None, None
    elif missing == "item":
        problems.append(Problem(ref.evidence, ref.span, f"第{article.key}条没有第（{item}）项", part=True))
        item = None
    if (paragraph, item) != (ref.paragraph, ref.item):
        ref = Reference(ref.article_key, paragraph, item, ref.evidence, ref.span, ref.method, ref.via)
    return ref


# A range inside the one chapter a text names stands for the chapter when it spans at least
# this share of the chapter's articles.
CHAPTER_RANGE_SHARE = 0.5


def _range_stands_for_chapter(refs: Sequence[Reference], chapters: Sequence[tuple[int, int | None]],
                              index: DraftIndex) -> bool:
    """The text names one chapter and cites only a range of its articles that spans most of
    it (``CHAPTER_RANGE_SHARE``)."""
    if len(chapters) != 1 or chapters[0][1] is not None or not refs or any(r.via != "range" for r in refs):
        return False
    number = chapters[0][0]
    in_chapter = {a.key for a in index.articles if heading_number(a.chapter) == number}
    cited = {r.article_key for r in refs}
    return bool(in_chapter) and cited <= in_chapter and len(cited) >= CHAPTER_RANGE_SHARE * len(in_chapter)


def _part_holder(index: DraftIndex, c: Citation, context: str | None, earlier: Sequence[str]) -> str | None:
    """The article a relative 第二款/第（三）项 is of: the one last cited, unless it lacks
    that part and an article cited before it has it ("第六十七条第一款……扩大到第三十条超速
    行驶；第二款……": 第二款 is 67's, 30 has one 款)."""
    if not c.relative or (c.paragraph is None and c.item is None) or context is None:
        return context
    for key in [context, *reversed(earlier)]:
        if _has_part(index.by_key.get(key), c.paragraph, c.item):
            return key
    return context


def _has_part(article: Any, paragraph: int | None, item: int | None) -> bool:
    return article is not None and bool(article.paragraph_items) and _missing_part(article, paragraph, item) is None


def _missing_part(article: Any, paragraph: int | None, item: int | None) -> str | None:
    """"paragraph" or "item" when the article (its structure known) lacks the cited part."""
    parts = article.paragraph_items
    if not parts:
        return None
    if paragraph is not None and paragraph > len(parts):
        return "paragraph"
    if item is not None and item > (parts[paragraph - 1] if paragraph is not None else max(parts)):
        return "item"
    return None


def _citation_refs(c: Citation, index: DraftIndex, context: str | None) -> list[Reference]:
    if c.relative:
        if context is None:
            return []
        return [Reference(context, c.paragraph, c.item, c.evidence, c.span, via="relative")]
    refs: list[Reference] = []
    single = len(c.articles) == 1 and not c.ranges
    for number, suffix in c.articles:
        refs.append(
            Reference(
                _article_key(index, number, suffix),
                c.paragraph if single else None,
                c.item if single else None,
                c.evidence,
                c.span,
                via="article" if single else "list",
            )
        )
    for first, last in c.ranges:
        keys = index.keys_between(first, last)
        if not keys or index.articles and last > max(a.number for a in index.articles):
            # Let the validation report the missing end of the range.
            keys = keys + [str(last)] if str(last) not in keys else keys
        refs.extend(Reference(k, None, None, c.evidence, c.span, via="range") for k in keys)
    return refs


def parse_declared(values: Sequence[Any]) -> list[str]:
    """A form's 涉及条款 cells (12, "12", "第十二条", "第12、13条", "第十二条第二款") as
    citation strings the resolver understands."""
    out = []
    for v in values or []:
        if v is None:
            continue
        s = str(v).strip()
        if not s:
            continue
        if re.fullmatch(rf"{_NUM}{_SUF}", s.replace(" ", "")):
            s = f"第{s}条"
        elif re.fullmatch(rf"{_NUM}{_SUF}(?:\s*(?:{_LIST_SEP}|，|{_RANGE_SEP})\s*{_NUM}{_SUF})+", s):
            s = f"第{s}条"
        out.append(s)
    return out


def resolve_references(
    text: str,
    index: DraftIndex,
    *,
    context: str | None = None,
    declared: Sequence[Any] = (),
    declared_mode: str = "union",
    quoted_text: str | None = None,
) -> Resolution:
    """All of this draft's articles that ``text`` refers to.

    Order of evidence: explicit citations in the text (with 前款/本条 resolved against
    ``context``, the article last cited earlier in the comment); the declared article column
    (``declared_mode="union"`` adds it to the text's citations, ``"fallback"`` uses it only
    when the text cites nothing); then, only if still nothing, the form's 原文 column
    (``quoted_text``) and phrases quoted in the text, matched to the article containing them.
    """
    result = Resolution(context=context)
    refs: list[Reference] = []
    # A quote of the draft's own wording ("将“违反本条例第五十二条至第五十五条规定”修改为…")
    # cites the article it comes from; the numbers inside it are part of the wording.
    draft_quotes = []
    for phrase, span in quoted_phrases(text):
        if grammar.LOOSE.search(phrase):
            hits = [k for k, score in match_quote(phrase, index) if score == 1.0]
            if hits:
                draft_quotes.append((span, hits, phrase))
    citations = find_citations(text, index.titles) + english_citations(text)
    citations.sort(key=lambda c: c.span[0])
    for c in citations:
        if c.chapter is not None and not c.other_law and not c.articles and not c.ranges:
            result.chapters.append((c.chapter, c.section))
    # (章, 部分 or 节 first: most comments name no chapter, and the patterns try every position.)
    if ("章" in text or "部分" in text or "节" in text) and not result.chapters \
            and not any(c.articles or c.ranges for c in citations):
        for m in grammar.NAMED_CHAPTER.finditer(text):
            number = index.chapter_named(m.group("name"))
            if number is not None and (number, None) not in result.chapters:
                result.chapters.append((number, None))
        for m in grammar.NAMED_SECTION.finditer(text):
            named = index.section_named(m.group("name"))
            if named is not None and named not in result.chapters:
                result.chapters.append(named)
    citations = drop_cross_references(text, citations, result.cross_references)
    earlier: list[str] = [context] if context else []  # the articles cited so far, in order
    for span, hits, phrase in draft_quotes:
        refs.extend(Reference(k, None, None, f"“{phrase[:60]}”", span, via="quote") for k in hits)
        result.context = hits[-1]
    for c in citations:
        if c.other_law or any(s <= c.span[0] and c.span[1] <= e for (s, e), _, _ in draft_quotes):
            continue
        found = _citation_refs(c, index, _part_holder(index, c, result.context, earlier))
        checked = [r for r in (_check(index, r, result.problems) for r in found) if r]
        refs.extend(checked)
        if checked and not c.relative:
            result.context = checked[-1].article_key
            earlier.extend(r.article_key for r in checked)

    declared_refs: list[Reference] = []
    for cell in parse_declared(declared):
        for c in find_citations(cell, index.titles):
            for r in _citation_refs(c, index, context):
                r = Reference(r.article_key, r.paragraph, r.item, f"涉及条款：{cell}", (0, 0), via="declared")
                checked = _check(index, r, result.problems)
                if checked:
                    declared_refs.append(checked)
    if declared_refs and (declared_mode == "union" or not refs):
        refs = declared_refs + refs
        if result.context is None:
            result.context = declared_refs[-1].article_key

    if not refs:
        phrases = ([(quoted_text, (0, 0))] if quoted_text else []) + quoted_phrases(text)
        for phrase, span in phrases:
            for key, score in match_quote(phrase, index):
                para = _paragraph_of(phrase, index.by_key[key])
                evidence = f"“{phrase[:60]}”" if span != (0, 0) else f"原文：{phrase[:60]}"
                refs.append(Reference(key, para, None, evidence, span, via="quote"))
            if refs:
                break
        if refs:
            result.context = refs[-1].article_key

    if _range_stands_for_chapter(refs, result.chapters, index):
        # "第一章总则第三条到第九条，都是原则性的表述……建议总则精简": the chapter, spoken of
        # through most of its articles, is what the opinion is on; one row for it.
        refs = []
    # One reference per (article, paragraph, item), first evidence kept.
    seen: set[tuple[str, int | None, int | None]] = set()
    for r in refs:
        k = (r.article_key, r.paragraph, r.item)
        if k not in seen:
            seen.add(k)
            result.references.append(r)
    return result
