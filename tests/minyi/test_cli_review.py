"""`minyi review …` and `minyi audit list` through the real CLI, on a consultation created,
imported and analysed through the CLI too (once per module; each test works on a copy)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

CAMPAIGN = "第四十五条禁止在架空层设集中充电场所不现实，建议允许在符合消防标准的架空层设置。"
COMMENTS = [
    {"id": "A-1", "text": "第三十条限速十五公里太低，建议改为二十五公里。"},
    {"id": "A-2", "text": "第30条时速应当提高到二十五公里，与新国标一致。"},
    {"id": "A-3", "text": "第三十条应当规定驾驶人不得搭载成年人。"},
    {"id": "A-4", "text": "第三十条的限速规定很好，我支持。"},
    {"id": "B-1", "text": CAMPAIGN},
    {"id": "B-2", "text": CAMPAIGN},
    {"id": "C-1", "text": "第五十七条“鼓励”投保太软，建议改为“应当”投保。"},
]
COMMANDS = ["move", "merge", "split", "assign", "set", "ungroup", "join-groups", "undo"]


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, sample_dir) -> Path:
    from typer.testing import CliRunner

    from minyi.cli import app
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines

    folder = tmp_path_factory.mktemp("cli-review")
    path = folder / "minyi.db"
    comments = folder / "意见.jsonl"
    comments.write_text("".join(json.dumps(c, ensure_ascii=False) + "\n" for c in COMMENTS), encoding="utf-8")
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MINYI_DATABASE_URL", f"sqlite:///{path}")
        reset_settings()
        for args in (
            ["db", "upgrade"],
            ["consultation", "create", "--title", "深圳经济特区电动自行车管理条例（征求意见稿）",
             "--contact-point", "福田区华富街道基层立法联系点", "--draft", str(sample_dir / "draft.md")],
            ["comments", "import", str(comments), "--consultation", "1"],
            ["analyze", "--consultation", "1", "--backend", "tfidf", "--quiet"],
        ):
            result = runner.invoke(app, args, prog_name="minyi")
            assert result.exit_code == 0, (args, result.stdout, result.stderr)
        dispose_engines()
    reset_settings()
    return path


@pytest.fixture
def db(analysed, tmp_path, monkeypatch) -> str:
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines

    path = tmp_path / "minyi.db"
    shutil.copy(analysed, path)
    monkeypatch.setenv("MINYI_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setenv("MINYI_USER", "王芳")
    reset_settings()
    yield str(path)
    dispose_engines()
    reset_settings()


def rows(run_cli) -> dict[str, dict]:
    """The suggestion export, by the comments' ids."""
    out = run_cli("export", "suggestions", "--consultation", "1", "--format", "jsonl")
    assert out.exit_code == 0, out.stderr
    return {r["external_id"]: r for r in map(json.loads, out.stdout.splitlines())}


def ok(run_cli, *args) -> dict:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


def test_move_prints_what_changed_and_how_to_undo(db, run_cli):
    a3 = rows(run_cli)["A-3"]["suggestion_id"]
    result = run_cli("review", "move", a3, "--to", "28.2")
    assert result.exit_code == 0, result.stderr
    assert f"将意见建议{a3}由第三十条调整为第二十八条第二款" in result.stdout
    assert "Undo with: minyi review undo" in result.stdout
    assert rows(run_cli)["A-3"]["articles"] == [28]


def test_every_operation_with_json_and_the_audit_log(db, run_cli):
    r = rows(run_cli)
    ids = {k: v["suggestion_id"] for k, v in r.items()}
    c30, c30s, c57 = r["A-1"]["cluster_id"], r["A-4"]["cluster_id"], r["C-1"]["cluster_id"]
    group = r["B-1"]["duplicate_group"]
    assert len({c30, c30s, c57}) == 3 and group is not None

    moved = ok(run_cli, "review", "move", ids["A-1"], "--to", "30", "--to", "26")
    assert moved["action"] == "move_suggestion" and moved["entities"][f"suggestion:{ids['A-1']}"]["version"] > 1
    assert rows(run_cli)["A-1"]["articles"] == [30, 26]
    merged = ok(run_cli, "review", "merge", c30, c30s)
    assert f"cluster:{c30s}" in merged["removed"] and rows(run_cli)["A-4"]["cluster_id"] == c30
    split = ok(run_cli, "review", "split", c30, "--members", f"{ids['A-4']}")
    new = rows(run_cli)["A-4"]["cluster_id"]
    assert new not in (None, c30) and rows(run_cli)["A-1"]["cluster_id"] == c30 and split["audit_id"]
    ok(run_cli, "review", "assign", ids["A-4"], "--cluster", c30)
    assert rows(run_cli)["A-4"]["cluster_id"] == c30
    ok(run_cli, "review", "set", c57, "--label", "骑手保险", "--opinion", "建议改为“应当”投保。",
       "--reason", "保障骑手。", "--reviewed", "--as", "李明")
    assert rows(run_cli)["C-1"]["cluster_label"] == "骑手保险"
    ok(run_cli, "review", "ungroup", ids["B-2"])
    assert rows(run_cli)["B-2"]["duplicate_group"] is None
    undone = ok(run_cli, "review", "undo")
    assert undone["action"] == "undo" and rows(run_cli)["B-2"]["duplicate_group"] == group

    log = ok(run_cli, "audit", "list", "--consultation", "1")
    assert [e["action"] for e in log[:3]] == ["undo", "ungroup_suggestion", "update_cluster"]
    assert {e["actor"] for e in log[:3]} == {"王芳", "李明"} and log[2]["actor"] == "李明"
    assert log[0]["undoes"] == log[1]["id"]
    mine = ok(run_cli, "audit", "list", "--user", "李明")
    assert [e["action"] for e in mine] == ["update_cluster"]
    assert {c["field"] for c in mine[0]["changes"]} >= {"label", "consolidated_text", "reason_text", "reviewed"}
    assert ok(run_cli, "audit", "list", "--since", "2000-01-01", "--until", "2000-12-31") == []
    table = run_cli("audit", "list", "--consultation", "1", "--limit", "2")
    assert table.exit_code == 0 and "撤销：" in table.stdout and "重复意见组" in table.stdout


def test_join_groups_through_the_cli(db, run_cli, tmp_path):
    extra = tmp_path / "more.jsonl"
    text = "第五十七条“鼓励”投保太软，建议改为“应当”投保。"
    extra.write_text(json.dumps({"id": "C-2", "text": text}, ensure_ascii=False) + "\n", encoding="utf-8")
    assert run_cli("comments", "import", extra, "--consultation", "1").exit_code == 0
    assert run_cli("analyze", "--consultation", "1", "--backend", "tfidf", "--quiet").exit_code == 0
    r = rows(run_cli)
    first, second = r["B-1"]["duplicate_group"], r["C-1"]["duplicate_group"]
    assert None not in (first, second)
    joined = ok(run_cli, "review", "join-groups", first, second)
    assert f"duplicate_group:{second}" in joined["removed"]
    assert rows(run_cli)["C-2"]["duplicate_group"] == first


def test_a_stale_version_is_one_line_and_exit_code_2(db, run_cli):
    a3 = rows(run_cli)["A-3"]["suggestion_id"]
    seen = ok(run_cli, "review", "move", a3, "--to", "28")["entities"][f"suggestion:{a3}"]["version"]
    ok(run_cli, "review", "move", a3, "--to", "28.2", "--expected-version", seen, "--as", "李明")
    result = run_cli("review", "move", a3, "--to", "30", "--expected-version", seen)
    assert result.exit_code == 2 and result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1
    assert f"version {seen}" in result.stderr and "李明" in result.stderr


@pytest.mark.parametrize(
    "args,message",
    [
        (["review", "move", "1", "--to", "999"], "no article 999"),
        (["review", "move", "1", "--to", "general", "--to", "30"], "stand alone"),
        (["review", "move", "9999", "--to", "30"], "no suggestion with id 9999"),
        (["review", "split", "1", "--members", "a,b"], "--members"),
        (["review", "set", "1"], "nothing to change"),
        (["review", "ungroup", "1"], "in no duplicate group"),
        (["review", "merge", "1"], "two clusters"),
        (["review", "undo"], "nothing to undo"),
        (["audit", "list", "--since", "yesterday"], "--since"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(db, run_cli, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2, (result.stdout, result.stderr)
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_reanalysis_keeps_the_corrections(db, run_cli, tmp_path):
    r = rows(run_cli)
    a3, c57 = r["A-3"]["suggestion_id"], r["C-1"]["cluster_id"]
    ok(run_cli, "review", "move", a3, "--to", "28.2")
    ok(run_cli, "review", "set", c57, "--label", "骑手保险")
    more = tmp_path / "more.jsonl"
    more.write_text(json.dumps({"id": "S-1", "text": "第五十七条应当强制投保。"}, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    assert run_cli("comments", "import", more, "--consultation", "1").exit_code == 0
    assert run_cli("analyze", "--consultation", "1", "--backend", "tfidf", "--quiet").exit_code == 0
    r = rows(run_cli)
    assert r["A-3"]["articles"] == [28] and r["A-3"]["mapping_method"] == "manual"
    assert r["C-1"]["cluster_label"] == "骑手保险"


def test_help_has_an_example(run_cli):
    for command in COMMANDS:
        result = run_cli("review", command, "--help")
        assert result.exit_code == 0 and "Example: minyi review" in result.stdout, command
        assert "--json" in result.stdout and "--as" in result.stdout
    result = run_cli("audit", "list", "--help")
    assert "Example: minyi audit list" in result.stdout
