"""What every importer and spider yields, before anything is stored.

An importer turns one input (a file, an e-mail, a crawled site) into a ``SourceIn`` and a
stream of ``RecordIn``: each input record exactly as received (``payload``), where it came
from (``origin`` + ``locator``), and either the comment read from it or the reason it cannot
become one (``error``, which sends it to quarantine). ``models.ingest.ingest`` stores them:
RawRecord first, then the Comment; the same record twice is stored once.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Keys with a meaning across importers and storage.
FIXES_KEY = "fixes_raw_record_id"  # CommentIn.meta: the quarantined record this row corrects
PARENT_FINGERPRINT = "parent_fingerprint"  # SourceIn.meta: the source this one came inside
PARENT_LOCATOR = "parent_locator"  # SourceIn.meta: the record (e-mail message) it came with
ROLLUP_BUNDLE_KEY = "rollup_bundle"  # SourceIn.meta: a lower level's bundle or feedback table
ROLLUP_KEY = "rollup"  # CommentIn.meta: a row rolled up from below (people, points, key)
# The versioned JSON bundles that carry feedback up and decisions down between levels.
FEEDBACK_BUNDLE_SCHEMA = "minyi.feedback-bundle/1"
DECISIONS_BUNDLE_SCHEMA = "minyi.decisions-bundle/1"
UNEDITED_FIX_KEY = "unedited_fix"  # CommentIn.meta: a fix-file row exactly as exported


@dataclass
class CommentIn:
    text: str
    author_name: str | None = None
    author_contact: str | None = None
    author_organisation: str | None = None
    submitted_at: datetime | None = None
    external_id: str | None = None
    # What the submitter declared beside the text: article references (as written, e.g.
    # "第十二条" or 12), the quoted draft wording (原文) and the reason (理由).
    declared_articles: list[Any] = field(default_factory=list)
    quoted_text: str | None = None
    reason: str | None = None
    channel: str | None = None  # overrides the source's channel (plain JSONL rows may set it)
    contact_point: str | None = None  # overrides the source's contact point
    meta: dict[str, Any] = field(default_factory=dict)  # speaker role, floor, thread …


@dataclass
class RecordIn:
    origin: str  # file path or URL
    locator: str | None  # "sheet=意见征集表;row=5", "paragraph=12", "floor=3"
    payload: dict[str, Any]  # the fields exactly as received (JSON-serialisable)
    raw_text: str | None = None
    comment: CommentIn | None = None
    error: str | None = None  # set → quarantined with this reason
    content_hash: str | None = None  # computed by record_hash() when not given

    def hash_with(self, fingerprint: str | None) -> str:
        if self.content_hash is None:
            self.content_hash = record_hash(fingerprint, self.locator, self.payload)
        return self.content_hash


@dataclass
class SourceIn:
    channel: str  # symposium / form / email / forum / official / other
    name: str  # file name, site name, meeting title
    origin: str | None = None  # path or URL
    fingerprint: str | None = None  # hash of the file's bytes, or of the site + thread
    contact_point: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def record_hash(fingerprint: str | None, locator: str | None, payload: dict[str, Any]) -> str:
    """Identity of a raw record: where it sits in which input, and what it says. Re-reading
    the same file gives the same hashes (imports are idempotent) even if it was moved."""
    canonical = json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str)
    digest = hashlib.sha256()
    for part in (fingerprint or "", locator or "", canonical):
        digest.update(part.encode("utf-8"))
        digest.update(b"\x00")
    return digest.hexdigest()


def origin_hash(name: str, locator: str | None, payload: dict[str, Any]) -> str:
    """Identity of a record of a named file: its place in the file and what it says, not
    the file's bytes, so a re-saved workbook's rows are recognised."""
    return record_hash(f"file\x00{name}", locator, payload)


def file_fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def text_hash(text: str) -> str:
    """SHA-256 hex digest of the exact text (the embedding cache and suggestion key)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
