"""`minyi consultation update | symposium | show` and `minyi draft load` through the CLI."""

from __future__ import annotations

import json

import pytest


def ok(run_cli, *args) -> dict:
    result = run_cli(*args, "--json")
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    return json.loads(result.stdout)


@pytest.fixture
def consultation(run_cli, sqlite_url, tmp_path) -> int:
    minutes = tmp_path / "座谈会.jsonl"
    minutes.write_text(json.dumps({"id": "1", "text": "第三十条限速太低。"}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    created = ok(run_cli, "consultation", "create", "--title", "某某条例（征求意见稿）",
                 "--issuing-body", "某市司法局", "--contact-point", "某街道基层立法联系点")
    assert run_cli("comments", "import", minutes, "--consultation", created["id"],
                   "--channel", "symposium").exit_code == 0
    return created["id"]


def test_update_then_show_then_undo(run_cli, consultation):
    shown = ok(run_cli, "consultation", "show", consultation)
    assert shown["version"] == 1 and shown["addressee"] is None
    changed = ok(run_cli, "consultation", "update", consultation, "--to", "某市人大常委会法工委",
                 "--signer", "某街道基层立法联系点", "--date", "2026-03-20", "--status", "reported",
                 "--expected-version", "1", "--as", "王芳")
    assert changed["action"] == "update_consultation"
    assert changed["entities"][f"consultation:{consultation}"]["version"] == 2
    shown = ok(run_cli, "consultation", "show", consultation)
    assert (shown["addressee"], shown["signer"], shown["signed_on"], shown["status"]) == (
        "某市人大常委会法工委", "某街道基层立法联系点", "2026-03-20", "reported")

    stale = run_cli("consultation", "update", consultation, "--title", "新标题", "--expected-version", "1")
    assert stale.exit_code == 2 and "王芳" in stale.stderr and "version 1" in stale.stderr

    log = ok(run_cli, "audit", "list", "--consultation", consultation, "--user", "王芳")
    fields = {c["field"]: c["after"] for c in log[0]["changes"]}
    assert fields == {"addressee": "某市人大常委会法工委", "signer": "某街道基层立法联系点",
                      "signed_on": "2026-03-20", "status": "reported"}

    undone = run_cli("review", "undo", "--as", "王芳")
    assert undone.exit_code == 0 and "撤销" in undone.stdout
    assert ok(run_cli, "consultation", "show", consultation)["addressee"] is None


def test_update_clears_with_an_empty_value(run_cli, consultation):
    ok(run_cli, "consultation", "update", consultation, "--issuing-body", "")
    assert ok(run_cli, "consultation", "show", consultation)["issuing_body"] is None


def test_symposium_date_and_participants(run_cli, consultation):
    symposium = ok(run_cli, "consultation", "show", consultation)["symposiums"][0]
    assert symposium["participants"] is None
    changed = ok(run_cli, "consultation", "symposium", symposium["source_id"], "--date", "2026-03-05",
                 "--participants", "18")
    assert changed["action"] == "update_symposium"
    symposium = ok(run_cli, "consultation", "show", consultation)["symposiums"][0]
    assert (symposium["date"], symposium["participants"], symposium["version"]) == ("2026-03-05", 18, 2)
    text = run_cli("consultation", "show", consultation)
    assert "participants 18" in text.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (["consultation", "update", "1", "--date", "20/03/2026"], "--date"),
        (["consultation", "update", "1", "--status", "done"], "--status"),
        (["consultation", "update", "1"], "nothing to change"),
        (["consultation", "update", "9", "--signer", "x"], "no consultation with id 9"),
        (["consultation", "symposium", "99", "--participants", "3"], "no source with id 99"),
    ],
)
def test_bad_input_is_one_line_and_exit_code_2(run_cli, consultation, args, message):
    result = run_cli(*args)
    assert result.exit_code == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_draft_load_through_the_service(run_cli, consultation, sample_dir):
    loaded = ok(run_cli, "draft", "load", sample_dir / "draft.md", "--consultation", consultation)
    assert loaded["created"] and loaded["articles"] == 87 and loaded["comment_base"]
    again = ok(run_cli, "draft", "load", sample_dir / "draft.md", "--consultation", consultation)
    assert not again["created"] and again["version_id"] == loaded["version_id"]
    log = ok(run_cli, "audit", "list", "--consultation", consultation)
    assert [e["action"] for e in log].count("load_draft") == 1


def test_help_has_an_example(run_cli):
    for command in ("update", "symposium", "create", "list", "show"):
        result = run_cli("consultation", command, "--help")
        assert result.exit_code == 0 and "Example: minyi consultation" in result.stdout, command
