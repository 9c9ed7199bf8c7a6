"""Column recognition and cell conversion shared by the spreadsheet, table and plain readers.

Forms use many names for the same column (修改意见 / 意见建议 / 具体意见 …); this module maps
a header row to minyi's fields, and turns cell values into the strings and datetimes that go
into RecordIn.payload and CommentIn.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Sequence
from functools import cache
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from minyi.core.errors import InputError

# Field → header names, most specific first. Matching is exact after normalise_header(),
# then by containment (longest alias first) for headers such as "您的修改意见".
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "text": (
        "修改意见", "意见建议", "具体意见", "意见内容", "建议", "意见", "修改建议", "意见和建议",
        "具体修改意见", "建议内容", "意见或建议", "text",
    ),
    "author": ("姓名", "提出人", "联系人", "提交人", "建议人", "意见人", "author", "name"),
    "organisation": (
        "单位", "工作单位", "所在单位", "单位名称", "单位及职务", "所在社区", "organisation",
        "organization",
    ),
    "contact": (
        "联系电话", "联系方式", "电话", "手机", "手机号", "手机号码", "邮箱", "联络电话", "联络方式", "contact",
    ),
    "articles": ("条款", "条目", "涉及条款", "条文", "对应条款", "相关条款", "条款序号", "articles"),
    "quoted": ("原文", "草案原文", "条款原文", "原条文", "quoted_text"),
    "reason": ("理由", "依据", "修改理由", "理由依据", "修改理由及依据", "reason"),
    "submitted_at": ("提交时间", "日期", "时间", "提交日期", "填写时间", "填报时间", "submitted_at"),
    "seq": ("序号",),
    "id": ("id", "编号", "意见编号"),
    "contact_point": ("contact_point", "联系点"),
    "channel": ("channel", "渠道"),
}
# Aliases allowed to match by containment (short generic ones like 时间/意见 only exactly,
# or as the end of a longer header, see _contained).
FIELD_NAMES = tuple(FIELD_ALIASES)
_EXACT = {alias.lower(): name for name, aliases in FIELD_ALIASES.items() for alias in aliases}
MAPPING_ALIASES = {
    "quoted_text": "quoted",
    "article": "articles",
    "name": "author",
    "organization": "organisation",
    "org": "organisation",
    "date": "submitted_at",
    "time": "submitted_at",
    "phone": "contact",
    "external_id": "id",
}

_PAREN_NOTE = re.compile(r"[（(][^）)]*[）)]")
_SPACE = re.compile(r"[\s\u3000]+")


@cache
def _to_simplified() -> tuple[Any, frozenset[str]]:
    """The converter, and the traditional characters of the header names (only a cell
    holding one of them can be a traditional header)."""
    import opencc

    to_traditional = opencc.OpenCC("s2t")
    names = "".join(a for aliases in FIELD_ALIASES.values() for a in aliases) + "联络"
    chars = frozenset(to_traditional.convert(names)) - frozenset(names)
    return opencc.OpenCC("t2s"), chars


def simplified(text: str) -> str:
    """Traditional characters as simplified (修改意見 → 修改意见), for headers only."""
    if text.isascii():
        return text
    converter, chars = _to_simplified()
    return converter.convert(text) if any(ch in chars for ch in text) else text


def normalise_header(value: Any) -> str:
    """'修改意见（必填）*' → '修改意见'; '修改意見' → '修改意见'; 'Text ' → 'text'."""
    text = cell_text(value)
    if len(text) > 40:
        return text.lower()  # a long cell is an opinion, not a header: not worth converting
    text = simplified(text)
    text = _PAREN_NOTE.sub("", text)
    text = _SPACE.sub("", text).strip("*＊:：")
    return text.lower()


def _contained(header: str) -> tuple[str, int] | None:
    best: tuple[str, int] | None = None
    for name, aliases in FIELD_ALIASES.items():
        for alias in aliases:
            # Two-character aliases only at the end ("您的建议"), longer ones anywhere.
            hit = header.endswith(alias) if len(alias) <= 2 else alias in header
            if len(alias) >= 2 and hit and (best is None or len(alias) > best[1]):
                best = (name, len(alias))
    return best


def recognise_header(
    cells: Sequence[Any], mapping: dict[str, str] | None = None
) -> dict[str, int]:
    """Field → column index for one candidate header row (first column wins a field)."""
    found: dict[str, int] = {}
    headers = [normalise_header(c) for c in cells]
    if mapping:
        wanted = {normalise_header(v): k for k, v in mapping.items()}
        for i, h in enumerate(headers):
            if h and h in wanted and wanted[h] not in found:
                found[wanted[h]] = i
    taken = set(found.values())
    for i, h in enumerate(headers):
        if i in taken or not h:
            continue
        name = _EXACT.get(h)
        if name and name not in found:
            found[name] = i
            taken.add(i)
    for i, h in enumerate(headers):
        if i in taken or not h or len(h) > 30:
            continue
        hit = _contained(h)
        if hit and hit[0] not in found:
            found[hit[0]] = i
            taken.add(i)
    return found


def header_score(found: dict[str, int]) -> int:
    """How convincing a header row is: it needs the opinion column and one more."""
    if "text" not in found or len(found) < 2:
        return 0
    return len(found)


def payload_keys(cells: Sequence[Any]) -> list[str]:
    """Header cells as unique payload keys ('列3' for an empty header, '意见_2' for a repeat)."""
    keys: list[str] = []
    taken: set[str] = set()  # a set: a row may be 16,384 cells wide
    for i, c in enumerate(cells, start=1):
        key = _SPACE.sub(" ", cell_text(c)).strip() or f"列{i}"
        base, n = key, 2
        while key in taken:
            key, n = f"{base}_{n}", n + 1
        keys.append(key)
        taken.add(key)
    return keys


# --- mapping ------------------------------------------------------------------------


def parse_mapping(value: str | dict[str, str] | None) -> dict[str, str] | None:
    """`text=建议内容,author=提交人`, a .toml/.json file of the same, or a dict."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        raw = dict(value)
    elif value.endswith((".toml", ".json")) and Path(value).is_file():
        path = Path(value)
        try:
            raw = (
                tomllib.loads(path.read_text("utf-8"))
                if path.suffix == ".toml"
                else json.loads(path.read_text("utf-8"))
            )
        except (ValueError, UnicodeDecodeError) as exc:
            raise InputError(f"{path}: cannot read the column mapping: {exc}") from exc
        if isinstance(raw.get("mapping"), dict):
            raw = raw["mapping"]
    else:
        raw = {}
        for part in re.split(r"[,，;；]", value):
            if not part.strip():
                continue
            if "=" not in part:
                raise InputError(f"--mapping: {part.strip()!r} is not FIELD=COLUMN")
            k, v = part.split("=", 1)
            raw[k.strip()] = v.strip()
    mapping: dict[str, str] = {}
    for k, v in raw.items():
        field = MAPPING_ALIASES.get(str(k).strip().lower(), str(k).strip().lower())
        if field not in FIELD_ALIASES:
            raise InputError(
                f"--mapping: unknown field {k!r}; use one of {', '.join(FIELD_NAMES)}"
            )
        if not str(v).strip():
            raise InputError(f"--mapping: field {k!r} names no column")
        mapping[field] = str(v).strip()
    return mapping or None


# --- cells --------------------------------------------------------------------------


def cell_text(value: Any) -> str:
    """A cell as the string a person sees: 3.0 → '3', a midnight datetime → '2024-03-05'."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (date, time)):
        return value.isoformat()
    return str(value).strip()


_EXCEL_EPOCH = datetime(1899, 12, 30)
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:[\sT]*(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2}))?秒?)?"
)


def parse_when(value: Any) -> datetime | None:
    """A submission time from a cell: a real datetime/date, an Excel serial number
    (45352 → 2024-03-01), or text such as 2024-03-05, 2024/3/5 14:30, 2024年3月5日."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime.combine(value, time(0))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _from_serial(float(value))
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(?:\.\d+)?", text):
        return _from_serial(float(text))
    m = _DATE_RE.match(text)
    if not m:
        return None
    y, mo, d, hh, mm, ss = m.groups()
    try:
        return datetime(int(y), int(mo), int(d), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def _from_serial(serial: float) -> datetime | None:
    # Plausible dates only (1990–2100); other numbers in a date column are not dates.
    if not 32874 <= serial <= 73051:
        return None
    return (_EXCEL_EPOCH + timedelta(days=serial)).replace(microsecond=0)


def split_articles(value: str) -> list[str]:
    """The declared article cell as written, one entry per line/semicolon."""
    parts = [p.strip() for p in re.split(r"[;；\n]+", value or "")]
    return [p for p in parts if p]


# --- rows → records -----------------------------------------------------------------


def row_fields(values: Sequence[Any], found: dict[str, int]) -> dict[str, Any]:
    """The recognised fields of one row (raw values, not yet strings)."""
    return {name: values[i] if i < len(values) else None for name, i in found.items()}


def comment_from_fields(fields: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    """CommentIn from recognised fields; returns (comment, extra meta)."""
    from minyi.core.records import CommentIn

    meta: dict[str, Any] = {}
    when_raw = fields.get("submitted_at")
    when = parse_when(when_raw)
    if when_raw not in (None, "") and when is None:
        meta["submitted_at_raw"] = cell_text(when_raw)  # kept, not guessed
    if cell_text(fields.get("seq")):
        meta["seq"] = cell_text(fields.get("seq"))
    articles = fields.get("articles")
    if isinstance(articles, list):
        declared = [a for a in articles if a not in (None, "")]
    else:
        declared = split_articles(cell_text(articles))
    channel = cell_text(fields.get("channel")) or None
    comment = CommentIn(
        text=cell_text(fields.get("text")),
        author_name=cell_text(fields.get("author")) or None,
        author_contact=cell_text(fields.get("contact")) or None,
        author_organisation=cell_text(fields.get("organisation")) or None,
        submitted_at=when,
        external_id=cell_text(fields.get("id")) or None,
        declared_articles=declared,
        quoted_text=cell_text(fields.get("quoted")) or None,
        reason=cell_text(fields.get("reason")) or None,
        channel=channel.lower() if channel else None,
        contact_point=cell_text(fields.get("contact_point")) or None,
        meta=meta,
    )
    return comment, meta
