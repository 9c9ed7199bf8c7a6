"""`minyi comments import | quarantine | list`: summaries, JSON, exit codes, the fix loop."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from models.db import session_scope
from models.entities import AuditLog, Comment, RawRecord, User
from models.store import create_consultation

ROWS = [
    ("张三", "第十二条", "建议允许老旧小区在架空层设置充电点"),
    ("李四", "第十三条", "无"),
    ("王五", "第十四条", ""),
    ("赵六", "第十五条", "建议降低罚款数额"),
]


@pytest.fixture
def cid(db_url) -> int:
    with session_scope(db_url) as s:
        return create_consultation(s, title="某某市电动自行车管理条例（征求意见稿）").id


@pytest.fixture
def form(tmp_path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(["姓名", "涉及条款", "修改意见"])
    for row in ROWS:
        ws.append(list(row))
    path = tmp_path / "form.xlsx"
    wb.save(path)
    return path


def counts(db_url) -> tuple[int, int]:
    with session_scope(db_url) as s:
        return (
            s.scalar(select(func.count()).select_from(Comment)),
            s.scalar(select(func.count()).select_from(RawRecord)),
        )


GOOD = sum(1 for _n, _a, text in ROWS if text not in ("", "无"))


def test_import_prints_a_summary_with_quarantine_reasons(run_cli, cid, form):
    result = run_cli("comments", "import", form, "--consultation", cid, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert f"Imported {GOOD} comments from 1 file(s); 0 already present, {len(ROWS) - GOOD} quarantined" in result.stdout
    assert "row=3: comment text '无' says there is no opinion" in result.stdout
    assert "row=4: comment text is empty" in result.stdout
    assert "--export fix.csv" in result.stdout


def test_import_json_summary_and_second_run_adds_nothing(run_cli, db_url, cid, form):
    first = json.loads(run_cli("comments", "import", form, "--consultation", cid, "--json").stdout)
    assert (first["imported"], first["quarantined"], first["records"]) == (GOOD, len(ROWS) - GOOD, len(ROWS))
    assert len(first["comment_ids"]) == GOOD
    before = counts(db_url)
    second = json.loads(run_cli("comments", "import", form, "--consultation", cid, "--json").stdout)
    assert (second["imported"], second["quarantined"], second["skipped"]) == (0, 0, len(ROWS))
    assert counts(db_url) == before == (GOOD, len(ROWS))


def test_contact_point_and_channel_options_apply(run_cli, db_url, cid, form):
    run_cli("comments", "import", form, "--consultation", cid, "--contact-point", "华富街道基层立法联系点",
            "--channel", "symposium", "--quiet")
    listed = json.loads(run_cli("comments", "list", "--consultation", cid, "--json").stdout)
    assert {(c["channel"], c["contact_point"]) for c in listed} == {("symposium", "华富街道基层立法联系点")}


def test_corrupt_file_exits_2_with_one_line_and_changes_nothing(run_cli, db_url, cid, form, tmp_path):
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    result = run_cli("comments", "import", form, bad, "--consultation", cid, "--quiet")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "broken.xlsx" in result.stderr
    assert counts(db_url) == (0, 0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--consultation", "999"), "no consultation with id 999"),
        (("--consultation", "{cid}", "--channel", "wechat"), "--channel 'wechat'"),
        (("--consultation", "{cid}", "--mapping", "colour=x"), "unknown field 'colour'"),
    ],
    ids=["unknown-consultation", "bad-channel", "bad-mapping"],
)
def test_bad_arguments_exit_2(run_cli, cid, form, args, message):
    result = run_cli("comments", "import", form, *[a.format(cid=cid) for a in args])
    assert result.exit_code == 2 and message in result.stderr


def test_missing_file_exits_2(run_cli, cid, tmp_path):
    result = run_cli("comments", "import", tmp_path / "nope.xlsx", "--consultation", cid)
    assert result.exit_code == 2 and "nope.xlsx" in result.stderr


def test_quarantine_export_fix_and_reimport(run_cli, db_url, cid, form, tmp_path):
    run_cli("comments", "import", form, "--consultation", cid, "--quiet")
    listed = json.loads(run_cli("comments", "quarantine", "--consultation", cid, "--json").stdout)
    assert listed["count"] == len(ROWS) - GOOD
    fix = tmp_path / "fix.csv"
    result = run_cli("comments", "quarantine", "--consultation", cid, "--export", fix)
    assert result.exit_code == 0 and f"Wrote {len(ROWS) - GOOD} row(s)" in result.stdout
    with fix.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["author"] for r in rows} == {"李四", "王五"}
    for r in rows:
        r["text"] = f"{r['author']}补充的意见：建议明确{r['articles']}的适用范围"
    with fix.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    fixed = json.loads(run_cli("comments", "import", fix, "--consultation", cid, "--json").stdout)
    assert (fixed["imported"], fixed["resolved"]) == (2, 2)
    after = json.loads(run_cli("comments", "quarantine", "--consultation", cid, "--json").stdout)
    assert after["count"] == 0
    comments = json.loads(run_cli("comments", "list", "--consultation", cid, "--json").stdout)
    assert sorted(c["author_name"] for c in comments) == ["张三", "李四", "王五", "赵六"]
    assert {c["declared_articles"][0] for c in comments if c["author_name"] == "李四"} == {"第十三条"}


def test_list_limits_and_shows_raw_text(run_cli, cid, form):
    run_cli("comments", "import", form, "--consultation", cid, "--quiet")
    listed = json.loads(run_cli("comments", "list", "--consultation", cid, "--limit", "1", "--json").stdout)
    assert len(listed) == 1 and listed[0]["text"] == ROWS[0][2] and listed[0]["author_name"] == "张三"
    table = run_cli("comments", "list", "--consultation", cid)
    assert table.exit_code == 0 and f"{GOOD} comment(s)." in table.stdout


def test_the_audit_log_names_the_user_given_with_as(run_cli, db_url, cid, form):
    result = run_cli("comments", "import", form, "--consultation", cid, "--quiet", "--as", "王敏")
    assert result.exit_code == 0, result.stderr
    with session_scope(db_url) as s:
        rows = s.execute(select(AuditLog.actor, AuditLog.after).where(AuditLog.action == "import")).all()
    assert [(r.actor, r.after["file"], r.after["imported"]) for r in rows] == [("王敏", form.name, GOOD)]


def test_a_viewer_may_not_import_or_see_the_quarantine(run_cli, db_url, cid, form):
    with session_scope(db_url) as s:
        s.add(User(username="guest", role="viewer"))
    for args in (("import", form), ("quarantine",)):
        result = run_cli("comments", *args, "--consultation", cid, "--as", "guest")
        assert result.exit_code == 2 and "'guest' (viewer) may not import" in result.stderr
    assert counts(db_url) == (0, 0)


def test_every_command_has_help_with_an_example(run_cli):
    for command in ("import", "quarantine", "list"):
        result = run_cli("comments", command, "--help")
        assert result.exit_code == 0 and "Example: minyi comments" in result.stdout
