"""Chinese and Arabic numerals as they appear in legal citations."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import cn2an

_CN_DIGITS = set("零〇一二三四五六七八九十百千万两壹贰叁肆伍陆柒捌玖拾佰仟")


@lru_cache(maxsize=4096)  # the same few numerals recur in every comment; cn2an is slow
def parse_number(text: str) -> int:
    """'一百二十三' → 123, '12' → 12, '１２' → 12, '二〇' → 20. Raises ValueError."""
    s = unicodedata.normalize("NFKC", text).strip().replace(" ", "")
    if not s:
        raise ValueError("empty numeral")
    if s.isdigit():
        return int(s)
    if not set(s) <= _CN_DIGITS:
        raise ValueError(f"not a numeral: {text!r}")
    s = s.replace("两", "二")
    if "十" not in s and "百" not in s and "千" not in s and "万" not in s and len(s) > 1:
        # Digit-by-digit form such as 二〇 or 一二三.
        return int("".join(str("〇一二三四五六七八九".index(ch.replace("零", "〇"))) for ch in s))
    try:
        return int(cn2an.cn2an(s, "smart"))
    except Exception as exc:  # cn2an raises a bare ValueError with a Chinese message
        raise ValueError(f"not a numeral: {text!r}") from exc


def to_chinese(n: int) -> str:
    """123 → '一百二十三' (the form used in article labels)."""
    return cn2an.an2cn(n)
