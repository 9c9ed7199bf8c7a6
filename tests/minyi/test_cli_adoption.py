"""`minyi draft align`, `minyi adoption detect|set|list` and `minyi export adoption`."""

from __future__ import annotations

import csv
import hashlib
import io
import json

import pytest
from openpyxl import load_workbook

DRAFT = """电动自行车管理条例（征求意见稿）

第一章 总则

第一条　为了加强电动自行车管理，维护道路交通秩序，保障人身和财产安全，制定本条例。

第二条　违反本条例规定，驾驶电动自行车未佩戴安全头盔的，由公安机关交通管理部门处五百元罚款。

第三条　鼓励保险机构开发电动自行车第三者责任保险产品，鼓励电动自行车所有人投保。

第四条　公共停车场的经营者应当在停车场内设置电动自行车专用停放区域，并配备充电设施。
"""
FINAL = """电动自行车管理条例

第一章 总则

第一条　为了加强电动自行车管理，维护道路交通秩序，保障人身和财产安全，制定本条例。

第二条　违反本条例规定，驾驶电动自行车未佩戴安全头盔的，由公安机关交通管理部门处二百元罚款。

第三条　电动自行车维修经营者不得改装电动自行车的动力系统、限速装置。

第四条　公共停车场的经营者应当在停车场内设置电动自行车专用停放区域，并配备充电设施。
"""


@pytest.fixture
def files(tmp_path):
    d, f = tmp_path / "draft.md", tmp_path / "final.md"
    d.write_text(DRAFT, encoding="utf-8")
    f.write_text(FINAL, encoding="utf-8")
    return d, f


@pytest.fixture
def consultation(sqlite_url, files):
    """A consultation with the draft loaded and three linked suggestions, written the way
    the analysis pipeline writes them."""
    from models.db import session_scope
    from models.entities import Comment, Suggestion, SuggestionProvision
    from models.store import article_provisions, create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    with session_scope(sqlite_url) as session:
        c = create_consultation(session, title="电动自行车管理条例（征求意见稿）")
        version, _ = load_draft_version(session, c.id, parse_file(files[0]))
        arts = {p.number: p for p in article_provisions(session, version.id)}
        ids = {}
        for key, text, type_, article, ext in [
            ("lower", "罚款由五百元降为二百元。", "修改", 2, "F-1"),
            ("delete", "建议删除本条。", "删除", 3, "F-2"),
            ("stall", "建议将“应当”改为“可以”。", "修改", 4, "F-3"),
        ]:
            comment = Comment(consultation_id=c.id, text=text, channel="form", external_id=ext)
            session.add(comment)
            session.flush()
            s = Suggestion(
                consultation_id=c.id,
                comment_id=comment.id,
                text=text,
                text_hash=hashlib.sha256(text.encode()).hexdigest(),
                type=type_,
            )
            session.add(s)
            session.flush()
            session.add(SuggestionProvision(suggestion_id=s.id, provision_id=arts[article].id, method="explicit"))
            ids[key] = s.id
        return c.id, ids


def test_draft_align_json_and_text(run_cli, files):
    r = run_cli("draft", "align", *files, "--json")
    assert r.exit_code == 0, r.stderr
    rows = json.loads(r.stdout)
    assert [(x["old"], x["new"], x["change"]) for x in rows] == [
        (1, 1, "unchanged"),
        (2, 2, "modified"),
        (3, None, "deleted"),  # right after the row of its predecessor
        (None, 3, "added"),
        (4, 4, "unchanged"),
    ]
    text = run_cli("draft", "align", *files)
    assert text.exit_code == 0
    assert "处[-五-]{+二+}百元罚款" in text.stdout
    assert "(2 unchanged articles not shown)" in text.stdout


def test_draft_align_missing_file(run_cli, files, tmp_path):
    r = run_cli("draft", "align", tmp_path / "nope.md", files[1])
    assert r.exit_code == 2 and "nope.md" in r.stderr and "Traceback" not in r.stderr


def test_detect_set_list_export(run_cli, consultation, files, tmp_path):
    cid, ids = consultation
    r = run_cli("adoption", "detect", "--consultation", cid, "--final", files[1], "--json", "--quiet")
    assert r.exit_code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["created"] == 3 and summary["effective_counts"] == {"采纳": 2, "未采纳": 1}

    text = run_cli("adoption", "detect", "--consultation", cid, "--final", files[1], "--quiet")
    assert text.exit_code == 0 and "0 new, 0 updated" in text.stdout and "采纳: 2" in text.stdout

    r = run_cli("adoption", "set", "--suggestion", ids["stall"], "--status", "部分采纳", "--user", "张审", "--note", "另行规定", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout) == [{"suggestion_id": ids["stall"], "status": "部分采纳", "decided_by": "张审"}]

    listed = json.loads(run_cli("adoption", "list", "--consultation", cid, "--json").stdout)
    by_id = {x["suggestion_id"]: x for x in listed}
    assert by_id[ids["stall"]]["status"] == "部分采纳" and by_id[ids["stall"]]["decided_by"] == "张审"
    assert by_id[ids["lower"]]["decided_by"] == "auto"
    plain = run_cli("adoption", "list", "--consultation", cid)
    assert "第二条 → 第二条" in plain.stdout and "Total:" in plain.stdout

    out = run_cli("export", "adoption", "--consultation", cid, "--format", "jsonl")
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert {r["external_id"] for r in rows} == {"F-1", "F-2", "F-3"}
    lower = next(r for r in rows if r["suggestion_id"] == ids["lower"])
    assert lower["evidence"]["rule"] == "replacement_made" and lower["final_articles"] == ["第二条"]

    csv_path = tmp_path / "a.csv"
    assert run_cli("export", "adoption", "--consultation", cid, "--format", "csv", "-o", csv_path).exit_code == 0
    table = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    stall = next(r for r in table if r["suggestion_id"] == str(ids["stall"]))
    assert (stall["status"], stall["decided_by"], stall["draft_articles"]) == ("部分采纳", "张审", "第四条")
    assert json.loads(stall["evidence"])["rule"] == "article_unchanged"

    xlsx_path = tmp_path / "a.xlsx"
    assert run_cli("export", "adoption", "--consultation", cid, "--format", "xlsx", "-o", xlsx_path).exit_code == 0
    ws = load_workbook(xlsx_path).active
    header = [c.value for c in ws[1]]
    assert header[:5] == ["suggestion_id", "external_id", "status", "confidence", "decided_by"]
    assert ws.max_row == 4
    assert json.loads(ws.cell(2, header.index("evidence") + 1).value)["rule"]


def test_bad_input_is_one_line_exit_2(run_cli, consultation, files):
    cid, ids = consultation
    bad_status = run_cli("adoption", "set", "--suggestion", ids["lower"], "--status", "通过")
    assert bad_status.exit_code == 2 and "status" in bad_status.stderr
    both = run_cli("adoption", "set", "--suggestion", ids["lower"], "--cluster", 1, "--status", "采纳")
    assert both.exit_code == 2
    missing = run_cli("adoption", "detect", "--consultation", 999, "--final", files[1], "--quiet")
    assert missing.exit_code == 2 and "999" in missing.stderr
    fmt = run_cli("export", "adoption", "--consultation", cid, "--format", "pdf")
    assert fmt.exit_code == 2 and "--format" in fmt.stderr
    for r in (bad_status, both, missing, fmt):
        assert len(r.stderr.strip().splitlines()) == 1
