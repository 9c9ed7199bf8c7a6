"""Symposium minutes (.docx) importer, on documents built here with python-docx."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from docx import Document
from sqlalchemy import func, select

from collectors.importers import read_file
from collectors.importers.minutes import match_turn, participant_count, split_who
from minyi.core.errors import InputError
from minyi.services.context import SYSTEM
from minyi.services.intake import import_files
from models.entities import Comment, Source
from models.store import create_consultation

TURNS = [
    # (paragraphs as written, expected author_name, expected organisation)
    (["张三（某公司法务）：建议第十二条允许在架空层设置充电点。", "此外，应当配备自动喷淋设施。"], "张三", "某公司法务"),
    (["李四代表表示，罚款数额过高，建议降低。"], "李四", "代表"),
    (["某公司法务王五提出：第二十条的登记期限太短。"], "王五", "某公司法务"),
    (["与会人员认为，应当加强对外卖骑手的交通安全教育。"], None, None),
    (["赵六：建议增加过渡期条款。", "他还建议，过渡期不少于六个月。"], "赵六", None),
]
TABLE = [
    ["条款", "意见", "提出人"],
    ["第八条", "建议明确头盔标准", "孙八"],
    ["第九条", "建议延长上牌期限", "周九"],
]


def build_minutes(path: Path, *, participants: str = "张三、李四、王五、赵六等12人") -> Path:
    doc = Document()
    doc.add_paragraph("某某市电动自行车管理条例（征求意见稿）立法座谈会纪要")
    doc.add_paragraph("时间：2024年3月5日下午")
    doc.add_paragraph("地点：华富街道党群服务中心")
    doc.add_paragraph("主持人：刘主任")
    doc.add_paragraph(f"参加人员：{participants}")
    doc.add_paragraph("3月5日，华富街道基层立法联系点召开座谈会，就条例征求意见稿听取意见。现将主要意见整理如下：")
    doc.add_paragraph("一、关于充电设施")
    for paragraphs, _n, _o in TURNS[:3]:
        for p in paragraphs:
            doc.add_paragraph(p)
    table = doc.add_table(rows=len(TABLE), cols=3)
    for r, row in enumerate(TABLE):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    doc.add_paragraph("二、其他意见")
    for paragraphs, _n, _o in TURNS[3:]:
        for p in paragraphs:
            doc.add_paragraph(p)
    doc.add_paragraph("记录人：何晓雯")
    signin = doc.add_table(rows=2, cols=2)
    signin.cell(0, 0).text, signin.cell(0, 1).text = "姓名", "单位"
    signin.cell(1, 0).text, signin.cell(1, 1).text = "张三", "某公司"
    doc.save(path)
    return path


@pytest.fixture
def minutes(tmp_path) -> Path:
    return build_minutes(tmp_path / "座谈会纪要.docx")


def read(path):
    source, records = read_file(path)
    return source, list(records)


def test_header_lines_go_to_source_meta(minutes):
    source, _r = read(minutes)
    assert source.channel == "symposium"
    assert source.meta["meeting_date"] == "2024-03-05"
    assert source.meta["place"] == "华富街道党群服务中心"
    assert source.meta["recorder"] == "何晓雯"
    assert source.meta["participant_count"] == 12
    assert source.meta["title"].endswith("座谈会纪要")
    assert "召开座谈会" in source.meta["narrative"]


def test_participants_listed_without_a_number_are_counted(tmp_path):
    source, _r = read(build_minutes(tmp_path / "m.docx", participants="张三、李四（某公司法务）、王五"))
    assert source.meta["participant_count"] == 3


def test_one_record_per_turn_and_table_row_in_document_order(minutes):
    _s, records = read(minutes)
    assert len(records) == len(TURNS) + len(TABLE) - 1
    turn_records = [r for r in records if r.locator.startswith("paragraph=")]
    assert [(r.comment.author_name, r.comment.author_organisation) for r in turn_records] == [
        (n, o) for _p, n, o in TURNS
    ]
    kinds = [r.locator.split("=")[0] for r in records]
    assert kinds == ["paragraph"] * 3 + ["table"] * 2 + ["paragraph"] * 2


def test_continuation_paragraphs_join_their_turn(minutes):
    _s, records = read(minutes)
    first, last = records[0], records[-1]
    assert first.comment.text == "建议第十二条允许在架空层设置充电点。\n此外，应当配备自动喷淋设施。"
    assert first.payload["text"] == "\n".join(TURNS[0][0])
    assert last.comment.text.endswith("过渡期不少于六个月。")  # the closing 记录人 line is not joined


def test_the_recorders_account_of_the_meeting_ends_the_turn_before_it(tmp_path):
    doc = Document()
    doc.add_paragraph("王强（田面村居民）：建议条例对出租屋房东的责任作出规定。")
    doc.add_paragraph("房东应当为租户提供安全的充电条件。")
    doc.add_paragraph("会议最后，李振华主任对大家提出的意见建议表示感谢，表示将如实上报。")
    doc.save(tmp_path / "纪要.docx")
    source, records = read(tmp_path / "纪要.docx")
    assert [r.comment.text for r in records] == ["建议条例对出租屋房东的责任作出规定。\n房东应当为租户提供安全的充电条件。"]
    assert source.meta["narrative"] == "会议最后，李振华主任对大家提出的意见建议表示感谢，表示将如实上报。"


def test_collective_turn_has_no_author_but_says_who(minutes):
    _s, records = read(minutes)
    collective = next(r for r in records if "外卖骑手" in r.comment.text)
    assert collective.comment.author_name is None
    assert collective.comment.meta["collective"] is True
    assert collective.comment.meta["speaker_phrase"] == "与会人员认为"


def test_turns_carry_the_meeting_date_and_section(minutes):
    _s, records = read(minutes)
    assert records[0].comment.submitted_at == datetime(2024, 3, 5)
    assert records[0].comment.meta["section"] == "一、关于充电设施"


def test_table_rows_become_records_with_table_locators(minutes):
    source, records = read(minutes)
    rows = [r for r in records if r.locator.startswith("table=")]
    assert [r.locator for r in rows] == ["table=1;row=2", "table=1;row=3"]
    assert [(r.comment.text, r.comment.author_name, r.comment.declared_articles) for r in rows] == [
        ("建议明确头盔标准", "孙八", ["第八条"]),
        ("建议延长上牌期限", "周九", ["第九条"]),
    ]
    assert source.meta["tables"] == [[["姓名", "单位"], ["张三", "某公司"]]]


def test_minutes_without_speakers_give_one_record_per_paragraph(tmp_path):
    doc = Document()
    doc.add_paragraph("建议增设非机动车道隔离设施，保障骑行安全。")
    doc.add_paragraph("建议对电池以旧换新给予补贴。")
    doc.save(tmp_path / "plain.docx")
    _s, records = read(tmp_path / "plain.docx")
    assert [r.locator for r in records] == ["paragraph=1", "paragraph=2"]


@pytest.mark.parametrize(
    ("line", "want"),
    [
        ("（一）张三（社区居民）：同意。", ("张三", "社区居民", False, "同意。")),
        ("多名居民提出，充电桩太少。", (None, None, True, "充电桩太少。")),
        ("主要意见：如下", None),
        ("此外，建议降低罚款。", None),
    ],
)
def test_turn_patterns(line, want):
    assert match_turn(line) == want


def test_speaker_phrases_split_into_name_and_role():
    assert split_who("某公司法务王五") == ("王五", "某公司法务", False)
    assert split_who("街道人大代表") == (None, "街道人大代表", False)
    assert participant_count("共十五人") == 15


def test_corrupt_docx_is_an_input_error(tmp_path):
    path = tmp_path / "坏纪要.docx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(InputError, match="坏纪要.docx"):
        read_file(path)


def test_minutes_import_accounts_for_every_turn_and_row(session, minutes):
    cid = create_consultation(session, title="条例").id
    summary = import_files(session, SYSTEM, cid, [minutes])
    again = import_files(session, SYSTEM, cid, [minutes])
    session.commit()
    assert summary.imported == len(TURNS) + len(TABLE) - 1 and summary.quarantined == 0
    assert again.imported == 0 and again.skipped == summary.imported
    assert session.scalar(select(func.count()).select_from(Comment)) == summary.imported
    src = session.scalars(select(Source)).one()
    assert src.meta["participant_count"] == 12
