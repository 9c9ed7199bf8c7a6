"""Replies, letters, SMS texts and the public notice; roll-up figures (pure, real files)."""

from __future__ import annotations

from datetime import date

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from minyi.core.reporting import StatRow
from reports import formats
from reports.bundle import build_rollup_stats, points_text
from reports.letters import (
    SMS_CHARS,
    Contributor,
    ContributorItem,
    ContributorList,
    NoticeRow,
    PublicNotice,
    reply_text,
    sms_text,
    write_letters_docx,
)

DRAFT = "深圳经济特区电动自行车管理条例（征求意见稿）"
POINT = "福田区华富街道田面社区基层立法联系点"


def test_each_decision_has_its_reply():
    assert reply_text("采纳", ["第五十六条"], None, "公布稿") == "您的意见已被采纳，体现在公布稿第五十六条。"
    assert reply_text("部分采纳", ["第四十三条"], "改为原则上设置在室外", "公布稿").startswith("您的意见被部分采纳，体现在公布稿第四十三条。说明：改为")
    assert reply_text("未采纳", [], "上位法已有规定，不宜重复") == "您的意见经研究未予采纳，理由：上位法已有规定，不宜重复。"
    assert "已有规定" in reply_text("已有规定", ["第十条"], None, "公布稿")
    assert reply_text(None) == "您的意见已报送，采纳情况尚未公布。"


def people() -> list[Contributor]:
    a = Contributor("林晓东", "13912340001", None, [1], consent=True)
    a.items = [ContributorItem(1, "建议将鼓励改为应当。", "第五十七条", "采纳", reply_text("采纳", ["第五十六条"], None, "公布稿")),
               ContributorItem(2, "建议删除台风禁行。", "第三十七条", "未采纳", reply_text("未采纳", [], "安全优先"))]
    b = Contributor("陈美华", "13912340002", None, [3])
    b.items = [ContributorItem(3, "建议老旧小区可在室内设置充电场所。", "第四十五条", "部分采纳", reply_text("部分采纳"))]
    return [a, b]


def test_sms_texts_fit_one_message_even_with_a_long_title():
    for c in people():
        text = sms_text(c, DRAFT * 2, POINT)
        assert len(text) <= SMS_CHARS
        assert c.name in text and ("采纳" in text)


def test_the_list_and_the_mail_merge_letters(tmp_path):
    letters = ContributorList(1, DRAFT, POINT, "深圳市人大常委会法制工作委员会", date(2026, 3, 1), people())
    xlsx = formats.write(letters, "xlsx", tmp_path / "list.xlsx")
    book = load_workbook(xlsx)
    all_rows = list(book["待告知人员"].iter_rows(values_only=True))
    rows = all_rows[[r[1] for r in all_rows].index("姓名") + 1:]
    assert [r[1] for r in rows] == ["林晓东", "陈美华"] and rows[0][8] == "是" and len(rows[0][9]) <= SMS_CHARS
    assert len(list(book["逐条答复"].iter_rows(min_row=2, values_only=True))) == 3
    path = write_letters_docx(letters, tmp_path / "letters.docx")
    doc = Document(path)
    text = "\n".join(p.text for p in doc.paragraphs)
    assert text.count("意见建议采纳情况告知书") == 2 and "林晓东：" in text and "陈美华：" in text
    assert "您的意见已被采纳，体现在公布稿第五十六条。" in text and "2026年3月1日" in text
    breaks = [br for br in doc.element.body.iter(qn("w:br")) if br.get(qn("w:type")) == "page"]
    assert len(breaks) == 1  # one letter per page


def test_the_public_notice_names_only_who_agreed(tmp_path):
    notice = PublicNotice(DRAFT, POINT, date(2026, 3, 1), [
        NoticeRow("第五十七条", "建议将鼓励改为应当。", "采纳", "公布稿第五十六条", "林晓东、居民1人"),
    ], people=5, named=1)
    path = formats.write(notice, "docx", tmp_path / "notice.docx")
    cells = [c.text for t in Document(path).tables for row in t.rows for c in row.cells]
    assert "林晓东、居民1人" in cells and "公布稿第五十六条" in cells
    md = formats.write(notice, "md", tmp_path / "notice.md")
    assert "采纳情况的公告" in (tmp_path / "notice.md").read_text(encoding="utf-8") and md


def row(sid: int, point: str, status: str | None, year: int = 2025, cid: int = 1) -> StatRow:
    return StatRow(cid, "条例", year, point, "form", sid, sid, (1, sid), status, "manual" if status else None)


def test_rollup_figures_per_point_level_and_year():
    points = [("福田区", "区级", None), ("华富街道", "街道", "福田区"), ("田面社区", "社区", "华富街道"),
              ("新田社区", "社区", "华富街道")]
    rows = [row(1, "田面社区", "采纳"), row(2, "田面社区", "未采纳"), row(3, "新田社区", "部分采纳"),
            row(4, "华富街道", None), row(5, "新田社区", "采纳", year=2026, cid=2)]
    stats = build_rollup_stats(rows, points)
    lines = {p.key: p for p in stats.by_point}
    assert lines["田面社区"].own.suggestions == 2 and lines["田面社区"].own.adopted == 1
    assert lines["华富街道"].own.suggestions == 1 and lines["华富街道"].total.suggestions == 5
    assert lines["福田区"].total.adopted == 3 and lines["福田区"].total.adopted_partly == 1
    assert lines["福田区"].total.rate == 60.0
    assert {s.key: s.suggestions for s in stats.by_level} == {"街道": 1, "社区": 4}
    assert {s.key: s.suggestions for s in stats.by_year} == {"2025年": 4, "2026年": 1}
    only_2025 = build_rollup_stats([r for r in rows if r.year == 2025], points, year=2025, top="华富街道")
    assert only_2025.total.suggestions == 4
    assert only_2025.sentence().startswith("2025年，华富街道及所辖2个联系点共参与法律法规意见征集1部，反馈建议4条，被采纳2条")
    columns, table = stats.to_table()
    assert columns[0] == "分组" and table[-1][0] == "合计"


def test_points_text_says_how_many_points_and_people():
    assert points_text({"甲社区": 3, "乙社区": 2}) == "有2个联系点、5人提出：甲社区3人、乙社区2人"
