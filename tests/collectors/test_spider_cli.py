"""`minyi crawl`: errors a user can make or meet, each one line and exit code 2."""

from __future__ import annotations

# Nothing listens on the port: retrying would only make the test slower.
NO_RETRY = ("--set", "RETRY_TIMES=0", "--set", "DOWNLOAD_DELAY=0", "--set", "AUTOTHROTTLE_ENABLED=false")


def test_unreachable_site_is_one_line_and_exit_2(sqlite_url, crawl_cli, spiderkit):
    base = f"http://127.0.0.1:{spiderkit.free_port()}/"
    run = crawl_cli(sqlite_url, "moj", "--base-url", base, *NO_RETRY, fast=False)
    assert run.returncode == 2
    assert run.stderr.splitlines() == [f"Error: cannot reach {base}: connection refused"]


def test_unreachable_forum_stores_nothing(sqlite_url, crawl_cli, spiderkit):
    from models.db import session_scope
    from models.store import create_consultation

    with session_scope(sqlite_url) as session:
        cid = create_consultation(session, title="某条例").id
    run = crawl_cli(sqlite_url, "forum", "--consultation", cid, "--base-url", f"http://127.0.0.1:{spiderkit.free_port()}/", *NO_RETRY, fast=False)
    assert (run.returncode, len(run.stderr.strip().splitlines())) == (2, 1)
    assert "cannot reach" in run.stderr
    from sqlalchemy import func, select

    from models.db import get_engine
    from models.entities import RawRecord, Source

    with get_engine(sqlite_url).connect() as conn:
        stored = [conn.execute(select(func.count()).select_from(t)).scalar_one() for t in (Source, RawRecord)]
    assert stored == [0, 0]


def test_unknown_spider(sqlite_url, run_cli):
    result = run_cli("crawl", "weibo")
    assert (result.exit_code, result.stderr.strip()) == (2, "Error: unknown spider 'weibo'; choose one of forum, npc_flcaw, moj")


def test_forum_needs_a_consultation(sqlite_url, run_cli):
    result = run_cli("crawl", "forum", "--base-url", "http://127.0.0.1:9/")
    assert result.exit_code == 2 and "--consultation is required" in result.stderr


def test_forum_consultation_must_exist(sqlite_url, run_cli):
    result = run_cli("crawl", "forum", "--consultation", "42", "--base-url", "http://127.0.0.1:9/")
    assert result.exit_code == 2 and "no consultation with id 42" in result.stderr


def test_bad_site_config_names_file_and_key(sqlite_url, run_cli, tmp_path):
    config = tmp_path / "site.toml"
    config.write_text('name = "x"\nbase_url = "http://h/"\nboards = ["http://h/b"]\n[selectors]\npost = "div"\n', encoding="utf-8")
    result = run_cli("crawl", "forum", "--consultation", "1", "--config", config)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {config}: selectors.text is required"


def test_base_url_must_be_http(sqlite_url, run_cli):
    result = run_cli("crawl", "moj", "--base-url", "ftp://example.org/")
    assert result.exit_code == 2 and "not an http(s) URL" in result.stderr


def test_options_of_other_spiders_are_refused(sqlite_url, run_cli):
    result = run_cli("crawl", "moj", "--download-attachments", "x")
    assert result.exit_code == 2 and "--download-attachments is for the npc_flcaw spider" in result.stderr


def test_bad_set_option(sqlite_url, run_cli):
    result = run_cli("crawl", "moj", "--set", "DOWNLOAD_DELAY")
    assert result.exit_code == 2 and "expected NAME=VALUE" in result.stderr


def test_database_without_schema(tmp_path, monkeypatch, run_cli):
    from minyi.core.settings import reset_settings

    monkeypatch.setenv("MINYI_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    reset_settings()
    result = run_cli("crawl", "moj", "--base-url", "http://127.0.0.1:9/")
    reset_settings()
    assert result.exit_code == 2 and "minyi db upgrade" in result.stderr


def test_crawl_stops_after_too_many_failed_pages(sqlite_url, sites, crawl_cli):
    run = crawl_cli(sqlite_url, "npc_flcaw", "--base-url", sites.base + "flcaw/", "--set", "MINYI_MAX_DOWNLOAD_ERRORS=1", "--json")
    assert run.returncode == 1
    assert (run.json["aborted"], run.json["finish_reason"], len(run.json["errors"])) == (True, "too many failed requests (1)", 1)


def test_a_viewer_may_not_crawl(sqlite_url, run_cli):
    from models.db import session_scope
    from models.entities import User

    with session_scope(sqlite_url) as session:
        session.add(User(username="guest", role="viewer"))
    result = run_cli("crawl", "moj", "--base-url", "http://127.0.0.1:9/", "--as", "guest")
    assert (result.exit_code, result.stderr.strip()) == (
        2, "Error: user 'guest' (viewer) may not create_consultation"
    )
