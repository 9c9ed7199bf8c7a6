"""Adoption statistics against the hand-built database (see report_builder.py).

Counted by hand: consultation 1 (2025) has 10 comments, 16 suggestions, 14 after
deduplication (c1-0, c2-0 and c8-0 are one duplicate group, whose reviewer decision is
部分采纳); adopted 4 + partly 1. Consultation 2 (2024, 华富 only): 3 comments, 3 suggestions,
采纳 1, 部分采纳 1 (manual over auto 未采纳).
"""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from minyi.core.errors import InputError
from minyi.services.context import SYSTEM
from minyi.services.documents import statistics_table
from reports import formats
from report_builder import CP_A, CP_B


def _line(result, key):
    return next(line for line in result.lines if line.key == key)


def test_by_contact_point(built, db_session):
    result = statistics_table(db_session, SYSTEM, "contact-point")
    a, b = _line(result, CP_A), _line(result, CP_B)
    assert (a.consultations, a.comments, a.suggestions) == (2, 11, 14)
    assert (a.adopted_full, a.adopted_partly, a.adopted, a.not_adopted) == (3, 2, 5, 3)
    assert a.rate == round(100 * 5 / 14, 1)
    assert (b.consultations, b.comments, b.suggestions, b.adopted_full, b.adopted_partly) == (1, 2, 3, 2, 0)
    t = result.total
    assert (t.consultations, t.comments, t.suggestions, t.adopted) == (2, 13, 17, 7)
    assert result.symposiums == 3 and result.symposium_participants == 39


def test_by_year_and_year_filter(built, db_session):
    result = statistics_table(db_session, SYSTEM, "year")
    assert [line.key for line in result.lines] == ["2024年", "2025年"]
    y24, y25 = result.lines
    assert (y24.suggestions, y24.adopted_full, y24.adopted_partly) == (3, 1, 1)
    assert (y25.comments, y25.suggestions, y25.adopted_full, y25.adopted_partly) == (10, 14, 4, 1)
    only = statistics_table(db_session, SYSTEM, "consultation", year=2025, contact_point=CP_A)
    assert [line.key for line in only.lines] == ["深圳经济特区电动自行车管理条例"]
    assert (only.total.comments, only.total.suggestions, only.total.adopted) == (8, 11, 3)


def test_by_channel_lines_add_up_to_the_total(built, db_session):
    result = statistics_table(db_session, SYSTEM, "channel")
    forum = _line(result, "论坛/网络平台")
    # c8-0 (forum) duplicates c1-0/c2-0 (symposium): one suggestion, counted where it was
    # first made, so the forum line has only c7's.
    assert (forum.comments, forum.suggestions, forum.adopted_partly) == (2, 1, 0)
    assert _line(result, "座谈会").suggestions == 5 + 3
    assert result.total.suggestions == 17
    assert_adds_up(result)


def assert_adds_up(result):
    """Every line's statuses add up to its suggestions; the lines add up to the total."""
    from reports.stats import STATUS_FIELDS

    for line in [*result.lines, result.total]:
        assert sum(getattr(line, f) for f in STATUS_FIELDS.values()) == line.suggestions, line
        assert sum(line.status_counts().values()) == line.suggestions
    for field in ("comments", "suggestions", "adopted", *STATUS_FIELDS.values()):
        assert sum(getattr(line, field) for line in result.lines) == getattr(result.total, field), field


@pytest.mark.parametrize("by", ["contact-point", "consultation", "year", "channel"])
def test_every_grouping_adds_up(built, db_session, by):
    assert_adds_up(statistics_table(db_session, SYSTEM, by))


def test_output_formats(built, db_session, tmp_path):
    result = statistics_table(db_session, SYSTEM, "year")
    data = json.loads(formats.write(result, "json", None))
    assert data["total"]["adopted"] == 7 and len(data["lines"]) == 2
    rows = list(csv.DictReader(io.StringIO(formats.write(result, "csv", tmp_path / "s.csv"))))
    assert [r["key"] for r in rows] == ["2024年", "2025年", "合计"]
    # A CSV file starts with a BOM, so that Excel reads it as UTF-8.
    assert (tmp_path / "s.csv").read_text(encoding="utf-8").startswith("\ufeffkey,consultations")
    wb = load_workbook(formats.write(result, "xlsx", tmp_path / "s.xlsx"))
    sheet = wb.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "分组" and len(values) == 1 + 3
    assert values[-1][0] == "合计" and "无法判断" in values[0] and "待定" in values[0]
    assert "采纳率（%）" in formats.write(result, "table", None)


def test_bad_grouping_is_an_input_error(built, db_session):
    with pytest.raises(InputError, match="--by: 'month'"):
        statistics_table(db_session, SYSTEM, "month")


def test_format_errors_name_the_allowed_formats(built, db_session):
    result = statistics_table(db_session, SYSTEM, "year")
    with pytest.raises(InputError, match="--format: 'pdf' is not one of table, json, csv, xlsx"):
        formats.write(result, "pdf", None)
    with pytest.raises(InputError, match="--format xlsx needs an output file"):
        formats.write(result, "xlsx", None)


def test_statistics_are_computed_from_plain_rows():
    """reports.stats is pure: rows in, table out (no database)."""
    from minyi.core.reporting import StatRow
    from reports.stats import build_stats

    def row(sid, channel, status=None, source=None, group=None):
        key = (0, group) if group else (1, sid)
        return StatRow(1, "某条例", 2025, CP_A, channel, sid, sid, key, status, source)

    rows = [row(1, "form", "采纳", "auto", group=7), row(2, "forum", "未采纳", "manual", group=7),
            row(3, "forum", "部分采纳", "auto"), row(4, "email")]
    result = build_stats(rows, "channel", year=2025)
    # Suggestions 1 and 2 are duplicates: the reviewer's 未采纳 wins over the detector's 采纳.
    assert (result.total.suggestions, result.total.adopted, result.total.not_adopted) == (3, 1, 1)
    # The duplicate counts once, in the channel of its first member (the form).
    forum = next(line for line in result.lines if line.key == "论坛/网络平台")
    form = next(line for line in result.lines if line.key == "问卷/表格")
    assert (forum.suggestions, forum.adopted_partly, forum.not_adopted) == (1, 1, 0)
    assert (form.suggestions, form.not_adopted) == (1, 1)
    assert_adds_up(result)
