"""The forum spider against our Discuz!-style fixture site, end to end (crawl → ingest → DB).

One crawl (module fixture, SQLite) backs the per-field tests; the incremental tests crawl
several times on each backend. Every crawl runs in a fresh process.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload, sessionmaker

from models.entities import Comment, RawRecord


def _consultation(url: str) -> int:
    from models.db import session_scope
    from models.store import create_consultation

    with session_scope(url) as session:
        return create_consultation(session, title="电动自行车管理条例（征求意见稿）").id


def _rows(url: str) -> tuple[dict[tuple[str, int], Comment], dict[tuple[str, int], RawRecord]]:
    """Comments and quarantined records keyed by (thread id, floor)."""
    from models.db import get_engine

    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    try:
        comments = {
            (c.meta["thread_id"], c.meta["floor"]): c
            for c in session.scalars(select(Comment).options(selectinload(Comment.raw_record)).order_by(Comment.id))
        }
        quarantined = {}
        for raw in session.scalars(select(RawRecord).where(RawRecord.status == "quarantined")):
            parts = dict(p.split("=") for p in raw.locator.split(";"))
            quarantined[(parts["thread"], int(parts["floor"]))] = raw
        return comments, quarantined
    finally:
        session.close()


@pytest.fixture(scope="module")
def forum(fixture_server, tmp_path_factory, spiderkit):
    """One crawl of the fixture forum into a fresh SQLite database."""
    import subprocess
    import sys

    from models.db import upgrade

    FAST, REPO, _env = spiderkit.FAST, spiderkit.REPO, spiderkit.env

    fixture_server.reset()
    url = f"sqlite:///{tmp_path_factory.mktemp('forum') / 'minyi.db'}"
    upgrade(url)
    cid = _consultation(url)
    cmd = [sys.executable, "-m", "minyi", "crawl", "forum", "--consultation", str(cid),
           "--base-url", fixture_server.base, "--json", "--quiet"]
    for key, value in FAST.items():
        cmd += ["--set", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(url), cwd=REPO, timeout=90)
    assert proc.returncode == 0, proc.stderr
    import json

    comments, quarantined = _rows(url)
    return {
        "summary": json.loads(proc.stdout),
        "comments": comments,
        "quarantined": quarantined,
        "requests": list(fixture_server.requests),
        "hits": dict(fixture_server.hits),
        "boards": fixture_server.boards,
        "expected": spiderkit.expected_posts(fixture_server.boards),
    }


def _c(forum, thread: int, floor: int) -> Comment:
    return forum["comments"][(str(thread), floor)]


# --- one field per test -------------------------------------------------------------


def test_author(forum):
    assert _c(forum, 11, 1).author_name == "张三"


def test_anonymous_post_has_no_author(forum):
    assert _c(forum, 11, 3).author_name is None


def test_time(forum):
    assert _c(forum, 11, 4).submitted_at == datetime(2026, 3, 3, 14, 2, 45)


def test_time_of_a_recent_post_comes_from_the_title_not_3_days_ago(forum):
    assert _c(forum, 11, 5).submitted_at == datetime(2026, 3, 5, 9, 12, 8)


def test_text(forum):
    assert _c(forum, 11, 4).text == "第十三条的罚款数额过高。"


def test_floor_shown_by_name(forum):
    assert _c(forum, 11, 2).meta["floor"] == 2  # 沙发


def test_floor_shown_by_number(forum):
    assert _c(forum, 11, 6).raw_record.locator == "thread=11;floor=6;post=1106"


def test_post_id(forum):
    assert _c(forum, 11, 2).meta["post_id"] == "1102"


def test_thread_title_and_board(forum):
    comment = _c(forum, 11, 1)
    assert (comment.meta["thread_title"], comment.meta["board"]) == ("第十二条充电管理的意见", "立法意见征集")


def test_quote_removed_from_reply(forum):
    assert _c(forum, 11, 2).text == "赞同楼主，集中充电桩应当免费安装。"


def test_quoted_text_kept_beside_the_reply(forum):
    assert "第十二条规定禁止在楼道充电" in _c(forum, 11, 2).meta["quoted_posts"][0]


def test_edit_note_removed(forum):
    assert _c(forum, 11, 1).text == "第十二条规定禁止在楼道充电，建议同时要求物业建设集中充电设施。"


def test_payload_is_the_post_as_scraped(forum):
    payload = _c(forum, 11, 5).raw_record.payload
    assert payload == {
        "thread_id": "11", "post_id": "1105", "floor": "5#", "author": "赵六",
        "time": "2026-3-5 09:12:08", "text": "建议增加对老旧小区改造的补贴。", "quotes": [],
    }


def test_origin_is_the_page_url(forum):
    assert _c(forum, 11, 6).raw_record.origin.endswith("forum.php?mod=viewthread&tid=11&extra=page%3D1&page=2")


def test_channel_is_forum(forum):
    assert _c(forum, 10, 1).channel == "forum"


def test_gbk_board_text(forum):
    assert _c(forum, 30, 1).text == "小区电动车停放点太少，建议第十条增加规划要求。"


def test_gbk_board_name(forum):
    assert _c(forum, 31, 1).meta["board"] == "社区议事"


def test_broken_html_thread(forum):
    texts = [_c(forum, 17, floor).text for floor in (1, 2, 3)]
    assert texts == [
        "第十二条规定的收费标准偏高，建议按小时分段计费 并公示收费依据。",
        "同意楼上。\n另外夜间应当免费。",
        "建议删除第十五条 <临时停车> 的例外规定",
    ]


def test_broken_html_authors(forum):
    assert [_c(forum, 17, f).author_name for f in (1, 2, 3)] == ["王五", "赵六", "孙七"]


def test_blocked_post_is_quarantined_with_reason(forum):
    assert "td.t_f" in forum["quarantined"][("12", 2)].error


def test_post_that_is_only_a_quote_is_quarantined(forum):
    assert forum["quarantined"][("30", 2)].error == "comment text is empty"


def test_sticky_thread_on_two_list_pages_is_fetched_once(forum):
    assert sum(1 for r in forum["requests"] if "tid=10" in r and "viewthread" in r) == 1


def test_second_list_page_followed(forum):
    assert ("17", 1) in forum["comments"]


def test_500_that_recovers_is_retried(forum):
    assert forum["hits"]["/forum.php?mod=viewthread&tid=13"] == 2 and ("13", 2) in forum["comments"]


def test_slow_page_below_the_timeout_is_read(forum):
    assert ("15", 2) in forum["comments"]


def test_404_500_and_timeout_are_reported(forum):
    reported = {(e["reason"], e["url"].rsplit("tid=", 1)[-1]) for e in forum["summary"]["errors"]}
    assert reported == {("HTTP 404", "14"), ("HTTP 500", "18"), ("timed out", "16")}


def test_robots_txt_is_read_first(forum):
    assert forum["requests"][0] == "/robots.txt"


def test_board_forbidden_by_robots_is_not_fetched(forum):
    assert not [r for r in forum["requests"] if "fid=99" in r or "tid=99" in r]


def test_board_forbidden_by_robots_is_reported(forum):
    assert [u.rsplit("/", 1)[-1] for u in forum["summary"]["robots_forbidden"]] == ["forum.php?mod=forumdisplay&fid=99"]


def test_every_post_is_a_comment_or_quarantined(forum):
    expected = forum["expected"]
    assert set(forum["comments"]) | set(forum["quarantined"]) == set(expected)
    assert not set(forum["comments"]) & set(forum["quarantined"])


def test_every_comment_text_is_the_post_text(forum):
    expected = forum["expected"]
    assert {k: c.text for k, c in forum["comments"].items()} == {
        k: p.text for k, p in expected.items() if k in forum["comments"]
    }


def test_summary_totals(forum):
    s = forum["summary"]
    assert (s["posts_found"], s["imported"], s["quarantined"], s["skipped"]) == (22, 20, 2, 0)


# --- incremental crawls, on each backend --------------------------------------------


def _counts(url: str) -> tuple[int, int]:
    from models.db import get_engine

    with get_engine(url).connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(RawRecord)).scalar_one(),
            conn.execute(select(func.count()).select_from(Comment)).scalar_one(),
        )


def test_recrawl_changes_nothing_and_a_new_post_is_stored_once(db_url, sites, crawl_cli, spiderkit):
    cid = _consultation(db_url)
    args = ("forum", "--consultation", cid, "--base-url", sites.base, "--json", "--quiet")
    first = crawl_cli(db_url, *args)
    assert first.returncode == 0, first.stderr
    assert (first.json["imported"], first.json["quarantined"]) == (20, 2)
    before = _counts(db_url)

    sites.requests.clear()
    again = crawl_cli(db_url, *args)
    assert again.returncode == 0, again.stderr
    assert (again.json["imported"], again.json["quarantined"]) == (0, 0)
    assert _counts(db_url) == before
    # Threads whose reply count did not change are not fetched again; the GBK board shows
    # no reply counts, so its threads are, and their posts are recognised as stored.
    assert not [r for r in sites.requests if "tid=11" in r]
    assert again.json["skipped"] == 4

    board, thread = sites.thread(11)
    thread.posts.append(spiderkit.Post(1107, "新用户", "2026-3-10 08:00:00", "第十二条还应规定电池以旧换新。"))
    third = crawl_cli(db_url, *args)
    assert third.returncode == 0, third.stderr
    assert third.json["imported"] == 1
    assert _counts(db_url) == (before[0] + 1, before[1] + 1)
    comments, _ = _rows(db_url)
    assert comments[("11", 7)].text == "第十二条还应规定电池以旧换新。"


def test_non_discuz_site_from_the_readme_example(sqlite_url, sites, crawl_cli, spiderkit):
    cid = _consultation(sqlite_url)
    run = crawl_cli(sqlite_url, "forum", "--consultation", cid, "--config", spiderkit.SITES / "simple.toml",
                    "--base-url", sites.base, "--json", "--quiet")
    assert run.returncode == 0, run.stderr
    comments, _ = _rows(sqlite_url)
    expected = {
        (str(tid), floor): (user, text)
        for tid, _, posts in spiderkit.SIMPLE_TOPICS
        for floor, (_, user, _, text, _) in enumerate(posts, start=1)
    }
    assert {k: (c.author_name, c.text) for k, c in comments.items()} == expected
    assert comments[("5", 2)].submitted_at == datetime(2026, 4, 1, 9, 30)
