"""The review application on PostgreSQL: the pages whose queries differ most between
databases (window functions in the review queue, JSON casts, CJK substring search, the
article tree) and a reviewer's edit with its version check, on a small consultation built
in the test. The other web tests run on SQLite copies of the sample."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import CSRF, PASSWORD, SECRET, login

pytestmark = pytest.mark.pg

COMMENTS = (
    "id,text,author\n"
    "p1,第三十条限速太低，建议改为二十五公里。,周一\n"
    "p2,限速十五公里太低了，建议提高到二十五公里。,吴二\n"
    "p3,第五十条明码标价很好，建议保留。,郑三\n"
    "p4,第九十九条的罚款太重，建议降低。,王四\n"
    "p5,建议市里多建公园，改善空气质量。,冯五\n"
    "p6,同问。,陈六\n"
)


@pytest.fixture
def pg_world(db_url, tmp_path, sample_dir):
    if not db_url.startswith("postgresql"):
        pytest.skip("the PostgreSQL variant of the review application")
    from minyi.services import accounts, analysis, consultations, intake
    from minyi.services.context import SYSTEM, unit_of_work

    form = tmp_path / "意见.csv"
    form.write_text(COMMENTS, encoding="utf-8")
    with unit_of_work(db_url) as s:
        cid = consultations.create_consultation(
            s, SYSTEM, title="深圳经济特区电动自行车管理条例（征求意见稿）", contact_point="某街道基层立法联系点",
            draft=sample_dir / "draft.md",
        ).id
        intake.import_files(s, SYSTEM, cid, [form], channel="form")
    with unit_of_work(db_url) as s:
        analysis.analyze(s, SYSTEM, cid, backend="tfidf")
    with unit_of_work(db_url) as s:
        accounts.add_user(s, SYSTEM, "pgadmin", "admin", password=PASSWORD)
        accounts.add_user(s, SYSTEM, "pgrev", "reviewer", password=PASSWORD)
    return db_url, cid


@pytest.fixture
def client(pg_world):
    from fastapi.testclient import TestClient

    from minyi.core.settings import load_settings
    from web.app import create_app

    url, _cid = pg_world
    app = create_app(load_settings(database_url=url, web={"secret_key": SECRET}))
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_pages_search_and_a_versioned_edit_on_postgresql(pg_world, client):
    _url, cid = pg_world
    assert login(client, "pgrev").status_code == 303
    for page in (f"/c/{cid}", f"/c/{cid}/articles", f"/c/{cid}/queue", f"/c/{cid}/adoption", "/stats",
                 f"/c/{cid}/downloads"):
        response = client.get(page)
        assert response.status_code == 200, (page, response.text[:500])
    articles = client.get(f"/c/{cid}/articles").text
    assert "第三十条" in articles and "人提出" in articles
    found = client.get(f"/c/{cid}/search", params={"q": "公里"})
    assert found.status_code == 200 and "二十五公里" in found.text
    assert "周一" not in found.text  # a reviewer sees commenters masked

    cluster = int(re.search(r"/clusters/(\d+)", articles).group(1))
    page = client.get(f"/clusters/{cluster}")
    token = CSRF.search(page.text).group(1)
    version = re.search(r'name="version" value="(\d+)"', page.text).group(1)
    saved = client.post(f"/clusters/{cluster}/update", data={
        "csrf_token": token, "version": version, "label": "限速", "opinion": "建议将限速提高到二十五公里。",
        "reason": "与国家标准一致。"}, follow_redirects=False)
    assert saved.status_code in (200, 303), saved.text[:500]
    stale = client.post(f"/clusters/{cluster}/update", data={
        "csrf_token": token, "version": version, "label": "另一个标签", "opinion": "别的意见", "reason": ""},
        follow_redirects=False)
    assert stale.status_code == 409 and "已被" in stale.text
