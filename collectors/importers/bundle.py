"""A lower level's feedback bundle (``minyi report feedback --format bundle``), read at the
level above: one comment per row, standing for the people the row counts.

A bundle is recognised by its content (a JSON object whose ``schema`` is minyi's feedback
bundle), whatever the file is called. Each row's identity is the sending point, the
consultation and the row's key and content — not the file — so the same row in a corrected
bundle is recognised, and the storage side (``models.rollup.settle_received``) withdraws
only the rows the corrected bundle changed or dropped.
"""

from __future__ import annotations

import json
from typing import Any

from minyi.core.errors import InputError
from minyi.core.records import (
    DECISIONS_BUNDLE_SCHEMA,
    FEEDBACK_BUNDLE_SCHEMA,
    ROLLUP_BUNDLE_KEY,
    ROLLUP_KEY,
    CommentIn,
    RecordIn,
    SourceIn,
    file_fingerprint,
    record_hash,
)
from minyi.core.vocab import CHANNELS

# Row fields that may change between issues without the row changing.
_VOLATILE = ("ordinal", "provenance", "cluster")


def is_bundle(data: bytes) -> bool:
    """True for a JSON object declaring one of minyi's bundle schemas."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b'"schema"' in head and b'"minyi.' in head and b"-bundle/" in head


def load_bundle(data: bytes, name: str) -> dict[str, Any]:
    """The bundle as a dict; InputError naming the file when it is not one we can read."""
    try:
        bundle = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{name}: not a readable bundle (broken JSON: {exc})",
                         message_zh=f"{name}：反馈包格式错误") from exc
    if not isinstance(bundle, dict):
        raise InputError(f"{name}: not a bundle (a JSON object is expected)")
    schema = bundle.get("schema")
    if schema not in (FEEDBACK_BUNDLE_SCHEMA, DECISIONS_BUNDLE_SCHEMA):
        raise InputError(
            f"{name}: bundle schema {schema!r} is not one this minyi reads "
            f"({FEEDBACK_BUNDLE_SCHEMA}, {DECISIONS_BUNDLE_SCHEMA}); update minyi",
            message_zh=f"{name}：不支持的反馈包版本",
        )
    for key in ("bundle_id", "contact_point", "items"):
        if key not in bundle:
            raise InputError(f"{name}: bundle field {key!r} is missing")
    if not isinstance(bundle["items"], list):
        raise InputError(f"{name}: bundle field 'items' is not a list")
    if not (bundle["contact_point"] or {}).get("name"):
        raise InputError(f"{name}: bundle field 'contact_point.name' is empty")
    return bundle


def read_bundle(data: bytes, name: str, origin: str, *, contact_point: str | None = None) -> tuple[SourceIn, list[RecordIn]]:
    """The bundle's source (its sender) and one record per row."""
    bundle = load_bundle(data, name)
    if bundle["schema"] == DECISIONS_BUNDLE_SCHEMA:
        raise InputError(
            f"{name}: this is a decisions bundle (adoption decisions from above); import it with "
            f"`minyi adoption import-decisions {name} --consultation N`",
            message_zh=f"{name}：这是采纳情况反馈包，请用“导入采纳情况”",
        )
    sender = bundle["contact_point"]
    sender_name = str(sender["name"]).strip()
    if contact_point and contact_point.strip() != sender_name:
        raise InputError(f"{name}: the bundle was sent by {sender_name!r}, not {contact_point!r} (--contact-point)")
    identity = "\x00".join(["bundle", sender_name, str((bundle.get("consultation") or {}).get("title") or "")])
    records = []
    for n, item in enumerate(bundle["items"], start=1):
        records.append(_record(item, n, identity, origin, sender))
    meta = {
        ROLLUP_BUNDLE_KEY: {
            "uid": str(bundle["bundle_id"]),
            "sequence": int(bundle.get("sequence") or 0),
            "issued_at": bundle.get("issued_at"),
            "schema": bundle["schema"],
            "format": "bundle",
            "sender": sender,
            "consultation": bundle.get("consultation"),
            "draft_version": bundle.get("draft_version"),
            "points": bundle.get("points") or [],
            "record_hashes": [r.content_hash for r in records],
        }
    }
    source = SourceIn(channel="other", name=name, origin=origin, fingerprint=file_fingerprint(data),
                      contact_point=sender_name, meta=meta)
    return source, records


def _record(item: Any, n: int, identity: str, origin: str, sender: dict[str, Any]) -> RecordIn:
    locator = f"item={n}"
    if not isinstance(item, dict):
        return RecordIn(origin, locator, {"item": str(item)[:2000]}, error="bundle row is not an object")
    key = str(item.get("key") or f"item:{n}")
    stable = {k: v for k, v in item.items() if k not in _VOLATILE}
    digest = record_hash(identity, key, stable)
    text = str(item.get("text") or "").strip()
    if not text:
        return RecordIn(origin, locator, item, error=f"bundle row {key}: no opinion text", content_hash=digest)
    try:
        count = max(1, int(item.get("count") or 1))
    except (TypeError, ValueError):
        return RecordIn(origin, locator, item, error=f"bundle row {key}: count {item.get('count')!r} is not a number",
                        content_hash=digest)
    points = [p for p in (item.get("points") or []) if isinstance(p, dict) and p.get("name")]
    if not points:
        points = [{"name": sender["name"], "level": sender.get("level"), "people": count}]
    channel = item.get("channel") if item.get("channel") in CHANNELS else "other"
    comment = CommentIn(
        text=text,
        external_id=f"{sender['name']}:{key}"[:200],
        declared_articles=[item["article"]] if item.get("article") else [],
        quoted_text=item.get("draft_text") or None,
        reason=item.get("reason") or None,
        channel=channel,
        meta={
            ROLLUP_KEY: {"key": key, "people": count, "points": points, "sender": sender["name"],
                         "section": item.get("section"), "type": item.get("type"),
                         "proposers": item.get("proposers")},
        },
    )
    return RecordIn(origin, locator, item, raw_text=text, comment=comment, content_hash=digest)
