"""Logging in: cookie flags, CSRF on every state-changing request, throttling, logout,
anonymous users sent to the login page."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from conftest import CSRF, PASSWORD, login


def _client(app) -> TestClient:  # type: ignore[no-untyped-def]
    return TestClient(app, raise_server_exceptions=False)


def test_anonymous_pages_redirect_to_login(app, world):
    client = _client(app)
    for url in ["/", "/consultations", f"/c/{world.sample_id}/articles", "/clusters/1", "/audit", "/users",
                f"/c/{world.sample_id}/download/feedback.docx"]:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303, url
        assert response.headers["location"].startswith("/login?next=")
    response = client.get("/consultations")  # followed: the Chinese login page
    assert response.status_code == 200 and "登录" in response.text


def test_anonymous_htmx_request_gets_hx_redirect(app):
    response = _client(app).get("/consultations", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401 and response.headers["HX-Redirect"].startswith("/login")


def test_session_cookie_is_signed_httponly_samesite(app, world):
    client = _client(app)
    response = login(client, "admin")
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("minyi_session="))
    flags = cookie.lower()
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags and "max-age=" in flags
    token = cookie.split(";")[0].split("=", 1)[1]
    assert "." in token  # itsdangerous signature
    # A tampered cookie is no session.
    other = _client(app)
    other.cookies.set("minyi_session", token[:-2] + ("AA" if not token.endswith("AA") else "BB"))
    assert other.get("/consultations", follow_redirects=False).status_code == 303
    # The stored session keeps only a hash of the token.
    import sqlite3

    stored = sqlite3.connect(world.db_path).execute("select token_hash from web_session").fetchall()
    raw = client.app.state.signer.unsign(token)
    assert stored and all(raw not in row[0] for row in stored)


def test_cookie_is_secure_over_https(app):
    client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
    response = login(client, "admin")
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and v.startswith("minyi_session="))
    assert "secure" in cookie.lower()


def test_wrong_password_is_refused_in_chinese(app):
    response = login(_client(app), "admin", "wrong password")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_unknown_user_is_refused_like_a_wrong_password(app):
    response = login(_client(app), "nobody", "wrong password")
    assert response.status_code == 401 and "用户名或密码错误" in response.text


def test_login_is_throttled_after_five_failures(app):
    client = _client(app)
    for _ in range(5):
        assert login(client, "staff1", "wrong password").status_code == 401
    response = login(client, "staff1", PASSWORD)  # even the right password, for now
    assert response.status_code == 429 and "登录失败次数过多" in response.text
    # Other users are not locked out by someone guessing staff1's password.
    assert login(_client(app), "staff2").status_code == 303


def test_login_form_needs_its_csrf_token(app):
    client = _client(app)
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD, "csrf_token": "forged"},
                           follow_redirects=False)
    assert response.status_code == 403 and "请刷新页面后重试" in response.text
    response = client.post("/login", data={"username": "admin", "password": PASSWORD}, follow_redirects=False)
    assert response.status_code == 403


def test_state_changing_requests_need_the_sessions_csrf_token(as_user, world):
    b = as_user("admin")
    url = f"/c/{world.sample_id}/edit"
    data = {"title": "改过的标题", "status": "open"}
    assert b.post(url, data, csrf=False).status_code == 403
    assert b.post(url, {**data, "csrf_token": "forged"}, csrf=False).status_code == 403
    # Another user's token is no good either.
    other = as_user("staff1")
    other.get("/consultations")
    assert b.post(url, {**data, "csrf_token": other.csrf}, csrf=False).status_code == 403
    assert "改过的标题" not in b.get(f"/c/{world.sample_id}").text
    # The header htmx sends works like the form field.
    response = b.client.post(url, data=data, headers={"X-CSRF-Token": b.csrf}, follow_redirects=False)
    assert response.status_code == 303
    assert "改过的标题" in b.get(f"/c/{world.sample_id}").text


def test_every_post_route_refuses_a_missing_csrf_token(app, as_user, world):
    """Whatever route: a logged-in POST without the token is refused before it acts."""
    b = as_user("admin")
    paths = set()
    for route in _routes(app):
        if "POST" in (getattr(route, "methods", None) or set()) and route.path != "/login":
            paths.add(re.sub(r"\{[^}]+\}", "1", route.path).replace("/c/1/", f"/c/{world.sample_id}/"))
    assert len(paths) >= 20
    for path in sorted(paths):
        response = b.post(path, {}, csrf=False)
        assert response.status_code == 403, path


def _routes(app):  # type: ignore[no-untyped-def]
    from web.routes import ROUTERS

    for router in ROUTERS:
        yield from router.routes


def test_logout_ends_the_session(as_user):
    b = as_user("rev")
    assert b.get("/consultations").status_code == 200
    assert b.post("/logout").status_code == 303
    assert b.client.get("/consultations", follow_redirects=False).status_code == 303


def test_disabled_user_loses_the_session(as_user, world):
    rev = as_user("rev")
    admin = as_user("admin")
    page = admin.get("/users").text
    ids = re.findall(r'action="/users/(\d+)"', page)
    names = re.findall(r"<tr><td>([^<]+)</td><td>", page)
    rev_id = ids[names.index("rev")]
    assert admin.post(f"/users/{rev_id}", {"role": "reviewer", "contact_points": "", "consultations": ""}).status_code == 303
    assert rev.client.get("/consultations", follow_redirects=False).status_code == 303
    assert login(TestClient(admin.client.app), "rev").status_code == 401


def test_security_headers(as_user):
    response = as_user("admin").get("/consultations")
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
