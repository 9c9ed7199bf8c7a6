"""The one citation grammar: how 第X条 / 第X款 / 第（X）项 / 第X章 are written.

Every pattern that reads an article number (the draft parser, the reference resolver, the
mapper, the splitter, the adoption rules) is built from these pieces, so they agree on
what a numeral is (``minyi.core.numerals`` parses it) and on the common typos of 第.
"""

from __future__ import annotations

import re

from minyi.core.numerals import parse_number

ARABIC = "0-9０-９"
CHINESE_NUMERAL = "零〇一二三四五六七八九十百千两"
NUMERAL_CHARS = ARABIC + CHINESE_NUMERAL

DI = r"[第弟笫]"  # 第 and its common typos
NUM = rf"(?:[{ARABIC}]+|[{CHINESE_NUMERAL}]+)"  # one numeral, Arabic or Chinese
SUFFIX_DIGITS = "一二三四五六七八九十"
SUFFIX = rf"(?:\s*之\s*[{SUFFIX_DIGITS}]+)?"  # 第十条之一
TIAO = "[条條]"  # 条 (and traditional 條)

# One article: 第十二条, 第12条, 第十条之一 (not 条例).
ARTICLE = re.compile(rf"{DI}\s*(?P<num>{NUM})\s*{TIAO}(?!例)(?P<suffix>\s*之\s*[{SUFFIX_DIGITS}]+)?")
# Anything that looks like a citation, numeral or not: "第X条", "第几款", "第（三）项".
LOOSE = re.compile(rf"{DI}\s*\S{{1,6}}?\s*[条條款项章]")
# A heading's number: 第二章, 第一节, 第三编.
HEADING = re.compile(rf"\s*第\s*(?P<num>[{NUMERAL_CHARS}]+)\s*(?P<kind>[编編章节節])")
# A chapter named instead of numbered: "附则一章", "股权转让这一章", "“法律责任”一章",
# "法律责任章节", "总则部分". The name is the text right before the marker (the reference
# resolver takes the longest end of it that one of the draft's chapter titles contains); a
# bare "…章" is not a marker (公司章程, 部门规章, 盖章), nor is "部分" after a name no chapter
# has (部分企业, 这部分内容).
NAMED_CHAPTER = re.compile(r"(?P<name>[\u4e00-\u9fff“”‘’「」]{2,16}?)(?:(?:(?:这|那|该)一?章|一章|章节)(?![程])|部分)")
# A section (节) named the same way: "立法权限一节", "常务委员会立法程序这一节".
NAMED_SECTION = re.compile(r"(?P<name>[\u4e00-\u9fff“”‘’「」]{2,16}?)(?:(?:这|那|该)一?节|一节)")


def article_keys(text: str) -> list[str]:
    """Article keys ("12", "10之一") cited as 第…条 in ``text``, in order, once each."""
    keys: list[str] = []
    for m in ARTICLE.finditer(text or ""):
        try:
            number = parse_number(m.group("num"))
        except ValueError:
            continue
        suffix = re.sub(r"\s+", "", m.group("suffix") or "")
        key = f"{number}{suffix}"
        if key not in keys:
            keys.append(key)
    return keys


def heading_number(label: str | None) -> int | None:
    """'第二章 生产、销售和维修' → 2; None when the heading carries no number."""
    m = HEADING.match(label or "")
    if not m:
        return None
    try:
        return parse_number(m.group("num"))
    except ValueError:
        return None
