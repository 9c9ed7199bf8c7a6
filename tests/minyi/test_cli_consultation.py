from __future__ import annotations

import json


def test_create_prints_the_new_id_as_json(run_cli, db_url):
    r = run_cli("consultation", "create", "--title", "某某条例（征求意见稿）", "--opened", "2026-03-01",
                "--deadline", "2026-03-31", "--contact-point", "华富街道基层立法联系点", "--json")
    assert r.exit_code == 0, r.stderr
    created = json.loads(r.stdout)
    assert isinstance(created["id"], int)
    assert created["deadline"] == "2026-03-31"


def test_list_shows_created_consultations(run_cli, db_url):
    run_cli("consultation", "create", "--title", "甲条例")
    run_cli("consultation", "create", "--title", "乙条例")
    rows = json.loads(run_cli("consultation", "list", "--json").stdout)
    assert [r["title"] for r in rows] == ["乙条例", "甲条例"]


def test_create_with_a_draft_loads_it(run_cli, db_url, tmp_path):
    draft = tmp_path / "d.txt"
    draft.write_text("某某条例\n第一章 总则\n第一条 为了规范管理，制定本条例。\n第二条 本条例自公布之日起施行。\n", encoding="utf-8")
    r = run_cli("consultation", "create", "--title", "某某条例", "--draft", draft, "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["versions"] == ["征求意见稿"]


def test_bad_date_is_one_line_and_exit_2(run_cli, db_url):
    r = run_cli("consultation", "create", "--title", "x", "--deadline", "31/03/2026")
    assert r.exit_code == 2
    assert r.stderr.strip().count("\n") == 0
    assert "--deadline" in r.stderr


def test_missing_consultation_is_exit_2(run_cli, db_url):
    r = run_cli("consultation", "show", "99", "--json")
    assert r.exit_code == 2
    assert "no consultation with id 99" in r.stderr


def test_database_not_created_yet_says_so(run_cli, tmp_path, monkeypatch):
    from minyi.core.settings import reset_settings

    monkeypatch.setenv("MINYI_DATABASE_URL", f"sqlite:///{tmp_path / 'none.db'}")
    reset_settings()
    r = run_cli("consultation", "list")
    assert r.exit_code == 2
    assert "minyi db upgrade" in r.stderr
    reset_settings()


def test_db_upgrade_reports_the_revision(run_cli, tmp_path, monkeypatch):
    from minyi.core.settings import reset_settings

    monkeypatch.setenv("MINYI_DATABASE_URL", f"sqlite:///{tmp_path / 'new.db'}")
    reset_settings()
    r = run_cli("db", "upgrade", "--json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["revision"]
    assert (tmp_path / "new.db").exists()
    reset_settings()
