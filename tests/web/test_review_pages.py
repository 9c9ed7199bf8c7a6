"""Reviewer work over HTTP: the cluster page (edit, conflict, merge, split, move), the
review queue (accept, bulk accept, move by key), undo, assignment, bad input."""

from __future__ import annotations

import re
import sqlite3


def rows(world, sql: str, *args):  # type: ignore[no-untyped-def]
    return sqlite3.connect(world.db_path).execute(sql, args).fetchall()


def sibling_clusters(world) -> tuple[int, int, int]:  # type: ignore[no-untyped-def]
    """Two clusters of one article: (article id, first, second)."""
    pid, a, b = rows(world, """select provision_id, min(id), max(id) from cluster where consultation_id = 1
                               and provision_id is not null group by provision_id having count(*) >= 2
                               order by provision_id""")[0]
    return pid, a, b


def version(world, cluster: int) -> int:
    return rows(world, "select row_version from cluster where id = ?", cluster)[0][0]


def test_write_consolidated_opinion_and_mark_reviewed(as_user, world):
    b = as_user("rev")
    _pid, cluster, _ = sibling_clusters(world)
    assert "归并后的修改意见" in b.get(f"/clusters/{cluster}").text
    response = b.post(f"/clusters/{cluster}/update", {
        "version": version(world, cluster), "label": "头盔佩戴", "opinion": "建议明确骑乘人员佩戴安全头盔。",
        "reason": "保障骑行安全。", "reviewed": "true",
    })
    assert response.status_code == 303
    page = b.get(response.headers["location"]).text
    assert "建议明确骑乘人员佩戴安全头盔。" in page and "已审阅" in page
    (opinion, reason, reviewed), = rows(world, "select consolidated_text, reason_text, reviewed from cluster where id = ?", cluster)
    assert (opinion, reason, reviewed) == ("建议明确骑乘人员佩戴安全头盔。", "保障骑行安全。", 1)
    (actor, action), = rows(world, "select actor, action from audit_log where entity = 'cluster' and entity_id = ? "
                            "order by id desc limit 1", cluster)
    assert (actor, action) == ("rev", "update_cluster")


def test_second_save_on_a_stale_version_gets_a_chinese_conflict(as_user, world):
    _pid, cluster, _ = sibling_clusters(world)
    seen = version(world, cluster)
    first, second = as_user("rev"), as_user("admin")
    assert first.post(f"/clusters/{cluster}/update", {"version": seen, "opinion": "甲的意见"}).status_code == 303
    response = second.post(f"/clusters/{cluster}/update", {"version": seen, "opinion": "乙的意见"})
    assert response.status_code == 409
    assert "该记录已被他人修改" in response.text and "rev" in response.text
    assert "甲的意见" in response.text  # the other's change is shown
    assert "乙的意见" in response.text  # and what this reviewer typed is kept in the form
    assert rows(world, "select consolidated_text from cluster where id = ?", cluster)[0][0] == "甲的意见"


def test_merge_then_split(as_user, world):
    b = as_user("rev")
    pid, a, c = sibling_clusters(world)
    b.get(f"/clusters/{a}")
    response = b.post(f"/clusters/{a}/merge", [("version", str(version(world, a))), ("others", str(c)),
                                                ("version_" + str(c), str(version(world, c)))])
    assert response.status_code == 303, response.text
    assert rows(world, "select count(*) from cluster where id = ?", c)[0][0] == 0
    members = [m for (m,) in rows(world, "select suggestion_id from cluster_member where cluster_id = ? order by suggestion_id", a)]
    assert len(members) >= 2
    # Split the last member (and its duplicates) out again.
    response = b.post(f"/clusters/{a}/split", [("version", str(version(world, a))), ("members", str(members[-1]))])
    assert response.status_code == 303, response.text
    new = int(re.search(r"/clusters/(\d+)", response.headers["location"]).group(1))
    assert new != a and members[-1] in [m for (m,) in rows(world, "select suggestion_id from cluster_member where cluster_id = ?", new)]
    assert "拆分" in b.get(response.headers["location"]).text


def test_split_of_every_member_is_refused_in_chinese(as_user, world):
    b = as_user("rev")
    _pid, a, _ = sibling_clusters(world)
    members = [("members", str(m)) for (m,) in rows(world, "select suggestion_id from cluster_member where cluster_id = ?", a)]
    response = b.post(f"/clusters/{a}/split", [("version", str(version(world, a))), *members])
    assert response.status_code == 400 and "至少应保留一条" in response.text


def test_move_a_member_to_another_article_and_general(as_user, world):
    b = as_user("rev")
    _pid, a, _ = sibling_clusters(world)
    member = rows(world, "select min(suggestion_id) from cluster_member where cluster_id = ?", a)[0][0]
    response = b.post(f"/clusters/{a}/move-suggestion", {"suggestion_id": member, "to": "2"})
    assert response.status_code == 303, response.text
    assert rows(world, "select reviewed_scope from suggestion where id = ?", member)[0][0] == "article"
    response = b.post(f"/suggestions/{member}/move", {"to": "general", "back": f"/clusters/{a}"})
    assert response.status_code == 303
    assert rows(world, "select reviewed_scope, is_general from suggestion where id = ?", member)[0] == ("general", 1)
    response = b.post(f"/suggestions/{member}/move", {"to": "999"})
    assert response.status_code == 400 and "草案中没有第九百九十九条" in response.text


def test_queue_lists_least_sure_first_and_accept_takes_an_item_out(as_user, world):
    b = as_user("rev")
    page = b.get(f"/c/{world.sample_id}/queue").text
    ids = [int(i) for i in re.findall(r'data-id="(\d+)" data-version', page)]
    versions = dict(re.findall(r'data-id="(\d+)" data-version="(\d+)"', page))
    assert ids, "the sample consultation has items to review"
    assert "快捷键" in page
    first = ids[0]
    response = b.post(f"/c/{world.sample_id}/queue/accept", {"ids": first, f"version_{first}": versions[str(first)]})
    assert response.status_code == 303
    assert rows(world, "select reviewed_scope from suggestion where id = ?", first)[0][0] is not None
    page = b.get(f"/c/{world.sample_id}/queue").text
    assert f'data-id="{first}"' not in page
    # Bulk accept of a selection.
    chosen = [int(i) for i in re.findall(r'data-id="(\d+)" data-version', page)][:3]
    data = [("ids", str(i)) for i in chosen]
    assert b.post(f"/c/{world.sample_id}/queue/accept", data).status_code == 303
    assert all(rows(world, "select reviewed_scope from suggestion where id = ?", i)[0][0] for i in chosen)
    # A move to 非意见 takes it out of the document.
    rest = [int(i) for i in re.findall(r'data-id="(\d+)" data-version', b.get(f"/c/{world.sample_id}/queue").text)]
    if rest:
        assert b.post(f"/suggestions/{rest[0]}/move", {"to": "not-opinion"}).status_code == 303
        assert "非意见（" in b.get(f"/c/{world.sample_id}/articles").text


def test_undo_puts_back_the_last_operation(as_user, world):
    b = as_user("rev")
    _pid, cluster, _ = sibling_clusters(world)
    before = rows(world, "select label from cluster where id = ?", cluster)[0][0]
    b.post(f"/clusters/{cluster}/update", {"version": version(world, cluster), "label": "临时标题"})
    assert rows(world, "select label from cluster where id = ?", cluster)[0][0] == "临时标题"
    response = b.post(f"/c/{world.sample_id}/undo", {"back": f"/clusters/{cluster}"})
    assert response.status_code == 303
    assert rows(world, "select label from cluster where id = ?", cluster)[0][0] == before


def test_assignment_and_assigned_to_me(as_user, world):
    admin, rev = as_user("admin"), as_user("rev")
    _pid, cluster, _ = sibling_clusters(world)
    assert admin.post(f"/clusters/{cluster}/assign", {"username": "rev"}).status_code == 303
    mine = rev.get(f"/c/{world.sample_id}/articles?mine=1").text
    assert f'id="cluster-{cluster}"' in mine
    assert mine.count('class="cluster ') + mine.count('class="cluster"') == 1
    # Assigning to someone who may not review the consultation is refused.
    response = admin.post(f"/clusters/{cluster}/assign", {"username": "staff2"})
    assert response.status_code == 400 and "无权审阅" in response.text


def test_article_view_shows_paragraphs_counts_and_tail_sections(as_user, world):
    page = as_user("rev").get(f"/c/{world.sample_id}/articles").text
    assert "第一条" in page and "第一款" in page and re.search(r"有\d+人提出", page)
    assert "总体意见" in page and "草案范围外意见" in page and "非意见" in page
    filtered = as_user("rev").get(f"/c/{world.sample_id}/articles?channel=email&state=open").text
    assert "符合筛选" in filtered
    one_article = rows(world, "select min(id) from provision where kind = 'article'")[0][0]
    single = as_user("rev").get(f"/c/{world.sample_id}/articles?article={one_article}").text
    assert single.count('class="article"') == 1


def test_bad_input_is_a_chinese_4xx(as_user, world):
    b = as_user("admin")
    cases = [
        ("/clusters/999999", 404, "未找到"),
        ("/clusters/abc", 400, "请求参数有误"),
        (f"/c/{world.sample_id}/articles?channel=bogus", 400, "渠道无效"),
        (f"/c/{world.sample_id}/articles?cp=x", 400, "筛选条件有误"),
        ("/c/999999/articles", 404, "未找到编号为 999999 的征求意见任务"),
        ("/no/such/page", 404, "页面不存在"),
        (f"/c/{world.sample_id}/download/feedback.exe", 400, "不支持该下载格式"),
        ("/stats?by=nonsense", 400, "统计方式无效"),
        ("/audit?since=yesterday", 400, "不是有效日期"),
    ]
    for url, status, text in cases:
        response = b.get(url)
        assert response.status_code == status, url
        assert text in response.text, url
        assert "Traceback" not in response.text
    response = b.post("/clusters/999999/update", {"opinion": "x"})
    assert response.status_code == 404
    response = b.post(f"/clusters/{sibling_clusters(world)[1]}/update", {"version": "not-a-number"})
    assert response.status_code == 400
