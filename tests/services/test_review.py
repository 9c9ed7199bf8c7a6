"""Reviewer operations on an analysed consultation.

For every operation: what it does to the suggestion export and the feedback document, its
audit row (who, before → after), a stale version refused with a conflict, and a re-analysis
after new comments arrive (`minyi analyze` through the CLI) that keeps it. Then undo.

The consultation is analysed once per module (tf-idf backend); each test works on a copy of
that SQLite file. ``test_operations_on_postgresql`` repeats the essentials on PostgreSQL when
MINYI_TEST_PG_URL is set.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import select

from minyi.core.errors import ConflictError, InputError, NotFoundError, PermissionDenied
from minyi.core.records import CommentIn, RecordIn, SourceIn
from minyi.services import documents, exports, review
from minyi.services.audit_log import list_audit
from minyi.services.context import Actor, unit_of_work
from models.entities import Cluster, ClusterMember, Comment, DuplicateGroup, Suggestion, SuggestionProvision

WANG = Actor("王芳", role="reviewer")
LI = Actor("李明", role="reviewer")
ADMIN = Actor("管理员", role="admin")

CAMPAIGN = (
    "征求意见稿第四十五条规定集中充电场所“不得设置在住宅建筑的架空层、地下室以及其他与住宅建筑连通的区域”，"
    "这一规定对老旧小区很不现实，建议允许在符合消防标准的架空层设置集中充电场所。"
)
CAMPAIGN2 = "第四十五条不许在架空层设集中充电场所不现实，老旧小区没有别的地方，建议允许在符合消防标准的架空层设置。"
# One suggestion per comment, in this order (ids 1 … 14 as analysed).
FIRST = [
    CommentIn("第三十条限速十五公里太低，建议改为二十五公里。", external_id="A-1", author_name="张三"),
    CommentIn("第30条时速应当提高到二十五公里，与新国标一致。", external_id="A-2"),
    CommentIn("第三十条应当规定驾驶人不得搭载成年人。", external_id="A-3"),  # really 第二十八条第二款
    CommentIn("第三十条的限速规定很好，我支持。", external_id="A-4"),  # a cluster of its own (支持)
    CommentIn(CAMPAIGN, external_id="B-1"),
    CommentIn(CAMPAIGN, external_id="B-2"),
    CommentIn(CAMPAIGN2, external_id="B-3"),
    CommentIn(CAMPAIGN2, external_id="B-4"),
    CommentIn("第五十七条“鼓励”投保太软，建议改为“应当”投保。", external_id="C-1"),
    CommentIn("第五十七条建议将“鼓励”改为“应当”，企业必须为骑手投保。", external_id="C-2"),
    CommentIn("第五十七条，总的来说这部条例对骑手管得太严了。", external_id="C-3"),  # really 总体意见
    CommentIn("第四十一条提到停放，建议市里多建公园和绿地。", external_id="E-1"),  # really out of scope
    CommentIn("整体上支持出台这部条例，电动自行车确实需要好好管一管。", external_id="D-1"),
    CommentIn("第四十二条我看了，写得挺长的。", external_id="D-2"),  # a remark, not an opinion
]
# What arrives after the review: more on the same articles, and one more campaign copy.
SECOND = [
    CommentIn("第三十条限速太严，建议调整为二十五公里。", external_id="S-1"),
    CommentIn(CAMPAIGN, external_id="S-2"),
    CommentIn("第五十七条应当强制企业为骑手投保。", external_id="S-3"),
    CommentIn("第二十八条第二款规定不得载人，很有必要。", external_id="S-4"),
]


def _ingest(url: str, consultation_id: int, comments: list[CommentIn], name: str) -> None:
    from models.ingest import ingest

    records = [
        RecordIn(origin=name, locator=f"line={i}", payload={"text": c.text, "id": c.external_id}, comment=c)
        for i, c in enumerate(comments, 1)
    ]
    with unit_of_work(url) as session:
        ingest(session, consultation_id, SourceIn(channel="form", name=name, fingerprint=name), records)


@pytest.fixture(scope="module")
def analysed(tmp_path_factory, sample_dir) -> Path:
    """An analysed consultation in a SQLite file (built once per module)."""
    from minyi.services.analysis import analyze
    from minyi.services.consultations import create_consultation
    from models.db import dispose_engines, upgrade

    path = tmp_path_factory.mktemp("analysed") / "minyi.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    with unit_of_work(url) as session:
        info = create_consultation(
            session, ADMIN, title="深圳经济特区电动自行车管理条例（征求意见稿）", draft=sample_dir / "draft.md",
            contact_point="福田区华富街道基层立法联系点", issuing_body="深圳市司法局",
        )
    assert info.id == 1
    _ingest(url, 1, FIRST, "first.jsonl")
    with unit_of_work(url) as session:
        analyze(session, ADMIN, 1, backend="tfidf")
    dispose_engines()  # checkpoint the WAL: the file alone is the database
    return path


@pytest.fixture
def db(analysed, tmp_path, monkeypatch) -> str:
    """A copy of the analysed database, made the configured one (for the CLI)."""
    from minyi.core.settings import reset_settings
    from models.db import dispose_engines

    path = tmp_path / "minyi.db"
    shutil.copy(analysed, path)
    url = f"sqlite:///{path}"
    monkeypatch.setenv("MINYI_DATABASE_URL", url)
    reset_settings()
    yield url
    dispose_engines()
    reset_settings()


# --- helpers -------------------------------------------------------------------------------


def act(url: str, operation, *args, actor: Actor = WANG, **kwargs):
    with unit_of_work(url) as session:
        return operation(session, actor, *args, **kwargs)


def sid(url: str, external_id: str) -> int:
    with unit_of_work(url) as session:
        return session.scalar(
            select(Suggestion.id).join(Comment, Comment.id == Suggestion.comment_id)
            .where(Comment.external_id == external_id)
        )


def cluster_of(url: str, external_id: str) -> int:
    return export(url)[sid(url, external_id)]["cluster_id"]


def group_of(url: str, external_id: str) -> int | None:
    with unit_of_work(url) as session:
        return session.get(Suggestion, sid(url, external_id)).duplicate_group_id


def same_cluster(url: str, *external_ids: str) -> int:
    """The cluster of the first suggestion, with the others put into it (by an admin, before
    the test's own operations) when the analysis clustered them apart."""
    target = cluster_of(url, external_ids[0])
    for other in external_ids[1:]:
        if cluster_of(url, other) != target:
            act(url, review.assign_suggestion, sid(url, other), target, actor=ADMIN)
    return target


def left_cluster(entry, cluster_id: int, suggestion_id: int) -> bool:
    """The audit entry shows the suggestion leaving the cluster (or the cluster removed with it)."""
    for c in entry.changes:
        if c["entity"] == f"cluster:{cluster_id}":
            if c.get("change") == "removed":
                return True
            if c.get("field") == "members":
                return suggestion_id in c["before"] and suggestion_id not in c["after"]
    return False


def version(url: str, model, ident: int) -> int:
    with unit_of_work(url) as session:
        return session.get(model, ident).row_version


def export(url: str) -> dict[int, dict]:
    """The suggestion export, by suggestion id."""
    with unit_of_work(url) as session:
        return {r["suggestion_id"]: r for r in exports.suggestions(session, ADMIN, 1).records}


def feedback(url: str):
    with unit_of_work(url) as session:
        return documents.feedback(session, ADMIN, 1)


def row_with(doc, suggestion_id: int):
    """The feedback document's row (of 二、三 or 四) that carries the suggestion, or None."""
    return next((r for r in doc.rows if suggestion_id in r.suggestion_ids), None)


def xlsx_export(url: str, path: Path) -> dict[int, dict]:
    """The suggestion export written as a workbook and read back, by suggestion id."""
    from openpyxl import load_workbook

    with unit_of_work(url) as session:
        exports.export_suggestions(session, ADMIN, 1, "xlsx", path)
    sheet = load_workbook(path).active
    header = [c.value for c in sheet[1]]
    return {r[0]: dict(zip(header, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}


def docx_text(url: str, path: Path) -> str:
    """The feedback document written as .docx: every paragraph and table cell."""
    import docx

    with unit_of_work(url) as session:
        documents.feedback_document(session, ADMIN, 1, "docx", path, record=False)
    document = docx.Document(str(path))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def audit_entry(url: str, audit_id: int):
    with unit_of_work(url) as session:
        return next(e for e in list_audit(session, ADMIN, consultation_id=1).entries if e.id == audit_id)


def changed(entry, key: str, field: str) -> tuple:
    found = [c for c in entry.changes if c["entity"] == key and c.get("field") == field]
    assert found, (key, field, entry.changes)
    return found[0]["before"], found[0]["after"]


def assert_stale(url: str, operation, *args, version_seen: int, version_now: int, **kwargs) -> None:
    """李明 acts on what he saw before 王芳's change: refused, naming both versions and her change."""
    with pytest.raises(ConflictError) as err:
        act(url, operation, *args, actor=LI, expected_version=version_seen, **kwargs)
    message = str(err.value)
    assert f"version {version_seen}" in message and f"version {version_now}" in message, message
    assert "王芳" in message
    assert err.value.message_zh.startswith("该记录已被他人修改")
    assert f"第{version_seen}版" in err.value.message_zh and "王芳" in err.value.message_zh


def reanalyse(run_cli, url: str) -> dict:
    """New comments arrive, then `minyi analyze` runs again."""
    _ingest(url, 1, SECOND, "second.jsonl")
    result = run_cli("analyze", "--consultation", "1", "--backend", "tfidf", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["suggestions"] == len(SECOND)
    return summary


# --- moving a suggestion ---------------------------------------------------------------------


def test_move_to_a_paragraph_of_another_article(db, run_cli, tmp_path):
    a3 = sid(db, "A-3")
    seen = version(db, Suggestion, a3)
    old_cluster = cluster_of(db, "A-3")
    result = act(db, review.move_suggestion, a3, "28.2", expected_version=seen)

    row = export(db)[a3]
    assert row["articles"] == [28] and row["mapping_method"] == "manual"
    assert row["cluster_id"] is None  # it left 第三十条's cluster; the next analysis places it
    doc_row = row_with(feedback(db), a3)
    assert (doc_row.section, doc_row.article_label) == ("article", "第二十八条")
    assert a3 not in row_with(feedback(db), sid(db, "A-1")).suggestion_ids
    assert xlsx_export(db, tmp_path / "s.xlsx")[a3]["articles"] == "28"

    entry = audit_entry(db, result.audit_id)
    assert (entry.actor, entry.action) == ("王芳", "move_suggestion")
    assert changed(entry, f"suggestion:{a3}", "articles") == (["第三十条"], ["第二十八条第二款"])
    assert changed(entry, f"suggestion:{a3}", "reviewed_scope") == (None, "article")
    assert left_cluster(entry, old_cluster, a3)
    assert "第二十八条第二款" in entry.summary_zh
    assert_stale(db, review.move_suggestion, a3, "30", version_seen=seen,
                 version_now=result.version(f"suggestion:{a3}"))

    reanalyse(run_cli, db)
    row = export(db)[a3]
    assert row["articles"] == [28] and row["mapping_method"] == "manual" and row["cluster_id"] is not None
    with unit_of_work(db) as session:
        links = session.scalars(select(SuggestionProvision).where(SuggestionProvision.suggestion_id == a3)).all()
        assert [(link.provision.label, link.paragraph, link.is_manual) for link in links] == [("第二十八条", 2, True)]
    assert row_with(feedback(db), a3).article_label == "第二十八条"


def test_move_to_several_articles(db, run_cli):
    a1 = sid(db, "A-1")
    act(db, review.move_suggestion, a1, ["30", "第二十六条"])
    assert export(db)[a1]["articles"] == [30, 26]  # in the order given
    reanalyse(run_cli, db)  # clustered on 第二十六条 too: a row under each article
    assert export(db)[a1]["articles"] == [30, 26]
    labels = {r.article_label for r in feedback(db).articles if a1 in r.suggestion_ids}
    assert labels == {"第二十六条", "第三十条"}


def test_move_to_general(db, run_cli):
    c3 = sid(db, "C-3")
    seen = version(db, Suggestion, c3)
    result = act(db, review.move_suggestion, c3, "general")

    row = export(db)[c3]
    assert (row["articles"], row["is_general"], row["mapping_method"]) == ([], True, "general")
    assert row_with(feedback(db), c3).section == "general"
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"suggestion:{c3}", "articles") == (["第五十七条"], [])
    assert changed(entry, f"suggestion:{c3}", "is_general") == (False, True)
    assert_stale(db, review.move_suggestion, c3, "57", version_seen=seen,
                 version_now=result.version(f"suggestion:{c3}"))

    reanalyse(run_cli, db)
    assert export(db)[c3]["articles"] == [] and row_with(feedback(db), c3).section == "general"


def test_move_out_of_scope(db, run_cli):
    e1 = sid(db, "E-1")
    seen = version(db, Suggestion, e1)
    result = act(db, review.move_suggestion, e1, "out-of-scope")

    row = export(db)[e1]
    assert (row["articles"], row["is_out_of_scope"]) == ([], True)
    doc = feedback(db)
    assert row_with(doc, e1).section == "other" and not any(r.article_label == "第四十一条" for r in doc.articles)
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"suggestion:{e1}", "is_out_of_scope") == (False, True)
    assert any(c.get("change") == "removed" for c in entry.changes)  # its cluster of one went with it
    assert_stale(db, review.move_suggestion, e1, "general", version_seen=seen,
                 version_now=result.version(f"suggestion:{e1}"))

    reanalyse(run_cli, db)
    assert export(db)[e1]["is_out_of_scope"] and row_with(feedback(db), e1).section == "other"


def test_move_not_an_opinion(db, run_cli):
    d2 = sid(db, "D-2")
    assert d2 in export(db)
    counted = feedback(db).figures.suggestions
    seen = version(db, Suggestion, d2)
    result = act(db, review.move_suggestion, d2, "not-opinion")

    assert d2 not in export(db)  # neither exported nor sent upward, nor counted
    doc = feedback(db)
    assert row_with(doc, d2) is None and doc.figures.suggestions == counted - 1
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"suggestion:{d2}", "reviewed_scope") == (None, "not_opinion")
    assert_stale(db, review.move_suggestion, d2, "general", version_seen=seen,
                 version_now=result.version(f"suggestion:{d2}"))

    reanalyse(run_cli, db)
    assert d2 not in export(db) and row_with(feedback(db), d2) is None
    with unit_of_work(db) as session:
        s = session.get(Suggestion, d2)
        assert (s.reviewed_scope, s.duplicate_group_id, s.links) == ("not_opinion", None, [])


def test_bad_targets_are_input_errors(db):
    a1 = sid(db, "A-1")
    for target, message in (("28.9", "has 2 paragraph"), ("999", "no article 999"), ("12a", "is not an article"),
                            (["30", "general"], "stand alone"), (["28.1", "28.2"], "one article")):
        with pytest.raises(InputError, match=message):
            act(db, review.move_suggestion, a1, target)


def test_a_duplicate_group_moves_together(db):
    b1, b2 = sid(db, "B-1"), sid(db, "B-2")
    result = act(db, review.move_suggestion, b1, "general")
    rows = export(db)
    assert rows[b1]["is_general"] and rows[b2]["is_general"]
    assert f"suggestion:{b2}" in result.entities and "1条重复意见" in result.summary_zh


# --- clusters --------------------------------------------------------------------------------


def test_a_merged_cluster_counts_people_not_suggestions(db):
    """"有N人提出" counts people: when two points of one letter end up in one cluster, the
    cluster's size counts the letter once, as the analysis counts it."""
    a1, a4 = sid(db, "A-1"), sid(db, "A-4")
    keep, other = cluster_of(db, "A-1"), cluster_of(db, "A-4")
    with unit_of_work(db) as session:
        sizes = session.get(Cluster, keep).size + session.get(Cluster, other).size
        # A-4 was the second point of A-1's letter.
        second = session.get(Suggestion, a4)
        second.comment_id, second.ordinal = session.get(Suggestion, a1).comment_id, 99
    act(db, review.merge_clusters, [keep, other])
    with unit_of_work(db) as session:
        assert session.get(Cluster, keep).size == sizes - 1


def test_merge_clusters(db, run_cli):
    a1, a4 = sid(db, "A-1"), sid(db, "A-4")
    keep, other = cluster_of(db, "A-1"), cluster_of(db, "A-4")
    assert keep != other
    doc = feedback(db)
    assert row_with(doc, a1) is not row_with(doc, a4)
    people = row_with(doc, a1).count + row_with(doc, a4).count
    seen = version(db, Cluster, keep)
    result = act(db, review.merge_clusters, [keep, other])

    rows = export(db)
    assert rows[a4]["cluster_id"] == keep == rows[a1]["cluster_id"]
    merged = row_with(feedback(db), a1)
    assert a4 in merged.suggestion_ids and merged.count == people
    assert f"cluster:{other}" in result.removed
    entry = audit_entry(db, result.audit_id)
    before, after = changed(entry, f"cluster:{keep}", "members")
    assert a4 not in before and a4 in after
    assert any(c["entity"] == f"cluster:{other}" and c.get("change") == "removed" for c in entry.changes)
    with pytest.raises(ConflictError, match=f"version {seen}"):
        act(db, review.merge_clusters, [keep, cluster_of(db, "C-1")], actor=LI, expected_version=seen)
    with pytest.raises(InputError, match="different articles"):
        act(db, review.merge_clusters, [keep, cluster_of(db, "C-1")])

    reanalyse(run_cli, db)
    rows = export(db)
    assert rows[a4]["cluster_id"] == keep == rows[a1]["cluster_id"]
    with unit_of_work(db) as session:
        assert session.get(Cluster, other) is None and session.get(Cluster, keep).is_manual


def test_split_cluster(db, run_cli):
    a1, a2, a3 = sid(db, "A-1"), sid(db, "A-2"), sid(db, "A-3")
    cluster = same_cluster(db, "A-1", "A-2", "A-3")
    seen = version(db, Cluster, cluster)
    result = act(db, review.split_cluster, cluster, [a3])

    new = export(db)[a3]["cluster_id"]
    assert new not in (None, cluster) and export(db)[a1]["cluster_id"] == cluster
    doc = feedback(db)
    assert row_with(doc, a3) is not row_with(doc, a1)
    assert row_with(doc, a3).article_label == row_with(doc, a1).article_label == "第三十条"
    assert row_with(doc, a1).count == 2
    entry = audit_entry(db, result.audit_id)
    assert any(c["entity"] == f"cluster:{new}" and c.get("change") == "created" for c in entry.changes)
    assert changed(entry, f"cluster:{cluster}", "members") == ([a1, a2, a3], [a1, a2])
    assert_stale(db, review.split_cluster, cluster, [a2], version_seen=seen,
                 version_now=result.version(f"cluster:{cluster}"))
    with pytest.raises(InputError, match="at least one"):
        act(db, review.split_cluster, cluster, [a1, a2])

    reanalyse(run_cli, db)
    rows = export(db)
    assert rows[a3]["cluster_id"] == new and rows[a1]["cluster_id"] == rows[a2]["cluster_id"] == cluster


def test_assign_to_another_cluster(db, run_cli):
    a1, a4 = sid(db, "A-1"), sid(db, "A-4")
    target, emptied = cluster_of(db, "A-1"), cluster_of(db, "A-4")
    seen = version(db, Suggestion, a4)
    result = act(db, review.assign_suggestion, a4, target)

    assert export(db)[a4]["cluster_id"] == target
    assert a4 in row_with(feedback(db), a1).suggestion_ids
    assert f"cluster:{emptied}" in result.removed
    entry = audit_entry(db, result.audit_id)
    before, after = changed(entry, f"cluster:{target}", "members")
    assert a4 not in before and a4 in after
    assert_stale(db, review.assign_suggestion, a4, target, version_seen=seen,
                 version_now=result.version(f"suggestion:{a4}"))
    with pytest.raises(InputError, match="move the suggestion first"):
        act(db, review.assign_suggestion, a4, cluster_of(db, "C-1"))

    reanalyse(run_cli, db)
    assert export(db)[a4]["cluster_id"] == target
    with unit_of_work(db) as session:
        assert session.get(Cluster, emptied) is None


def test_set_label_representative_opinion_reason_and_reviewed(db, run_cli, tmp_path):
    c1 = sid(db, "C-1")
    cluster = same_cluster(db, "C-1", "C-2")
    with unit_of_work(db) as session:
        was = session.get(Cluster, cluster).representative_suggestion_id
    c2 = next(sid(db, x) for x in ("C-2", "C-1") if sid(db, x) != was)  # another member speaks for it
    seen = version(db, Cluster, cluster)
    opinion = "建议将第五十七条中的“鼓励”修改为“应当”，强制外卖、快递企业为骑手投保人身意外伤害保险。"
    result = act(db, review.update_cluster, cluster, label="骑手保险", representative=c2, opinion=opinion,
                 reason="骑手职业风险高，自愿投保覆盖面不足。", reviewed=True, expected_version=seen)

    assert export(db)[c1]["cluster_label"] == "骑手保险"
    row = row_with(feedback(db), c1)
    assert (row.suggestion, row.reason, row.reviewed) == (opinion, "骑手职业风险高，自愿投保覆盖面不足。", True)
    written = docx_text(db, tmp_path / "意见建议.docx")
    assert opinion in written and "骑手职业风险高，自愿投保覆盖面不足。" in written
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"cluster:{cluster}", "consolidated_text") == (None, opinion)
    assert changed(entry, f"cluster:{cluster}", "representative_suggestion_id") == (was, c2)
    assert changed(entry, f"cluster:{cluster}", "reviewed") == (False, True)
    assert_stale(db, review.relabel_cluster, cluster, "投保", version_seen=seen,
                 version_now=result.version(f"cluster:{cluster}"))
    with pytest.raises(InputError, match="not in cluster"):
        act(db, review.choose_representative, cluster, sid(db, "A-1"))

    summary = reanalyse(run_cli, db)
    assert summary["clusters_extended"] >= 1
    s3 = sid(db, "S-3")
    assert export(db)[s3]["cluster_id"] == cluster  # the new suggestion joined; the texts stay
    row = row_with(feedback(db), c1)
    assert (row.suggestion, row.label is None or row.label == "骑手保险") == (opinion, True)
    with unit_of_work(db) as session:
        c = session.get(Cluster, cluster)
        assert (c.label, c.representative_suggestion_id, c.reviewed) == ("骑手保险", c2, True)


def test_opinion_is_sent_once_reviewed(db):
    c1 = sid(db, "C-1")
    cluster = cluster_of(db, "C-1")
    act(db, review.write_opinion, cluster, "建议修改为“应当”投保。")
    assert row_with(feedback(db), c1).suggestion != "建议修改为“应当”投保。"
    act(db, review.mark_reviewed, cluster)
    assert row_with(feedback(db), c1).suggestion == "建议修改为“应当”投保。"


# --- duplicate groups ------------------------------------------------------------------------


def test_take_a_suggestion_out_of_its_group(db, run_cli):
    b1, b2 = sid(db, "B-1"), sid(db, "B-2")
    group = group_of(db, "B-1")
    assert group is not None and group_of(db, "B-2") == group
    distinct = feedback(db).figures.suggestions_deduplicated
    seen = version(db, Suggestion, b2)
    result = act(db, review.ungroup_suggestion, b2)

    rows = export(db)
    assert rows[b2]["duplicate_group"] is None and rows[b2]["duplicate_count"] == 1
    assert rows[b1]["duplicate_group"] is None  # a group of one is no group
    assert f"duplicate_group:{group}" in result.removed
    assert feedback(db).figures.suggestions_deduplicated == distinct + 1
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"suggestion:{b2}", "duplicate_group_id") == (group, None)
    assert_stale(db, review.ungroup_suggestion, b2, version_seen=seen,
                 version_now=result.version(f"suggestion:{b2}"))

    reanalyse(run_cli, db)  # S-2 is one more copy of B-1 and B-2
    rows = export(db)
    s2 = sid(db, "S-2")
    assert rows[s2]["duplicate_group"] is not None and rows[s2]["duplicate_group"] == rows[b1]["duplicate_group"]
    assert rows[b2]["duplicate_group"] is None  # never put back


def test_join_two_groups(db, run_cli):
    b1, b3 = sid(db, "B-1"), sid(db, "B-3")
    first, second = group_of(db, "B-1"), group_of(db, "B-3")
    assert None not in (first, second) and first != second
    distinct = feedback(db).figures.suggestions_deduplicated
    seen = version(db, Suggestion, b3)
    result = act(db, review.join_groups, [first, second], expected_version=version(db, DuplicateGroup, first))

    rows = export(db)
    assert rows[b3]["duplicate_group"] == first == rows[b1]["duplicate_group"] and rows[b3]["duplicate_count"] == 4
    assert feedback(db).figures.suggestions_deduplicated == distinct - 1
    assert f"duplicate_group:{second}" in result.removed
    entry = audit_entry(db, result.audit_id)
    assert changed(entry, f"suggestion:{b3}", "duplicate_group_id") == (second, first)
    assert changed(entry, f"duplicate_group:{first}", "size") == (2, 4)
    # 李明 takes B-3 out of the group he saw: it has moved since.
    assert_stale(db, review.ungroup_suggestion, b3, version_seen=seen, version_now=result.version(f"suggestion:{b3}"))

    reanalyse(run_cli, db)
    rows = export(db)
    assert rows[sid(db, "S-2")]["duplicate_group"] == first
    assert {rows[sid(db, x)]["duplicate_group"] for x in ("B-1", "B-2", "B-3", "B-4")} == {first}
    assert rows[b1]["duplicate_count"] == 5


# --- undo ------------------------------------------------------------------------------------


def test_undo_puts_back_the_last_operation_and_is_audited(db):
    a3 = sid(db, "A-3")
    before_export, before_doc = export(db)[a3], row_with(feedback(db), a3)
    done = act(db, review.move_suggestion, a3, "28.2")
    undone = act(db, review.undo)

    assert export(db)[a3] == before_export
    assert row_with(feedback(db), a3).suggestion_ids == before_doc.suggestion_ids
    entry = audit_entry(db, undone.audit_id)
    assert (entry.action, entry.actor, entry.undoes) == ("undo", "王芳", done.audit_id)
    assert changed(entry, f"suggestion:{a3}", "articles") == (["第二十八条第二款"], ["第三十条"])
    assert entry.summary_zh.startswith("撤销：")


def test_undoing_twice_undoes_the_one_before(db):
    a1, a4 = sid(db, "A-1"), sid(db, "A-4")
    keep, other = cluster_of(db, "A-1"), cluster_of(db, "A-4")
    start = export(db)
    act(db, review.merge_clusters, [keep, other])
    act(db, review.split_cluster, keep, [a4])
    act(db, review.update_cluster, keep, label="限速")
    act(db, review.undo)
    assert export(db)[a1]["cluster_label"] != "限速" and export(db)[a4]["cluster_id"] != other
    act(db, review.undo)  # the split
    assert export(db)[a4]["cluster_id"] == keep
    act(db, review.undo)  # the merge: the removed cluster comes back, same id
    assert export(db) == start
    with pytest.raises(NotFoundError, match="nothing to undo"):
        act(db, review.undo)


def test_undo_only_undoes_the_users_own_operations(db):
    a3, c3 = sid(db, "A-3"), sid(db, "C-3")
    mine = act(db, review.move_suggestion, a3, "28.2")
    act(db, review.move_suggestion, c3, "general", actor=LI)
    undone = act(db, review.undo)
    assert audit_entry(db, undone.audit_id).undoes == mine.audit_id
    rows = export(db)
    assert rows[a3]["articles"] == [30] and rows[c3]["is_general"]


def test_undo_after_a_reanalysis_takes_it_out_of_the_new_cluster(db, run_cli):
    a3 = sid(db, "A-3")
    before = export(db)[a3]
    act(db, review.move_suggestion, a3, "28.2")
    reanalyse(run_cli, db)
    placed = export(db)[a3]["cluster_id"]
    assert placed not in (None, before["cluster_id"])
    act(db, review.undo)
    row = export(db)[a3]
    assert (row["articles"], row["cluster_id"]) == ([30], before["cluster_id"])
    with unit_of_work(db) as session:
        cluster = session.get(Cluster, placed)
        assert cluster is None or a3 not in [m.suggestion_id for m in cluster.members]
    assert row_with(feedback(db), a3).article_label == "第三十条"


def test_undo_refuses_to_overwrite_a_later_change(db):
    a3 = sid(db, "A-3")
    act(db, review.move_suggestion, a3, "28.2")
    act(db, review.move_suggestion, a3, "26", actor=LI)
    with pytest.raises(ConflictError, match="cannot undo") as err:
        act(db, review.undo)
    assert "李明" in str(err.value)
    assert export(db)[a3]["articles"] == [26]


def test_a_viewer_may_not_review(db):
    with pytest.raises(PermissionDenied):
        act(db, review.move_suggestion, sid(db, "A-3"), "28", actor=Actor("访客", role="viewer"))
    reviewer_elsewhere = Actor("赵六", role="reviewer", consultation_ids=frozenset({2}))
    with pytest.raises(PermissionDenied):
        act(db, review.merge_clusters, [cluster_of(db, "A-1"), cluster_of(db, "A-4")], actor=reviewer_elsewhere)


# --- PostgreSQL ------------------------------------------------------------------------------


def test_operations_on_postgresql(db_url, sample_dir):
    """Versions, snapshots and undo on the other backend (SQLite: the tests above)."""
    if db_url.startswith("sqlite"):
        pytest.skip("the tests above cover SQLite")
    from minyi.services.analysis import analyze
    from minyi.services.consultations import create_consultation

    with unit_of_work(db_url) as session:
        cid = create_consultation(session, ADMIN, title="深圳经济特区电动自行车管理条例（征求意见稿）",
                                  draft=sample_dir / "draft.md").id
    _ingest(db_url, cid, FIRST[:6], "first.jsonl")
    with unit_of_work(db_url) as session:
        analyze(session, ADMIN, cid, backend="tfidf")
        ids = {c.external_id: c.suggestions[0].id for c in session.scalars(select(Comment))}
        clusters = dict(session.execute(select(ClusterMember.suggestion_id, ClusterMember.cluster_id)).all())
    a3 = ids["A-3"]
    seen = version(db_url, Suggestion, a3)
    moved = act(db_url, review.move_suggestion, a3, "28.2", expected_version=seen)
    with pytest.raises(ConflictError):
        act(db_url, review.move_suggestion, a3, "30", actor=LI, expected_version=seen)
    keep, other = clusters[ids["A-1"]], clusters[ids["A-4"]]
    act(db_url, review.merge_clusters, [keep, other])
    act(db_url, review.undo)
    act(db_url, review.undo)
    with unit_of_work(db_url) as session:
        assert session.get(Cluster, other) is not None
        s = session.get(Suggestion, a3)
        assert s.reviewed_scope is None and s.row_version > moved.version(f"suggestion:{a3}")
