"""The document model every writer renders: blocks (``Heading``, ``Para``, ``Table``,
``Figure``) in a ``Doc`` with the official layout's title, 主送机关, 落款 and date, and
``Sheet`` for workbooks. Builders (feedback, review, yearly, stats, exports) produce these;
the writers (docx_writer, markdown, pdf, xlsx_writer) depend on this module only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any


@dataclass
class Heading:
    level: int  # 1: 一、 (黑体)  2: （一） (楷体)
    text: str


@dataclass
class Para:
    text: str
    lead: str | None = None  # a second-level lead-in ("（一）与上位法衔接。") before the text
    align: str = "justify"  # justify / right / left / center
    indent: bool = True  # first-line indent of two characters


@dataclass
class Table:
    columns: list[str]
    rows: list[list[str]]
    widths_mm: list[float]
    name: str = ""  # sheet name when written as a workbook
    # Columns whose equal consecutive cells are merged (the article and its draft text
    # when several opinions concern the same article), so long texts are not repeated.
    merge_columns: list[int] = field(default_factory=list)
    font_pt: float | None = None  # None: the writer's table size
    nowrap_columns: list[int] = field(default_factory=list)  # numbers that must not break
    centre_columns: list[int] = field(default_factory=list)
    total_row: bool = False  # the last row is a 合计 row (shown in bold)


@dataclass
class Figure:
    path: str
    width_mm: float = 150
    caption: str = ""


Block = Heading | Para | Table | Figure


@dataclass
class Doc:
    """A document in the official layout: title, 主送机关, body blocks, 落款 and date."""

    title: str
    blocks: list[Block]
    recipient: str | None = None
    issuer: str | None = None
    date_text: str | None = None
    subtitle: str | None = None
    author: str | None = None  # the document property (the contact point); else the issuer


@dataclass
class Sheet:
    """One worksheet of a workbook."""

    name: str
    columns: list[str]
    rows: list[list[Any]]
    widths: list[float] | None = None  # in Excel character units
    title: str | None = None  # a title line above the header
    styled: bool = True  # False: plain cells (exports, which may have a million rows)


# --- wording shared by the documents ------------------------------------------------------


def zh_date(d: date) -> str:
    """2025年10月5日 (GB/T 9704-2012 writes the date with Arabic numerals)."""
    return f"{d.year}年{d.month}月{d.day}日"


def people_text(count: int) -> str:
    """The 人数 cell and the sentence ending: "有N人提出"."""
    return f"有{count}人提出" if count > 1 else "1人提出"


def cn_ordinal(n: int) -> str:
    """一, 二 … for the （一） leads of items."""
    from minyi.core.numerals import to_chinese  # cn2an is slow to import; only documents need it

    return to_chinese(n)
