"""Spreadsheet importer (.xlsx/.csv) on messy forms we build here with openpyxl."""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from collectors.importers import read_file
from minyi.core.errors import InputError
from minyi.services.context import SYSTEM
from minyi.services.intake import import_files
from models.entities import Comment, RawRecord, Source
from models.store import create_consultation

HEADER = ["序号", "姓名", "工作单位", "联系电话", "涉及条款", "草案原文", "修改意见（必填）", "理由", "提交时间"]
# (cells, expected outcome): "ok" → comment, "q" → quarantined, "blank" → not a record.
ROWS = [
    ([1, "张三", "某公司", "13800000000", "第十二条", "不得设置在架空层", "建议允许老旧小区在架空层设充电点", "老旧小区无空地", datetime(2024, 3, 5, 9, 30)], "ok"),
    ([2, "李四", None, None, "第十三条", None, "建议增加过渡期", None, 45352], "ok"),
    ([None] * 9, "blank"),
    ([3, None, None, None, None, None, None, None, None], "blank"),  # pre-numbered template row
    ([4, "王五", None, None, "第十四条", None, "无", None, None], "q"),
    ([5, "赵六", None, None, "第十五条", None, "长" * 25000, None, "2024/3/7"], "q"),
    ([6, "钱七", "某协会", None, None, None, "#VALUE!", None, None], "q"),
    ([7, "孙八", None, None, None, None, None, "只写了理由", None], "q"),
    ([8, None, None, None, "第二十条", None, "第二十条罚款数额过高，建议降低", None, "2024年3月8日"], "ok"),
]
START_ROW = 3  # title on row 1, header on row 2


def expected(outcome: str) -> int:
    return sum(1 for _cells, o in ROWS if o == outcome)


def build_form(path: Path) -> Path:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "填表说明"
    notes["A1"] = "填表说明：每行填写一条意见，涉及条款请写明第几条。"
    ws = wb.create_sheet("意见征集表")
    ws["A1"] = "《某某市电动自行车管理条例（征求意见稿）》意见征集表"
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    ws.append(HEADER)
    for cells, _o in ROWS:
        ws.append(cells)
    wb.save(path)
    return path


@pytest.fixture
def form(tmp_path) -> Path:
    return build_form(tmp_path / "意见征集表.xlsx")


@pytest.fixture
def cid(session) -> int:
    c = create_consultation(session, title="某某市电动自行车管理条例（征求意见稿）")
    session.commit()
    return c.id


def records_of(path, **kw):
    """The source and its row records (an instructions sheet's one record left out)."""
    source, records = read_file(path, **kw)
    return source, [r for r in records if r.locator is None or "row=" in r.locator]


def test_header_is_found_below_a_merged_title_row(form):
    source, records = records_of(form)
    assert source.meta["sheets"]["意见征集表"]["header_row"] == 2
    assert source.channel == "form"
    first = records[0]
    assert first.comment.text == "建议允许老旧小区在架空层设充电点"
    assert (first.comment.author_name, first.comment.author_organisation, first.comment.author_contact) == ("张三", "某公司", "13800000000")
    assert first.comment.declared_articles == ["第十二条"]
    assert (first.comment.quoted_text, first.comment.reason) == ("不得设置在架空层", "老旧小区无空地")


def test_locators_give_the_real_row_numbers_and_skip_empty_rows(form):
    _s, records = records_of(form)
    want = [f"sheet=意见征集表;row={START_ROW + i}" for i, (_c, o) in enumerate(ROWS) if o != "blank"]
    assert [r.locator for r in records] == want


def test_payload_keeps_the_row_as_strings_keyed_by_header(form):
    _s, records = records_of(form)
    assert records[1].payload["序号"] == "2"
    assert records[1].payload["提交时间"] == "45352"
    assert records[0].payload["修改意见（必填）"] == ROWS[0][0][6]


def test_instruction_sheet_is_kept_whole_as_one_record_without_a_comment(form):
    source, records = read_file(form)
    records = list(records)
    assert source.meta["sheets_instructions"] == ["填表说明"]
    assert source.meta["sheets_quarantined"] == []
    kept = [r for r in records if "意见征集表" not in r.locator]
    assert [r.locator for r in kept] == ["sheet=填表说明"]
    assert kept[0].comment is None and kept[0].error is None and kept[0].payload["lines"]


def test_real_dates_serial_dates_and_chinese_dates_are_read(form):
    _s, records = records_of(form)
    by_author = {r.comment.author_name: r.comment.submitted_at for r in records}
    assert by_author["张三"] == datetime(2024, 3, 5, 9, 30)
    assert by_author["李四"] == datetime(2024, 3, 1)  # Excel serial 45352
    assert records[-1].comment.submitted_at == datetime(2024, 3, 8)


def test_vertically_merged_article_cell_belongs_to_each_row(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["条款", "意见建议", "提出人"])
    ws.append(["第五条", "意见甲", "甲"])
    ws.append([None, "意见乙", "乙"])
    ws.merge_cells("A2:A3")
    wb.save(tmp_path / "m.xlsx")
    _s, records = records_of(tmp_path / "m.xlsx")
    assert [r.comment.declared_articles for r in records] == [["第五条"], ["第五条"]]


def test_every_row_is_accounted_for_in_the_database(session, cid, form):
    summary = import_files(session, SYSTEM, cid, [form])
    session.commit()
    assert summary.imported == expected("ok") == session.scalar(select(func.count()).select_from(Comment))
    assert summary.quarantined == expected("q")
    quarantined = session.scalar(select(func.count()).select_from(RawRecord).where(RawRecord.status == "quarantined"))
    assert quarantined + summary.imported == len(ROWS) - expected("blank")


def test_quarantine_reasons_name_the_problem(session, cid, form):
    summary = import_files(session, SYSTEM, cid, [form])
    reasons = {loc: reason for _o, loc, reason in summary.quarantine}
    assert "no opinion" in reasons["sheet=意见征集表;row=7"]
    assert "25000 characters" in reasons["sheet=意见征集表;row=8"]
    assert "unreadable cell" in reasons["sheet=意见征集表;row=9"]
    assert "empty" in reasons["sheet=意见征集表;row=10"]


def test_importing_the_same_file_twice_adds_nothing(session, cid, form, tmp_path):
    first = import_files(session, SYSTEM, cid, [form])
    moved = tmp_path / "copy.xlsx"
    moved.write_bytes(form.read_bytes())
    second = import_files(session, SYSTEM, cid, [moved])
    session.commit()
    assert (second.imported, second.quarantined, second.skipped) == (0, 0, first.records)
    assert session.scalar(select(func.count()).select_from(Comment)) == first.imported
    assert session.scalar(select(func.count()).select_from(Source)) == 1


def test_gbk_csv_is_decoded(tmp_path):
    text = "姓名,联系方式,条文,意见内容\n张三,13800000000,第三条,建议明确电动自行车的登记程序\n王㛃,,第四条,赞成\n"
    path = tmp_path / "gbk.csv"
    path.write_bytes(text.encode("gb18030"))
    source, records = records_of(path)
    assert source.meta["encoding"] == "gb18030"
    assert [r.comment.text for r in records] == ["建议明确电动自行车的登记程序", "赞成"]
    assert records[1].comment.author_name == "王㛃"  # outside GB2312: needs GB18030
    assert [r.locator for r in records] == ["row=2", "row=3"]


def test_utf8_bom_csv_is_decoded_without_the_bom(tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes("意见建议,提交人\n建议增设充电桩,李四\n".encode("utf-8-sig"))
    source, records = records_of(path)
    assert source.meta["encoding"] == "utf-8-sig"
    assert records[0].comment.text == "建议增设充电桩"
    assert records[0].comment.author_name == "李四"


def test_explicit_mapping_names_unusual_columns(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("答题人,您想说的话\n周九,头盔应强制佩戴\n", encoding="utf-8")
    with pytest.raises(InputError, match="survey.csv"):
        read_file(path)
    _s, records = records_of(path, mapping="text=您想说的话,author=答题人")
    assert (records[0].comment.text, records[0].comment.author_name) == ("头盔应强制佩戴", "周九")


def test_mapping_from_a_toml_file(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("答题人,您想说的话\n周九,头盔应强制佩戴\n", encoding="utf-8")
    mapping = tmp_path / "map.toml"
    mapping.write_text('[mapping]\ntext = "您想说的话"\nauthor = "答题人"\n', encoding="utf-8")
    _s, records = records_of(path, mapping=str(mapping))
    assert records[0].comment.author_name == "周九"


def test_unknown_mapping_field_is_an_input_error(tmp_path):
    path = tmp_path / "survey.csv"
    path.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(InputError, match="unknown field 'colour'"):
        read_file(path, mapping="colour=a")


def test_corrupt_xlsx_raises_naming_the_file_and_stores_nothing(session, cid, form, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("xl/workbook.xml", b"\x00garbage<<")
    bad.write_bytes(buf.getvalue())
    with pytest.raises(InputError, match="坏文件.xlsx"):
        import_files(session, SYSTEM, cid, [form, bad])  # the good file first: still nothing stored
    assert session.scalar(select(func.count()).select_from(RawRecord)) == 0


def ole_encrypted_bytes() -> bytes:
    """The start of an Office file saved with a password: an OLE compound file whose
    directory names the EncryptionInfo and EncryptedPackage streams."""
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff\x09\x00"
    header += b"\x00" * (512 - len(header))
    entries = b""
    for name in ("Root Entry", "EncryptionInfo", "EncryptedPackage"):
        raw = name.encode("utf-16-le") + b"\x00\x00"
        entries += raw + b"\x00" * (64 - len(raw)) + len(raw).to_bytes(2, "little") + b"\x02" + b"\x00" * 61
    return header + entries + b"\x00" * 1024


def test_password_protected_xlsx_is_refused_with_a_clear_message(tmp_path):
    path = tmp_path / "加密.xlsx"
    path.write_bytes(ole_encrypted_bytes())
    with pytest.raises(InputError, match=r"加密\.xlsx: the workbook is password-protected"):
        read_file(path)


def test_file_without_any_opinion_header_is_an_input_error(tmp_path):
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "电话"])
    wb.active.append(["张三", "1"])
    wb.save(tmp_path / "名单.xlsx")
    with pytest.raises(InputError, match="名单.xlsx: no sheet has a header row"):
        read_file(tmp_path / "名单.xlsx")


def test_workbook_saved_with_a_csv_name_is_read_as_a_workbook(tmp_path, form):
    renamed = tmp_path / "export.csv"
    renamed.write_bytes(form.read_bytes())
    source, records = records_of(renamed)
    assert source.meta["format"] == "xlsx" and len(records) == len(ROWS) - expected("blank")


def test_csv_the_csv_module_cannot_read_is_one_line_error_naming_the_file(tmp_path, run_cli, db_url):
    path = tmp_path / "huge.csv"
    path.write_text("意见建议,提交人\n" + "长" * 200_000 + ",李四\n", encoding="utf-8")
    with pytest.raises(InputError, match="huge.csv"):
        read_file(path)
    run_cli("consultation", "create", "--title", "某某条例")
    r = run_cli("comments", "import", path, "--consultation", "1")
    assert r.exit_code == 2
    assert "huge.csv" in r.stderr and "Traceback" not in r.stderr
