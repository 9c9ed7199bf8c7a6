"""The feedback document sent upward: content from the database, GB/T 9704 layout, masking.

Built through ``minyi.services.documents`` (load, mask, build) and written through
``reports.formats``, as every shell does."""

from __future__ import annotations

from datetime import date

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy import distinct, func, select

from minyi.services import documents
from minyi.services.context import SYSTEM
from models.entities import Comment, FeedbackItem, Source, Suggestion
from reports import formats
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
    session = db_session
    doc = documents.feedback(session, SYSTEM, built.consultation_id, date=date(2025, 10, 14))
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
    # Symposium dates and head counts from the minutes' meta, nothing more.
    assert f"先后于2025年9月20日、9月27日召开座谈会{symposiums}场，参加人员共{participants}人次" in intro
    assert f"共收到意见{comments}件，梳理出意见建议{suggestions}条，去除重复意见后为{dedup}条" in intro
    # Only the channels actually used, forum posts as 网络平台; no visit was made.
    assert "通过召开座谈会、发放意见征集表、接收来信来邮和网络平台征集等方式征求意见" in intro
    assert "走访" not in intro and "其他方式" not in intro
    assert "（涉及5个条文）" in intro
    assert "座谈会3件、意见征集表2件、来信来邮1件、网络平台2件" in intro
    # Only CP_A's opinions: the 第四条 cluster came from the other contact point only.
    assert [r.article_label for r in doc.articles] == ARTICLE_ORDER
    # 第三条: four people of CP_A (one a duplicate that is no cluster member); the
    # reviewer's consolidated wording and reason are sent, not a raw comment.
    art3 = doc.articles[1]
    assert art3.count == 4 and art3.count_text == "有4人提出"
    assert art3.suggestion.startswith("建议将第三条第二款修改为")
    # The reviewer's consolidated text goes with the reviewer's reason.
    assert art3.reason.startswith("外卖快递从业人员车辆来源多样")
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
    session = db_session
    doc = documents.feedback(session, SYSTEM, built.consultation_id, contact_point=CP_B)
    assert doc.issuer == CP_B
    assert [r.article_label for r in doc.articles] == ["第三条", "第四条"]
    assert [r.count for r in doc.articles] == [1, 2]
    assert doc.figures.comments == 2 and doc.figures.symposiums == 0


def test_unknown_contact_point_is_a_clear_error(built, db_session):
    from minyi.core.errors import NotFoundError
    with pytest.raises(NotFoundError, match="--contact-point: no contact point named '不存在'"):
        documents.feedback(db_session, SYSTEM, built.consultation_id, contact_point="不存在")


def test_saving_replaces_the_previous_rows_of_the_same_point(built, db_session):
    session = db_session
    doc_a = documents.feedback(session, SYSTEM, built.consultation_id)
    doc_b = documents.feedback(session, SYSTEM, built.consultation_id, contact_point=CP_B)
    documents.record_feedback(session, SYSTEM, doc_a, "a1.docx")
    documents.record_feedback(session, SYSTEM, doc_b, "b.docx")
    documents.record_feedback(session, SYSTEM, doc_a, "a2.docx")
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
    doc = documents.feedback(sqlite_session, SYSTEM, built_sqlite.consultation_id, date=date(2025, 10, 14))
    path = formats.write(doc, "docx", tmp_path / "feedback.docx")
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
    assert east_asia(item.runs[0]) == "楷体_GB2312" and east_asia(item.runs[1]) == "仿宋_GB2312"
    # The font table names a fall-back for each official font, of its own class (serif,
    # sans, script), for machines without the official fonts.
    from lxml import etree

    font_table = next(r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable"))
    root = etree.fromstring(font_table.blob)
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    declared = {f.get(w + "name"): f for f in root.iter(w + "font")}
    expected = {"方正小标宋简体": ("华文中宋", "roman"), "仿宋_GB2312": ("仿宋", "roman"),
                "黑体": ("SimHei", "modern"), "楷体_GB2312": ("楷体", "script"), "宋体": ("SimSun", "roman")}
    for name, (alt, family) in expected.items():
        font = declared[name]
        assert font.find(w + "altName").get(w + "val") == alt
        assert font.find(w + "family").get(w + "val") == family
    # The four faces differ where the fall-backs are used too.
    from reports import fonts

    chains = [fonts.TITLE.fallbacks, fonts.BODY.fallbacks, fonts.HEADING1.fallbacks, fonts.HEADING2.fallbacks]
    assert len({c[0] for c in chains}) == 4
    on_linux = fonts.substitutions({"Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UKai CN", "AR PL UMing CN"})
    assert len(set(on_linux[f.name] for f in (fonts.TITLE, fonts.BODY, fonts.HEADING1, fonts.HEADING2))) == 4


def test_docx_document_properties(feedback_docx):
    from datetime import datetime, timezone

    doc, document = feedback_docx
    props = document.core_properties
    assert props.title == doc.title and props.author == CP_A and props.last_modified_by == CP_A
    assert props.created.date() == datetime.now(timezone.utc).date()
    assert props.comments == "" and "python-docx" not in (props.author + props.comments)
    app = next(p for p in document.part.package.iter_parts() if str(p.partname) == "/docProps/app.xml")
    assert b"Microsoft" not in app.blob


def test_docx_table_rows_counts_and_masking(feedback_docx):
    doc, document = feedback_docx
    [table] = document.tables
    header = [c.text for c in table.rows[0].cells]
    assert header == ["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"]
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    # No row is split across pages where it fits on one.
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in table.rows)
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[1] for r in body] == ARTICLE_ORDER
    assert [r[0] for r in body] == [str(i) for i in range(1, 6)]
    assert [r[6] for r in body] == [str(r.count) for r in doc.articles]
    assert body[1][6] == "4"
    assert body[1][2].startswith("电动自行车应当经登记取得号牌后")
    # Widths: the columns fill the 156 mm text block; 条款 fits its longest label on one line.
    grid = [int(c.get(qn("w:w"))) / 1440 * 25.4 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    assert abs(sum(grid) - 156) < 1
    assert grid[1] >= len("第五条之一") * 10.5 * 25.4 / 72 + 2.4
    text = docx_text(document)
    for heading in ("一、征求意见工作开展情况", "二、总体意见", "三、逐条修改意见", "四、其他意见建议"):
        assert heading in text
    assert "有2人提出" in text  # a general opinion made by two people
    assert "2025年10月14日" in text and CP_A in text
    assert_no_personal_data(text)


def test_xlsx_sheets_and_row_counts(built_sqlite, sqlite_session, tmp_path):
    session = sqlite_session
    doc = documents.feedback(session, SYSTEM, built_sqlite.consultation_id)
    wb = load_workbook(formats.write(doc, "xlsx", tmp_path / "f.xlsx"))
    assert wb.sheetnames == ["概况", "总体意见", "逐条修改意见", "其他意见建议", "附件：意见建议明细"]
    _, suggestions, *_ = _db_counts(session, built_sqlite.consultation_id, built_sqlite.contact_points[CP_A])
    appendix = list(wb["附件：意见建议明细"].iter_rows(values_only=True))
    assert appendix[0][:9] == ("序号", "意见编号", "渠道", "来源文件/网址", "位置", "提出人（已脱敏）", "提交日期",
                               "联系点", "意见内容（已脱敏）")
    assert len(appendix) - 1 == suggestions
    assert [r[0] for r in appendix[1:]] == list(range(1, suggestions + 1))  # numbers, not text
    by_id = {row[1]: row for row in appendix[1:]}
    dup = by_id[built_sqlite.suggestion_ids[("c8", 0)]]
    assert dup[2] == "网络平台" and dup[3] == "https://forum.example.cn/thread/123"
    assert dup[5] == "周*" and dup[6] == "2025-10-03"
    assert dup[9] == "第三条" and dup[12] == "三-2" and dup[13] == 3
    form = by_id[built_sqlite.suggestion_ids[("c4", 0)]]
    assert form[3] == "意见征集表.xlsx" and form[5] == "刘*"  # the file's name, not its path
    articles = list(wb["逐条修改意见"].iter_rows(values_only=True))
    assert len(articles) - 1 == len(doc.articles)
    assert [r[0] for r in articles[1:]] == list(range(1, len(doc.articles) + 1))
    assert [r[1] for r in articles[1:]] == ARTICLE_ORDER
    assert [r[6] for r in articles[1:]] == [r.count for r in doc.articles]
    for ws in wb:  # printable: A4 landscape, one page wide, the header on every page
        assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows
    cells = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v]
    assert not [c for c in cells if c.startswith("/") or "/tmp/" in c or ":\\" in c]
    all_text = "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v)
    assert_no_personal_data(all_text)


def test_markdown_has_every_section_and_row(built_sqlite, sqlite_session, tmp_path):
    doc = documents.feedback(sqlite_session, SYSTEM, built_sqlite.consultation_id)
    path = formats.write(doc, "md", tmp_path / "f.md")
    text = open(path, encoding="utf-8").read()
    assert text.startswith(f"# {doc.title}")
    table_lines = [line for line in text.splitlines() if line.startswith("| ")]
    assert table_lines[0].startswith("| 序号 | 条款 | 草案原文 | 修改意见 |")
    assert [line.split("|")[2].strip() for line in table_lines[1:]] == ARTICLE_ORDER
    for heading in ("## 一、征求意见工作开展情况", "## 二、总体意见", "## 三、逐条修改意见", "## 四、其他意见建议"):
        assert heading in text
    assert_no_personal_data(text)


def test_saving_is_audited_with_the_actor(built, db_session):
    from minyi.services.context import Actor
    from models.entities import AuditLog

    doc = documents.feedback(db_session, SYSTEM, built.consultation_id)
    documents.record_feedback(db_session, Actor("审阅人甲", "reviewer"), doc, "f.docx")
    db_session.commit()
    [entry] = db_session.scalars(select(AuditLog).where(AuditLog.action == "record_feedback")).all()
    assert entry.actor == "审阅人甲" and entry.consultation_id == built.consultation_id
    assert entry.after["items"] == len(doc.rows) and entry.after["report_file"] == "f.docx"


def test_the_masker_masks_every_text_field_of_a_row_and_its_author():
    from minyi.core.reporting import SuggestionRow

    raw = "张伟（13812345678，0755-83451234，11010519491231002X，zw@example.com）建议删除第三条"
    row = SuggestionRow(
        suggestion_id=1, comment_id=1, consultation_id=1, text=raw, type=None, is_general=False,
        is_out_of_scope=False, duplicate_group_id=None, duplicate_size=1, channel="email",
        contact_point_id=None, contact_point=None, organisation="联系人：李娜", role=None, source_id=None,
        source_name="来信 13987654321.eml", source_origin=None, submitted_at=None,
        reason="我是张伟，电话15011112222", original_text=raw, author_name="张伟",
    )
    masked = documents.Masker().row(row)
    shown = " ".join([masked.text, masked.original_text, masked.reason, masked.organisation, masked.source_name])
    assert_no_personal_data(shown)
    assert masked.author_name is None and masked.text.endswith("建议删除第三条")
    assert documents.Masker().text("第十二条第二款修改为二十五公里") == "第十二条第二款修改为二十五公里"


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
    from reports.document import Doc, Table
    from reports.feedback import ARTICLE_COLUMNS, ARTICLE_WIDTHS
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


def test_a_row_names_a_paragraph_only_when_the_wording_points_there():
    from minyi.core.reporting import ArticleInfo, SuggestionRow
    from reports.feedback import draft_excerpt

    first = "交通运输、住房建设、城市管理等部门按照各自职责做好电动自行车管理相关工作，加强日常巡查和宣传引导。" * 2
    second = "消防救援机构负责电动自行车停放、充电场所的消防安全监督管理工作，依法查处占用疏散通道的行为。" * 2
    article = ArticleInfo(1, "第五条", 5, 5, first + "\n" + second, parts={(1, None): first, (2, None): second})

    def row(text):
        return SuggestionRow(suggestion_id=1, comment_id=1, consultation_id=1, text=text, type="修改",
                             is_general=False, is_out_of_scope=False, duplicate_group_id=None, duplicate_size=1,
                             channel="form", contact_point_id=None, contact_point=None, organisation=None, role=None,
                             source_id=None, source_name=None, source_origin=None, submitted_at=None, reason="")

    pointed = row("消防救援机构对充电场所的监督检查应当明确频次，占用疏散通道的要限期整改。")
    assert draft_excerpt(article, [pointed], pointed, pointed.text)[0] == "第二款"
    # One word in common with the second 款 (安全) says nothing of where: the article whole.
    vague = row("希望社区能组织家长学安全知识。")
    label, excerpt = draft_excerpt(article, [vague], vague, vague.text)
    assert label is None and excerpt.startswith("交通运输")


def test_a_point_is_printed_as_a_sentence():
    from reports.feedback import finished

    assert finished("加强对骑手权益的保障；") == "加强对骑手权益的保障。"  # cut out of a list
    assert finished("支持为骑手买保险") == "支持为骑手买保险。"
    assert finished("将“鼓励”修改为“应当”") == "将“鼓励”修改为“应当”。"
    for ended in ("上牌能不能在社区办？", "支持！", "他说：“太慢了。”", "Article 74 leaves out Pudong."):
        assert finished(ended) == ended
    assert finished("Article 74 leaves out Pudong") == "Article 74 leaves out Pudong."
