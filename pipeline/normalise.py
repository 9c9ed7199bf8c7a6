"""Normalise a comment's text before anything else reads it.

What changes: leftover HTML tags and entities; compatibility forms (full-width letters and
digits, ideographic space, CJK compatibility ideographs) by NFKC — except Chinese
punctuation (，：；！？（）), which NFKC would turn into ASCII and which users expect to keep;
ASCII punctuation between Chinese characters becomes the Chinese form; whitespace (no spaces
between Chinese characters, single spaces elsewhere, at most one blank line); traditional
characters become simplified (OpenCC t2s). What is removed: forum quotes of earlier posts
(“引用…的发言”), reply prefixes (“回复 #3 某某：”) and signature trailers (“——某某 2026年…”).

Nothing is lost: the original stays in ``Comment.text``; every removed piece is returned in
``Normalised.removed`` (and the pipeline records it on the comment).
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

# Characters NFKC must leave alone: Chinese punctuation and circled numbers (list markers).
_KEEP = set("，：；！？（）【】〔〕「」『』《》〈〉“”‘’、。…—～·") | {chr(c) for c in range(0x2460, 0x2474)}
_CJK = r"\u3400-\u9fff\uf900-\ufaff"
_CJK_OR_PUNCT = _CJK + r"，。：；！？、（）“”《》"
_ZERO_WIDTH = re.compile(r"[\u200b-\u200f\u2060\ufeff\u00ad]")
_TAG = re.compile(r"<\s*(?:br|p|div|li|tr)\b[^>]*>|</\s*(?:p|div|li|tr)\s*>", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,300}>")
_ASCII_TO_CN = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
# Compiled once: these run for every comment.
_ASCII_PUNCT_AFTER_CJK = re.compile(rf"(?<=[{_CJK}])([,;:?!])(?!//)")
_ASCII_PARENS_CJK = re.compile(rf"\(([^()\n]*[{_CJK}][^()\n]*)\)")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_SPACE_AFTER_CJK = re.compile(rf"(?<=[{_CJK_OR_PUNCT}]) (?=[{_CJK_OR_PUNCT}0-9])")
_SPACE_AFTER_DIGIT = re.compile(rf"(?<=[0-9]) (?=[{_CJK_OR_PUNCT}])")
_BLANK_LINES = re.compile(r"\n{3,}")

# Forum quotes: "引用 张三 的发言：", "以下是引用某某在2026-01-01 10:00的发言：",
# "原帖由 某某 于 2026-1-1 10:00 发表", "引用:".
_QUOTE_HEAD = re.compile(
    r"^\s*(?:以下是)?引用\s*[^\n]{0,40}?的?发言\s*[：:]?|^\s*原帖由\s*[^\n]{0,40}?发表\s*[：:]?|^\s*引用\s*[：:]",
    re.M,
)
_REPLY = re.compile(r"^\s*(?:回复|回覆|Re|RE)\s*[:：]?\s*(?:[#＃]\s*\d+\s*楼?|\d+\s*楼|@\S{1,20})\s*[^\s：:，。]{0,20}?\s*[：:]\s*", re.M)
# "——张三 2026年1月5日" at the very end, on its own line or after a full stop; the name part
# is short and holds no sentence punctuation (so "……——这是大家的心声" is not a signature).
_SIGNATURE = re.compile(
    r"(?:(?<=\n)|(?<=[。！？!?.]))[ \t]*(?:——|--|－－|～～)\s*[^\n。，！？；]{1,25}?"
    r"\s*(?:\d{4}\s*[年\-./]\s*\d{1,2}\s*[月\-./]\s*\d{1,2}\s*日?[^\n]{0,20})?\s*$"
)


@dataclass
class Normalised:
    text: str
    # (kind, text) of what was cut out: quote / reply / signature.
    removed: list[tuple[str, str]] = field(default_factory=list)


@lru_cache(maxsize=1)
def _converter():  # type: ignore[no-untyped-def]
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def _traditional_chars() -> frozenset[str]:
    """The characters some t2s mapping changes: text with none of them needs no conversion
    (OpenCC in pure Python is slow; most comments are already simplified). A phrase counts
    by the characters it changes, not its first one: those are common simplified characters
    too (the first-character test sent nine comments in ten through OpenCC)."""
    import opencc

    root = Path(opencc.__file__).parent / "dictionary"
    chars: set[str] = set()
    for name in ("TSCharacters.txt", "TSPhrases.txt"):
        path = root / name
        if not path.is_file():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("\t")
            value = value.split(" ")[0]
            if not key or key == value:
                continue
            if len(key) == len(value):
                chars.update(k for k, v in zip(key, value) if k != v)
            else:
                chars.update(key)
    return frozenset(chars)


def to_simplified(text: str) -> str:
    if _traditional_chars().isdisjoint(text):
        return text
    return _converter().convert(text)


def nfkc_safe(text: str) -> str:
    """NFKC except for Chinese punctuation and circled numbers."""
    if text.isascii():
        return text
    return "".join(ch if ch in _KEEP else unicodedata.normalize("NFKC", ch) for ch in text)


def strip_html(text: str) -> str:
    if "<" not in text and "&" not in text:
        return text
    text = _TAG.sub("\n", text)
    text = _ANY_TAG.sub("", text)
    return html.unescape(text)


def fix_punctuation(text: str) -> str:
    """ASCII , ; : ? ! right after a Chinese character become ，；：？！ (not in numbers or
    URLs); ASCII parentheses around Chinese text become （）."""
    text = _ASCII_PUNCT_AFTER_CJK.sub(lambda m: _ASCII_TO_CN[m.group(1)], text)
    return _ASCII_PARENS_CJK.sub(r"（\1）", text)


def fix_whitespace(text: str) -> str:
    text = _ZERO_WIDTH.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _SPACES.sub(" ", text)
    # Chinese uses no spaces: drop them between Chinese characters/punctuation and digits
    # ("第 12 条" → "第12条"), keep them between Latin words.
    text = _SPACE_AFTER_CJK.sub("", text)
    text = _SPACE_AFTER_DIGIT.sub("", text)
    lines = [line.strip() for line in text.split("\n")]
    text = "\n".join(lines)
    return _BLANK_LINES.sub("\n\n", text).strip()


def strip_quotes_and_signatures(text: str) -> tuple[str, list[tuple[str, str]]]:
    removed: list[tuple[str, str]] = []
    # Quoted earlier posts: the header line and the quoted block up to the next blank line,
    # as long as something of the commenter's own is left after it.
    for m in list(_QUOTE_HEAD.finditer(text))[::-1]:
        rest = text[m.end() :]
        block_end = rest.find("\n\n")
        if block_end >= 0 and rest[block_end:].strip():
            cut_to = m.end() + block_end
        else:
            line_end = rest.find("\n")
            cut_to = m.end() + (line_end if line_end >= 0 and rest[line_end:].strip() else 0)
        removed.append(("quote", text[m.start() : cut_to].strip()))
        text = text[: m.start()] + text[cut_to:]
    m = _REPLY.search(text)
    while m:
        removed.append(("reply", m.group(0).strip()))
        text = text[: m.start()] + text[m.end() :]
        m = _REPLY.search(text)
    m = _SIGNATURE.search(text)
    if m and text[: m.start()].strip():
        removed.append(("signature", m.group(0).strip()))
        text = text[: m.start()]
    return text, removed


def normalise(text: str) -> Normalised:
    """The normalised text and what was cut out of it (see the module doc)."""
    text = strip_html(text or "")
    text = nfkc_safe(text)
    text = to_simplified(text)
    text = fix_whitespace(text)
    text, removed = strip_quotes_and_signatures(text)
    text = fix_punctuation(fix_whitespace(text))
    return Normalised(text, removed)


def normalise_text(text: str) -> str:
    return normalise(text).text
