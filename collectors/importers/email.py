"""Letters by e-mail: .eml (one message) and .mbox (many). One record per message.

The body is every text part of the message, forwarded ``message/rfc822`` bodies included
(of a multipart/alternative, the plain-text version, else the HTML one turned into text);
charsets are decoded with GB-family labels read as GB18030. An mbox is split only at
"From " lines that are real separators ("From sender date", after a blank line), so a
line of a letter that starts with "From " does not cut it in two. A message is identified
by its Message-ID (or, without one, by what it says), so an mbox with one more message
appended adds only that one. An attachment that cannot be read is quarantined with its
bytes (base64). The sender's name and address become author name
and contact, the Date header the submission time. Attachments minyi can import (.xlsx,
.xls, .csv, .docx, .jsonl) are read in turn as child sources of the message: their
SourceIn.meta carries "parent_fingerprint" and "parent_locator" so ingest links them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Iterator
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from collectors.importers.encoding import decode_bytes
from minyi.core.records import (
    PARENT_FINGERPRINT,
    PARENT_LOCATOR,
    CommentIn,
    RecordIn,
    SourceIn,
    file_fingerprint,
    record_hash,
)
from minyi.core.errors import InputError

ATTACHMENT_EXTENSIONS = (".xlsx", ".xls", ".csv", ".docx", ".jsonl")
# A body that only points at its attachments ("详见附件") holds no opinion of its own.
_ONLY_ATTACHMENT = re.compile(r"^[\s\S]{0,20}(?:附件|请查收)[\s\S]{0,12}$")
# An mbox separator: "From sender@example.com Sat Jan  3 01:05:34 1996" (the address may be
# MAILER-DAEMON or "-"; some writers put the date in other forms, but always a time).
_MBOX_FROM = re.compile(rb"^From \S+ +.*\d{1,2}:\d{2}")
# The largest broken attachment kept with its bytes in quarantine.
MAX_KEPT_ATTACHMENT_BYTES = 20 * 1024 * 1024


class _TextExtractor(HTMLParser):
    BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "blockquote", "section"}
    SKIP = {"script", "style", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    lines = [re.sub(r"[ \t\u00a0\u3000]+", " ", line).strip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line)


def part_text(part: Message) -> str:
    """A text part's content, decoded by its declared charset (GB labels as GB18030)."""
    data = part.get_payload(decode=True) or b""
    text, _enc = decode_bytes(data, part.get_content_charset())
    return text.replace("\r\n", "\n").replace("\r", "\n")


def header_text(value: Any) -> str:
    """A header as text, tolerating RFC 2047 words in GB charsets that the default policy
    cannot decode."""
    if value is None:
        return ""
    raw = str(value)
    if "=?" not in raw:
        return raw.strip()
    try:
        pieces = []
        for chunk, charset in decode_header(raw):
            if isinstance(chunk, bytes):
                pieces.append(decode_bytes(chunk, charset)[0])
            else:
                pieces.append(chunk)
        return "".join(pieces).strip()
    except Exception:
        try:
            return str(make_header(decode_header(raw))).strip()
        except Exception:
            return raw.strip()


def message_body(msg: Message) -> str:
    """Every text part, forwarded messages included, in order."""
    return "\n\n".join(t for t in _texts(msg) if t.strip()).strip()


def _texts(part: Message) -> list[str]:
    ctype = part.get_content_type()
    if part.is_multipart():
        children = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/alternative":
            # The same text twice: the plain version, else the richest other one.
            for preferred in ("text/plain", None):
                for child in children:
                    if preferred is None or child.get_content_type() == preferred:
                        texts = _texts(child)
                        if any(t.strip() for t in texts):
                            return texts
            return []
        return [t for child in children for t in _texts(child)]
    if part.get_content_disposition() == "attachment" and part.get_filename():
        return []  # a file, read as an attachment if minyi can import it
    if ctype == "text/plain":
        return [part_text(part).strip()]
    if ctype == "text/html":
        return [html_to_text(part_text(part))]
    return []


def attachments(msg: Message) -> list[tuple[str, bytes]]:
    found = []
    for part in msg.walk():
        if part.is_multipart():
            continue
        filename = part.get_filename()
        if not filename or part.get_content_disposition() not in ("attachment", "inline"):
            continue
        found.append((header_text(filename), part.get_payload(decode=True) or b""))
    return found


def message_identity(payload: dict[str, Any]) -> str:
    """A message's identity: its Message-ID, else what it says (from, date, subject, body)."""
    mid = payload.get("message_id")
    if mid:
        return record_hash("email-message-id", None, {"message_id": mid})
    return record_hash("email-content", None, payload)


def message_record(
    msg: Message, origin: str, locator: str, importable: list[str], names: list[str] | None = None
) -> RecordIn:
    """``names``: every attachment's file name, when the caller has already listed them."""
    sender = header_text(msg.get("From"))
    (name, address), = getaddresses([sender]) or [("", "")]
    date_raw = header_text(msg.get("Date"))
    try:
        when = parsedate_to_datetime(date_raw) if date_raw else None
    except (TypeError, ValueError, IndexError):
        when = None
    subject = header_text(msg.get("Subject"))
    body = message_body(msg)
    payload = {
        "from": sender,
        "to": header_text(msg.get("To")),
        "date": date_raw,
        "subject": subject,
        "message_id": header_text(msg.get("Message-ID")),
        "body": body,
        "attachments": names if names is not None else [n for n, _d in attachments(msg)],
    }
    meta: dict[str, Any] = {"subject": subject} if subject else {}
    if date_raw and when is None:
        meta["submitted_at_raw"] = date_raw
    identity = message_identity(payload)
    if importable and (not body.strip() or _ONLY_ATTACHMENT.match(body.strip())):
        # The message only carries its attachments: kept for provenance, no comment itself.
        return RecordIn(origin, locator, payload, raw_text=body or None, content_hash=identity)
    comment = CommentIn(
        text=body,
        author_name=name.strip() or None,
        author_contact=address.strip() or None,
        submitted_at=when,
        external_id=payload["message_id"] or None,
        meta=meta,
    )
    return RecordIn(origin, locator, payload, raw_text=body or None, comment=comment, content_hash=identity)


def split_mbox(data: bytes) -> list[bytes]:
    """The messages of an mbox: cut at separator lines that follow a blank line (or start
    the file); ">From " quoting (mboxrd) is undone."""
    return list(mbox_messages(data.splitlines(keepends=True)))


def mbox_messages(lines: Iterable[bytes]) -> Iterator[bytes]:
    """``split_mbox`` over lines, one message at a time (a large mbox is streamed)."""
    current: list[bytes] | None = None
    previous_blank = True
    for line in lines:
        if previous_blank and _MBOX_FROM.match(line):
            if current is not None and b"".join(current).strip():
                yield b"".join(current)
            current = []
        elif current is not None:
            current.append(re.sub(rb"^>(>*From )", rb"\1", line))
        previous_blank = not line.strip()
    if current is not None and b"".join(current).strip():
        yield b"".join(current)


def parse_messages(data: bytes, name: str, kind: str) -> list[Message]:
    if kind == "eml":
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
        if not msg.keys():
            raise InputError(f"{name}: not an e-mail message (no headers)")
        return [msg]
    messages = [BytesParser(policy=policy.compat32).parsebytes(m) for m in split_mbox(data)]
    if not messages:
        raise InputError(f"{name}: no messages found in the mbox file")
    return messages


def message_records(
    msg: Message,
    n: int,
    origin: str,
    fingerprint: str,
    children: list[tuple[SourceIn, list[RecordIn]]],
    *,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> list[RecordIn]:
    """Message ``n``'s records (a bad attachment's first, then the message's own); the
    sources read from its importable attachments are appended to ``children``."""
    from collectors.importers import read_bytes

    records: list[RecordIn] = []
    locator = f"message={n}"
    found = attachments(msg)
    usable = [(fn, blob) for fn, blob in found if fn.lower().endswith(ATTACHMENT_EXTENSIONS)]
    for filename, blob in usable:
        try:
            read = read_bytes(
                blob,
                filename,
                f"{origin}#{locator};attachment={filename}",
                channel=channel or "email",
                contact_point=contact_point,
                mapping=mapping,
            )
        except InputError as exc:
            # A bad attachment must not lose the message: keep it, bytes and all.
            kept: dict[str, Any] = {"attachment": filename, "bytes": len(blob)}
            if len(blob) <= MAX_KEPT_ATTACHMENT_BYTES:
                kept["content_base64"] = base64.b64encode(blob).decode("ascii")
            records.append(
                RecordIn(
                    origin,
                    f"{locator};attachment={filename}"[:200],
                    kept,
                    error=f"attachment {filename}: {exc}",
                )
            )
            continue
        for child, child_records in read:
            child.meta.setdefault(PARENT_FINGERPRINT, fingerprint)
            child.meta.setdefault(PARENT_LOCATOR, locator)
            children.append((child, child_records))
    records.append(message_record(msg, origin, locator, [fn for fn, _b in usable], [fn for fn, _b in found]))
    return records


def read_email(
    data: bytes,
    name: str,
    origin: str,
    *,
    kind: str,
    channel: str | None = None,
    contact_point: str | None = None,
    mapping: dict[str, str] | None = None,
) -> list[tuple[SourceIn, list[RecordIn]]]:
    """The file's own source and records first, then one child source per attachment."""
    fingerprint = file_fingerprint(data)
    records: list[RecordIn] = []
    children: list[tuple[SourceIn, list[RecordIn]]] = []
    for n, msg in enumerate(parse_messages(data, name, kind), start=1):
        records.extend(message_records(msg, n, origin, fingerprint, children,
                                       channel=channel, contact_point=contact_point, mapping=mapping))
    source = SourceIn(
        channel=channel or "email",
        name=name,
        origin=origin,
        fingerprint=fingerprint,
        contact_point=contact_point,
        meta={"format": kind, "messages": len(records)},
    )
    return [(source, records), *children]
