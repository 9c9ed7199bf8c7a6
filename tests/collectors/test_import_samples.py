"""Every file of the sample consultation (samples/ebike/comments/) imports, and every record
in it is accounted for: counted from the files themselves, and against labels.jsonl."""

from __future__ import annotations

import io
import json
import mailbox
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from collectors.importers import IMPORTABLE_EXTENSIONS
from minyi.services.context import SYSTEM
from minyi.services.intake import import_files
from models.entities import Comment, RawRecord
from models.store import create_consultation


@pytest.fixture
def comment_files(sample_dir) -> list[Path]:
    folder = sample_dir / "comments"
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in IMPORTABLE_EXTENSIONS) if folder.is_dir() else []
    if not files:
        pytest.skip(f"sample comments not available in {folder}")
    return files


def xlsx_rows(data_or_path) -> int:
    """Rows below the header that have anything besides a 序号, counted with openpyxl."""
    wb = openpyxl.load_workbook(data_or_path, read_only=True, data_only=True)
    total = 0
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        header = next((i for i, r in enumerate(rows) if r and "序号" in [str(c).strip() for c in r if c]), None)
        if header is None:
            # An instructions sheet (填表说明) is kept whole as one record.
            total += 1 if any(c not in (None, "") for r in rows for c in r) else 0
            continue
        total += sum(1 for r in rows[header + 1:] if any(c not in (None, "") for c in r[1:]))
    return total


def expected_records(path: Path) -> int | None:
    """Records a file holds, counted by other means than the importers (None: not countable here)."""
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return sum(1 for line in path.read_text("utf-8").splitlines() if line.strip())
    if suffix == ".xlsx":
        return xlsx_rows(path)
    if suffix in (".eml", ".mbox"):
        messages = [message_from_bytes(path.read_bytes())] if suffix == ".eml" else list(mailbox.mbox(path))
        total = len(messages)
        for msg in messages:
            for part in msg.walk():
                if (part.get_filename() or "").lower().endswith(".xlsx"):
                    total += xlsx_rows(io.BytesIO(part.get_payload(decode=True)))
        return total
    return None


def test_every_sample_record_is_accounted_for(session, sample_dir, comment_files):
    cid = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）").id
    summary = import_files(session, SYSTEM, cid, comment_files, contact_point="福田区华富街道基层立法联系点")
    session.commit()
    per_file = Counter()
    quarantined = Counter()
    for f in summary.files:
        per_file[Path(f["file"]).name] += f["records"]
        quarantined[Path(f["file"]).name] += f["quarantined"]
    for path in comment_files:
        want = expected_records(path)
        if want is not None:
            assert per_file[path.name] == want, path.name
    stored = session.scalar(select(func.count()).select_from(RawRecord))
    comments = session.scalar(select(func.count()).select_from(Comment))
    assert stored == summary.records and comments == summary.imported
    assert comments + summary.quarantined + summary.containers == stored

    labels = sample_dir / "labels.jsonl"
    if labels.is_file():
        gold = [json.loads(line) for line in labels.read_text("utf-8").splitlines() if line.strip()]
        gold_count = Counter(Path(g["file"]).name for g in gold)
        gold_quarantine = Counter(Path(g["file"]).name for g in gold if g.get("quarantine"))
        # labels.jsonl does not list the instructions sheets (kept whole, one record each).
        instructions = Counter(
            Path(r.origin.split("#", 1)[0]).name
            for r in session.scalars(select(RawRecord))
            if r.locator and r.locator.startswith("sheet=") and ";row=" not in r.locator
        )
        assert {n: per_file[n] - instructions[n] for n in gold_count} == dict(gold_count)
        assert {n: quarantined[n] for n in gold_count} == {n: gold_quarantine[n] for n in gold_count}

    again = import_files(session, SYSTEM, cid, comment_files)
    assert again.imported == 0 and again.skipped == summary.records
