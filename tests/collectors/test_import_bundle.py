"""Reading what a lower level sends up: minyi's feedback bundle, and feedback documents
(.xlsx, .docx) typed by hand in the usual table layout."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from docx import Document
from openpyxl import Workbook

from collectors.importers import read_bytes, read_sources
from collectors.importers.bundle import is_bundle, read_bundle
from collectors.importers.feedback_table import is_feedback_table, parse_count
from minyi.core.errors import InputError
from minyi.core.records import DECISIONS_BUNDLE_SCHEMA, FEEDBACK_BUNDLE_SCHEMA, ROLLUP_BUNDLE_KEY, ROLLUP_KEY

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "ebike"


def bundle(items: list[dict], sequence: int = 1, **extra) -> bytes:
    data = {
        "schema": FEEDBACK_BUNDLE_SCHEMA, "kind": "feedback", "bundle_id": f"uid-{sequence}", "sequence": sequence,
        "issued_at": "2025-10-14T10:00:00",
        "contact_point": {"name": "田面社区基层立法联系点", "level": "社区", "parent": "华富街道基层立法联系点"},
        "consultation": {"title": "深圳经济特区电动自行车管理条例（征求意见稿）"},
        "draft_version": {"label": "征求意见稿", "title": "…", "text_hash": "0" * 64},
        "items": items, **extra,
    }
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


ITEM = {"key": "cluster:4", "section": "article", "scope": "article", "ordinal": 1, "article": "第五十七条",
        "draft_text": "鼓励外卖、快递企业为驾驶人投保……", "text": "建议将“鼓励”改为“应当”。", "reason": "保障骑手权益。",
        "count": 3, "channel": "form", "points": [{"name": "田面社区基层立法联系点", "people": 3}],
        "cluster": {"id": 4}, "provenance": [{"channel": "form", "source": "意见征集表.xlsx"}]}


def test_a_bundle_becomes_one_comment_per_row_standing_for_its_people():
    source, records = read_bundle(bundle([ITEM, {**ITEM, "key": "suggestion:9", "article": None, "section": "general",
                                                 "text": "建议加强宣传。", "count": 1, "points": []}]),
                                  "x.json", "/in/x.json")
    assert source.contact_point == "田面社区基层立法联系点" and source.channel == "other"
    info = source.meta[ROLLUP_BUNDLE_KEY]
    assert info["uid"] == "uid-1" and info["sequence"] == 1 and len(info["record_hashes"]) == 2
    first, second = (r.comment for r in records)
    assert first.declared_articles == ["第五十七条"] and first.quoted_text.startswith("鼓励")
    assert first.meta[ROLLUP_KEY]["people"] == 3 and first.channel == "form"
    # A row naming no points stands for its sender.
    assert second.meta[ROLLUP_KEY]["points"][0]["name"] == "田面社区基层立法联系点"


def test_a_row_keeps_its_identity_across_reissues_unless_it_changed():
    _s, one = read_bundle(bundle([ITEM]), "a.json", "a.json")
    moved = {**ITEM, "ordinal": 5, "cluster": {"id": 4, "label": "新标签"}}
    _s, two = read_bundle(bundle([moved], sequence=2), "b.json", "b.json")
    _s, three = read_bundle(bundle([{**ITEM, "count": 4}], sequence=3), "c.json", "c.json")
    assert one[0].content_hash == two[0].content_hash  # renumbered, same row
    assert one[0].content_hash != three[0].content_hash  # a corrected count is a new row


def test_bundles_are_recognised_by_content_and_refused_clearly():
    read = read_bytes(bundle([ITEM]), "田面社区反馈.txt", "田面社区反馈.txt")
    assert read[0][0].meta[ROLLUP_BUNDLE_KEY]["format"] == "bundle"
    assert is_bundle(b'\xef\xbb\xbf{"schema": "minyi.feedback-bundle/1"}')
    assert not is_bundle(b'{"text": "an ordinary JSONL comment"}\n')
    decisions = json.dumps({"schema": DECISIONS_BUNDLE_SCHEMA, "bundle_id": "d", "contact_point": {"name": "x"},
                            "items": []}).encode()
    with pytest.raises(InputError, match="import-decisions"):
        read_bundle(decisions, "d.json", "d.json")
    with pytest.raises(InputError, match="schema"):
        read_bundle(bundle([ITEM]).replace(b"feedback-bundle/1", b"feedback-bundle/9"), "f.json", "f.json")
    with pytest.raises(InputError, match="broken.json"):
        read_bundle(b'{"schema": "minyi.feedback-bundle/1", ', "broken.json", "broken.json")
    with pytest.raises(InputError, match="not .新田社区"):
        read_bundle(bundle([ITEM]), "x.json", "x.json", contact_point="新田社区")


def test_a_row_without_text_or_with_a_bad_count_is_quarantined_not_dropped():
    _s, records = read_bundle(bundle([{**ITEM, "text": ""}, {**ITEM, "key": "k2", "count": "很多"}]), "x.json", "x.json")
    assert [r.comment for r in records] == [None, None]
    assert "no opinion text" in records[0].error and "not a number" in records[1].error


def hand_typed_xlsx(rows: list[list], header=("序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数")) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["田面社区关于电动自行车条例的意见汇总"])  # a title line above the header
    ws.append(list(header))
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_hand_typed_xlsx_table_is_read_row_by_row(tmp_path):
    data = hand_typed_xlsx([
        [1, "第五十七条", "鼓励……", "建议将“鼓励”改为“应当”。", "保障权益", "居民", "有3人提出"],
        [2, None, None, "建议同时明确投保险种。", "", "骑手", 2],  # 条款 merged with the row above
        [3, "第三十七条", "台风……", "", "", "", ""],  # no opinion: quarantined, kept
    ])
    path = tmp_path / "莲花社区反馈表.xlsx"
    path.write_bytes(data)
    assert is_feedback_table(data, "xlsx")
    source, records = read_sources(path, contact_point="莲花社区信息采集点")[0]
    assert source.contact_point == "莲花社区信息采集点"
    first, second, third = records
    assert first.comment.meta[ROLLUP_KEY]["people"] == 3 and first.comment.declared_articles == ["第五十七条"]
    assert second.comment.declared_articles == ["第五十七条"] and second.comment.meta[ROLLUP_KEY]["people"] == 2
    assert third.comment is None and "修改意见 is empty" in third.error
    with pytest.raises(InputError, match="--contact-point"):
        read_sources(path)


def test_a_feedback_docx_gives_its_table_its_items_and_its_signer(tmp_path):
    doc = Document()
    doc.add_paragraph("关于《深圳经济特区电动自行车管理条例（征求意见稿）》的意见建议")
    doc.add_paragraph("二、总体意见")
    doc.add_paragraph("（一）建议加强对条例的宣传解读。（居民2人，有2人提出）")
    doc.add_paragraph("三、逐条修改意见")
    table = doc.add_table(rows=2, cols=7)
    for cell, text in zip(table.rows[0].cells, ["序号", "条款", "草案原文", "修改意见", "理由", "提出人/单位", "人数"]):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ["1", "第五十五条", "外卖平台……", "建议恶劣天气延长配送时限。", "", "骑手", "有4人提出"]):
        cell.text = text
    doc.add_paragraph("四、其他意见建议")
    doc.add_paragraph("无。")
    doc.add_paragraph("新田社区基层立法联系点")
    doc.add_paragraph("2025年10月14日")
    path = tmp_path / "新田社区意见建议.docx"
    doc.save(path)
    source, records = read_sources(path)[0]
    assert source.contact_point == "新田社区基层立法联系点"
    by_section = {r.payload["section"]: r.comment for r in records}
    assert by_section["general"].text == "建议加强对条例的宣传解读。"
    assert by_section["general"].meta[ROLLUP_KEY]["people"] == 2
    assert by_section["article"].meta[ROLLUP_KEY]["people"] == 4


def test_ordinary_forms_and_minutes_are_not_taken_for_feedback_tables():
    for f in (SAMPLE / "comments").glob("*.docx"):
        assert not is_feedback_table(f.read_bytes(), "docx"), f
    form = SAMPLE / "comments" / "华富街道意见征集表.xlsx"
    assert not is_feedback_table(form.read_bytes(), "xlsx")
    citizens = hand_typed_xlsx([[1, "第五条", "", "建议……", "", "张三", ""]],
                               header=("序号", "条款", "原文", "修改意见", "理由", "提出人", "联系电话"))
    assert not is_feedback_table(citizens, "xlsx")


@pytest.mark.parametrize("value,count", [("有5人提出", 5), ("1人提出", 1), (3, 3), ("7人", 7), ("", None), (None, None)])
def test_counts_read_as_written(value, count):
    assert parse_count(value) == count
