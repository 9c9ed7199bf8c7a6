"""Who sees and changes what: staff only their contact point's consultations (directly by
id too), reviewers everything masked (or the consultations an admin limited them to),
personal data only for staff of the collecting point and admins."""

from __future__ import annotations

import sqlite3

from conftest import HOSTILE, OTHER_POINT


def one(world, sql: str, *args):  # type: ignore[no-untyped-def]
    return sqlite3.connect(world.db_path).execute(sql, args).fetchone()[0]


def test_staff_lists_only_their_consultations(as_user, world):
    page = as_user("staff2").get("/consultations").text
    assert "南山区电动自行车停放管理办法" in page and "深圳经济特区电动自行车管理条例" not in page
    page = as_user("staff1").get("/consultations").text
    assert "深圳经济特区电动自行车管理条例" in page and "南山区电动自行车停放管理办法" not in page


def test_staff_cannot_read_another_points_data_by_id(as_user, world):
    b = as_user("staff2")
    cluster = one(world, "select min(id) from cluster where consultation_id = ?", world.sample_id)
    for url in [f"/c/{world.sample_id}", f"/c/{world.sample_id}/articles", f"/c/{world.sample_id}/queue",
                f"/c/{world.sample_id}/adoption", f"/c/{world.sample_id}/import", f"/clusters/{cluster}",
                f"/c/{world.sample_id}/search?q=头盔", f"/c/{world.sample_id}/download/feedback.docx",
                f"/c/{world.sample_id}/download/suggestions.csv"]:
        response = b.get(url)
        assert response.status_code == 403, url
        assert "无权" in response.text


def test_staff_cannot_change_another_points_data_by_id(as_user, world):
    b = as_user("staff2")
    cluster, version = sqlite3.connect(world.db_path).execute(
        "select id, row_version from cluster where consultation_id = ? order by id", (world.sample_id,)).fetchone()
    suggestion = one(world, "select min(id) from suggestion where consultation_id = ?", world.sample_id)
    attempts = [
        (f"/clusters/{cluster}/update", {"version": version, "opinion": "篡改", "label": "x"}),
        (f"/suggestions/{suggestion}/move", {"to": "general"}),
        (f"/c/{world.sample_id}/edit", {"title": "篡改", "status": "open"}),
        (f"/c/{world.sample_id}/adoption/decide", {"suggestion_id": suggestion, "status": "采纳"}),
        (f"/c/{world.sample_id}/queue/accept", {"ids": suggestion}),
    ]
    for url, data in attempts:
        assert b.post(url, data).status_code == 403, url
    assert one(world, "select row_version from cluster where id = ?", cluster) == version
    assert one(world, "select count(*) from audit_log where actor = 'staff2' and action != 'login'") == 0


def test_reviewer_limited_to_some_consultations(as_user, world):
    b = as_user("rev2")
    page = b.get("/consultations").text
    assert "南山区" in page and "深圳经济特区" not in page
    assert b.get(f"/c/{world.sample_id}/articles").status_code == 403
    assert b.get(f"/c/{world.other_id}/articles").status_code == 200


def test_reviewer_sees_every_point_masked(as_user, world):
    b = as_user("rev")
    page = b.get("/consultations").text
    assert "南山区" in page and "深圳经济特区" in page
    cluster = one(world, """select c.id from cluster c join cluster_member m on m.cluster_id = c.id
                            join suggestion s on s.id = m.suggestion_id
                            where c.consultation_id = ? and s.text like '%13812345678%'""", world.other_id)
    page = b.get(f"/clusters/{cluster}").text
    assert "13812345678" not in page
    # Staff of the collecting point see it; staff of another point cannot open it at all.
    assert "13812345678" in as_user("staff2").get(f"/clusters/{cluster}").text
    assert "13812345678" in as_user("admin").get(f"/clusters/{cluster}").text
    assert as_user("staff1").get(f"/clusters/{cluster}").status_code == 403


def test_search_does_not_reveal_personal_data(as_user, world):
    url = f"/c/{world.other_id}/articles?q=13812345678"
    assert "没有找到" in as_user("rev").get(url).text
    assert "<mark>13812345678</mark>" in as_user("staff2").get(url).text
    # Chinese substring search works for everyone.
    page = as_user("rev").get(f"/c/{world.other_id}/articles?q=停放区域").text
    assert "<mark>停放区域</mark>" in page


def test_comment_markup_is_shown_as_text(as_user, world):
    page = as_user("admin").get(f"/c/{world.other_id}/articles?q=alert").text
    assert "<script>alert" not in page and "<b>头盔</b>" not in page
    assert "&lt;script&gt;" in page
    cluster = one(world, "select cluster_id from cluster_member m join suggestion s on s.id = m.suggestion_id "
                  "join comment c on c.id = s.comment_id where c.text like '%<script>%'")
    page = as_user("admin").get(f"/clusters/{cluster}").text
    assert "<script>alert" not in page and "<b>头盔</b>" not in page
    assert "头盔" in page and HOSTILE in one(world, "select text from comment where text like '%<script>%'")


def test_only_admins_see_the_audit_log_and_users(as_user):
    for name in ("staff1", "rev"):
        b = as_user(name)
        assert b.get("/audit").status_code == 403
        assert b.get("/users").status_code == 403
        assert b.get("/audit/export.csv").status_code == 403
        assert b.post("/users", {"username": "x", "role": "admin", "password": "longenough1"}).status_code == 403


def test_reviewer_cannot_import_or_edit_consultations(as_user, world):
    b = as_user("rev")
    assert b.get(f"/c/{world.sample_id}/import").status_code == 403
    assert b.post(f"/c/{world.sample_id}/edit", {"title": "x", "status": "open"}).status_code == 403
    assert b.post(f"/c/{world.sample_id}/quarantine/1/dismiss", {"reason": "x"}).status_code == 403
    assert OTHER_POINT  # the reviewer still reads every point's consultation
    assert b.get(f"/c/{world.other_id}").status_code == 200
