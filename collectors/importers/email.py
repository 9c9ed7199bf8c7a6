"""Letters by e-mail: .eml (one message) and .mbox (many). One record per message.

The body is the plain-text part, or the HTML part turned into text; charsets are decoded
with GB-family labels read as GB18030. The sender's name and address become author name
and contact, the Date header the submission time. Attachments minyi can import (.xlsx,
.xls, .csv, .docx, .jsonl) are read in turn as child sources of the message: their
SourceIn.meta carries "parent_fingerprint" and "parent_locator" so ingest links them.
"""

from __future__ import annotations

import mailbox
import os
import re
import tempfile
from email import policy
from email.header import decode_header, make_header
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any

from collectors.importers.encoding import decode_bytes
from collectors.records import CommentIn, RecordIn, SourceIn, file_fingerprint
from minyi.errors import InputError
from models.ingest import PARENT_FINGERPRINT, PARENT_LOCATOR

ATTACHMENT_EXTENSIONS = (".xlsx", ".xls", ".csv", ".docx", ".jsonl")
# A body that only points at its attachments ("详见附件") holds no opinion of its own.
_ONLY_ATTACHMENT = re.compile(r"^[\s\S]{0,20}(?:附件|请查收)[\s\S]{0,12}$")


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
    """Plain text if the message has it, else its HTML as text."""
    plain = html = None
    for part in msg.walk():
        if part.is_multipart() or part.get_content_disposition() == "attachment":
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain" and plain is None:
            plain = part_text(part)
        elif ctype == "text/html" and html is None:
            html = part_text(part)
    if plain and plain.strip():
        return plain.strip()
    if html:
        return html_to_text(html)
    return ""


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
    if importable and (not body.strip() or _ONLY_ATTACHMENT.match(body.strip())):
        # The message only carries its attachments: kept for provenance, no comment itself.
        return RecordIn(origin, locator, payload, raw_text=body or None)
    comment = CommentIn(
        text=body,
        author_name=name.strip() or None,
        author_contact=address.strip() or None,
        submitted_at=when,
        external_id=payload["message_id"] or None,
        meta=meta,
    )
    return RecordIn(origin, locator, payload, raw_text=body or None, comment=comment)


def parse_messages(data: bytes, name: str, kind: str) -> list[Message]:
    if kind == "eml":
        msg = BytesParser(policy=policy.compat32).parsebytes(data)
        if not msg.keys():
            raise InputError(f"{name}: not an e-mail message (no headers)")
        return [msg]
    # mailbox needs a path: write the bytes to a temporary file we remove at once.
    fd, tmp = tempfile.mkstemp(suffix=".mbox")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        box = mailbox.mbox(tmp, factory=None, create=False)
        messages = [BytesParser(policy=policy.compat32).parsebytes(box.get_bytes(key)) for key in box.keys()]
        box.close()
    finally:
        os.unlink(tmp)
    if not messages:
        raise InputError(f"{name}: no messages found in the mbox file")
    return messages


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
    from collectors.importers import read_bytes

    fingerprint = file_fingerprint(data)
    records: list[RecordIn] = []
    children: list[tuple[SourceIn, list[RecordIn]]] = []
    for n, msg in enumerate(parse_messages(data, name, kind), start=1):
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
                # A bad attachment must not lose the message: keep it in quarantine.
                records.append(
                    RecordIn(
                        origin,
                        f"{locator};attachment={filename}"[:200],
                        {"attachment": filename, "bytes": len(blob)},
                        error=f"attachment {filename}: {exc}",
                    )
                )
                continue
            for child, child_records in read:
                child.meta.setdefault(PARENT_FINGERPRINT, fingerprint)
                child.meta.setdefault(PARENT_LOCATOR, locator)
                children.append((child, child_records))
        records.append(message_record(msg, origin, locator, [fn for fn, _b in usable], [fn for fn, _b in found]))
    source = SourceIn(
        channel=channel or "email",
        name=name,
        origin=origin,
        fingerprint=fingerprint,
        contact_point=contact_point,
        meta={"format": kind, "messages": len(records)},
    )
    return [(source, records), *children]
