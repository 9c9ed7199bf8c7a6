"""Pages that do not grow with the consultation: the review queue read in the order the
analysis stored, the whole draft showing each article's largest clusters, a cluster's
members a page at a time (the limits lowered here so the small sample reaches them)."""

from __future__ import annotations

import re
import sqlite3



def rows(world, sql: str, *args):  # type: ignore[no-untyped-def]
    return sqlite3.connect(world.db_path).execute(sql, args).fetchall()


def queue_ids(page: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-id="(\d+)" data-version', page)]


def test_the_analysis_stores_each_open_suggestion_s_sureness_and_the_queue_follows_it(as_user, world):
    assert rows(world, "select count(*) from suggestion where consultation_id = ? and reviewed_scope is null "
                       "and sureness is null", world.sample_id)[0][0] == 0
    expected = [sid for (sid,) in rows(world, "select id from suggestion where consultation_id = ? and reviewed_scope "
                                              "is null and sureness < 2 order by sureness, id limit 50", world.sample_id)]
    assert expected, "the sample has doubtful placements"
    assert queue_ids(as_user("rev").get(f"/c/{world.sample_id}/queue").text) == expected


def test_a_suggestion_whose_sureness_is_unknown_is_rated_on_the_queue_s_first_read(as_user, world):
    before = dict(rows(world, "select id, sureness from suggestion where consultation_id = ?", world.sample_id))
    con = sqlite3.connect(world.db_path)
    con.execute("update suggestion set sureness = null where consultation_id = ?", (world.sample_id,))
    con.commit()
    con.close()
    page = as_user("rev").get(f"/c/{world.sample_id}/queue").text
    after = dict(rows(world, "select id, sureness from suggestion where consultation_id = ?", world.sample_id))
    assert after == before
    assert queue_ids(page)


def test_the_whole_draft_shows_each_article_s_largest_clusters_and_links_to_the_rest(as_user, world, monkeypatch):
    from minyi.services import web_queries

    monkeypatch.setattr(web_queries, "CLUSTERS_PER_ARTICLE", 1)
    monkeypatch.setattr(web_queries, "TAIL_CLUSTERS", 1)
    pid, n = rows(world, """select provision_id, count(*) from cluster where consultation_id = ? and provision_id
                            is not null group by provision_id having count(*) >= 2 order by count(*) desc""",
                  world.sample_id)[0]
    b = as_user("rev")
    whole = b.get(f"/c/{world.sample_id}/articles").text
    section = whole.split(f'id="article-{pid}"')[1].split("</section>")[0]
    assert section.count('<li class="cluster') == 1
    assert f"另有{n - 1}条归并意见" in section and f"article={pid}" in section
    largest = rows(world, "select id from cluster where provision_id = ? order by size desc, id limit 1", pid)[0][0]
    assert f'id="cluster-{largest}"' in section
    one = b.get(f"/c/{world.sample_id}/articles?article={pid}").text
    assert one.count('<li class="cluster') == n and "另有" not in one
    general = rows(world, "select count(*) from cluster where consultation_id = ? and provision_id is null and "
                          "scope != 'other'", world.sample_id)[0][0]
    if general > 1:
        assert "查看全部总体意见" in whole
        tail = b.get(f"/c/{world.sample_id}/articles?part=general").text
        assert tail.count('<li class="cluster') == general and "草案范围外意见" not in tail
    assert b.get(f"/c/{world.sample_id}/articles?part=nothing").status_code == 400


def test_a_cluster_s_members_come_a_page_at_a_time_and_the_rest_of_a_line_splits_together(as_user, world, monkeypatch):
    from minyi.services import web_queries

    monkeypatch.setattr(web_queries, "ENTRIES_PER_PAGE", 1)
    monkeypatch.setattr(web_queries, "MEMBERS_PER_ENTRY", 1)
    # The sample's campaign letters: one line of many members in a cluster with other lines.
    cluster, group, n = rows(world, """select cm.cluster_id, s.duplicate_group_id, count(*) from cluster_member cm
                                       join suggestion s on s.id = cm.suggestion_id
                                       join duplicate_group g on g.id = s.duplicate_group_id
                                       where s.consultation_id = ? and g.kind = 'campaign'
                                       group by cm.cluster_id, s.duplicate_group_id having count(*) >= 3
                                       order by count(*) desc""", world.sample_id)[0]
    size = rows(world, "select count(*) from cluster_member where cluster_id = ?", cluster)[0][0]
    assert size > n, "the campaign's cluster has other members too"
    b = as_user("rev")
    first = b.get(f"/clusters/{cluster}").text
    assert len(re.findall(r'<li class="(?:member|campaign)"', first)) == 1
    assert "第1/" in first and f"/clusters/{cluster}?page=2" in first
    assert "第2/" in b.get(f"/clusters/{cluster}?page=2").text
    assert b.get(f"/clusters/{cluster}?page=999").status_code == 200  # the last page
    pages = int(re.search(r"第1/(\d+)页", first).group(1))
    rest = None
    for number in range(1, pages + 1):
        page = b.get(f"/clusters/{cluster}?page={number}").text
        if "联名/模板意见" in page and (found := re.search(r'value="([\d,]+)"> 其余(\d+)份', page)):
            rest = found.group(1)
            assert int(found.group(2)) == n - 1 and f"共{n}份" in page
            break
    assert rest, "the campaign's line shows one letter and the rest together"
    ids = {int(i) for i in rest.split(",")}
    assert ids <= {sid for (sid,) in rows(world, "select id from suggestion where duplicate_group_id = ?", group)}
    version = rows(world, "select row_version from cluster where id = ?", cluster)[0][0]
    response = b.post(f"/clusters/{cluster}/split", [("version", str(version)), ("members", rest)])
    assert response.status_code == 303, response.text
    new = int(re.search(r"/clusters/(\d+)", response.headers["location"]).group(1))
    assert new != cluster
    assert ids <= {sid for (sid,) in rows(world, "select suggestion_id from cluster_member where cluster_id = ?", new)}
