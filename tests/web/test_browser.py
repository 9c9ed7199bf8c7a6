"""The review application in a real browser: Debian's Chromium driven by Playwright against
``minyi serve`` on 127.0.0.1. Saves screenshots of the main pages into docs/ for the README."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, SECRET

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--lang=zh-CN"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(world, tmp_path):
    """``minyi serve`` in a subprocess on a free loopback port."""
    port = _free_port()
    env = {**os.environ, "MINYI_DATABASE_URL": world.url, "MINYI_WEB__SECRET_KEY": SECRET,
           "MINYI_PIPELINE__EMBEDDING_BACKEND": "tfidf"}
    env.pop("MINYI_CONFIG", None)
    process = subprocess.Popen([sys.executable, "-m", "minyi", "serve", "--host", "127.0.0.1", "--port", str(port)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stdout.read().decode())
            time.sleep(0.3)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture
def page(server):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900}, accept_downloads=True)
        page = context.new_page()
        page.dialogs = []  # type: ignore[attr-defined]
        page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
        page.set_default_timeout(20000)
        yield page
        context.close()
        browser.close()


def rows(world, sql: str, *args):  # type: ignore[no-untyped-def]
    return sqlite3.connect(world.db_path).execute(sql, args).fetchall()


def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    DOCS.mkdir(exist_ok=True)
    page.screenshot(path=str(DOCS / f"web-{name}.png"), full_page=False)


def log_in(page, name: str = "admin") -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("text=征求意见任务")


def test_review_workflow_in_the_browser(page, world, tmp_path):
    log_in(page)
    assert "深圳经济特区电动自行车管理条例" in page.content()
    shot(page, "consultations")

    # Import a file into the second consultation.
    upload = tmp_path / "补充意见.csv"
    upload.write_text("id,text,author\nb1,建议第八条明确电池回收责任。,冯十二\n", encoding="utf-8")
    page.goto(f"/c/{world.other_id}/import")
    page.set_input_files("input[name=files]", str(upload))
    page.click("#upload-form button[type=submit]")
    page.wait_for_selector("#import-results")
    assert "补充意见.csv" in page.inner_text("#import-results")
    shot(page, "import")

    # The review queue, by keyboard: A accepts and advances, G moves to 总体意见, P opens the picker.
    page.goto(f"/c/{world.sample_id}/queue")
    first = int(page.get_attribute("#queue .qitem.current", "data-id"))
    shot(page, "queue")
    page.keyboard.press("a")
    page.wait_for_function(f"() => !document.querySelector('#queue .qitem[data-id=\"{first}\"]')")
    assert rows(world, "select reviewed_scope from suggestion where id = ?", first)[0][0] is not None
    page.keyboard.press("j")
    second = int(page.get_attribute("#queue .qitem.current", "data-id"))
    page.keyboard.press("g")
    page.wait_for_function(f"() => !document.querySelector('#queue .qitem[data-id=\"{second}\"]')")
    assert rows(world, "select reviewed_scope from suggestion where id = ?", second)[0][0] == "general"
    third = int(page.get_attribute("#queue .qitem.current", "data-id"))
    page.keyboard.press("p")
    assert page.evaluate("document.activeElement.id") == "picker-input"
    page.keyboard.type("3")
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => !document.querySelector('#queue .qitem[data-id=\"{third}\"]')")
    assert rows(world, "select reviewed_scope from suggestion where id = ?", third)[0][0] == "article"

    # An article with its clusters.
    pid, a, b = rows(world, """select provision_id, min(id), max(id) from cluster where consultation_id = ?
                               and provision_id is not null group by provision_id having count(*) >= 2""", world.sample_id)[0]
    page.goto(f"/c/{world.sample_id}/articles")
    page.wait_for_selector(f"#article-{pid}")
    shot(page, "articles")
    page.click(f"#cluster-{a} a.label")
    page.wait_for_selector("#cluster-form")

    # Merge the article's other cluster in, then split a member out again.
    count = "select count(*) from cluster where consultation_id = ? and provision_id = ?"
    before = rows(world, count, world.sample_id, pid)[0][0]
    page.check(f"#merge-form input[name=others][value='{b}']")
    page.click("#merge")
    page.wait_for_selector("#flash >> text=合并入归并意见")
    assert rows(world, "select count(*) from cluster where id = ?", b)[0][0] == 0
    assert rows(world, count, world.sample_id, pid)[0][0] == before - 1
    page.locator("#split-form input[name=members]").last.check()
    page.click("#split")
    page.wait_for_selector("#flash >> text=拆分为新的归并意见")
    assert rows(world, count, world.sample_id, pid)[0][0] == before

    # The consolidated opinion on the first cluster.
    page.goto(f"/clusters/{a}")
    page.fill("#opinion", "建议明确头盔佩戴要求，并规定相应罚则。")
    page.fill("#reason", "多名居民和骑手提出。")
    page.check("#cluster-form input[name=reviewed]")
    page.click("#save-cluster")
    page.wait_for_selector("#flash >> text=填写修改意见")
    assert rows(world, "select consolidated_text, reviewed from cluster where id = ?", a)[0] == (
        "建议明确头盔佩戴要求，并规定相应罚则。", 1)
    shot(page, "cluster")

    # Confirm an adoption proposal.
    page.goto(f"/c/{world.sample_id}/adoption?source=auto")
    form = page.locator("form.decide").first
    suggestion = int(form.locator("input[name=suggestion_id]").get_attribute("value"))
    form.locator("input[name=note]").fill("已采纳。")
    form.locator("button").click()
    page.wait_for_selector("#flash >> text=的采纳情况")
    assert rows(world, "select note from adoption_decision where suggestion_id = ? and source = 'manual'",
                suggestion)[0][0] == "已采纳。"
    page.goto(f"/c/{world.sample_id}/adoption")
    shot(page, "adoption")

    # Download the feedback document and open it.
    page.goto(f"/c/{world.sample_id}/downloads")
    # Generous: reports.docx_writer needs about a minute for the sample's table on a busy machine.
    with page.expect_download(timeout=300_000) as info:
        page.click("#dl-feedback-docx")
    path = tmp_path / "feedback.docx"
    info.value.save_as(path)
    import docx

    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "意见建议" in text and "建议明确头盔佩戴要求" in "\n".join(
        c.text for t in docx.Document(str(path)).tables for r in t.rows for c in r.cells)


def test_markup_in_a_comment_is_shown_as_text(page, world):
    log_in(page, "staff2")
    page.goto(f"/c/{world.other_id}/articles?q=alert")
    page.wait_for_selector("#search-results")
    assert "<script>alert('x')</script>" in page.inner_text("#search-results")
    assert page.dialogs == []  # type: ignore[attr-defined]
    assert page.locator("#search-results b").count() == 0


def test_stale_edit_shows_the_conflict_in_the_browser(page, world):
    log_in(page, "rev")
    cluster = rows(world, "select min(id) from cluster where consultation_id = ?", world.sample_id)[0][0]
    page.goto(f"/clusters/{cluster}")
    # Someone else saves first (straight through the application layer).
    from minyi.services import review
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work(world.url) as s:
        review.update_cluster(s, actor_for(s, "admin"), cluster, opinion="管理员先保存的意见")
    page.fill("#opinion", "审阅人后保存的意见")
    page.click("#save-cluster")
    page.wait_for_selector(".conflict")
    text = page.inner_text(".conflict")
    assert "该记录已被他人修改" in text and "管理员先保存的意见" in text
    assert page.input_value("#opinion") == "审阅人后保存的意见"
    shot(page, "conflict")
