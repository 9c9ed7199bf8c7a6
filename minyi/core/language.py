"""Which language a text is written in, as far as the analysis and the documents care."""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u4e00-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")


def in_another_language(text: str) -> bool:
    """Mostly Latin letters (an English comment), whatever Chinese words it quotes."""
    return len(_LATIN.findall(text or "")) > 2 * len(_HAN.findall(text or ""))
