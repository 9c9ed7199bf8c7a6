"""`minyi user add`, `minyi serve` refusing the default secret, the demo login."""

from __future__ import annotations

import tomllib

from minyi.core.errors import PermissionDenied


def test_user_add_and_list(sqlite_url, run_cli):
    result = run_cli("user", "add", "wangfang", "--role", "staff", "--contact-point", "华富街道基层立法联系点",
                     "--password", "a long secret", "--json")
    assert result.exit_code == 0, result.stderr
    import json

    assert json.loads(result.stdout)["contact_points"] == ["华富街道基层立法联系点"]
    result = run_cli("user", "list")
    assert "wangfang\tstaff\tactive\t华富街道基层立法联系点" in result.stdout
    result = run_cli("user", "add", "wangfang", "--role", "reviewer", "--password", "a long secret")
    assert result.exit_code == 2 and "already exists" in result.stderr
    result = run_cli("user", "add", "li", "--role", "staff", "--password", "a long secret")
    assert result.exit_code == 2 and "contact point" in result.stderr
    result = run_cli("user", "add", "li", "--role", "boss", "--password", "a long secret")
    assert result.exit_code == 2 and "--role" in result.stderr


def test_user_add_prompts_for_the_password(sqlite_url):
    from typer.testing import CliRunner

    from minyi.cli import app

    result = CliRunner().invoke(app, ["user", "add", "zhang", "--role", "reviewer"],
                                input="a long secret\na long secret\n")
    assert result.exit_code == 0, result.output
    from minyi.services import accounts
    from minyi.services.context import unit_of_work

    with unit_of_work() as s:
        assert accounts.login(s, "zhang", "a long secret").actor.role == "reviewer"


def test_only_admins_add_users(sqlite_url, run_cli):
    assert run_cli("user", "add", "rev", "--role", "reviewer", "--password", "a long secret").exit_code == 0
    result = run_cli("user", "add", "x", "--role", "admin", "--password", "a long secret", "--as", "rev")
    assert result.exit_code == 2 and "may not manage_users" in result.stderr


def test_serve_refuses_the_default_secret(sqlite_url, run_cli, monkeypatch):
    monkeypatch.delenv("MINYI_WEB__SECRET_KEY", raising=False)
    result = run_cli("serve", "--port", "8765")
    assert result.exit_code == 2 and "secret key is the default" in result.stderr


def test_ensure_demo_login_creates_an_admin_and_a_secret(sqlite_url, tmp_path):
    from minyi.core.settings import DEFAULT_SECRET_KEY
    from minyi.services import accounts
    from minyi.services.context import unit_of_work

    folder = tmp_path / "demo"
    with unit_of_work() as s:
        name, password = accounts.ensure_demo_login(s, folder)
    config = tomllib.loads((folder / "minyi.toml").read_text(encoding="utf-8"))
    secret = config["web"]["secret_key"]
    assert secret != DEFAULT_SECRET_KEY and len(secret) >= 32
    assert config["database_url"].endswith("minyi-test.db")
    with unit_of_work() as s:
        assert accounts.login(s, name, password).actor.role == "admin"
    # Again: a new password, the same secret.
    with unit_of_work() as s:
        _name, second = accounts.ensure_demo_login(s, folder)
    assert second != password
    assert tomllib.loads((folder / "minyi.toml").read_text(encoding="utf-8"))["web"]["secret_key"] == secret


def test_user_rights_come_from_the_tables(sqlite_url):
    from minyi.services import accounts, consultations
    from minyi.services.context import SYSTEM, actor_for, unit_of_work

    with unit_of_work() as s:
        mine = consultations.create_consultation(s, SYSTEM, title="甲", contact_point="甲联系点").id
        theirs = consultations.create_consultation(s, SYSTEM, title="乙", contact_point="乙联系点").id
        accounts.add_user(s, SYSTEM, "a", "staff", password="a long secret", contact_points=["甲联系点", "丙联系点"])
        accounts.add_user(s, SYSTEM, "r", "reviewer", password="a long secret", consultation_ids=[theirs])
    with unit_of_work() as s:
        staff, reviewer = actor_for(s, "a"), actor_for(s, "r")
        assert len(staff.contact_point_ids) == 2 and reviewer.consultation_ids == frozenset({theirs})
        assert [c["id"] for c in consultations.list_consultations(s, staff)] == [mine]
        assert [c["id"] for c in consultations.list_consultations(s, reviewer)] == [theirs]
        try:
            accounts.add_user(s, staff, "b", "admin", password="a long secret")
        except PermissionDenied as exc:
            assert exc.message_zh == "当前用户无权管理用户"
        else:  # pragma: no cover
            raise AssertionError("staff added a user")
