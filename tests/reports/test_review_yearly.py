"""The committee review (all contact points, per article) and the yearly summary."""

from __future__ import annotations

from datetime import date

from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook

from report_builder import CP_A, CP_B
from report_helpers import assert_no_personal_data, docx_text, east_asia


def test_review_groups_all_contact_points_per_article(built, db_session):
    from reports.review import build_review

    report = build_review(db_session, built.consultation_id)
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
    from reports.review import build_review, write_review

    report = build_review(sqlite_session, built_sqlite.consultation_id)
    document = Document(write_review(report, "docx", tmp_path / "r.docx"))
    text = docx_text(document)
    assert "（二）第三条" in text and "草案原文：电动自行车应当经登记取得号牌后" in text
    assert "有5人提出" in text
    assert_no_personal_data(text)
    cluster_tables = [t for t in document.tables if t.rows[0].cells[1].text == "归并意见"]
    assert len(cluster_tables) == len(report.articles)
    wb = load_workbook(write_review(report, "xlsx", tmp_path / "r.xlsx"))
    rows = list(wb["逐条意见"].iter_rows(min_row=3, values_only=True))
    assert rows[0][:5] == ("条款", "草案原文", "归并意见", "代表性意见（已脱敏）", "人数")
    assert len(rows) - 1 == sum(len(a.clusters) for a in report.articles)
    assert [r[0] for r in rows[1:]][:2] == ["第二条", "第三条"]


def test_yearly_summary_docx_with_charts(built_sqlite, sqlite_session, tmp_path):
    from reports.yearly import build_yearly, write_yearly

    summary = build_yearly(sqlite_session, 2025, CP_A, on=date(2026, 1, 10))
    assert summary.sentence().startswith(
        f"2025年，{CP_A}共参与法律法规意见征集1部，收到意见8件，反馈建议11条，被采纳3条（其中采纳2条、部分采纳1条）"
    )
    document = Document(write_yearly(summary, tmp_path / "y.docx"))
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
