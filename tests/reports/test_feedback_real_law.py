"""The feedback document on a consultation built from a real law (立法法, 2023, in
../shared/data/laws): 120 articles with three-character numbers (第一百零七条), items, and
chapters. The consultation is past its deadline; its 主送, 落款 and 成文日期 are set the way
a user sets them (``minyi consultation update``). Opened with python-docx and openpyxl, and
as a PDF through LibreOffice when it is installed."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from sqlalchemy.orm import sessionmaker

from minyi.services import documents
from minyi.services.context import SYSTEM
from reports import formats
from report_helpers import assert_no_personal_data, docx_text

LAW = "立法法(2023-03-13).md"
POINT = "某区某街道基层立法联系点"
ADDRESSEE = "全国人大常委会法制工作委员会"
SIGNER = "某区人大常委会某街道工委"


@pytest.fixture
def real(shared_data, sqlite_url):
    """A consultation on 立法法 with comments through a symposium, the forum and a campaign
    of e-mailed letters; one opinion on a whole chapter."""
    from minyi.services.consultations import update_consultation
    from models.db import get_engine
    from models.entities import Cluster, ClusterMember, Comment, DuplicateGroup, Source, Suggestion, SuggestionProvision
    from models.store import article_provisions, create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    path = shared_data / "laws" / LAW
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    session = sessionmaker(bind=get_engine(sqlite_url), expire_on_commit=False)()
    c = create_consultation(session, title="中华人民共和国立法法（修正草案）", issuing_body="全国人大常委会办公厅",
                            opened_on=date(2022, 10, 30), deadline=date(2022, 11, 28), contact_point=POINT)
    version, _ = load_draft_version(session, c.id, parse_file(path), label="征求意见稿")
    articles = {(p.number, p.suffix): p for p in article_provisions(session, version.id)}
    sym = Source(consultation_id=c.id, channel="symposium", name="立法法座谈会", origin="/home/secretary/纪要.docx",
                 meta={"meeting_date": "2022-11-10", "participant_count": 15})
    forum = Source(consultation_id=c.id, channel="forum", name="社区议事平台", origin="https://bbs.example.cn/t/9")
    mail = Source(consultation_id=c.id, channel="email", name="联名来信", origin="/home/secretary/inbox/x.eml")
    session.add_all([sym, forum, mail])
    session.flush()

    def comment(source, name, text, *, article=None, paragraph=None, item=None, scope="article", meta=None,
                group=None, when="2022-11-10", reason=None, organisation=None):
        com = Comment(consultation_id=c.id, source_id=source.id, channel=source.channel, text=text,
                      masked_text=text, author_name=name, submitted_at=datetime.fromisoformat(when),
                      reason=reason, author_organisation=organisation)
        session.add(com)
        session.flush()
        sug = Suggestion(consultation_id=c.id, comment_id=com.id, ordinal=0, text=text, masked_text=text,
                         text_hash=f"h{com.id}", type="修改", scope=scope, is_general=scope != "article",
                         duplicate_group_id=group.id if group else None, meta=meta or {})
        session.add(sug)
        session.flush()
        if article is not None:
            session.add(SuggestionProvision(suggestion_id=sug.id, provision_id=articles[(article, None)].id,
                                            method="explicit", paragraph=paragraph, item=item))
        return sug

    cited = comment(sym, "张伟", "第一百零七条第（三）项，建议将“违反本法第五条规定”改为“违背宪法规定”。",
                    article=107, paragraph=1, item=3, reason="表述应与宪法一致。", organisation="某律师事务所")
    quoted = comment(forum, "李娜", "第八十条中“根据本行政区域的具体情况和实际需要”的表述建议保留。", article=80,
                     when="2022-11-12")
    campaign = DuplicateGroup(consultation_id=c.id, kind="campaign", size=3)
    session.add(campaign)
    session.flush()
    letters = [comment(mail, name, "建议第六条增加听取基层立法联系点意见的规定。", article=6, group=campaign,
                       when="2022-11-20") for name in ("王芳", "刘洋", "陈静")]
    chapter = comment(forum, "赵磊", "第二章法律部分条文过多，建议精简。", scope="chapter",
                      meta={"chapter": 2, "mapping": "chapter"}, when="2022-11-13")
    cluster = Cluster(consultation_id=c.id, scope="article:6", provision_id=articles[(6, None)].id,
                      label="听取基层意见", representative_suggestion_id=letters[0].id, size=3)
    session.add(cluster)
    session.flush()
    session.add_all([ClusterMember(cluster_id=cluster.id, suggestion_id=s.id) for s in letters])
    session.commit()
    update_consultation(session, SYSTEM, c.id, addressee=ADDRESSEE)
    session.commit()
    yield {"session": session, "id": c.id, "cited": cited, "quoted": quoted, "chapter": chapter,
           "article_107": articles[(107, None)]}
    session.close()


def test_header_date_and_signer(real):
    session, cid = real["session"], real["id"]
    doc = documents.feedback(session, SYSTEM, cid)
    assert doc.recipient == f"{ADDRESSEE}："
    # Past its deadline with no 成文日期 set: dated the deadline, and said so — never today.
    assert (doc.date, doc.date_source) == (date(2022, 11, 28), "deadline")
    assert doc.issuer == POINT
    from minyi.services.consultations import update_consultation

    update_consultation(session, SYSTEM, cid, signer=SIGNER, signed_on="2022-11-25")
    session.commit()
    doc = documents.feedback(session, SYSTEM, cid)
    assert (doc.date, doc.date_source, doc.issuer) == (date(2022, 11, 25), "consultation", SIGNER)
    doc = documents.feedback(session, SYSTEM, cid, date=date(2022, 11, 26), signer="另一单位")
    assert (doc.date, doc.date_source, doc.issuer) == (date(2022, 11, 26), "option", "另一单位")


def test_rows_excerpts_campaign_and_chapter(real):
    doc = documents.feedback(real["session"], SYSTEM, real["id"])
    labels = [r.provision_text for r in doc.articles]
    # The chapter-level opinion is one row under 第二章, between 第一章 and 第二章 articles.
    assert labels == ["第六条", "第二章", "第八十条", "第一百零七条\n第一款\n第（三）项"]
    chapter_row = doc.articles[1]
    assert chapter_row.draft_text.startswith("（本章：") and chapter_row.count == 1
    # 第一百零七条 quotes its cited 项, not the whole long article.
    art107 = doc.articles[3]
    assert art107.draft_text.startswith("（三）") and art107.draft_text in real["article_107"].text
    assert len(art107.draft_text) < 60
    assert len(real["article_107"].text) > 150
    assert art107.reason == "表述应与宪法一致。" and art107.proposers == "某律师事务所"
    # 第八十条: the sentence around the quoted wording, not the whole article.
    art80 = doc.articles[2]
    assert "根据本行政区域的具体情况和实际需要" in art80.draft_text and len(art80.draft_text) <= 95
    # The campaign: three people, labelled as one letter sent by several.
    letters = doc.articles[0]
    assert letters.count == 3 and letters.campaign_text == "其中3份为统一格式来信"
    intro = "".join(doc.intro)
    assert "于2022年11月10日召开座谈会1场，参加人员共15人次" in intro
    assert "通过召开座谈会、接收来信来邮和网络平台征集等方式征求意见" in intro
    assert "走访" not in intro and "意见征集表" not in intro
    assert "（涉及3个条文、1章）" in intro


@pytest.fixture
def written(real, tmp_path):
    doc = documents.feedback(real["session"], SYSTEM, real["id"])
    return doc, formats.write(doc, "docx", tmp_path / "立法法.docx"), tmp_path


def test_docx_opens_with_every_point(written):
    doc, path, _ = written
    document = Document(path)
    text = docx_text(document)
    assert_no_personal_data(text)
    for name in ("张伟", "李娜", "王芳", "刘洋", "陈静", "赵磊"):
        assert name not in text
    assert f"{ADDRESSEE}：" in text and "2022年11月28日" in text
    assert "其中3份为统一格式来信" in text
    [table] = document.tables
    body = [[c.text for c in row.cells] for row in table.rows[1:]]
    assert [r[0] for r in body] == ["1", "2", "3", "4"] and [r[6] for r in body] == ["3", "1", "1", "1"]
    widths = [int(c.get(qn("w:w"))) / 1440 * 25.4 for c in table._tbl.tblGrid.findall(qn("w:gridCol"))]
    char_mm = 10.5 * 25.4 / 72
    assert widths[1] >= len("第一百零七条") * char_mm + 2.4  # 条款 on one line
    assert widths[0] >= 2 * char_mm + 2.4  # "序号" and up to four digits
    assert abs(sum(widths) - 156) < 1
    props = document.core_properties
    assert props.author == POINT and props.title == doc.title


def test_xlsx_provenance_without_paths(written, real):
    doc, _, tmp_path = written
    wb = load_workbook(formats.write(doc, "xlsx", tmp_path / "立法法.xlsx"))
    rows = list(wb["附件：意见建议明细"].iter_rows(values_only=True))
    by_id = {r[1]: r for r in rows[1:]}
    cited = by_id[real["cited"].id]
    assert cited[2:4] == ("座谈会", "纪要.docx") and cited[5:7] == ("张*", "2022-11-10")
    assert by_id[real["quoted"].id][3] == "https://bbs.example.cn/t/9"
    everything = [str(v) for ws in wb for row in ws.iter_rows(values_only=True) for v in row if v is not None]
    assert not [v for v in everything if "/home/" in v]
    assert all(isinstance(r[0], int) for r in list(wb["逐条修改意见"].iter_rows(values_only=True))[1:])


@pytest.mark.slow
def test_pdf_through_libreoffice(written):
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) and poppler-utils (pdftotext) are needed for the PDF check")
    from reports.fonts import substitutions
    from reports.pdf import convert_to_pdf

    _, path, tmp_path = written
    pdf = convert_to_pdf(path, tmp_path / "立法法.pdf")
    text = subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout
    lines = text.splitlines()
    # The 条款 cell keeps "第一百零七条" on one line.
    assert any("第一百零七条" in line for line in lines)
    flat = re.sub(r"\s+", "", text)
    assert f"{ADDRESSEE}：" in flat and "2022年11月28日" in flat
    # The header row is repeated: every page with table rows starts its table with 序号.
    pages = [p for p in text.split("\f") if re.search(r"第[一二三四五六七八九十百零]+条", p)]
    assert all("序号" in p for p in pages if "提出人" in p or re.search(r"^\s*\d+\s", p, re.M))
    fonts = subprocess.run(["pdffonts", pdf], capture_output=True, text=True).stdout if shutil.which("pdffonts") else ""
    families = {re.sub(r"^[A-Z]{6}\+", "", line.split()[0]).split("-")[0] for line in fonts.splitlines()[2:] if line}
    if len(set(substitutions().values())) >= 3:
        # Title, headings and body in distinct faces, though the official fonts are missing.
        assert len(families) >= 3, families  # title, 一、 headings, body (no （一） lead here)
