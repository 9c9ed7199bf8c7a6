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

from openpyxl import load_workbook

from report_builder import CP_A, CP_B


def _line(result, key):
    return next(line for line in result.lines if line.key == key)


def test_by_contact_point(built, db_session):
    from reports.stats import load_stats

    result = load_stats(db_session, "contact-point")
    a, b = _line(result, CP_A), _line(result, CP_B)
    assert (a.consultations, a.comments, a.suggestions) == (2, 11, 14)
    assert (a.adopted_full, a.adopted_partly, a.adopted, a.not_adopted) == (3, 2, 5, 3)
    assert a.rate == round(100 * 5 / 14, 1)
    assert (b.consultations, b.comments, b.suggestions, b.adopted_full, b.adopted_partly) == (1, 2, 3, 2, 0)
    t = result.total
    assert (t.consultations, t.comments, t.suggestions, t.adopted) == (2, 13, 17, 7)
    assert result.symposiums == 3 and result.symposium_participants == 39


def test_by_year_and_year_filter(built, db_session):
    from reports.stats import load_stats

    result = load_stats(db_session, "year")
    assert [line.key for line in result.lines] == ["2024年", "2025年"]
    y24, y25 = result.lines
    assert (y24.suggestions, y24.adopted_full, y24.adopted_partly) == (3, 1, 1)
    assert (y25.comments, y25.suggestions, y25.adopted_full, y25.adopted_partly) == (10, 14, 4, 1)
    only = load_stats(db_session, "consultation", year=2025, contact_point=CP_A)
    assert [line.key for line in only.lines] == ["深圳经济特区电动自行车管理条例"]
    assert (only.total.comments, only.total.suggestions, only.total.adopted) == (8, 11, 3)


def test_by_channel_counts_a_duplicate_in_each_channel_with_its_decision(built, db_session):
    from reports.stats import load_stats

    result = load_stats(db_session, "channel")
    forum = _line(result, "论坛/网络平台")
    # c8-0 duplicates c2-0, which a reviewer set to 部分采纳: the forum line shares it.
    assert (forum.comments, forum.suggestions, forum.adopted_partly) == (2, 2, 1)
    assert _line(result, "座谈会").suggestions == 5 + 3
    assert result.total.suggestions == 17  # not the sum of the lines (18)


def test_output_formats(built, db_session, tmp_path):
    from reports.stats import load_stats, write_stats

    result = load_stats(db_session, "year")
    data = json.loads(write_stats(result, "json", None))
    assert data["total"]["adopted"] == 7 and len(data["lines"]) == 2
    rows = list(csv.DictReader(io.StringIO(write_stats(result, "csv", tmp_path / "s.csv"))))
    assert [r["key"] for r in rows] == ["2024年", "2025年", "合计"]
    assert (tmp_path / "s.csv").read_text(encoding="utf-8").startswith("key,consultations")
    wb = load_workbook(write_stats(result, "xlsx", tmp_path / "s.xlsx"))
    sheet = wb.worksheets[0]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "分组" and len(values) == 1 + 3
    assert "采纳率（%）" in write_stats(result, "table", None)


def test_bad_grouping_is_an_input_error(built, db_session):
    import pytest

    from minyi.errors import InputError
    from reports.stats import load_stats

    with pytest.raises(InputError, match="--by: 'month'"):
        load_stats(db_session, "month")
