"""Feedback rolling up from two community points and a hand-typed table to a street point,
decisions flowing back down, and contributors hearing back.

Each level runs its own minyi (its own SQLite file): only the bundle files cross between
them, and nothing that crosses carries a contributor's name or number.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from minyi.core.errors import ConflictError
from minyi.services import documents, replies, rollup
from minyi.services.adoption import set_adoption
from minyi.services.analysis import analyze
from minyi.services.context import Actor, unit_of_work
from minyi.services.intake import import_files
from models.db import dispose_engines, upgrade
from models.entities import Comment, Suggestion, SuggestionProvision, Provision

pytestmark = pytest.mark.slow

ADMIN = Actor("tester", "admin")
SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "ebike"
TITLE = "深圳经济特区电动自行车管理条例（征求意见稿）"
STREET = "华富街道基层立法联系点"
POINT_A = "田面社区基层立法联系点"
POINT_B = "新田社区基层立法联系点"
POINT_C = "莲花社区信息采集点"
FORM_COLUMNS = ["序号", "姓名", "联系电话", "涉及条款", "修改意见", "理由", "是否同意公开姓名"]
# Fictional people; each of their names and numbers must stay at their own point.
FORM_A = [
    ("林晓东", "13912340001", "第五十七条", "建议将“鼓励外卖、快递企业为驾驶人投保”改为“应当为驾驶人投保人身意外伤害保险和第三者责任保险”。", "骑手出事故往往无力赔偿。", "是"),
    ("陈美华", "13912340002", "第五十七条", "第五十七条的“鼓励”力度不够，建议规定外卖快递企业应当为骑手投保意外伤害保险。", "", "否"),
    ("黄志强", "13912340003", "第三十七条", "建议删除台风、暴雨红色预警期间一律禁止电动自行车上路的规定，由交通管理部门根据实际发布管控措施。", "一刀切影响群众出行。", "是"),
    ("周丽娟", "13912340004", "第十二条", "建议在第十二条增加电动自行车登记可以网上办理的规定。", "方便群众。", ""),
]
FORM_B = [
    ("吴建国", "13912340005", "第五十七条", "建议把第五十七条的鼓励投保改为外卖快递企业应当为驾驶人投保人身意外伤害保险。", "保障骑手权益。", "同意"),
    ("郑小燕", "13912340006", "第四十五条", "建议集中充电场所原则上设置在室外，老旧小区没有室外空地的，可以在符合消防条件的场所设置。", "老旧小区没有空地。", "否"),
]
ALL_PEOPLE = [row[0] for row in FORM_A + FORM_B] + ["李大勇"]
ALL_PHONES = [row[1] for row in FORM_A + FORM_B] + ["13912340009"]
# The hand-typed table of a point that does not run minyi, in the usual layout.
TABLE_C = [
    ("1", "第五十七条", "鼓励外卖、快递企业为驾驶人投保人身意外伤害保险和第三者责任保险。",
     "建议将“鼓励”改为“应当”，强制企业为驾驶人投保。", "保障骑手和第三者权益。", "居民", "有3人提出"),
    ("2", "第五十五条", "外卖平台企业应当合理确定配送时限……",
     "建议明确恶劣天气时平台应当延长配送时限。", "", "骑手", "2"),
]


def write_form(path: Path, rows) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(FORM_COLUMNS)
    for i, row in enumerate(rows, start=1):
        ws.append([i, *row])
    wb.save(path)
    return path


def write_table(path: Path) -> Path:
    wb = Workbook()
    ws = wb.active
    ws.title = "Sheet1"
    ws.append(["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"])
    for row in TABLE_C:
        ws.append(list(row))
    wb.save(path)
    return path


def new_db(tmp_path: Path, name: str) -> str:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    upgrade(url)
    return url


def set_up_level(url: str, point: str, level: str, parent: str | None = None) -> int:
    """A level's own minyi: its point and the consultation, with the draft loaded."""
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    with unit_of_work(url) as s:
        if parent:
            rollup.add_point(s, ADMIN, parent, level="区级" if level == "街道" else "街道")
        rollup.add_point(s, ADMIN, point, level=level, parent=parent)
        c = create_consultation(s, title=TITLE, issuing_body="深圳市人大常委会法制工作委员会", contact_point=point)
        load_draft_version(s, c.id, parse_file(SAMPLE / "draft.md"), label="征求意见稿", comment_base=True)
        return c.id


def gather(url: str, cid: int, files: list[Path]) -> None:
    with unit_of_work(url) as s:
        import_files(s, ADMIN, cid, files)
        analyze(s, ADMIN, cid, backend="tfidf")


def leaked(text: str) -> list[str]:
    return [x for x in ALL_PEOPLE + ALL_PHONES if x in text]


@pytest.fixture
def levels(tmp_path, monkeypatch):
    from minyi.core.settings import reset_settings

    urls = {name: new_db(tmp_path, name) for name in ("a", "b", "street")}
    monkeypatch.setenv("MINYI_DATABASE_URL", urls["street"])
    reset_settings()
    yield urls
    dispose_engines()
    reset_settings()


def test_feedback_rolls_up_and_decisions_come_back_down(levels, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    # --- each community point's own workflow, ending in its bundle ---------------------------
    cid_a = set_up_level(levels["a"], POINT_A, "社区", STREET)
    gather(levels["a"], cid_a, [write_form(tmp_path / "田面社区意见征集表.xlsx", FORM_A)])
    cid_b = set_up_level(levels["b"], POINT_B, "社区", STREET)
    gather(levels["b"], cid_b, [write_form(tmp_path / "新田社区意见征集表.xlsx", FORM_B)])
    with unit_of_work(levels["a"]) as s:
        bundle_a = rollup.export_bundle(s, ADMIN, cid_a, out / "a.bundle.json")
    with unit_of_work(levels["b"]) as s:
        bundle_b = rollup.export_bundle(s, ADMIN, cid_b, out / "b.bundle.json")
    data_a = json.loads(Path(bundle_a.path).read_text(encoding="utf-8"))
    assert data_a["schema"] == "minyi.feedback-bundle/1" and data_a["contact_point"]["name"] == POINT_A
    assert data_a["draft_version"]["label"] == "征求意见稿" and len(data_a["draft_version"]["text_hash"]) == 64
    art57 = [i for i in data_a["items"] if i["article"] == "第五十七条"]
    assert art57 and sum(i["count"] for i in art57) == 2  # 林晓东 and 陈美华 said the same
    assert all({"key", "scope", "cluster", "text", "count", "channel", "provenance"} <= set(i) for i in data_a["items"])

    # --- the street: participants, bundles and a hand-typed table imported ------------------
    url = levels["street"]
    cid = set_up_level(url, STREET, "街道", "福田区人大常委会")
    with unit_of_work(url) as s:
        rollup.add_point(s, ADMIN, POINT_A, level="社区", parent=STREET)
        rollup.add_point(s, ADMIN, POINT_B, level="社区", parent=STREET)
        rollup.add_point(s, ADMIN, POINT_C, level="社区", parent=STREET)
        rollup.add_participants(s, ADMIN, cid, [POINT_A, POINT_B, POINT_C])
        # The street's own residents too.
        import_files(s, ADMIN, cid, [write_form(tmp_path / "街道意见.xlsx", [
            ("李大勇", "13912340009", "第五十七条", "建议第五十七条规定企业应当为骑手投保意外伤害保险，不能只是鼓励。", "", "是")])])
        first = import_files(s, ADMIN, cid, [bundle_a.path, bundle_b.path])
        # A hand-typed table names no sender: the user says who sent it.
        table = import_files(s, ADMIN, cid, [write_table(tmp_path / "莲花社区反馈表.xlsx")], contact_point=POINT_C)
    assert first.quarantined == 0 and table.imported == 2
    assert first.imported == len(data_a["items"]) + len(json.loads(Path(bundle_b.path).read_text("utf-8"))["items"])
    with unit_of_work(url) as s:
        again = import_files(s, ADMIN, cid, [bundle_a.path])
        assert again.imported == 0 and again.skipped == len(data_a["items"])
        analyze(s, ADMIN, cid, backend="tfidf")

    # --- a corrected bundle from A replaces its earlier one, row by row ----------------------
    with unit_of_work(levels["a"]) as s:
        import_files(s, ADMIN, cid_a, [write_form(tmp_path / "田面社区补充意见.xlsx", [
            ("何文", "13912340010", "第五十七条", "同意将第五十七条的“鼓励”改为“应当”，企业应当为驾驶人投保。", "", "")])])
        analyze(s, ADMIN, cid_a, backend="tfidf")
        corrected = rollup.export_bundle(s, ADMIN, cid_a, out / "a2.bundle.json")
    ALL_PEOPLE.append("何文")
    ALL_PHONES.append("13912340010")
    data_a2 = json.loads(Path(corrected.path).read_text(encoding="utf-8"))
    assert data_a2["sequence"] == 2
    with unit_of_work(url) as s:
        second = import_files(s, ADMIN, cid, [corrected.path])
        assert any("withdrawn" in n for n in second.notes)
        analyze(s, ADMIN, cid, backend="tfidf")
    with pytest.raises(ConflictError), unit_of_work(url) as s:
        import_files(s, ADMIN, cid, [bundle_a.path])  # the older bundle cannot come back (rolled back)
    with unit_of_work(url) as s:
        people_from_a = sum(
            (c.meta["rollup"]["people"]) for c in s.scalars(select(Comment).where(Comment.consultation_id == cid))
            if c.meta.get("rollup", {}).get("sender") == POINT_A)
        assert people_from_a == sum(i["count"] for i in data_a2["items"])  # counted once, as corrected

    # --- the higher analysis: across points, each row keeping which points raised it ---------
    with unit_of_work(url) as s:
        doc = documents.feedback(s, ADMIN, cid)
        rows57 = [r for r in doc.articles if r.article_label == "第五十七条"]
        best = max(rows57, key=lambda r: r.count)
        # 田面 3 (corrected), 新田 1, 莲花 3, the street's own resident 1.
        assert best.proposers.startswith("有4个联系点、8人提出"), best.proposers
        assert best.count == 8
        for name in (POINT_A, POINT_B, POINT_C, STREET):
            assert name in best.proposers
        intro = "".join(doc.intro)
        assert "本次征求意见共有" in intro and POINT_C in intro
        review = documents.review(s, ADMIN, cid)
        took = {p[0] for p in review.points}
        assert {POINT_A, POINT_B, POINT_C, STREET} <= took
        part = rollup.participants(s, ADMIN, cid)
        by_name = {p["name"]: p for p in part.points}
        assert by_name[POINT_C]["people"] == 5 and by_name[POINT_C]["rows"] == 2
        written = documents.feedback_document(s, ADMIN, cid, "docx", out / "street.docx")
    text = "\n".join(c.text for t in Document(written.path).tables for row in t.rows for c in row.cells)
    assert "有4个联系点、8人提出" in text

    # --- adoption recorded at the top, decisions sent back down ------------------------------
    with unit_of_work(url) as s:
        ids57 = _suggestions_on(s, cid, 57)
        ids12 = _suggestions_on(s, cid, 12)
        assert ids57 and ids12
        set_adoption(s, ADMIN, status="采纳", suggestion_ids=ids57, note="第五十六条已改为应当投保")
        set_adoption(s, ADMIN, status="未采纳", suggestion_ids=ids12, note="登记方式由公安机关另行规定")
        for d in s.scalars(select(__import__("models.entities", fromlist=["AdoptionDecision"]).AdoptionDecision)
                           .where(__import__("models.entities", fromlist=["AdoptionDecision"]).AdoptionDecision.suggestion_id.in_(ids57))):
            d.final_articles = ["第五十六条"]
        decisions = rollup.export_decisions(s, ADMIN, cid, out / "decisions.bundle.json")
    assert decisions.summary["statuses"].get("采纳", 0) >= 3
    with unit_of_work(levels["a"]) as s:
        got = rollup.import_decisions(s, ADMIN, cid_a, decisions.path)
        assert got.applied >= 2 and got.statuses.get("采纳") and got.statuses.get("未采纳")
        assert rollup.import_decisions(s, ADMIN, cid_a, decisions.path).already_imported
        stats_a = documents.statistics_table(s, ADMIN, "contact-point")
        line = next(x for x in stats_a.lines if x.key == POINT_A)
        assert line.adopted >= 1 and line.not_adopted >= 1
        letters = replies.write_contributor_letters(s, ADMIN, cid_a, out / "a-letters")
        notice = replies.public_notice(s, ADMIN, cid_a)
        notice_path = replies.public_notice_document(s, ADMIN, cid_a, "docx", out / "a-notice.docx").path
    with unit_of_work(levels["b"]) as s:
        got_b = rollup.import_decisions(s, ADMIN, cid_b, decisions.path)
        assert got_b.statuses.get("采纳")
        line_b = documents.statistics_table(s, ADMIN, "contact-point").lines[0]
        assert line_b.adopted >= 1

    # --- the letters: names and numbers stay at the point ------------------------------------
    assert letters.contributors == 5  # four on the form, one on the supplement
    book = load_workbook(letters.files["xlsx"])
    listed = [row[1] for row in book["待告知人员"].iter_rows(min_row=3, values_only=True)]
    assert "林晓东" in listed and "13912340001" in [r[2] for r in book["待告知人员"].iter_rows(min_row=3, values_only=True)]
    assert all(len(sms) <= 70 for sms in letters.sms)
    assert any("采纳" in sms for sms in letters.sms)
    letter_text = "\n".join(p.text for p in Document(letters.files["docx"]).paragraphs)
    assert "林晓东：" in letter_text and "您的意见已被采纳，体现在" in letter_text and "第五十六条" in letter_text
    assert "未予采纳，理由：登记方式由公安机关另行规定" in letter_text
    # The public notice names only those who agreed (林晓东 yes, 陈美华 no).
    contributors = " ".join(r.contributor for r in notice.rows)
    assert "林晓东" in contributors and "陈美华" not in contributors
    notice_text = "\n".join(c.text for t in Document(notice_path).tables for row in t.rows for c in row.cells)
    assert "13912340001" not in notice_text and "陈美华" not in notice_text

    # --- statistics at each level -------------------------------------------------------------
    with unit_of_work(url) as s:
        stats = rollup.rollup_statistics(s, ADMIN)
        lines = {p.key: p for p in stats.by_point}
        assert {POINT_A, POINT_B, POINT_C, STREET} <= set(lines)
        assert lines[STREET].total.suggestions == stats.total.suggestions
        assert lines[STREET].total.adopted == stats.total.adopted >= lines[POINT_A].own.adopted >= 1
        assert {x.key for x in stats.by_level} == {"社区", "街道"}
        assert "采纳率" in stats.sentence()
        written_stats = rollup.write_rollup_statistics(s, ADMIN, "xlsx", out / "stats.xlsx", chart=out / "stats.png")
        assert Path(written_stats.chart).stat().st_size > 0

    # --- nothing that crossed a level carries personal data ------------------------------------
    for crossed in (bundle_a.path, bundle_b.path, corrected.path, decisions.path):
        assert leaked(Path(crossed).read_text(encoding="utf-8")) == [], crossed


def _suggestions_on(session, cid: int, number: int) -> list[int]:
    return list(session.scalars(
        select(Suggestion.id).join(SuggestionProvision, SuggestionProvision.suggestion_id == Suggestion.id)
        .join(Provision, Provision.id == SuggestionProvision.provision_id)
        .where(Suggestion.consultation_id == cid, Provision.number == number, Provision.kind == "article")
        .distinct()
    ))


@pytest.mark.slow
def test_the_roll_up_commands(sqlite_url, run_cli, tmp_path):
    """The shell over the roll-up: points, participants, the bundle, its import, statistics."""
    from models.store import create_consultation

    with unit_of_work(sqlite_url) as s:
        low = create_consultation(s, title=TITLE, contact_point=POINT_A).id
        high = create_consultation(s, title=TITLE, contact_point=STREET).id
    assert run_cli("point", "add", STREET, "--level", "街道").exit_code == 0
    added = run_cli("point", "add", POINT_A, "--level", "社区", "--parent", STREET, "--json")
    assert added.exit_code == 0 and json.loads(added.stdout)["parent"] == STREET
    assert run_cli("point", "add", "x", "--level", "乡镇").exit_code == 2
    part = run_cli("consultation", "participants", "-c", high, "--add", POINT_A, "--json")
    assert part.exit_code == 0 and json.loads(part.stdout)["added"] == [POINT_A]
    gather(sqlite_url, low, [write_form(tmp_path / "form.xlsx", FORM_A[:2])])
    out = tmp_path / "a.bundle.json"
    sent = run_cli("report", "feedback", "--consultation", low, "--format", "bundle", "-o", out, "--json")
    assert sent.exit_code == 0, sent.stderr
    assert json.loads(sent.stdout)["people"] == 2 and leaked(out.read_text("utf-8")) == []
    got = run_cli("comments", "import", out, "-c", high, "--json")
    assert got.exit_code == 0 and json.loads(got.stdout)["imported"] == json.loads(sent.stdout)["items"]
    wrong = run_cli("adoption", "import-decisions", out, "-c", low)
    assert wrong.exit_code == 2 and "feedback bundle" in wrong.stderr
    assert run_cli("analyze", "-c", high, "--backend", "tfidf", "-q").exit_code == 0
    stats = run_cli("rollup", "stats", "--json")
    # Counted once: the community's own consultation counts inside the street's.
    assert stats.exit_code == 0 and json.loads(stats.stdout)["total"]["suggestions"] == json.loads(sent.stdout)["items"]
