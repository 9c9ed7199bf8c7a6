"""minyi's own plain format, for data exported from other systems and for quarantine fixes.

JSON Lines (one object per line) or CSV with a header row. Fields: ``id`` (kept as
Comment.external_id so results join back to the input), ``text`` (required), and optional
``author``, ``organisation``, ``contact``, ``contact_point``, ``channel``, ``submitted_at``
(ISO date/time), ``articles`` (a list, or a string with ; between references), ``quoted_text``,
``reason``, and ``quarantine_id`` (fix of a quarantined record, see models.ingest). Other
fields are kept in the raw record's payload.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from collectors.importers.columns import cell_text, comment_from_fields, parse_when
from collectors.importers.encoding import decode_bytes
from collectors.records import RecordIn, SourceIn, file_fingerprint
from minyi.errors import InputError
from models.ingest import FIXES_KEY

PLAIN_FIELDS = (
    "id", "text", "author", "organisation", "contact", "contact_point", "channel",
    "submitted_at", "articles",
)
EXTRA_FIELDS = ("quoted_text", "reason")
QUARANTINE_COLUMNS = (
    "quarantine_id", *PLAIN_FIELDS, *EXTRA_FIELDS, "quarantine_reason", "raw_text", "origin", "locator",
)
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


def record_from_object(obj: Any, origin: str, locator: str, where: str, payload: dict[str, Any]) -> RecordIn:
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
    qid = cell_text(obj.get("quarantine_id"))
    if qid:
        comment.meta[FIXES_KEY] = qid
    return RecordIn(origin, locator, payload, raw_text=comment.text or None, comment=comment)


def read_jsonl(data: bytes, name: str, origin: str) -> tuple[list[RecordIn], str]:
    text, encoding = decode_bytes(data)
    records = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        locator = f"line={n}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            records.append(
                RecordIn(origin, locator, {"line": line}, raw_text=line, error=f"line {n}: {exc.msg} (column {exc.colno})")
            )
            continue
        payload = obj if isinstance(obj, dict) else {"value": obj}
        records.append(record_from_object(obj, origin, locator, f"line {n}", payload))
    return records, encoding


def read_plain_csv(rows: list[list[str]], origin: str) -> list[RecordIn]:
    header = [cell_text(c) for c in rows[0]]
    keys = [h.lower() if h.lower() in QUARANTINE_COLUMNS else h for h in header]
    records = []
    for n, row in enumerate(rows[1:], start=2):
        if not any(cell_text(c) for c in row):
            continue
        payload = {k or f"列{i + 1}": cell_text(v) for i, (k, v) in enumerate(zip(keys, row))}
        if len(row) > len(keys):
            payload["_extra"] = [cell_text(v) for v in row[len(keys):]]
        records.append(record_from_object(payload, origin, f"row={n}", f"row {n}", payload))
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
    return isinstance(payload, dict) and set(payload) <= {"line", "attachment", "bytes"}


def quarantine_rows(raws: Iterable[Any]) -> list[dict[str, str]]:
    """Rows of the fix file for quarantined RawRecords (models.entities.RawRecord)."""
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
    return rows


def write_quarantine_csv(raws: Iterable[Any], path: str) -> int:
    """Write the fix file (UTF-8 with BOM so Excel opens it right); returns the row count."""
    rows = quarantine_rows(raws)
    buffer = io.StringIO(newline="")
    writer = csv.DictWriter(buffer, fieldnames=list(QUARANTINE_COLUMNS))
    writer.writeheader()
    writer.writerows(rows)
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(buffer.getvalue())
    return len(rows)
