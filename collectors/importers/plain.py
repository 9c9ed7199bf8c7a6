"""minyi's own plain format, for data exported from other systems and for quarantine fixes.

JSON Lines (one object per line) or CSV with a header row. Fields: ``id`` (kept as
Comment.external_id so results join back to the input), ``text`` (required), and optional
``author``, ``organisation``, ``contact``, ``contact_point``, ``channel``, ``submitted_at``
(ISO date/time), ``articles`` (a list, or a string with ; between references), ``quoted_text``,
``reason``, and ``quarantine_id`` (the quarantined record this row corrects; importing the
row takes that record out of quarantine). Other fields are kept in the raw record's payload.

JSON Lines are split on "\\n" only: U+2028, U+2029 and U+0085 are legal inside JSON strings.
A line that cannot become a record — broken JSON, nesting too deep to parse, a lone
surrogate that no database can store, a date out of range — is quarantined with the reason
and the other lines are kept.

The fix file carries a ``check`` column (a digest of the row's fields as written): a row
imported back unedited does not turn a rejected value into a comment.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone
from typing import Any

from collectors.importers.columns import cell_text, comment_from_fields, parse_when
from collectors.importers.encoding import decode_bytes
from minyi.core.records import FIXES_KEY, UNEDITED_FIX_KEY, RecordIn, SourceIn, file_fingerprint
from minyi.core.errors import InputError
from minyi.core.safety import FORMULA_TRIGGERS, neutralise_cell

PLAIN_FIELDS = (
    "id", "text", "author", "organisation", "contact", "contact_point", "channel",
    "submitted_at", "articles",
)
EXTRA_FIELDS = ("quoted_text", "reason")
QUARANTINE_COLUMNS = (
    "quarantine_id", *PLAIN_FIELDS, *EXTRA_FIELDS, "quarantine_reason", "raw_text", "origin", "locator", "check",
)
EDITABLE_FIELDS = (*PLAIN_FIELDS, *EXTRA_FIELDS)
_CHINA = timezone(timedelta(hours=8))
_FIELD_OF = {"quoted_text": "quoted", "reason": "reason"}


def is_plain_header(cells: Iterable[Any]) -> bool:
    names = {cell_text(c).lower() for c in cells}
    return "text" in names


def _fields(obj: dict[str, Any]) -> dict[str, Any]:
    fields = {k: obj.get(k) for k in PLAIN_FIELDS if k != "articles"}
    fields["quoted"] = obj.get("quoted_text")
    fields["reason"] = obj.get("reason")
    articles = obj.get("articles")
    fields["articles"] = articles if isinstance(articles, list) else cell_text(articles)
    return fields


def fix_check(row: dict[str, Any]) -> str:
    """Digest of a fix-file row's editable fields as written."""
    values = [cell_text(row.get(k)) for k in EDITABLE_FIELDS]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode("utf-8")).hexdigest()[:16]


def _unneutralised(value: Any) -> Any:
    """A fix-file cell as the user meant it: the quote the export put before "=…" removed."""
    if isinstance(value, str) and value.startswith("'") and value[1:].lstrip(" ").startswith(FORMULA_TRIGGERS):
        return value[1:]
    return value


def _date_problem(value: Any, where: str) -> str | None:
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            value.astimezone(_CHINA)  # what storing it does
        except (OverflowError, ValueError):
            return f"{where}: submitted_at {value.isoformat()} is out of range"
    return None


def record_from_object(obj: Any, origin: str, locator: str, where: str, payload: dict[str, Any]) -> RecordIn:
    if isinstance(obj, dict) and cell_text(obj.get("quarantine_id")):
        obj = {k: _unneutralised(v) for k, v in obj.items()}
    if not isinstance(obj, dict):
        return RecordIn(origin, locator, payload, error=f"{where}: not a JSON object")
    text = obj.get("text")
    if text is not None and not isinstance(text, str):
        return RecordIn(origin, locator, payload, error=f"{where}: field 'text' is not a string")
    fields = _fields(obj)
    if isinstance(fields.get("submitted_at"), str):
        try:  # ISO timestamps keep their UTC offset (ingest converts to China time)
            fields["submitted_at"] = datetime.fromisoformat(fields["submitted_at"].strip())
        except ValueError:
            pass  # parse_when tries the Chinese and slash forms
    comment, _ = comment_from_fields(fields)
    problem = _date_problem(comment.submitted_at, where)
    if problem:
        return RecordIn(origin, locator, payload, raw_text=comment.text or None, error=problem)
    qid = cell_text(obj.get("quarantine_id"))
    if qid:
        comment.meta[FIXES_KEY] = qid
        if cell_text(obj.get("check")) and cell_text(obj.get("check")) == fix_check(obj):
            comment.meta[UNEDITED_FIX_KEY] = True
    return RecordIn(origin, locator, payload, raw_text=comment.text or None, comment=comment)


def _keep_constant(name: str) -> str:
    return name  # NaN / Infinity kept as text: no database stores them as JSON


def _storable(obj: Any) -> bool:
    """Whether the parsed value can be stored as JSON text (no lone surrogates)."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except (UnicodeEncodeError, RecursionError, ValueError):
        return False
    return True


def jsonl_record(line: str, n: int, origin: str) -> RecordIn:
    """One line as a record; a line that cannot be one is quarantined with the reason."""
    locator = f"line={n}"
    kept = {"line": line if _storable(line) else line.encode("utf-8", "backslashreplace").decode("ascii", "replace")}
    try:
        obj = json.loads(line, parse_constant=_keep_constant)
    except json.JSONDecodeError as exc:
        return RecordIn(origin, locator, kept, raw_text=kept["line"], error=f"line {n}: {exc.msg} (column {exc.colno})")
    except RecursionError:
        return RecordIn(origin, locator, kept, raw_text=kept["line"], error=f"line {n}: nested too deeply to read")
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        return RecordIn(origin, locator, kept, raw_text=kept["line"], error=f"line {n}: {exc}")
    if not _storable(obj):
        return RecordIn(
            origin, locator, kept, raw_text=kept["line"],
            error=f"line {n}: holds a lone surrogate (\\ud800-\\udfff) or nesting no database can store",
        )
    payload = obj if isinstance(obj, dict) else {"value": obj}
    try:
        return record_from_object(obj, origin, locator, f"line {n}", payload)
    except (RecursionError, OverflowError, ValueError, TypeError) as exc:
        return RecordIn(origin, locator, kept, raw_text=kept["line"], error=f"line {n}: cannot be read: {exc}")


def read_jsonl(data: bytes, name: str, origin: str) -> tuple[list[RecordIn], str]:
    text, encoding = decode_bytes(data)
    records = []
    # Lines end at "\n" only: U+2028/U+2029/U+0085 (which str.splitlines also splits at)
    # are legal inside JSON strings.
    for n, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if line.strip():
            records.append(jsonl_record(line, n, origin))
    return records, encoding


def plain_keys(header_row: list[str]) -> list[str]:
    """Payload keys of a plain CSV's header (minyi's own column names in lower case)."""
    header = [cell_text(c) for c in header_row]
    return [h.lower() if h.lower() in QUARANTINE_COLUMNS else h for h in header]


def plain_csv_record(keys: list[str], row: list[str], n: int, origin: str, problem: str | None = None) -> RecordIn | None:
    """Row ``n`` of a plain CSV as a record (None when empty); ``problem``: why the row
    could not be read as written (an unbalanced quote)."""
    if not any(cell_text(c) for c in row):
        return None
    payload = {k or f"列{i + 1}": cell_text(v) for i, (k, v) in enumerate(zip(keys, row))}
    if len(row) > len(keys):
        payload["_extra"] = [cell_text(v) for v in row[len(keys):]]
    if problem is not None:
        return RecordIn(origin, f"row={n}", payload, raw_text=payload.get("text") or None, error=problem)
    return record_from_object(payload, origin, f"row={n}", f"row {n}", payload)


def read_plain_csv(rows: list[list[str]], origin: str) -> list[RecordIn]:
    keys = plain_keys(rows[0])
    problems: dict[int, str] = getattr(rows, "problems", {})
    records = []
    for n, row in enumerate(rows[1:], start=2):
        record = plain_csv_record(keys, row, n, origin, problems.get(n))
        if record is not None:
            records.append(record)
    return records


def read_plain(
    data: bytes,
    name: str,
    origin: str,
    *,
    kind: str,
    rows: list[list[str]] | None = None,
    encoding: str | None = None,
    channel: str | None = None,
    contact_point: str | None = None,
) -> tuple[SourceIn, list[RecordIn]]:
    """kind "jsonl", or "csv" with the already decoded ``rows``."""
    if kind == "jsonl":
        records, encoding = read_jsonl(data, name, origin)
    else:
        if not rows or not is_plain_header(rows[0]):
            raise InputError(f"{name}: the plain CSV format needs a header row with a 'text' column")
        records = read_plain_csv(rows, origin)
    source = SourceIn(
        channel=channel or "other",
        name=name,
        origin=origin,
        fingerprint=file_fingerprint(data),
        contact_point=contact_point,
        meta={"format": f"plain-{kind}", "encoding": encoding},
    )
    return source, records


# --- quarantine export --------------------------------------------------------------


def _fields_from_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """Best reading of a quarantined record's fields, whatever reader produced it."""
    from email.utils import parseaddr

    from collectors.importers.columns import recognise_header, row_fields

    keys = list(payload)
    found = recognise_header(keys)
    fields = row_fields([payload[k] for k in keys], found)
    if "from" in payload and not fields.get("author"):
        name, addr = parseaddr(str(payload["from"]))
        fields["author"], fields["contact"] = name or None, addr or None
    if not fields.get("text"):
        fields["text"] = payload.get("body")
    if not fields.get("submitted_at") and payload.get("date"):
        fields["submitted_at"] = payload.get("date")
    return fields


def _unparsed(payload: Any) -> bool:
    return isinstance(payload, dict) and set(payload) <= {"line", "attachment", "bytes", "content_base64"}


def quarantine_rows(raws: Iterable[Any]) -> list[dict[str, str]]:
    """Rows of the fix file for quarantined raw records: any objects with the stored raw
    record's ``id payload error raw_text origin locator`` and ``source`` (its ``channel``
    and ``contact_point.name``)."""
    rows = []
    for raw in raws:
        payload = raw.payload or {}
        fields = _fields_from_payload(payload) if isinstance(payload, dict) else {}
        # A record no reader could parse (a broken JSON line) gets no text: importing the
        # row unedited must not turn the garbage into a comment. Its content is in raw_text.
        text = cell_text(fields.get("text")) if not _unparsed(payload) else ""
        source = raw.source
        when = parse_when(fields.get("submitted_at"))
        articles = fields.get("articles")
        rows.append(
            {
                "quarantine_id": str(raw.id),
                "id": cell_text(fields.get("id")),
                "text": text,
                "author": cell_text(fields.get("author")),
                "organisation": cell_text(fields.get("organisation")),
                "contact": cell_text(fields.get("contact")),
                "contact_point": source.contact_point.name if source and source.contact_point else "",
                # The channel as received if the record had one (it may be the problem).
                "channel": cell_text(fields.get("channel")) or (source.channel if source else ""),
                "submitted_at": when.isoformat(sep=" ") if when else cell_text(fields.get("submitted_at")),
                "articles": "; ".join(articles) if isinstance(articles, list) else cell_text(articles),
                "quoted_text": cell_text(fields.get("quoted")),
                "reason": cell_text(fields.get("reason")),
                "quarantine_reason": raw.error or "",
                "raw_text": raw.raw_text or "",
                "origin": raw.origin,
                "locator": raw.locator or "",
            }
        )
        rows[-1]["check"] = fix_check(rows[-1])
    return rows


def write_quarantine_csv(raws: Iterable[Any], path: str) -> int:
    """Write the fix file (UTF-8 with BOM so Excel opens it right); returns the row count."""
    rows = quarantine_rows(raws)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(QUARANTINE_COLUMNS))
    writer.writeheader()
    # Cells Excel would run as formulas get a leading quote (taken off again on import).
    writer.writerows({k: neutralise_cell(v) for k, v in row.items()} for row in rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(buffer.getvalue())
    return len(rows)
