"""Two writers at once complete on SQLite and PostgreSQL; a database that cannot be used is
one line and exit 2; no stale progress line before an error when stderr is no terminal;
`minyi comments dismiss`. Writers run as real processes (``python -m minyi``)."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from models.db import session_scope
from models.entities import Comment, RawRecord
from models.store import create_consultation

REPO = Path(__file__).resolve().parents[2]
ROWS = 3000  # per file: enough for the two imports to overlap


def minyi(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "minyi", *args], cwd=REPO, env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def form(path: Path, tag: str, rows: int = ROWS) -> Path:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["序号", "姓名", "修改意见"])
        for i in range(rows):
            writer.writerow([i, f"{tag}{i}", f"{tag}：建议第{i % 40 + 1}条增加第{i}项规定。"])
    return path


def test_two_imports_and_an_analysis_at_once_all_complete(db_url, tmp_path):
    with session_scope(db_url) as s:
        cid = str(create_consultation(s, title="并发测试条例").id)
    a, b = form(tmp_path / "a.csv", "甲"), form(tmp_path / "b.csv", "乙")
    procs = [minyi("comments", "import", str(a), "-c", cid, "--quiet"),
             minyi("comments", "import", str(b), "-c", cid, "--quiet")]
    time.sleep(0.5)
    procs.append(minyi("analyze", "-c", cid, "--backend", "tfidf", "--quiet"))
    results = [p.communicate(timeout=600) + (p.returncode,) for p in procs]
    assert [r[2] for r in results] == [0, 0, 0], [r[1][-500:] for r in results]
    assert not any("Traceback" in r[1] or "locked" in r[1] for r in results)
    with session_scope(db_url) as s:
        assert s.scalar(select(func.count()).select_from(Comment)) == 2 * ROWS
        assert s.scalar(select(func.count()).select_from(RawRecord)) == 2 * ROWS


def test_a_database_that_cannot_be_used_is_one_line_and_exit_2(tmp_path):
    for url in (f"sqlite:///{tmp_path / 'missing' / 'minyi.db'}", "postgresql://minyi:secret@127.0.0.1:1/none"):
        proc = minyi("consultation", "list", env={"MINYI_DATABASE_URL": url})
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 2, err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: cannot use"), err
        assert "secret" not in err


def test_no_stale_progress_line_before_the_error_when_stderr_is_no_terminal(sqlite_url, tmp_path):
    with session_scope(sqlite_url) as s:
        cid = str(create_consultation(s, title="测试").id)
    good = form(tmp_path / "good.csv", "甲", rows=50)
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    proc = minyi("comments", "import", str(good), str(broken), "-c", cid)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [err.strip()] and err.startswith("Error: ")


def test_dismiss_command(sqlite_url, tmp_path, run_cli):
    with session_scope(sqlite_url) as s:
        cid = str(create_consultation(s, title="测试").id)
    path = tmp_path / "f.csv"
    path.write_text("序号,姓名,修改意见\n1,张三,无\n", encoding="utf-8")
    assert run_cli("comments", "import", path, "-c", cid, "--quiet").exit_code == 0
    with session_scope(sqlite_url) as s:
        rid = s.scalar(select(RawRecord.id).where(RawRecord.status == "quarantined"))
    missing = run_cli("comments", "dismiss", rid)
    assert missing.exit_code == 2  # --reason is required
    done = run_cli("comments", "dismiss", rid, "--reason", "填的是“无”", "--json")
    assert done.exit_code == 0 and '"status": "dismissed"' in done.stdout
    again = run_cli("comments", "dismiss", rid, "--reason", "再一次")
    assert again.exit_code == 2 and "not in quarantine" in again.stderr
    listed = run_cli("comments", "quarantine", "-c", cid)
    assert "0 record(s) in quarantine." in listed.stdout
