"""Pure helpers the spiders share: HTML → plain text, Chinese date and deadline parsing.

No Scrapy here, so every rule can be tested on a string.
"""

from __future__ import annotations

import re
from copy import deepcopy
from datetime import date, datetime

import lxml.html
from lxml import etree

# Elements after which a line ends when a page is turned into text.
_BLOCK_TAGS = frozenset(
    "p div br li tr h1 h2 h3 h4 h5 h6 blockquote table ul ol dl dt dd pre section article "
    "header footer td th".split()
)
_DROP_TAGS = ("script", "style", "noscript", "template")
# Spaces that Chinese pages use for indentation (全角空格, nbsp) besides ASCII whitespace.
_SPACES = re.compile(r"[ \t\u00a0\u3000\u2002\u2003\u200b\ufeff]+")


def element_text(element: etree._Element) -> str:
    """Visible text of an lxml element: one line per block element, inner whitespace
    collapsed, blank lines removed, scripts and styles left out. The element is not changed."""
    root = deepcopy(element)
    for el in list(root.iter(*_DROP_TAGS)):
        if el is not root:
            remove_element(el)
    return _flatten(root)


def remove_element(el: etree._Element) -> None:
    """Take ``el`` out of its tree but keep the text that follows it (lxml keeps that text
    in ``el.tail``; a plain ``remove`` would lose the reply written after a quote)."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    el.tail = None
    prev = el.getprevious()
    if tail:
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


def _flatten(root: etree._Element) -> str:
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        tag = el.tag if isinstance(el.tag, str) else ""
        if not isinstance(el.tag, str):  # comment or processing instruction
            if el.tail:
                parts.append(el.tail)
            return
        if tag.lower() == "br":
            parts.append("\n")
        elif el.text:
            parts.append(el.text)
        for child in el:
            walk(child)
        if tag.lower() in _BLOCK_TAGS:
            parts.append("\n")
        if el.tail and el is not root:
            parts.append(el.tail)

    walk(root)
    return normalise_lines("".join(parts))


def normalise_lines(text: str) -> str:
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "\n").split("\n"))
    return "\n".join(line for line in lines if line)


def html_to_text(html: str | None) -> str:
    """An HTML fragment (a notice body, a post) as plain text; '' for nothing."""
    if not html or not html.strip():
        return ""
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (etree.ParserError, ValueError):
        return normalise_lines(html)
    return element_text(fragment)


# --- dates --------------------------------------------------------------------------

_CN_VALUE = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DATE_RE = (
    r"(?P<y>\d{4})\s*(?:年|-|/|\.)\s*(?P<m>\d{1,2})\s*(?:月|-|/|\.)\s*(?P<d>\d{1,2})\s*日?"
)
_TIME_RE = r"(?:(?:\s*|T)(?P<H>\d{1,2})\s*[:：时]\s*(?P<M>\d{1,2})(?:\s*[:：分]\s*(?P<S>\d{1,2}))?)?"
_DATETIME = re.compile(_DATE_RE + _TIME_RE)
_CN_DATE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,3})月([一二三四五六七八九十]{1,3})日")


def _cn_small(token: str) -> int:
    """一 → 1, 十 → 10, 十二 → 12, 二十 → 20, 三十一 → 31."""
    if "十" not in token:
        return _CN_VALUE[token]
    tens, _, ones = token.partition("十")
    return (_CN_VALUE[tens] if tens else 1) * 10 + (_CN_VALUE[ones] if ones else 0)


def _cn_year_digits(text: str) -> str:
    """二〇二五年七月五日 → 2025年7月5日 (dates in official notices are sometimes written so)."""

    def convert(m: re.Match[str]) -> str:
        try:
            year = "".join(str(_CN_VALUE[ch]) for ch in m[1])
            return f"{year}年{_cn_small(m[2])}月{_cn_small(m[3])}日"
        except KeyError:  # 十十 and such: leave the text alone
            return m[0]

    return _CN_DATE.sub(convert, text)


def parse_datetime(text: str | None) -> datetime | None:
    """The first date (and time) in ``text``: '发表于 2015-3-4 10:22:33', '2025年6月5日',
    '2026-08-28 00:00:00', '2025/6/5 9:05'. None when there is none or it is impossible."""
    if not text:
        return None
    match = _DATETIME.search(_cn_year_digits(text))
    if not match:
        return None
    try:
        return datetime(
            int(match["y"]),
            int(match["m"]),
            int(match["d"]),
            int(match["H"] or 0),
            int(match["M"] or 0),
            int(match["S"] or 0),
        )
    except ValueError:  # 2025-13-40, 25:61
        return None


def parse_date(text: str | None) -> date | None:
    value = parse_datetime(text)
    return value.date() if value else None


# The deadline sentence of a notice, most specific first. A date without a year
# ("7月5日前") takes the year of the notice (or the next one if that month has passed).
_FULL = r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2}|\d{4}/\d{1,2}/\d{1,2})"
_SHORT = r"(\d{1,2}\s*月\s*\d{1,2}\s*日)"
_DEADLINE_PATTERNS = [
    re.compile(r"截[止至](?:日期|时间|日)?\s*(?:为|是|：|:)?\s*" + _FULL),
    re.compile(r"(?:请|可)?于\s*" + _FULL + r"\s*(?:\d{1,2}[:：]\d{2})?\s*(?:前|之前|以前)"),
    re.compile(r"(?:征求意见|意见征集|反馈|公示)(?:的)?(?:时间|期限|期)?(?:为|是|：|:)?\s*(?:自)?\s*" + _FULL + r"\s*(?:起)?\s*(?:至|到|—|－|-|~)\s*" + r"(\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|\d{1,2}\s*月\s*\d{1,2}\s*日|\d{4}-\d{1,2}-\d{1,2})"),
    re.compile(r"截[止至](?:日期|时间|日)?\s*(?:为|是|：|:)?\s*" + _SHORT),
    re.compile(r"(?:请|可)?于\s*" + _SHORT + r"\s*(?:前|之前|以前)"),
]


def parse_deadline(text: str | None, *, published: date | None = None) -> date | None:
    """The deadline stated in a notice: '征求意见截止日期为2025年7月5日', '截止时间：…',
    '请于2025年7月5日前…', '征求意见时间为2025年6月5日至2025年7月20日'. None if absent."""
    if not text:
        return None
    text = _cn_year_digits(text)
    for pattern in _DEADLINE_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        found = match.group(match.lastindex or 1)
        value = parse_date(found)
        if value is None:
            value = _short_date(found, published)
        if value is not None:
            return value
    return None


def _short_date(text: str, published: date | None) -> date | None:
    match = re.search(r"(\d{1,2})\s*月\s*(\d{1,2})\s*日", text)
    if not match or published is None:
        return None
    month, day = int(match[1]), int(match[2])
    year = published.year + (1 if month < published.month else 0)
    try:
        return date(year, month, day)
    except ValueError:
        return None
