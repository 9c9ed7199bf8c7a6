"""The committee review (all contact points, per article) and the yearly summary."""

from __future__ import annotations

from datetime import date

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from minyi.services import documents
from minyi.services.context import SYSTEM
from reports import formats
from report_builder import CP_A, CP_B
from report_helpers import assert_no_personal_data, docx_text, east_asia


def test_review_groups_all_contact_points_per_article(built, db_session):
    report = documents.review(db_session, SYSTEM, built.consultation_id)
    assert [a.article.label for a in report.articles] == ["第二条", "第三条", "第四条", "第五条", "第五条之一", "第七条"]
    art3 = report.articles[1]
    [cluster] = art3.clusters
    assert cluster.count == 5  # four people of 华富 and one of 桃源
    assert set(cluster.contact_points) == {CP_A, CP_B}
    assert art3.article.text.startswith("电动自行车应当经登记取得号牌后")
    # Per suggestion: c1 auto 采纳, c2 manual 部分采纳 (over auto 采纳), c5 未采纳, c9 采纳, c8 none.
    assert cluster.adoption == {"采纳": 2, "部分采纳": 1, "未采纳": 1}
    assert report.points[0] == (CP_A, 8, 13) and report.points[1] == (CP_B, 2, 3)


def test_review_docx_and_xlsx(built_sqlite, sqlite_session, tmp_path):
    report = documents.review(sqlite_session, SYSTEM, built_sqlite.consultation_id)
    document = Document(formats.write(report, "docx", tmp_path / "r.docx"))
    text = docx_text(document)
    assert "（二）第三条" in text and "草案原文：电动自行车应当经登记取得号牌后" in text
    assert_no_personal_data(text)
    cluster_tables = [t for t in document.tables if t.rows[0].cells[1].text.startswith("意见（审核归并稿")]
    assert len(cluster_tables) == len(report.articles)
    art3 = cluster_tables[1]
    assert [c.text for c in art3.rows[0].cells] == ["序号", "意见（审核归并稿或代表性意见）", "人数", "联系点",
                                                    "采纳情况", "审核提示"]
    row = [c.text for c in art3.rows[1].cells]
    assert row[1].startswith("【审核归并】建议将第三条第二款修改为") and row[2] == "5"
    # An unreviewed cluster shows its representative, and how many others it stands for.
    art5 = [c.text for c in cluster_tables[3].rows[1].cells]
    assert art5[1].startswith("【代表性意见】") and "另有1人意见相近" in art5[1]
    # Every statistics table ends with a 合计 row.
    for t in document.tables:
        if t.rows[0].cells[1].text in ("联系点", "条款"):
            assert t.rows[-1].cells[0].text == "合计"
    points = next(t for t in document.tables if t.rows[0].cells[1].text == "联系点")
    assert [c.text for c in points.rows[-1].cells][2:] == ["10", "16"]
    wb = load_workbook(formats.write(report, "xlsx", tmp_path / "r.xlsx"))
    rows = list(wb["逐条意见"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == ("条款", "草案原文", "归并意见", "代表性意见（已脱敏）", "人数")
    assert len(rows) - 1 == sum(len(a.clusters) for a in report.articles)
    assert [r[0] for r in rows[1:]][:2] == ["第二条", "第三条"]


def test_yearly_summary_docx_with_charts(built_sqlite, sqlite_session, tmp_path):
    summary = documents.yearly(sqlite_session, SYSTEM, 2025, contact_point=CP_A, date=date(2026, 1, 10))
    assert summary.sentence().startswith(
        f"2025年，{CP_A}共参与法律法规意见征集1部，反馈建议11条，被采纳3条，采纳率27.3%。"
        "被采纳的建议中，采纳2条、部分采纳1条；共收到群众意见8件。"
    )
    document = Document(formats.write(summary, None, tmp_path / "y.docx"))
    section = document.sections[0]
    assert abs(section.top_margin.mm - 37) < 0.5 and abs(section.left_margin.mm - 28) < 0.5
    title = [r for r in document.paragraphs[0].runs if r.text.strip()]
    assert title[0].font.size.pt == 22 and east_asia(title[0]) == "方正小标宋简体"
    pictures = document.element.body.findall(".//" + qn("pic:pic"))
    assert len(pictures) == 2
    assert len(document.inline_shapes) == 2
    text = docx_text(document)
    assert "深圳经济特区电动自行车管理条例" in text and "2026年1月10日" in text
    assert "物业管理条例" not in text  # a 2024 consultation
    # Every table ends with 合计, and its rows add up to it.
    for table in document.tables:
        rows = [[c.text for c in r.cells] for r in table.rows]
        assert rows[-1][0] == "合计"
        total_col = 3 if rows[0][3] == "反馈建议（条）" else 2
        assert sum(int(r[total_col]) for r in rows[1:-1]) == int(rows[-1][total_col])
    status = next(t for t in document.tables if t.rows[0].cells[1].text == "采纳情况")
    names = [r.cells[1].text for r in status.rows[1:-1]]
    assert names == ["采纳", "部分采纳", "未采纳", "已有规定", "研究参考", "无法判断", "待定"]
    assert "其他" not in names


def test_yearly_summary_of_the_whole_district_names_each_point(built_sqlite, sqlite_session, tmp_path):
    summary = documents.yearly(sqlite_session, SYSTEM, 2025, date=date(2026, 1, 10))
    assert summary.sentence().startswith("2025年，各基层立法联系点共参与法律法规意见征集1部，反馈建议14条，被采纳5条，采纳率35.7%。")
    assert summary.point_sentences() == [
        f"{CP_A}共参与法律法规意见征集1部，反馈建议11条，被采纳3条，采纳率27.3%",
        f"{CP_B}共参与法律法规意见征集1部，反馈建议3条，被采纳2条，采纳率66.7%",
    ]
    document = Document(formats.write(summary, "docx", tmp_path / "all.docx"))
    text = docx_text(document)
    assert "其中，" + summary.point_sentences()[0] in text
    assert "关于2025年度基层立法联系点参与法律法规意见征集工作情况的报告" in text.replace("\n", "")


def test_chart_labels_are_whole():
    from reports.charts import wrap_label

    label = "深圳经济特区电动自行车管理条例（征求意见稿）"
    wrapped = wrap_label(label)
    assert wrapped.replace("\n", "") == label and "…" not in wrapped
    assert all(len(line) <= 10 for line in wrapped.split("\n"))
