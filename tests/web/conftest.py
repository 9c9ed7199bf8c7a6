"""Fixtures for the review application: an analysed copy of the sample consultation (built
once per test session, copied per test), a second consultation of another contact point,
users of every role, and a logged-in TestClient."""

from __future__ import annotations

import re
import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "ebike"
PASSWORD = "correct horse battery"
SECRET = "test-secret-key-for-the-review-application"
OTHER_POINT = "南山区桃源街道基层立法联系点"
# A comment with markup and personal data, in the second consultation.
HOSTILE = "<script>alert('x')</script>建议第三条增加<b>头盔</b>要求，联系电话13812345678"

USERS = {
    "admin": ("admin", None, None),
    "staff1": ("staff", "福田区华富街道基层立法联系点", None),
    "staff2": ("staff", OTHER_POINT, None),
    "rev": ("reviewer", None, None),
    "rev2": ("reviewer", None, "other"),
}


@dataclass
class World:
    url: str
    db_path: Path
    sample_id: int
    other_id: int


def _build(folder: Path) -> tuple[Path, int, int]:
    from minyi.services import adoption, analysis, consultations, intake
    from minyi.services.context import SYSTEM, unit_of_work
    from models.db import dispose_engines, upgrade

    db = folder / "template.db"
    url = f"sqlite:///{db}"
    upgrade(url)
    manifest = tomllib.loads((SAMPLE / "consultation.toml").read_text(encoding="utf-8"))
    info, point = manifest["consultation"], manifest["contact_point"]["name"]
    with unit_of_work(url) as s:
        sample = consultations.create_consultation(
            s, SYSTEM, title=info["title"], issuing_body=info["issuing_body"], opened_on=info["opened"],
            deadline=info["deadline"], contact_point=point, draft=SAMPLE / manifest["draft"]["file"],
        ).id
        for entry in manifest["files"]:
            intake.import_files(s, SYSTEM, sample, [SAMPLE / entry["path"]], channel=entry.get("channel"),
                                contact_point=point)
    with unit_of_work(url) as s:
        analysis.analyze(s, SYSTEM, sample, backend="tfidf")
    with unit_of_work(url) as s:
        adoption.detect_adoption(s, SYSTEM, sample, SAMPLE / manifest["final"]["file"], label="公布稿")
    csv_file = folder / "桃源街道意见.csv"
    csv_file.write_text(
        "id,text,author,contact\n"
        f"t1,\"{HOSTILE}\",赵六,13812345678\n"
        "t2,建议第五条明确停放区域的设置标准。,钱七,\n"
        "t3,,孙八,\n",
        encoding="utf-8",
    )
    with unit_of_work(url) as s:
        other = consultations.create_consultation(
            s, SYSTEM, title="南山区电动自行车停放管理办法（征求意见稿）", contact_point=OTHER_POINT,
            draft=SAMPLE / manifest["draft"]["file"],
        ).id
        intake.import_files(s, SYSTEM, other, [csv_file], channel="form", contact_point=OTHER_POINT)
    with unit_of_work(url) as s:
        analysis.analyze(s, SYSTEM, other, backend="tfidf")
    from minyi.services import accounts

    with unit_of_work(url) as s:
        for name, (role, point, limit) in USERS.items():
            accounts.add_user(s, SYSTEM, name, role, password=PASSWORD, contact_points=[point] if point else [],
                              consultation_ids=[other] if limit else [])
    dispose_engines()
    return db, sample, other


@pytest.fixture(scope="session")
def template_db(tmp_path_factory) -> tuple[Path, int, int]:
    return _build(tmp_path_factory.mktemp("web-template"))


@pytest.fixture
def world(template_db, tmp_path, monkeypatch) -> World:
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines

    db = tmp_path / "minyi.db"
    shutil.copy(template_db[0], db)
    url = f"sqlite:///{db}"
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    monkeypatch.setenv("MINYI_PIPELINE__EMBEDDING_BACKEND", "tfidf")
    reset_settings()
    yield World(url, db, template_db[1], template_db[2])
    dispose_engines()
    reset_settings()


@pytest.fixture
def app(world):
    from minyi.core.settings import load_settings
    from web.app import create_app

    return create_app(load_settings(database_url=world.url, web={"secret_key": SECRET}))


CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A TestClient with a user's session and the CSRF token of the last page."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.csrf = ""

    def get(self, url: str, **kw):  # type: ignore[no-untyped-def]
        response = self.client.get(url, **kw)
        match = CSRF.search(response.text) if "text/html" in response.headers.get("content-type", "") else None
        if match:
            self.csrf = match.group(1)
        return response

    def post(self, url: str, data: dict | list | None = None, *, csrf: bool = True, **kw):  # type: ignore[no-untyped-def]
        if not self.csrf:
            self.get("/consultations")
        if isinstance(data, list):  # repeated fields: ("ids", "1"), ("ids", "2")
            payload: dict = {}
            for key, value in [*data, *([("csrf_token", self.csrf)] if csrf else [])]:
                payload.setdefault(key, []).append(value)
        else:
            payload = {**(data or {}), **({"csrf_token": self.csrf} if csrf else {})}
        return self.client.post(url, data=payload, follow_redirects=False, **kw)


def login(client, username: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    page = client.get("/login")
    token = CSRF.search(page.text).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf_token": token,
                                       "next": "/consultations"}, follow_redirects=False)


@pytest.fixture
def as_user(app):
    """``as_user("staff1")`` → a Browser logged in as that user."""
    from fastapi.testclient import TestClient

    clients = []

    def make(name: str) -> Browser:
        client = TestClient(app, raise_server_exceptions=False)
        clients.append(client)
        response = login(client, name)
        assert response.status_code == 303, response.text
        return Browser(client)

    yield make
    for c in clients:
        c.close()
