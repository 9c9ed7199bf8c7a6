"""minyi's plain format (JSONL / CSV with id,text,…) and the quarantine fix file."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from collectors.importers import read_file
from collectors.importers.plain import QUARANTINE_COLUMNS, write_quarantine_csv
from minyi.services.context import SYSTEM
from minyi.services.intake import import_files
from models.entities import Comment
from models.ingest import list_quarantined
from models.store import create_consultation

GOOD = [
    {"id": "bbs-1", "text": "支持立法。", "author": "老街坊", "channel": "forum", "submitted_at": "2025-09-15T20:31:07+08:00"},
    {"id": "bbs-2", "text": "第三十条限速太低。", "articles": [30], "organisation": "某外卖站"},
    {"id": "bbs-3", "text": "", "author": "空帖"},
    {"id": "bbs-4", "text": "建议增设充电桩。", "contact_point": "莲花街道联系点", "channel": "wechat"},
]
BROKEN = '{"id": "bbs-5", "text": "未闭合'


def write_jsonl(path: Path) -> Path:
    lines = [json.dumps(GOOD[0], ensure_ascii=False), json.dumps(GOOD[1], ensure_ascii=False), BROKEN, "",
             json.dumps(GOOD[2], ensure_ascii=False), json.dumps(GOOD[3], ensure_ascii=False)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def jsonl(tmp_path) -> Path:
    return write_jsonl(tmp_path / "forum.jsonl")


def test_jsonl_fields_map_to_the_comment(jsonl):
    source, records = read_file(jsonl)
    first, second = list(records)[:2]
    assert source.meta["format"] == "plain-jsonl"
    assert (first.comment.external_id, first.comment.author_name, first.comment.channel) == ("bbs-1", "老街坊", "forum")
    assert first.comment.submitted_at == datetime.fromisoformat("2025-09-15T20:31:07+08:00")
    assert (second.comment.declared_articles, second.comment.author_organisation) == ([30], "某外卖站")
    assert first.payload == GOOD[0]


def test_broken_json_line_is_kept_with_its_line_number(jsonl):
    _s, records = read_file(jsonl)
    broken = [r for r in records if r.error]
    assert len(broken) == 1
    assert broken[0].locator == "line=3" and broken[0].error.startswith("line 3: ")
    assert broken[0].raw_text == BROKEN


def test_every_line_is_accounted_for(session, jsonl):
    cid = create_consultation(session, title="条例").id
    summary = import_files(session, SYSTEM, cid, [jsonl])
    session.commit()
    non_blank = [line for line in jsonl.read_text("utf-8").splitlines() if line.strip()]
    assert summary.imported + summary.quarantined == len(non_blank)
    assert summary.imported == 2  # empty text and the unknown channel "wechat" are quarantined
    reasons = sorted(r for _o, _l, r in summary.quarantine)
    assert any("wechat" in r for r in reasons) and any(r.startswith("line 3") for r in reasons)
    ids = session.scalars(select(Comment.external_id).order_by(Comment.id)).all()
    assert ids == ["bbs-1", "bbs-2"]


def test_plain_csv_is_recognised_by_its_text_column(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("id,text,author,articles\nx-1,建议降低罚款,张三,第五条;第六条\n", encoding="utf-8")
    source, records = read_file(path)
    [r] = list(records)
    assert source.meta["format"] == "plain-csv"
    assert (r.comment.external_id, r.comment.text, r.comment.declared_articles) == ("x-1", "建议降低罚款", ["第五条", "第六条"])
    assert r.locator == "row=2"


def test_quarantine_fix_file_round_trip(session, tmp_path, jsonl):
    cid = create_consultation(session, title="条例").id
    import_files(session, SYSTEM, cid, [jsonl])
    session.commit()
    before = list_quarantined(session, cid)
    fix = tmp_path / "fix.csv"
    assert write_quarantine_csv(before, str(fix)) == len(before) == 3
    with fix.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert tuple(rows[0]) == QUARANTINE_COLUMNS
    empty = next(r for r in rows if r["id"] == "bbs-3")
    assert empty["author"] == "空帖" and empty["quarantine_reason"] == "comment text is empty"
    empty["text"] = "补充：建议增设充电桩。"
    with fix.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=QUARANTINE_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    summary = import_files(session, SYSTEM, cid, [fix])
    session.commit()
    # The fixed row becomes a comment; the two untouched rows are still unusable: they are
    # not stored again and their originals stay in quarantine.
    assert (summary.imported, summary.resolved, summary.unresolved, summary.quarantined) == (1, 1, 2, 0)
    comment = session.get(Comment, summary.comment_ids[0])
    assert (comment.text, comment.external_id, comment.author_name) == ("补充：建议增设充电桩。", "bbs-3", "空帖")
    remaining = {r.id for r in list_quarantined(session, cid)}
    assert remaining == {r.id for r in before} - {int(empty["quarantine_id"])}
    broken = next(r for r in rows if r["locator"] == "line=3")
    assert broken["text"] == "" and broken["raw_text"] == BROKEN
    assert next(r for r in rows if r["id"] == "bbs-4")["channel"] == "wechat"
    again = import_files(session, SYSTEM, cid, [fix])
    assert (again.imported, again.skipped, again.unresolved) == (0, 1, 2)
