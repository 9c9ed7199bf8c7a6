"""`minyi report feedback|review|stats` and `minyi stats`."""

from __future__ import annotations

import csv
import io
import json
import sys
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.orm import sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reports"))
from report_builder import CP_A, CP_B, build_consultation  # noqa: E402


@pytest.fixture
def built(sqlite_url):
    from models.db import get_engine

    session = sessionmaker(bind=get_engine(sqlite_url), expire_on_commit=False)()
    try:
        yield build_consultation(session, sqlite_url)
    finally:
        session.close()


def test_feedback_docx_json(built, run_cli, tmp_path):
    out = tmp_path / "feedback.docx"
    result = run_cli("report", "feedback", "--consultation", built.consultation_id, "--format", "docx",
                     "-o", out, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["path"] == str(out) and out.is_file()
    assert data["sections"] == {"general": 2, "article": 5, "other": 1}
    assert data["figures"]["comments"] == 8 and data["figures"]["suggestions_deduplicated"] == 11
    [table] = Document(str(out)).tables
    assert len(table.rows) == 1 + data["sections"]["article"]


def test_feedback_other_point_xlsx_and_md_from_suffix(built, run_cli, tmp_path):
    result = run_cli("report", "feedback", "--consultation", built.consultation_id,
                     "--contact-point", CP_B, "-o", tmp_path / "b.xlsx")
    assert result.exit_code == 0, result.stderr
    assert "2 article" in result.stdout
    wb = load_workbook(tmp_path / "b.xlsx")
    assert wb["附件：意见建议明细"].max_row == 1 + 3
    result = run_cli("report", "feedback", "--consultation", built.consultation_id, "-o", tmp_path / "a.md")
    assert result.exit_code == 0 and (tmp_path / "a.md").read_text(encoding="utf-8").startswith("# 关于《")


def test_feedback_bad_input_is_one_line_exit_2(built, run_cli, tmp_path):
    result = run_cli("report", "feedback", "--consultation", 999, "-o", tmp_path / "x.docx")
    assert result.exit_code == 2 and "no consultation with id 999" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    result = run_cli("report", "feedback", "--consultation", built.consultation_id, "--format", "odt",
                     "-o", tmp_path / "x.odt")
    assert result.exit_code == 2 and "--format: 'odt'" in result.stderr
    result = run_cli("report", "feedback", "--consultation", built.consultation_id,
                     "--contact-point", "某某联系点", "-o", tmp_path / "x.docx")
    assert result.exit_code == 2 and "某某联系点" in result.stderr


def test_review_xlsx(built, run_cli, tmp_path):
    result = run_cli("report", "review", "--consultation", built.consultation_id, "--format", "xlsx",
                     "-o", tmp_path / "r.xlsx", "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sections"]["articles"] == 6
    assert "逐条意见" in load_workbook(tmp_path / "r.xlsx").sheetnames


def test_report_stats_yearly_docx(built, run_cli, tmp_path):
    out = tmp_path / "2025.docx"
    result = run_cli("report", "stats", "--year", 2025, "--contact-point", CP_A, "-o", out)
    assert result.exit_code == 0, result.stderr
    assert "参与法律法规意见征集1部" in result.stdout and "反馈建议11条，被采纳3条" in result.stdout
    assert len(Document(str(out)).inline_shapes) == 2


def test_stats_formats_and_chart(built, run_cli, tmp_path):
    result = run_cli("stats", "--by", "year", "--format", "json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert [line["key"] for line in data["lines"]] == ["2024年", "2025年"]
    assert data["total"]["adopted"] == 7
    result = run_cli("stats", "--by", "contact-point", "--format", "csv")
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(result.stdout))}
    assert rows[CP_A]["suggestions"] == "14" and rows[CP_B]["adopted"] == "2"
    chart = tmp_path / "c.png"
    result = run_cli("stats", "--by", "channel", "--format", "xlsx", "-o", tmp_path / "s.xlsx", "--chart", chart)
    assert result.exit_code == 0, result.stderr
    assert chart.stat().st_size > 5000 and (tmp_path / "s.xlsx").is_file()
    result = run_cli("stats", "--by", "month")
    assert result.exit_code == 2 and "--by: 'month'" in result.stderr


def test_as_user_names_the_actor_and_a_viewer_is_refused(built, run_cli, tmp_path):
    from sqlalchemy import select

    from models.db import session_scope
    from models.entities import AuditLog, User

    with session_scope(built.url) as s:
        s.add(User(username="guest", role="viewer"))
        s.add(User(username="审阅人", role="reviewer"))
    for args in (("report", "feedback", "--consultation", built.consultation_id, "-o", tmp_path / "f.docx"),
                 ("report", "review", "--consultation", built.consultation_id, "-o", tmp_path / "r.docx"),
                 ("report", "stats", "--year", 2025, "-o", tmp_path / "y.docx"),
                 ("stats", "--by", "year")):
        refused = run_cli(*args, "--as", "guest")
        assert refused.exit_code == 2 and "'guest' (viewer) may not report" in refused.stderr, args
    assert not (tmp_path / "f.docx").exists()
    result = run_cli("report", "feedback", "--consultation", built.consultation_id, "-o", tmp_path / "f.docx",
                     "--as", "审阅人")
    assert result.exit_code == 0, result.stderr
    with session_scope(built.url) as s:
        actors = s.scalars(select(AuditLog.actor).where(AuditLog.action == "record_feedback")).all()
    assert actors == ["审阅人"]


def test_help_has_examples(run_cli):
    for args in (("report", "feedback", "--help"), ("report", "review", "--help"),
                 ("report", "stats", "--help"), ("stats", "--help")):
        result = run_cli(*args)
        assert result.exit_code == 0 and "Example: minyi" in result.stdout and "--as" in result.stdout
