"""Legacy .xls forms (Excel 97–2003), written here with xlwt and read through xlrd."""

from __future__ import annotations

from datetime import datetime

import pytest

from collectors.importers import read_file

xlwt = pytest.importorskip("xlwt", reason="xlwt (test extra) writes the .xls fixtures")


def build_xls(path):
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("意见征集表")
    sheet.write_merge(0, 0, 0, 4, "《某某条例（征求意见稿）》意见征集表")
    for col, name in enumerate(["序号", "姓名", "涉及条款", "修改意见", "提交时间"]):
        sheet.write(1, col, name)
    date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
    rows = [
        (1, "张三", "第十二条", "建议将“应当”改为“可以”", datetime(2025, 9, 20)),
        (2, "李四", "", "建议增加过渡期条款", datetime(2025, 9, 21)),
        (3, "王五", "第三十条", "", datetime(2025, 9, 22)),
    ]
    for r, cells in enumerate(rows, start=2):
        for c, value in enumerate(cells):
            if isinstance(value, datetime):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
    book.save(str(path))
    return path


def test_xls_rows_become_records_with_real_row_numbers(tmp_path):
    source, records = read_file(build_xls(tmp_path / "form.xls"))
    records = list(records)
    assert source.channel == "form"
    assert [r.locator for r in records] == [f"sheet=意见征集表;row={n}" for n in (3, 4, 5)]


def test_xls_fields_and_dates_are_read(tmp_path):
    _source, records = read_file(build_xls(tmp_path / "form.xls"))
    first = list(records)[0].comment
    assert first.text == "建议将“应当”改为“可以”"
    assert first.author_name == "张三"
    assert first.declared_articles == ["第十二条"]
    assert first.submitted_at == datetime(2025, 9, 20)


def test_xls_row_without_opinion_is_quarantined(tmp_path, session):
    from minyi.services.context import SYSTEM
    from minyi.services.intake import import_files
    from models.store import create_consultation

    consultation = create_consultation(session, title="某某条例")
    summary = import_files(session, SYSTEM, consultation.id, [build_xls(tmp_path / "form.xls")])
    assert (summary.imported, summary.quarantined) == (2, 1)
    assert [loc for _origin, loc, _reason in summary.quarantine] == ["sheet=意见征集表;row=5"]
