"""Decoding text files and e-mail parts whose encoding nobody declared (or declared wrongly).

Contact points save CSV from Excel on Chinese Windows (GBK, often with Excel's UTF-8 BOM
instead), and old mail clients label GB18030 text as gb2312. We decode GB-family text as
GB18030 (a superset of GB2312 and GBK) so that rare characters in names survive.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_GB_FAMILY = {"gb2312", "gbk", "gb18030", "hz", "x-gbk", "cp936", "euc-cn", "csgb2312", "ms936"}
_CJK = re.compile(r"[\u4e00-\u9fff]")


def canonical_charset(label: str | None) -> str | None:
    """A Python codec name for a declared charset; GB-family labels become gb18030."""
    if not label:
        return None
    label = label.strip().strip('"').lower()
    if label.replace("_", "-") in _GB_FAMILY or label.startswith("gb"):
        return "gb18030"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """(text, encoding). Never raises: bytes that fit no encoding decode with U+FFFD, which
    ingest then quarantines per record instead of failing the whole file."""
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8):].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "utf-16"
    candidates = [canonical_charset(declared)] if declared else []
    candidates.append("utf-8")
    for enc in candidates:
        if not enc:
            continue
        try:
            return data.decode(enc), enc
        except UnicodeDecodeError:
            continue
    best = from_bytes(data).best()
    guess = canonical_charset(best.encoding) if best is not None else None
    try:
        gb = data.decode("gb18030")
    except UnicodeDecodeError:
        gb = None
    if guess and guess != "gb18030":
        try:
            text = data.decode(guess)
            # charset-normalizer may call short GBK text Big5 or a Latin code page; the
            # reading with more Chinese characters is the right one.
            if gb is None or len(_CJK.findall(text)) >= len(_CJK.findall(gb)):
                return text, guess
        except (UnicodeDecodeError, LookupError):
            pass
    if gb is not None:
        return gb, "gb18030"
    enc = guess or "gb18030"
    return data.decode(enc, errors="replace"), enc
