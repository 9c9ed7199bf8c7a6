"""`minyi analyze` and `minyi export suggestions` through the real CLI."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from minyi.core.records import CommentIn, RecordIn, SourceIn

COMMENTS = [
    CommentIn("一、第三十条限速太低，建议改为二十五公里。\n二、第五十七条应改为“应当”投保。", external_id="A-1",
              author_name="李四"),
    CommentIn("第30条时速应当提高，我的电话13812345678。", external_id="A-2"),
    CommentIn("整体上支持出台这部条例。", external_id="A-3"),
]


@pytest.fixture
def consultation_id(sqlite_url, sample_dir):
    from models.db import session_scope
    from models.ingest import ingest
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    with session_scope(sqlite_url) as session:
        c = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
        load_draft_version(session, c.id, parse_file(sample_dir / "draft.md"))
        records = [
            RecordIn(origin="t.jsonl", locator=f"line={i}", payload={"text": x.text}, comment=x)
            for i, x in enumerate(COMMENTS, 1)
        ]
        ingest(session, c.id, SourceIn(channel="form", name="t.jsonl", fingerprint="t"), records)
        return c.id


def test_analyze_json_then_export_in_every_format(run_cli, consultation_id, tmp_path):
    result = run_cli("analyze", "--consultation", consultation_id, "--backend", "tfidf", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["comments"] == 3 and summary["suggestions"] == 4
    assert summary["mapped_explicit"] == 3 and summary["backend"] == "tfidf"

    again = run_cli("analyze", "-c", consultation_id, "--backend", "tfidf", "--json")
    assert json.loads(again.stdout)["suggestions"] == 0

    out = run_cli("export", "suggestions", "--consultation", consultation_id, "--format", "jsonl")
    assert out.exit_code == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 4
    required = {"suggestion_id", "comment_id", "external_id", "text", "masked_text", "articles", "chapter",
                "mapping_method", "mapping_score", "type", "duplicate_group", "duplicate_count", "cluster_id",
                "cluster_label"}
    assert required <= set(rows[0])
    by_text = {r["text"]: r for r in rows}
    first = by_text["第三十条限速太低，建议改为二十五公里。"]
    assert first["articles"] == [30] and first["chapter"] == "第四章 通行管理"
    assert first["mapping_method"] == "explicit" and first["mapping_score"] == 1.0
    assert first["external_id"] == "A-1" and first["type"] == "修改" and first["cluster_id"]
    # Masked by default, the original text too; the contact point's own staff may ask for it.
    phone = next(r for r in rows if r["external_id"] == "A-2")
    assert "13812345678" not in out.stdout and "【手机号】" in phone["text"] and "【手机号】" in phone["masked_text"]
    assert "李四" not in out.stdout
    full = run_cli("export", "suggestions", "-c", consultation_id, "--include-personal-data")
    assert full.exit_code == 0, full.stderr
    raw = next(json.loads(line) for line in full.stdout.splitlines() if '"A-2"' in line)
    assert "13812345678" in raw["text"] and "【手机号】" in raw["masked_text"]
    general = next(r for r in rows if r["external_id"] == "A-3")
    assert general["mapping_method"] in {"general", "semantic"}
    assert (general["articles"] == []) == (general["mapping_method"] == "general")

    csv_file = tmp_path / "s.csv"
    assert run_cli("export", "suggestions", "-c", consultation_id, "--format", "csv", "-o", csv_file).exit_code == 0
    table = list(csv.DictReader(io.StringIO(csv_file.read_text(encoding="utf-8-sig"))))
    assert [r["suggestion_id"] for r in table] == [str(r["suggestion_id"]) for r in rows]
    assert table[0]["articles"] == "30"

    stdout_csv = run_cli("export", "suggestions", "-c", consultation_id, "--format", "csv")
    assert stdout_csv.stdout.startswith("suggestion_id,")

    xlsx = tmp_path / "s.xlsx"
    assert run_cli("export", "suggestions", "-c", consultation_id, "-f", "xlsx", "-o", xlsx).exit_code == 0
    sheet = load_workbook(xlsx).active
    header = [c.value for c in sheet[1]]
    assert required <= set(header)
    assert sheet.max_row == 5


def test_only_who_may_see_personal_data_exports_it(run_cli, consultation_id, sqlite_url):
    from models.db import session_scope
    from models.entities import AuditLog, User

    with session_scope(sqlite_url) as s:
        s.add(User(username="审阅人", role="reviewer"))
        s.add(User(username="guest", role="viewer"))
    assert run_cli("analyze", "-c", consultation_id, "--backend", "tfidf", "--quiet").exit_code == 0
    masked = run_cli("export", "suggestions", "-c", consultation_id, "--as", "审阅人")
    assert masked.exit_code == 0 and "13812345678" not in masked.stdout
    refused = run_cli("export", "suggestions", "-c", consultation_id, "--include-personal-data", "--as", "审阅人")
    assert refused.exit_code == 2 and "may not see_personal_data" in refused.stderr
    viewer = run_cli("export", "suggestions", "-c", consultation_id, "--as", "guest")
    assert viewer.exit_code == 2 and "'guest' (viewer) may not report" in viewer.stderr
    assert run_cli("export", "suggestions", "-c", consultation_id, "--include-personal-data",
                   "--as", "admin-op").exit_code == 0
    with session_scope(sqlite_url) as s:
        [entry] = s.query(AuditLog).filter(AuditLog.action == "export_personal_data").all()
        assert entry.actor == "admin-op" and entry.after["rows"] == 4


def test_analyze_prints_a_table_without_json(run_cli, consultation_id):
    result = run_cli("analyze", "--consultation", consultation_id, "--backend", "tfidf")
    assert result.exit_code == 0, result.stderr
    assert "拆分出的建议" in result.stdout and "明确引用条款" in result.stdout
    quiet = run_cli("analyze", "--consultation", consultation_id, "--backend", "tfidf", "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == ""


@pytest.mark.parametrize(
    "args,message",
    [
        (["analyze", "--consultation", "999", "--backend", "tfidf"], "no consultation with id 999"),
        (["analyze", "--consultation", "1", "--backend", "word2vec"], "unknown embedding backend"),
        (["export", "suggestions", "--consultation", "1", "--format", "pdf"], "--format: 'pdf'"),
        (["export", "suggestions", "--consultation", "1", "--format", "xlsx"], "needs an output file"),
        (["export", "suggestions", "--consultation", "999"], "no consultation with id 999"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(run_cli, consultation_id, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_help_has_an_example(run_cli):
    for args in (["analyze", "--help"], ["export", "suggestions", "--help"]):
        result = run_cli(*args)
        assert result.exit_code == 0 and "Example: minyi" in result.stdout


def test_a_second_analysis_of_the_same_consultation_is_refused_in_one_line(run_cli, consultation_id, sqlite_url):
    from sqlalchemy.orm import sessionmaker

    from models.analysis_store import analysis_lock
    from models.db import get_engine

    running = sessionmaker(bind=get_engine(sqlite_url))()
    try:
        with analysis_lock(running, consultation_id) as held:
            assert held
            result = run_cli("analyze", "-c", consultation_id, "--backend", "tfidf", "--json")
    finally:
        running.close()
    assert result.exit_code == 2
    assert "is being analysed by another run" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
