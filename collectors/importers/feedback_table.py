"""A feedback document a lower level sent as .docx or .xlsx — minyi's own, or typed by hand
in the usual layout (序号 | 条款 | 草案原文 | 修改意见 | 理由 | 提出人/单位 | 人数) — read row
by row at the level above, each row one comment standing for the people it counts.

Recognised by content: a table (a Word table, or a sheet) whose header has an opinion column
and a 人数 or 提出人/单位 column, and (for .docx) no speaker turns around it. minyi's own
.docx also carries 总体意见 and 其他意见建议 as paragraphs ("（一）…（居民2人，有2人提出）"),
read too. The sending point comes from ``--contact-point``, else the document itself (the
workbook's 报送单位, the .docx's 落款 above its date).
"""

from __future__ import annotations

import io
import re
from typing import Any

from minyi.core.errors import InputError
from minyi.core.records import ROLLUP_BUNDLE_KEY, ROLLUP_KEY, CommentIn, RecordIn, SourceIn, file_fingerprint, record_hash

OPINION_HEADERS = ("修改意见", "意见建议", "具体修改意见", "修改建议", "意见")
ARTICLE_HEADERS = ("条款", "涉及条款", "条文", "条目")
COUNT_HEADERS = ("人数（数值）", "人数", "提出人数")
PROPOSER_HEADERS = ("提出人/单位", "提出人（单位）", "提出单位", "提出人")
FIELDS = {
    "ordinal": ("序号",),
    "article": ARTICLE_HEADERS,
    "draft_text": ("草案原文", "原文", "条文内容"),
    "text": OPINION_HEADERS,
    "reason": ("理由", "理由（依据）", "修改理由", "依据"),
    "proposers": PROPOSER_HEADERS,
    "count": COUNT_HEADERS,
    "topic": ("主题",),
}
SHEET_SECTIONS = {"总体意见": "general", "其他意见建议": "other"}
# （一）opinion text（居民2人，有2人提出）: an item of 二、总体意见 or 四、其他意见建议.
ITEM_RE = re.compile(r"^（[一二三四五六七八九十百]+）(?P<body>.+)$")
ENDING_RE = re.compile(r"（(?P<who>[^（）]*?)(?:，)?(?:有(?P<n>\d+)人提出|(?P<one>1)人提出)?）$")
SECTION_HEADINGS = {"二、总体意见": "general", "三、逐条修改意见": "article", "四、其他意见建议": "other"}
DATE_RE = re.compile(r"^\s*\d{4}年\d{1,2}月\d{1,2}日\s*$")


def _clean(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)) if value is not None else ""


def _columns(header: list[Any]) -> dict[str, int]:
    """field → column index, for a header row (exact names first, then containment)."""
    cells = [_clean(c) for c in header]
    found: dict[str, int] = {}
    for field, names in FIELDS.items():
        for name in names:
            hit = next((i for i, c in enumerate(cells) if c == name and i not in found.values()), None)
            if hit is None:
                hit = next((i for i, c in enumerate(cells) if c and name in c and i not in found.values()
                            and not (field == "count" and "数值" in c and name == "人数")), None)
            if hit is not None:
                found[field] = hit
                break
    return found


def is_table_header(header: list[Any]) -> bool:
    """An opinion column, an article (or topic) column, and who raised it counted: a 人数
    column or a 提出单位 column (a citizens' form has 姓名/提出人, never these)."""
    cols = _columns(header)
    if "text" not in cols or not ("article" in cols or "topic" in cols):
        return False
    proposer = _clean(header[cols["proposers"]]) if "proposers" in cols else ""
    return "count" in cols or "单位" in proposer


def parse_count(value: Any) -> int | None:
    """"有5人提出", "5人", 5 → 5; empty → None."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)):
        return int(value) if value >= 1 else None
    match = re.search(r"(\d+)", str(value))
    return int(match.group(1)) if match and int(match.group(1)) >= 1 else None


# --- recognising ---------------------------------------------------------------------------


def docx_tables(data: bytes) -> tuple[list[tuple[str, Any]], Any]:
    from docx import Document

    from collectors.importers.minutes import iter_blocks

    document = Document(io.BytesIO(data))
    return list(iter_blocks(document)), document


def is_feedback_docx(data: bytes) -> bool:
    from collectors.importers.minutes import table_rows

    try:
        blocks, _doc = docx_tables(data)
    except Exception:  # not readable here: the minutes reader says why
        return False
    return any(kind == "t" and (rows := table_rows(el)) and is_table_header(rows[0]) for kind, el in blocks)


def is_feedback_xlsx(data: bytes) -> bool:
    """Looks at the first rows of each sheet only (read-only mode): a form of 100,000 rows
    is not loaded twice."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # not readable here: the spreadsheet reader says why
        return False
    try:
        for ws in book.worksheets:
            head = [(n, list(values)) for n, values in enumerate(ws.iter_rows(max_row=8, values_only=True), 1)]
            if _header_at(head) is not None:
                return True
        return False
    finally:
        book.close()


def is_feedback_table(data: bytes, kind: str) -> bool:
    if kind == "docx":
        return is_feedback_docx(data)
    return kind == "xlsx" and data.startswith(b"PK") and is_feedback_xlsx(data)


def _header_at(rows: list[tuple[int, list[Any]]]) -> int | None:
    for i, (_n, values) in enumerate(rows[:8]):
        if is_table_header(values):
            return i
    return None


# --- reading -------------------------------------------------------------------------------


def read_feedback_table(data: bytes, name: str, origin: str, *, kind: str,
                        contact_point: str | None = None) -> tuple[SourceIn, list[RecordIn]]:
    """Every row of the feedback tables (and, in minyi's .docx, the items of 二 and 四)."""
    if kind == "docx":
        rows, sender = _docx_rows(data)
    else:
        rows, sender = _xlsx_rows(data, name)
    sender = (contact_point or sender or "").strip()
    if not sender:
        raise InputError(
            f"{name}: a feedback table without the sending contact point; name it with --contact-point",
            message_zh=f"{name}：无法识别报送单位，请指定联系点",
        )
    identity = f"feedback-table\x00{sender}"
    occurrences: dict[str, int] = {}
    records = []
    for locator, section, fields in rows:
        records.append(_record(fields, section, locator, origin, identity, sender, occurrences))
    meta = {ROLLUP_BUNDLE_KEY: {"uid": file_fingerprint(data), "sequence": 0, "format": f"{kind}-table",
                                "sender": {"name": sender}, "record_hashes": [r.content_hash for r in records]}}
    source = SourceIn(channel="other", name=name, origin=origin, fingerprint=file_fingerprint(data),
                      contact_point=sender, meta=meta)
    return source, records


def _record(fields: dict[str, Any], section: str, locator: str, origin: str, identity: str, sender: str,
            occurrences: dict[str, int]) -> RecordIn:
    payload = {k: ("" if v is None else str(v)) for k, v in fields.items()}
    payload["section"] = section
    stable = {k: v for k, v in payload.items() if k != "ordinal"}
    base = record_hash(identity, None, stable)
    occurrences[base] = occurrences.get(base, 0) + 1  # the same row twice is two rows
    digest = record_hash(identity, str(occurrences[base]), stable)
    text = payload.get("text", "").strip()
    if not text:
        return RecordIn(origin, locator, payload, error="feedback row without an opinion (修改意见 is empty)",
                        content_hash=digest)
    count = parse_count(fields.get("count"))
    if fields.get("count") not in (None, "") and count is None:
        return RecordIn(origin, locator, payload, error=f"人数 {fields.get('count')!r} is not a number",
                        content_hash=digest)
    count = count or 1
    article = payload.get("article", "").strip()
    key = f"table:{digest[:16]}"
    comment = CommentIn(
        text=text,
        declared_articles=[article] if article else [],
        quoted_text=payload.get("draft_text") or None,
        reason=payload.get("reason") or None,
        channel="other",
        meta={ROLLUP_KEY: {"key": key, "people": count, "points": [{"name": sender, "people": count}],
                           "sender": sender, "section": section, "proposers": payload.get("proposers") or None}},
    )
    return RecordIn(origin, locator, payload, raw_text=text, comment=comment, content_hash=digest)


def _fields(values: list[Any], cols: dict[str, int]) -> dict[str, Any]:
    return {f: (values[i] if i < len(values) else None) for f, i in cols.items()}


def _table_rows(rows: list[list[Any]], section: str) -> list[tuple[int, str, dict[str, Any]]]:
    """(row index, section, fields) of a table whose first row is its header; an empty
    条款/草案原文 cell repeats the one above (merged cells)."""
    cols = _columns(rows[0])
    out = []
    above: dict[str, Any] = {}
    for i, values in enumerate(rows[1:], start=2):
        fields = _fields(values, cols)
        if not any(_clean(v) for v in fields.values()):
            continue
        for f in ("article", "draft_text"):
            if f in cols and not _clean(fields.get(f)) and _clean(fields.get("text")):
                fields[f] = above.get(f)
            above[f] = fields.get(f)
        out.append((i, section, fields))
    return out


def _docx_rows(data: bytes) -> tuple[list[tuple[str, str, dict[str, Any]]], str | None]:
    from collectors.importers.minutes import table_rows

    blocks, _doc = docx_tables(data)
    out: list[tuple[str, str, dict[str, Any]]] = []
    section = None
    paragraphs: list[str] = []
    tables = 0
    for kind, el in blocks:
        if kind == "p":
            text = el.strip()
            paragraphs.append(text)
            if text in SECTION_HEADINGS:
                section = SECTION_HEADINGS[text]
            elif section in ("general", "other") and (item := _item(text)) is not None:
                out.append((f"paragraph={len(paragraphs)}", section, item))
            continue
        rows = table_rows(el)
        tables += 1
        if rows and is_table_header(rows[0]):
            for i, sec, fields in _table_rows(rows, "article"):
                out.append((f"table={tables};row={i}", sec, fields))
    return out, _signer(paragraphs)


def _item(text: str) -> dict[str, Any] | None:
    match = ITEM_RE.match(text)
    if not match:
        return None
    body = match.group("body").strip()
    ending = ENDING_RE.search(body)
    fields: dict[str, Any] = {"text": body, "count": None, "proposers": None}
    if ending and (ending.group("n") or ending.group("one") or ending.group("who")):
        fields["text"] = body[: ending.start()].strip()
        fields["count"] = ending.group("n") or ending.group("one")
        fields["proposers"] = (ending.group("who") or "").strip("，") or None
    fields["text"] = re.sub(r"^关于[^。]{1,40}。", "", fields["text"]).strip() or fields["text"]
    return fields


def _signer(paragraphs: list[str]) -> str | None:
    """The 落款: the last non-empty paragraph before the last date line."""
    texts = [p for p in paragraphs if p]
    for i in range(len(texts) - 1, 0, -1):
        if DATE_RE.match(texts[i]):
            candidate = texts[i - 1].strip()
            return candidate if 2 <= len(candidate) <= 60 else None
    return None


def _xlsx_rows(data: bytes, name: str) -> tuple[list[tuple[str, str, dict[str, Any]]], str | None]:
    from collectors.importers.spreadsheet import load_xlsx

    out = []
    sender = None
    for sheet in load_xlsx(data, name):
        if sheet.name == "概况":
            for _n, values in sheet.rows:
                if values and _clean(values[0]) == "报送单位" and len(values) > 1 and values[1]:
                    sender = str(values[1]).strip()
            continue
        at = _header_at(sheet.rows)
        if at is None:
            continue
        numbers = [n for n, _v in sheet.rows[at:]]
        rows = [list(v) for _n, v in sheet.rows[at:]]
        section = next((s for title, s in SHEET_SECTIONS.items() if sheet.name and title in sheet.name), "article")
        if "article" not in _columns(rows[0]):
            section = section if section != "article" else "general"
        for i, sec, fields in _table_rows(rows, section):
            out.append((f"sheet={sheet.name};row={numbers[i - 1]}", sec, fields))
    return out, sender
