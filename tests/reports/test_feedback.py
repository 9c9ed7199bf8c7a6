"""The feedback document sent upward: content from the database, GB/T 9704 layout, masking."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import distinct, func, select

from models.entities import Comment, FeedbackItem, Source, Suggestion
from report_builder import CP_A, CP_B
from report_helpers import assert_no_personal_data, docx_text, east_asia

ARTICLE_ORDER = ["第二条", "第三条", "第五条", "第五条之一", "第七条"]


def _db_counts(session, consultation_id, point_id):
    """Figures counted straight from the tables, independently of report_queries."""
    in_point = Comment.contact_point_id == point_id
    comments = session.scalar(
        select(func.count()).select_from(Comment).where(Comment.consultation_id == consultation_id, in_point)
    )
    suggestions = session.scalar(
        select(func.count()).select_from(Suggestion).join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == consultation_id, in_point)
    )
    grouped = session.scalar(
        select(func.count(distinct(Suggestion.duplicate_group_id))).join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == consultation_id, in_point)
    )
    ungrouped = session.scalar(
        select(func.count()).select_from(Suggestion).join(Comment, Comment.id == Suggestion.comment_id)
        .where(Suggestion.consultation_id == consultation_id, in_point, Suggestion.duplicate_group_id.is_(None))
    )
    symposiums = session.scalars(
        select(Source.meta).where(Source.consultation_id == consultation_id, Source.channel == "symposium",
                                  Source.contact_point_id == point_id)
    ).all()
    return comments, suggestions, grouped + ungrouped, len(symposiums), sum(m["participants"] for m in symposiums)


def test_feedback_figures_and_sections_match_the_database(built, db_session):
    from reports.feedback import build_feedback

    session = db_session
    doc = build_feedback(session, built.consultation_id, on=date(2025, 10, 14))
    comments, suggestions, dedup, symposiums, participants = _db_counts(
        session, built.consultation_id, built.contact_points[CP_A]
    )
    fig = doc.figures
    assert (fig.comments, fig.suggestions, fig.suggestions_deduplicated) == (comments, suggestions, dedup)
    assert (fig.symposiums, fig.symposium_participants) == (symposiums, participants)
    assert doc.issuer == CP_A
    assert doc.title == "关于《深圳经济特区电动自行车管理条例（征求意见稿）》的意见建议"
    intro = "".join(doc.intro)
    assert "2025年9月15日至10月15日" in intro
    assert f"共召开座谈会{symposiums}场，参加人员{participants}人次" in intro
    assert f"共收到意见{comments}件，梳理出意见建议{suggestions}条，去除重复意见后为{dedup}条" in intro
    assert "召开座谈会、发放意见征集表和问卷、接收来信来邮、网络平台征集" in intro
    # Only CP_A's opinions: the 第四条 cluster came from the other contact point only.
    assert [r.article_label for r in doc.articles] == ARTICLE_ORDER
    # 第三条: four people of CP_A (one a duplicate that is no cluster member); the
    # reviewer's consolidated wording and reason are sent, not a raw comment.
    art3 = doc.articles[1]
    assert art3.count == 4 and art3.count_text == "有4人提出"
    assert art3.suggestion.startswith("建议将第三条第二款修改为")
    assert "原始发票难以提供" in art3.reason
    assert "深圳市电动自行车行业协会" in art3.proposers and "社区居民1人" in art3.proposers
    # Unreviewed cluster: the representative's masked text.
    assert doc.articles[2].suggestion.startswith("第五条禁止在楼道充电很好")
    # 第七条 was never clustered: still sent, as a single opinion.
    assert doc.articles[4].cluster_id is None and doc.articles[4].count == 1
    assert [r.count for r in doc.general] == [2, 1]
    assert len(doc.others) == 1 and "共享汽车" in doc.others[0].suggestion
    for row in doc.rows:
        assert_no_personal_data(" ".join([row.suggestion, row.reason, row.proposers]))


def test_other_contact_point_gets_its_own_document(built, db_session):
    from reports.feedback import build_feedback

    session = db_session
    doc = build_feedback(session, built.consultation_id, CP_B)
    assert doc.issuer == CP_B
    assert [r.article_label for r in doc.articles] == ["第三条", "第四条"]
    assert [r.count for r in doc.articles] == [1, 2]
    assert doc.figures.comments == 2 and doc.figures.symposiums == 0


def test_unknown_contact_point_is_a_clear_error(built, db_session):
    from minyi.errors import NotFoundError
    from reports.feedback import build_feedback

    with pytest.raises(NotFoundError, match="--contact-point: no contact point named '不存在'"):
        build_feedback(db_session, built.consultation_id, "不存在")


def test_saving_replaces_the_previous_rows_of_the_same_point(built, db_session):
    from reports.feedback import build_feedback, save_feedback

    session = db_session
    doc_a = build_feedback(session, built.consultation_id)
    doc_b = build_feedback(session, built.consultation_id, CP_B)
    save_feedback(session, doc_a, "a1.docx")
    save_feedback(session, doc_b, "b.docx")
    save_feedback(session, doc_a, "a2.docx")
    session.commit()
    items = session.scalars(select(FeedbackItem).order_by(FeedbackItem.id)).all()
    a_items = [i for i in items if i.contact_point_id == built.contact_points[CP_A]]
    b_items = [i for i in items if i.contact_point_id == built.contact_points[CP_B]]
    assert len(a_items) == len(doc_a.rows) and {i.report_file for i in a_items} == {"a2.docx"}
    assert len(b_items) == len(doc_b.rows)
    art = [i for i in a_items if i.section == "article"]
    assert [i.article_label for i in art] == ARTICLE_ORDER
    assert [i.count for i in art] == [r.count for r in doc_a.articles]


@pytest.fixture
def feedback_docx(built_sqlite, sqlite_session, tmp_path):
    from reports.feedback import build_feedback, write_feedback

    doc = build_feedback(sqlite_session, built_sqlite.consultation_id, on=date(2025, 10, 14))
    path = write_feedback(doc, "docx", str(tmp_path / "feedback.docx"))
    return doc, Document(path)


def test_docx_page_layout_is_gbt9704(feedback_docx):
    _, document = feedback_docx
    section = document.sections[0]
    assert abs(section.page_width.mm - 210) < 0.5 and abs(section.page_height.mm - 297) < 0.5
    for side, expected in (("top", 37), ("bottom", 35), ("left", 28), ("right", 26)):
        assert abs(getattr(section, f"{side}_margin").mm - expected) < 0.5, side
    assert document.settings.odd_and_even_pages_header_footer
    for footer, align in ((section.footer, "right"), (section.even_page_footer, "left")):
        xml = footer._element.xml
        assert 'w:fldCharType="begin"' in xml and " PAGE " in xml
        text = "".join(t.text for t in footer._element.iter(qn("w:t")))
        assert text.startswith("— ") and text.endswith(" —")
        paragraph = footer.paragraphs[0]
        assert paragraph.alignment is not None and paragraph.alignment.name == align.upper()
        assert east_asia(paragraph.runs[0]) == "宋体" and paragraph.runs[0].font.size.pt == 14


def test_docx_fonts(feedback_docx):
    doc, document = feedback_docx
    paragraphs = document.paragraphs
    title_runs = [r for r in paragraphs[0].runs if r.text.strip()]
    assert "".join(r.text for r in title_runs).replace("\n", "") == doc.title
    assert all(r.font.size.pt == 22 and east_asia(r) == "方正小标宋简体" for r in title_runs)
    by_text = {p.text: p for p in paragraphs}
    heading = by_text["一、征求意见工作开展情况"]
    assert east_asia(heading.runs[0]) == "黑体" and heading.runs[0].font.size.pt == 16
    body = by_text[doc.intro[0]]
    assert east_asia(body.runs[0]) == "仿宋_GB2312" and body.runs[0].font.size.pt == 16
    assert body.paragraph_format.line_spacing.pt == pytest.approx(28.95)
    item = next(p for p in paragraphs if p.text.startswith("（一）"))
    assert east_asia(item.runs[0]) == "楷体" and east_asia(item.runs[1]) == "仿宋_GB2312"
    # The font table names a fall-back for machines without the official fonts.
    font_table = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    assert '<w:font w:name="仿宋_GB2312"><w:altName w:val="仿宋"/>' in font_table.blob.decode("utf-8")


def test_docx_table_rows_counts_and_masking(feedback_docx):
    doc, document = feedback_docx
    [table] = document.tables
    header = [c.text for c in table.rows[0].cells]
    assert header == ["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[1] for r in body] == ARTICLE_ORDER
    assert [r[0] for r in body] == [str(i) for i in range(1, 6)]
    assert [r[6] for r in body] == [r.count_text for r in doc.articles]
    assert body[1][6] == "有4人提出"
    assert body[1][2].startswith("电动自行车应当经登记取得号牌后")
    text = docx_text(document)
    for heading in ("一、征求意见工作开展情况", "二、总体意见", "三、逐条修改意见", "四、其他意见建议"):
        assert heading in text
    assert "有2人提出" in text  # a general opinion made by two people
    assert "2025年10月14日" in text and CP_A in text
    assert_no_personal_data(text)


def test_xlsx_sheets_and_row_counts(built_sqlite, sqlite_session, tmp_path):
    from reports.feedback import build_feedback, write_feedback

    session = sqlite_session
    doc = build_feedback(session, built_sqlite.consultation_id)
    wb = load_workbook(write_feedback(doc, "xlsx", str(tmp_path / "f.xlsx")))
    assert wb.sheetnames == ["概况", "总体意见", "逐条修改意见", "其他意见建议", "附件：意见建议明细"]
    _, suggestions, *_ = _db_counts(session, built_sqlite.consultation_id, built_sqlite.contact_points[CP_A])
    appendix = list(wb["附件：意见建议明细"].iter_rows(values_only=True))
    assert appendix[0][:7] == ("序号", "意见编号", "渠道", "来源", "来源文件/网址", "联系点", "意见内容（已脱敏）")
    assert len(appendix) - 1 == suggestions
    by_id = {row[1]: row for row in appendix[1:]}
    dup = by_id[built_sqlite.suggestion_ids[("c8", 0)]]
    assert dup[2] == "论坛/网络平台" and dup[4] == "https://forum.example.cn/thread/123"
    assert dup[7] == "第三条" and dup[10] == "三-2" and dup[11] == 3
    articles = list(wb["逐条修改意见"].iter_rows(values_only=True))
    assert len(articles) - 1 == len(doc.articles)
    assert [r[1] for r in articles[1:]] == ARTICLE_ORDER
    assert [r[7] for r in articles[1:]] == [r.count for r in doc.articles]
    all_text = "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert_no_personal_data(all_text)


def test_markdown_has_every_section_and_row(built_sqlite, sqlite_session, tmp_path):
    from reports.feedback import build_feedback, write_feedback

    doc = build_feedback(sqlite_session, built_sqlite.consultation_id)
    path = write_feedback(doc, "md", str(tmp_path / "f.md"))
    text = open(path, encoding="utf-8").read()
    assert text.startswith(f"# {doc.title}")
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert table_lines[0].startswith("| 序号 | 条款 | 草案原文 | 修改意见 |")
    assert [line.split("|")[2].strip() for line in table_lines[1:]] == ARTICLE_ORDER
    for heading in ("## 一、征求意见工作开展情况", "## 二、总体意见", "## 三、逐条修改意见", "## 四、其他意见建议"):
        assert heading in text
    assert_no_personal_data(text)


def test_masking_safety_net_catches_what_the_masker_missed():
    from models.report_queries import scrub_personal_data

    raw = "张伟（13812345678，0755-83451234，44030119900101123X，zw@example.com）建议删除第三条"
    out = scrub_personal_data(raw, ["张伟"])
    assert out == "张某（***，***，***，***）建议删除第三条"
    assert scrub_personal_data("第十二条第二款修改为二十五公里", []) == "第十二条第二款修改为二十五公里"


def test_draft_name_and_title_lines():
    from reports.docx_writer import title_lines
    from reports.feedback import draft_name

    assert draft_name("某某条例", "征求意见稿") == "某某条例（征求意见稿）"
    assert draft_name("《某某条例（修订征求意见稿）》", "征求意见稿") == "某某条例（修订征求意见稿）"
    assert draft_name("某某法（草案）", "一审稿") == "某某法（草案）"
    lines = title_lines("关于《深圳经济特区电动自行车管理条例（征求意见稿）》的意见建议")
    assert lines == ["关于《深圳经济特区电动自行车管理条例", "（征求意见稿）》的意见建议"]


def test_table_merges_the_repeated_article_and_draft_text(tmp_path):
    from reports.docx_writer import write_docx
    from reports.feedback import ARTICLE_COLUMNS, ARTICLE_WIDTHS, Doc, Table
    from reports.markdown import render_markdown

    rows = [
        ["1", "第三条", "电动自行车应当经登记。", "意见甲", "", "居民1人", "1人提出"],
        ["2", "第三条", "电动自行车应当经登记。", "意见乙", "", "居民1人", "1人提出"],
        ["3", "第四条", "应当佩戴安全头盔。", "意见丙", "", "居民1人", "1人提出"],
    ]
    doc = Doc("关于《某条例（征求意见稿）》的意见建议", [Table(ARTICLE_COLUMNS, rows, ARTICLE_WIDTHS, merge_columns=[1, 2])])
    document = Document(write_docx(doc, tmp_path / "m.docx"))
    [table] = document.tables
    draft_cells = [table.cell(r, 2) for r in (1, 2, 3)]
    assert draft_cells[0]._tc is draft_cells[1]._tc  # one merged cell
    assert draft_cells[0].text == "电动自行车应当经登记。" and draft_cells[2].text == "应当佩戴安全头盔。"
    assert [table.cell(r, 3).text for r in (1, 2, 3)] == ["意见甲", "意见乙", "意见丙"]
    assert docx_text(document).count("电动自行车应当经登记。") == 1
    md = render_markdown(doc)
    assert md.count("电动自行车应当经登记。") == 1 and "| 同上 | 同上 |" in md
