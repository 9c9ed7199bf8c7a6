"""Writing a user's text where another program will interpret it: spreadsheet cells, CSV
files, Markdown links and XML documents.

* Formula injection (OWASP "CSV Injection"): a cell whose text starts with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return — also after leading spaces, and in the
  full-width forms a Chinese input method types — is run by Excel/WPS/LibreOffice as a
  formula (``=HYPERLINK(...)``, ``=cmd|' /C calc'!A0``). ``neutralise_cell`` prefixes such
  text with a single quote, which spreadsheet programs show as text; ``is_formula_like``
  tells the .xlsx writer which cells to store as text with Excel's quote prefix instead,
  so the document shows the words as written.
* Links: ``safe_link`` keeps http(s)/mailto and relative targets and drops
  ``javascript:``/``data:``/``vbscript:`` ones; ``escape_markdown`` makes a user's text
  inert in Markdown (no links, images or raw HTML).
* ``xml_safe`` drops the control characters XML 1.0 cannot carry (python-docx and
  openpyxl refuse them), so one stray byte in a comment cannot stop a document.
* ``map_strings`` applies one of these to every string of a dataclass tree (a document model).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

# Characters that make a spreadsheet cell a formula (OWASP), with their full-width forms.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
_LEADING_SPACE = " \u3000\u00a0"
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_SAFE_SCHEMES = ("http", "https", "mailto")
_SCHEME = re.compile(r"^\s*([A-Za-z][A-Za-z0-9+.\-]*)\s*:")
# Markdown syntax that can make a link, an image or HTML out of plain text.
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]!|])")
# A link scheme written in a user's text: its colon becomes the full-width one, so neither a
# Markdown renderer nor a careless reader takes it for a link.
_DANGEROUS_SCHEME = re.compile(r"(?i)\b(javascript|vbscript|data|file)\s*:")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet program would run as a formula."""
    if not isinstance(value, str):
        return False
    stripped = value.lstrip(_LEADING_SPACE)
    return bool(stripped) and (stripped.startswith(FORMULA_TRIGGERS) or value.startswith(("\t", "\r", "\n")))


def neutralise_cell(value: T) -> T | str:
    """A CSV cell that cannot run: formula-like text gets a leading single quote (OWASP);
    numbers, dates and ordinary text are returned as they are."""
    if is_formula_like(value):
        return "'" + value  # type: ignore[operator]
    return value


def xml_safe(text: T) -> T | str:
    """``text`` without the control characters XML 1.0 forbids; other values unchanged."""
    if isinstance(text, str) and _XML_ILLEGAL.search(text):
        return _XML_ILLEGAL.sub("", text)
    return text


def safe_link(target: str | None) -> str | None:
    """The link target if following it is harmless (http, https, mailto, a relative
    path), else None."""
    if not target:
        return None
    cleaned = "".join(ch for ch in target if ch >= " " and ch != "\x7f")
    scheme = _SCHEME.match(cleaned)
    if scheme and scheme.group(1).lower() not in _SAFE_SCHEMES:
        if not (len(scheme.group(1)) == 1 and cleaned[1:3] in (":\\", ":/")):  # C:\ path
            return None
    return cleaned


def escape_markdown(text: str) -> str:
    """A user's text that renders as itself in Markdown: no links, images or raw HTML."""
    text = _DANGEROUS_SCHEME.sub(r"\1：", text or "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MARKDOWN_SPECIAL.sub(r"\\\1", text)


def map_strings(obj: T, fn: Callable[[str], str]) -> T:
    """A copy of ``obj`` (dataclasses, lists, tuples, dicts) with ``fn`` applied to every
    string in it."""
    if isinstance(obj, str):
        return fn(obj)  # type: ignore[return-value]
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {f.name: map_strings(getattr(obj, f.name), fn) for f in dataclasses.fields(obj) if f.init}
        return dataclasses.replace(obj, **changes)
    if isinstance(obj, list):
        return [map_strings(v, fn) for v in obj]  # type: ignore[return-value]
    if isinstance(obj, tuple):
        return tuple(map_strings(v, fn) for v in obj)  # type: ignore[return-value]
    if isinstance(obj, dict):
        return {k: map_strings(v, fn) for k, v in obj.items()}  # type: ignore[return-value]
    return obj
