"""Consultations, import and quarantine, adoption, statistics, downloads, audit log, users."""

from __future__ import annotations

import io
import json
import re
import sqlite3

import docx
import openpyxl

from conftest import SAMPLE


def rows(world, sql: str, *args):  # type: ignore[no-untyped-def]
    return sqlite3.connect(world.db_path).execute(sql, args).fetchall()


def test_consultation_list_shows_status_countdown_and_counts(as_user, world):
    page = as_user("admin").get("/consultations").text
    assert "深圳经济特区电动自行车管理条例" in page and "已截止" in page
    comments = rows(world, "select count(*) from comment where consultation_id = ?", world.sample_id)[0][0]
    assert f'<td class="num">{comments}</td>' in page


def test_create_consultation_with_draft_then_edit_details(as_user, world):
    b = as_user("staff1")
    b.get("/consultations")
    draft = (SAMPLE / "draft.md").read_bytes()
    response = b.client.post("/consultations", data={"title": "测试条例（征求意见稿）", "deadline": "2099-01-31",
                                                    "csrf_token": b.csrf},
                             files={"draft": ("测试草案.md", draft, "text/markdown")}, follow_redirects=False)
    assert response.status_code == 303, response.text
    cid = int(re.search(r"/c/(\d+)", response.headers["location"]).group(1))
    page = b.get(f"/c/{cid}").text
    assert "征求意见稿" in page and "福田区华富街道基层立法联系点" in page  # staff's own point by default
    assert "还剩" in b.get("/consultations").text
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    response = b.post(f"/c/{cid}/edit", {"version": version, "title": "测试条例（征求意见稿）", "addressee": "市人大常委会法工委",
                                         "signer": "华富街道办事处", "signed_on": "2099-02-01", "status": "open"})
    assert response.status_code == 303
    page = b.get(f"/c/{cid}").text
    assert "市人大常委会法工委" in page and "华富街道办事处" in page and "2099-02-01" in page
    # The same version again is stale.
    response = b.post(f"/c/{cid}/edit", {"version": version, "title": "x", "status": "open"})
    assert response.status_code == 409 and "该记录已被他人修改" in response.text
    response = b.post(f"/c/{cid}/edit", {"title": "x", "status": "open", "signed_on": "明天"})
    assert response.status_code == 400 and "不是有效日期" in response.text


def test_corrupt_draft_upload_is_a_chinese_400(as_user):
    b = as_user("admin")
    b.get("/consultations")
    response = b.client.post("/consultations", data={"title": "坏草案", "csrf_token": b.csrf},
                             files={"draft": ("坏.docx", b"not a zip", "application/octet-stream")}, follow_redirects=False)
    assert response.status_code == 400 and "Traceback" not in response.text


def test_import_results_quarantine_correct_and_dismiss(as_user, world):
    b = as_user("staff2")
    b.get(f"/c/{world.other_id}/import")
    data = "id,text,author\nn1,建议第六条增加充电安全要求。,周九\nn2,,吴十\nn3,,郑十一\n".encode()
    response = b.client.post(f"/c/{world.other_id}/import", data={"csrf_token": b.csrf, "channel": "form"},
                             files={"files": ("新意见.csv", data, "text/csv")})
    assert response.status_code == 200
    assert "导入结果" in response.text and "新意见.csv" in response.text
    page = b.get(f"/c/{world.other_id}/import").text
    quarantined = [int(i) for i in re.findall(r'id="q-(\d+)"', page)]
    assert len(quarantined) >= 2 and "原因" in page
    response = b.post(f"/c/{world.other_id}/quarantine/{quarantined[0]}/correct", {"text": "建议第七条明确停放收费标准。"})
    assert response.status_code == 303, response.text
    assert rows(world, "select status from raw_record where id = ?", quarantined[0])[0][0] == "ok"
    assert rows(world, "select count(*) from comment where text = '建议第七条明确停放收费标准。'")[0][0] == 1
    response = b.post(f"/c/{world.other_id}/quarantine/{quarantined[1]}/dismiss", {"reason": "内容为“无”"})
    assert response.status_code == 303
    status, error = rows(world, "select status, error from raw_record where id = ?", quarantined[1])[0]
    assert status == "ok" and "内容为“无”" in error
    assert b.post(f"/c/{world.other_id}/quarantine/{quarantined[1]}/dismiss", {"reason": "x"}).status_code == 400


def test_corrupt_or_unsupported_upload_is_a_chinese_400(as_user, world):
    b = as_user("admin")
    b.get(f"/c/{world.sample_id}/import")
    for name, body in [("坏表.xlsx", b"PK\x03\x04 broken"), ("程序.exe", b"MZ")]:
        response = b.client.post(f"/c/{world.sample_id}/import", data={"csrf_token": b.csrf},
                                 files={"files": (name, body, "application/octet-stream")})
        assert response.status_code == 400, name
        assert "Traceback" not in response.text and name in response.text


def test_adoption_confirm_override_bulk_and_reply_text(as_user, world):
    b = as_user("rev")
    page = b.get(f"/c/{world.sample_id}/adoption?source=auto").text
    ids = [int(i) for i in re.findall(r'id="decision-(\d+)"', page)]
    assert len(ids) >= 3 and "公布稿" in page and ("<ins>" in page or "<del>" in page)
    # Why each status was proposed, in Chinese (the rule's code only as the tooltip).
    reasons = re.findall(r'<span class="rule" title="([^"]*)">([^<]*)</span>', page)
    assert len(reasons) == len(ids) and all(label and label != code and re.search(r"[\u4e00-\u9fff]", label)
                                            for code, label in reasons)
    response = b.post(f"/c/{world.sample_id}/adoption/decide", {"suggestion_id": ids[0], "status": "部分采纳",
                                                                 "note": "已在第十条中部分吸收。"})
    assert response.status_code == 303
    assert rows(world, "select status, note, decided_by from adoption_decision where suggestion_id = ? and source = 'manual'",
                ids[0])[0] == ("部分采纳", "已在第十条中部分吸收。", "rev")
    statuses = dict(re.findall(r'name="status_(\d+)" value="([^"]+)"', page))
    data = [("ids", str(i)) for i in ids[1:3]] + [(f"status_{i}", statuses[str(i)]) for i in ids[1:3]]
    assert b.post(f"/c/{world.sample_id}/adoption/confirm", data).status_code == 303
    for i in ids[1:3]:
        assert rows(world, "select status from adoption_decision where suggestion_id = ? and source = 'manual'", i)[0][0] == statuses[str(i)]
    response = b.post(f"/c/{world.sample_id}/adoption/decide", {"suggestion_id": ids[0], "status": "大概采纳"})
    assert response.status_code == 400


def test_a_request_found_in_another_article_shows_that_articles_change(as_user, world):
    found = rows(world, "select suggestion_id, json_extract(evidence, '$.found.final_article') from adoption_decision "
                        "where consultation_id = ? and source = 'auto' and json_extract(evidence, '$.found') is not null "
                        "and suggestion_id not in (select suggestion_id from adoption_decision where source = 'manual') "
                        "order by suggestion_id", world.sample_id)
    assert found, "the sample has requests the revision wrote into another article"
    sid, article = found[0]
    b = as_user("rev")
    for page_number in range(1, 40):
        page = b.get(f"/c/{world.sample_id}/adoption?page={page_number}").text
        if f'id="decision-{sid}"' in page:
            break
    section = page[page.index(f'id="decision-{sid}"'):]
    section = section[:section.index("</section>")]
    assert "所提内容见于" in section and f"公布稿 {article}" in section and "<ins>" in section


def test_statistics_totals_add_up(as_user, world):
    page = as_user("admin").get("/stats?by=channel").text
    table = page[page.index('id="stats-table"'):]
    body, foot = table.split("<tfoot>")[0], table.split("<tfoot>")[1]
    cell = re.compile(r'<td class="num">(\d+)</td>')
    lines = [cell.findall(r) for r in body.split("<tr>")[2:]]
    total = cell.findall(foot)
    assert lines and total
    assert sum(int(line[2]) for line in lines) == int(total[2])  # suggestions


def test_statistics_download_as_the_table_and_the_chart_of_minyi_stats(as_user, world):
    b = as_user("admin")
    page = b.get("/stats?by=channel").text
    assert "/stats/download.png?by=channel" in page
    foot = page[page.index("<tfoot>"):]
    total_suggestions = int(re.findall(r'<td class="num">(\d+)</td>', foot)[2])
    book = openpyxl.load_workbook(io.BytesIO(b.get("/stats/download.xlsx?by=channel").content))
    cells = [str(c.value) for row in book.active.iter_rows() for c in row if c.value is not None]
    assert str(total_suggestions) in cells
    csv_text = b.get("/stats/download.csv?by=channel").content.decode("utf-8-sig")
    assert str(total_suggestions) in csv_text
    chart = b.get("/stats/download.png?by=channel")
    assert chart.status_code == 200 and chart.content.startswith(b"\x89PNG")
    assert b.get("/stats/download.exe?by=channel").status_code == 400
    assert b.get("/stats/download.png?by=nothing").status_code == 400


def test_download_feedback_docx_review_and_exports(as_user, world):
    b = as_user("staff1")
    response = b.get(f"/c/{world.sample_id}/download/feedback.docx")
    assert response.status_code == 200
    document = docx.Document(io.BytesIO(response.content))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "意见建议" in text
    assert "attachment" in response.headers["content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(b.get(f"/c/{world.sample_id}/download/suggestions.xlsx").content))
    assert book.active.max_row > 10
    lines = b.get(f"/c/{world.sample_id}/download/adoption.jsonl").text.splitlines()
    assert lines and json.loads(lines[0])["suggestion_id"]
    assert b.get(f"/c/{world.sample_id}/download/review.docx").status_code == 200


def test_audit_log_filter_and_export(as_user, world):
    rev, admin = as_user("rev"), as_user("admin")
    cluster = rows(world, "select min(id) from cluster where consultation_id = ?", world.sample_id)[0][0]
    v = rows(world, "select row_version from cluster where id = ?", cluster)[0][0]
    rev.post(f"/clusters/{cluster}/update", {"version": v, "opinion": "审计测试意见"})
    page = admin.get(f"/audit?user=rev&consultation={world.sample_id}").text
    assert "审计测试意见" in page or "填写修改意见" in page
    assert "import" not in re.sub(r"<[^>]+>", "", page.split("<tbody>")[1])
    csv_text = admin.get("/audit/export.csv?user=rev").content.decode("utf-8-sig")
    assert "操作人" in csv_text and "update_cluster" in csv_text
    lines = admin.get("/audit/export.jsonl?user=rev").text.splitlines()
    assert all(json.loads(line)["actor"] == "rev" for line in lines)


def test_admin_adds_and_edits_users(as_user, world):
    b = as_user("admin")
    response = b.post("/users", {"username": "zhao", "role": "staff", "password": "a long secret",
                                 "contact_points": "福田区华富街道基层立法联系点"})
    assert response.status_code == 303
    assert "zhao" in b.get("/users").text
    response = b.post("/users", {"username": "qian", "role": "staff", "password": "a long secret"})
    assert response.status_code == 400 and "至少需要指定一个联系点" in response.text
    response = b.post("/users", {"username": "sun", "role": "reviewer", "password": "short"})
    assert response.status_code == 400 and "密码至少需要8个字符" in response.text
    response = b.post("/users", {"username": "zhao", "role": "reviewer", "password": "a long secret"})
    assert response.status_code == 409 and "已存在" in response.text
    user_id = rows(world, "select id from user_account where username = 'zhao'")[0][0]
    response = b.post(f"/users/{user_id}", {"role": "reviewer", "active": "true", "consultations": str(world.other_id)})
    assert response.status_code == 303
    assert rows(world, "select consultation_id from reviewer_consultation where user_id = ?", user_id) == [(world.other_id,)]


def test_staff_record_a_symposium_s_date_and_participants(as_user, world):
    (source, version), *_ = rows(world, "select id, row_version from source where consultation_id = ? and "
                                        "channel = 'symposium' order by id", world.sample_id)
    staff = as_user("staff1")
    page = staff.get(f"/c/{world.sample_id}").text
    assert f'id="symposium-{source}"' in page and "参加人员M人次" in page
    response = staff.post(f"/c/{world.sample_id}/symposium/{source}",
                          {"version": version, "held_on": "2025-09-25", "participants": "18"})
    assert response.status_code == 303
    meta = json.loads(rows(world, "select meta from source where id = ?", source)[0][0])
    assert "2025-09-25" in meta.values() and 18 in meta.values()
    (actor, action), = rows(world, "select actor, action from audit_log where action = 'update_symposium'")
    assert (actor, action) == ("staff1", "update_symposium")
    # A stale form, a bad count, another consultation's URL, a reviewer, another point's staff.
    stale = staff.post(f"/c/{world.sample_id}/symposium/{source}", {"version": version, "participants": "20"})
    assert stale.status_code == 409
    now = rows(world, "select row_version from source where id = ?", source)[0][0]
    bad = staff.post(f"/c/{world.sample_id}/symposium/{source}", {"version": now, "participants": "十八"})
    assert bad.status_code == 400 and "参加人数" in bad.text
    assert staff.post(f"/c/{world.other_id}/symposium/{source}", {"version": now}).status_code in (403, 404)
    reviewer = as_user("rev")
    assert f'id="symposium-{source}"' not in reviewer.get(f"/c/{world.sample_id}").text
    assert reviewer.post(f"/c/{world.sample_id}/symposium/{source}", {"version": now, "participants": "1"}).status_code == 403
    assert as_user("staff2").post(f"/c/{world.sample_id}/symposium/{source}",
                                  {"version": now, "participants": "1"}).status_code in (403, 404)
    assert json.loads(rows(world, "select meta from source where id = ?", source)[0][0]) == meta


def test_analysing_a_consultation_already_being_analysed_is_a_chinese_409(as_user, world):
    from sqlalchemy.orm import sessionmaker

    from models.analysis_store import analysis_lock
    from models.db import get_engine

    b = as_user("admin")
    b.get(f"/c/{world.sample_id}")
    other_run = sessionmaker(bind=get_engine(world.url))()
    try:
        with analysis_lock(other_run, world.sample_id) as held:
            assert held
            response = b.post(f"/c/{world.sample_id}/analyze")
            assert response.status_code == 409 and "该征求意见正在分析中" in response.text
    finally:
        other_run.close()
    assert b.post(f"/c/{world.sample_id}/analyze").status_code == 303
