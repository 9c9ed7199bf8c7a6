"""The NPC (npc_flcaw) and Ministry of Justice (moj) spiders against our fixture endpoints,
and once against the real snapshots in ../shared/data when they are there."""

from __future__ import annotations

import json
import re
import threading
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from models.entities import AuditLog, Consultation

ROAD = "ff8081819ff54ab801a03d624f823cc3"
BANKRUPTCY = "ff8081819ff541ea01a03d7b3d7e4871"
CLOSED = "ff8081819e48b44c019efe4840675d16"
MISSING = "ff80818100000000000000000000f404"


def _consultations(url: str) -> dict[str, Consultation]:
    from models.db import get_engine

    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    try:
        return {c.external_id: c for c in session.scalars(select(Consultation))}
    finally:
        session.close()


@pytest.fixture(scope="module")
def npc(fixture_server, tmp_path_factory, spiderkit):
    """One npc_flcaw crawl (closed ones included, attachments downloaded) into SQLite."""
    import subprocess
    import sys

    from models.db import upgrade

    FAST, REPO, _env = spiderkit.FAST, spiderkit.REPO, spiderkit.env

    fixture_server.reset()
    tmp = tmp_path_factory.mktemp("npc")
    url = f"sqlite:///{tmp / 'minyi.db'}"
    upgrade(url)
    cmd = [sys.executable, "-m", "minyi", "crawl", "npc_flcaw", "--base-url", fixture_server.base + "flcaw/",
           "--include-closed", "--download-attachments", str(tmp / "drafts"), "--json", "--quiet"]
    for key, value in FAST.items():
        cmd += ["--set", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(url), cwd=REPO, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return {"summary": json.loads(proc.stdout), "rows": _consultations(url), "dir": tmp / "drafts"}


def test_npc_title(npc):
    assert npc["rows"][ROAD].title == "道路交通安全法（修订草案）征求意见"


def test_npc_opened_date(npc):
    assert npc["rows"][ROAD].opened_on == date(2026, 8, 28)


def test_npc_deadline(npc):
    assert npc["rows"][ROAD].deadline == date(2026, 10, 12)


def test_npc_published_comment_count(npc):
    assert npc["rows"][ROAD].published_comment_count == 47632


def test_npc_published_participant_count(npc):
    assert npc["rows"][ROAD].published_participant_count == 32346


def test_npc_notice_is_text_not_html(npc):
    notice = npc["rows"][ROAD].notice_text
    assert notice.startswith("十四届全国人大常委会第二十四次会议") and notice.endswith("欢迎社会各界积极参与。")
    assert "<" not in notice


def test_npc_attachment_link(npc):
    assert npc["rows"][ROAD].attachment_url.endswith(f"/flcaw/flca/{ROAD}/fjxx/attachment.pdf")


def test_npc_source_url(npc):
    assert npc["rows"][ROAD].source_url.endswith(f"/flcaw/userIndex.html?lid={ROAD}")


def test_npc_issuing_body_and_level(npc):
    assert (npc["rows"][ROAD].issuing_body, npc["rows"][ROAD].level) == ("全国人大常委会法制工作委员会", "国家")


def test_npc_explanation_title_kept(npc):
    assert npc["rows"][ROAD].meta["npc"]["explanation_title"] == "关于《中华人民共和国道路交通安全法（修订草案）》的说明"


def test_npc_closed_list_gives_closed_status(npc):
    assert npc["rows"][CLOSED].status == "closed"


def test_npc_row_without_info_still_becomes_a_consultation(npc):
    row = npc["rows"][MISSING]
    assert (row.title, row.deadline, row.notice_text) == ("社区服务条例（草案）征求意见", date(2026, 9, 30), None)


def test_npc_missing_endpoints_are_reported(npc):
    assert {e["url"].split("/flca/")[1] for e in npc["summary"]["errors"]} == {
        f"{MISSING}/info/", f"{MISSING}/fjxx/", f"{CLOSED}/fjxx/"
    }


def test_npc_attachment_downloaded_with_its_name_and_size(npc):
    saved = npc["dir"] / ROAD / "道路交通安全法（修订草案）.PDF"
    assert saved.read_bytes().startswith(b"%PDF") and saved.stat().st_size == 4096


def test_npc_attachment_path_recorded(npc):
    assert npc["rows"][BANKRUPTCY].meta["attachment_file"]["bytes"] == 2048


def test_npc_counts(npc):
    s = npc["summary"]
    assert (s["consultations_found"], s["consultations_created"], len(s["attachments"])) == (4, 4, 2)


def test_npc_recrawl_updates_only_what_changed(db_url, sites, crawl_lib):
    base = sites.base + "flcaw/"
    first = crawl_lib(db_url, "npc_flcaw", base_url=base, spider_args={"per_page": 2})
    assert (first["consultations_created"], first["pages"]) == (3, 2 + 3 * 2)  # 2 list pages
    sites.npc[0]["rows"][1]["gzyj"] = "50001"
    again = crawl_lib(db_url, "npc_flcaw", base_url=base, spider_args={"per_page": 2})
    # What did not change on the site stays as it was; the count that changed is updated.
    assert (again["consultations_created"], again["consultations_updated"], again["consultations_unchanged"]) == (0, 1, 2)
    row = _consultations(db_url)[ROAD]
    assert row.published_comment_count == 50001
    from models.db import get_engine

    with get_engine(db_url).connect() as conn:
        updates = conn.execute(select(AuditLog.actor, AuditLog.before, AuditLog.after).where(AuditLog.action == "update")).all()
    assert [(u.before, u.after) for u in updates] == [
        ({"published_comment_count": 47632}, {"published_comment_count": 50001})
    ]
    assert {u.actor for u in updates} == {"minyi"}  # the actor crawl_lib acts as (SYSTEM)


# --- Ministry of Justice ------------------------------------------------------------

MOJ_BASE = "moj/pub/sfbgw/lfyjzj/lflfyjzj/"


@pytest.fixture(scope="module")
def moj(fixture_server, tmp_path_factory, spiderkit):
    import subprocess
    import sys

    from models.db import upgrade

    FAST, REPO, _env = spiderkit.FAST, spiderkit.REPO, spiderkit.env

    fixture_server.reset()
    url = f"sqlite:///{tmp_path_factory.mktemp('moj') / 'minyi.db'}"
    upgrade(url)
    cmd = [sys.executable, "-m", "minyi", "crawl", "moj", "--base-url", fixture_server.base + MOJ_BASE, "--json", "--quiet"]
    for key, value in FAST.items():
        cmd += ["--set", f"{key}={value}"]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=_env(url), cwd=REPO, timeout=90)
    assert proc.returncode == 0, proc.stderr
    return {"summary": json.loads(proc.stdout), "rows": _consultations(url)}


def test_moj_full_title_from_detail_page(moj):
    assert moj["rows"]["moj:t20260320_532981"].title == (
        "司法部、中国人民银行、金融监管总局、中国证监会、国家外汇局关于《中华人民共和国金融法（草案）》公开征求意见的通知"
    )


def test_moj_issuing_bodies_from_title(moj):
    assert moj["rows"]["moj:t20260320_532981"].issuing_body == "司法部、中国人民银行、金融监管总局、中国证监会、国家外汇局"


def test_moj_date(moj):
    assert moj["rows"]["moj:t20250605_520514"].opened_on == date(2025, 6, 5)


def test_moj_source(moj):
    assert moj["rows"]["moj:t20250804_523412"].meta["moj"]["来源"] == "司法部立法一局"


@pytest.mark.parametrize(
    ("external_id", "deadline"),
    [
        ("moj:t20260320_532981", date(2026, 4, 20)),  # 截止时间：…
        ("moj:t20250804_523412", date(2025, 9, 3)),  # 征求意见截止日期为…
        ("moj:t20250605_520514", date(2025, 7, 20)),  # 征求意见时间为…至…
        ("moj:t20250512_519001", date(2025, 6, 11)),  # 请于二〇二五年六月十一日前
    ],
)
def test_moj_deadline_sentence(moj, external_id, deadline):
    assert moj["rows"][external_id].deadline == deadline


def test_moj_body_text(moj):
    body = moj["rows"]["moj:t20250605_520514"].notice_text
    assert body.splitlines()[1].startswith("1.登录中华人民共和国司法部") and "<p>" not in body


def test_moj_source_url(moj):
    assert moj["rows"]["moj:t20250605_520514"].source_url.endswith("/202506/t20250605_520514.html")


def test_moj_missing_detail_falls_back_to_the_list_entry(moj):
    row = moj["rows"]["moj:content_6923101"]
    assert (row.title, row.opened_on) == ("司法部关于《中华人民共和国仲裁法（修订草案）》公开征求意见的...", date(2026, 9, 2))


def test_moj_missing_detail_is_reported(moj):
    assert [e["reason"] for e in moj["summary"]["errors"] if e["kind"] == "http"] == ["HTTP 404"]


# --- the real snapshots -------------------------------------------------------------


def _serve_snapshots(root: Path) -> tuple[ThreadingHTTPServer, str]:
    """Serve ../shared/data/consultation-pages as the two sites would, date tokens filled."""
    today = date(2026, 9, 20)

    def fill(text: str) -> str:
        from datetime import timedelta

        text = re.sub(r"\{\{DATE([+-]\d+)\}\}", lambda m: (today + timedelta(days=int(m[1]))).isoformat(), text)
        return re.sub(
            r"\{\{CN_DATE([+-]\d+)\}\}",
            lambda m: "{0.year}年{0.month}月{0.day}日".format(today + timedelta(days=int(m[1]))),
            text,
        )

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            path = self.path.split("?", 1)[0]
            file = None
            if path == "/flcaw/flca-list":
                file = root / "npc" / "list.json"
            elif path.startswith("/flcaw/flca/"):
                file = root / "npc" / path[len("/flcaw/"):] / "index.json"
            elif path.startswith("/moj/"):
                name = "list.html" if path.endswith("/") else path.rsplit("/", 1)[-1]
                file = root / "moj" / name
            if file is None or not file.is_file():
                self.send_response(404)
                self.end_headers()
                return
            body = fill(file.read_text(encoding="utf-8")).encode("utf-8")
            self.send_response(200)
            self.send_header("Content-Type", "application/json" if file.suffix == ".json" else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


def test_real_snapshots(shared_data, sqlite_url, crawl_lib):
    server, base = _serve_snapshots(shared_data / "consultation-pages")
    try:
        npc = crawl_lib(sqlite_url, "npc_flcaw", base_url=base + "flcaw/")
        moj = crawl_lib(sqlite_url, "moj", base_url=base + "moj/pub/sfbgw/lfyjzj/lflfyjzj/")
    finally:
        server.shutdown()
        server.server_close()
    assert npc["consultations_created"] == 3 and moj["consultations_created"] == 4
    rows = _consultations(sqlite_url)
    road = rows[ROAD]
    assert (road.published_comment_count, road.published_participant_count) == (47632, 32346)
    assert road.deadline == date(2026, 11, 4) and road.notice_text.endswith("征求意见期限为30日。")
    assert road.attachment_url.endswith(f"flca/{ROAD}/fjxx/attachment.pdf")
    procedure = rows["moj:t20250605_520514"]
    assert procedure.title == "司法部关于《行政法规制定程序条例（修订征求意见稿）》公开征求意见的通知"
    assert (procedure.opened_on, procedure.deadline) == (date(2025, 6, 5), date(2026, 11, 3))
    assert procedure.meta["moj"]["来源"] == "司法部官网"
