"""Intake that survives hostile files: nothing lost or mangled, no traceback, no hang, no
runaway memory. Every file is generated here (the big ones at test time, bounded)."""

from __future__ import annotations

import io
import json
import mailbox
import os
import resource
import time
import zipfile
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from docx import Document
from docx.oxml import parse_xml
from sqlalchemy import func, select

from collectors.importers import MAX_UNCOMPRESSED_BYTES, expand_paths, read_file, read_sources
from minyi.core.errors import InputError
from minyi.services.context import SYSTEM
from minyi.services.intake import dismiss_quarantined, export_quarantine, import_files, list_quarantine
from models.entities import Comment, RawRecord
from models.store import create_consultation

HEADER = ["序号", "姓名", "修改意见", "理由"]


def records(path: Path) -> list:
    _source, recs = read_file(path)
    return list(recs)


def write_rows(path: Path, rows: list[list], title: str = "意见征集表") -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


@pytest.fixture
def cid(session) -> int:
    c = create_consultation(session, title="测试条例（征求意见稿）")
    session.commit()
    return c.id


# --- spreadsheets -------------------------------------------------------------------------


def test_sheet_without_a_header_is_quarantined_row_by_row_not_skipped(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(HEADER)
    ws.append(["1", "张三", "建议第十二条删除。", ""])
    other = wb.create_sheet("第二批")
    other.append(["编号", "反馈"])
    other.append(["1", "第二批的意见：建议增加充电桩。"])
    other.append(["2", "第二批的意见：建议降低罚款。"])
    wb.save(tmp_path / "f.xlsx")
    source, recs = read_file(tmp_path / "f.xlsx")
    recs = list(recs)
    assert source.meta["sheets_quarantined"] == ["第二批"]
    kept = [r for r in recs if r.locator.startswith("sheet=第二批")]
    assert [r.locator for r in kept] == ["sheet=第二批;row=1", "sheet=第二批;row=2", "sheet=第二批;row=3"]
    assert all(r.error and "第二批" in r.error for r in kept)
    assert "建议增加充电桩" in kept[1].raw_text


def test_a_workbook_without_any_header_is_refused_naming_its_sheets(tmp_path):
    write_rows(tmp_path / "f.xlsx", [["编号", "反馈"], ["1", "意见"]], title="汇总")
    with pytest.raises(InputError, match="'汇总'"):
        read_file(tmp_path / "f.xlsx")


def test_traditional_chinese_headers_and_a_header_far_down_are_recognised(tmp_path):
    rows = [[f"说明第{i}行"] for i in range(1, 60)] + [["序號", "姓名", "聯絡電話", "修改意見"], ["1", "陳大文", "0755-1234567", "建議刪除第五條"]]
    recs = records(write_rows(tmp_path / "f.xlsx", rows))
    opinion = [r for r in recs if r.comment is not None]
    assert len(opinion) == 1 and opinion[0].comment.text == "建議刪除第五條"
    assert opinion[0].comment.author_contact == "0755-1234567"


def test_hidden_sheets_are_imported_with_a_notice(session, cid, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(HEADER)
    ws.append(["1", "张三", "看得见的意见", ""])
    hidden = wb.create_sheet("隐藏")
    hidden.sheet_state = "veryHidden"
    hidden.append(HEADER)
    hidden.append(["1", "李四", "藏起来的意见", ""])
    wb.save(tmp_path / "f.xlsx")
    summary = import_files(session, SYSTEM, cid, [tmp_path / "f.xlsx"])
    assert summary.imported == 2
    assert any("hidden sheet 隐藏 (veryHidden)" in n for n in summary.notes)


def test_formula_without_cached_value_is_quarantined_and_a_boolean_is_no_opinion(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(HEADER)
    ws.append(["1", "张三", '=CONCAT("建议","删除")', ""])  # openpyxl writes no cached value
    ws.append(["2", "李四", True, ""])
    ws.append(["3", "王五", "正常意见", ""])
    wb.save(tmp_path / "f.xlsx")
    recs = records(tmp_path / "f.xlsx")
    assert "no cached value" in recs[0].error
    assert "TRUE" in recs[1].error and recs[1].comment is None
    assert recs[2].error is None and recs[2].comment.text == "正常意见"


def _bounded(fn):  # type: ignore[no-untyped-def]
    """Run ``fn``; return (result or exception, seconds, peak RSS growth in MiB)."""
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    try:
        out = fn()
    except InputError as exc:
        out = exc
    seconds = time.perf_counter() - start
    grown = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    return out, seconds, grown


def _with_one_far_cell(path: Path, ref: str) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(HEADER)
    ws.append(["1", "张三", "建议删除第五条", ""])
    ws[ref] = "远处的单元格"
    wb.save(path)
    return path


@pytest.mark.parametrize("ref", ["XFD1048576", "A1048576"])
def test_a_cell_far_away_costs_only_the_cells_that_exist(tmp_path, ref):
    path = _with_one_far_cell(tmp_path / "far.xlsx", ref)
    out, seconds, grown = _bounded(lambda: records(path))
    assert not isinstance(out, Exception)
    assert [r.comment.text for r in out if r.comment and r.comment.text][:1] == ["建议删除第五条"]
    assert any("远处的单元格" in json.dumps(r.payload, ensure_ascii=False) for r in out)  # kept, not lost
    assert seconds < 60 and grown < 1024  # the issue's bound: 1 GiB, 60 s


def test_a_zip_bomb_is_refused_before_it_is_unpacked(tmp_path):
    path = _with_one_far_cell(tmp_path / "bomb.xlsx", "A1")
    data = io.BytesIO(path.read_bytes())
    with zipfile.ZipFile(data, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.bin", b"\0" * (MAX_UNCOMPRESSED_BYTES + 1))  # ~260 KB compressed
    (tmp_path / "bomb.xlsx").write_bytes(data.getvalue())
    assert (tmp_path / "bomb.xlsx").stat().st_size < 2_000_000
    out, seconds, grown = _bounded(lambda: records(tmp_path / "bomb.xlsx"))
    assert isinstance(out, InputError) and "zip bomb" in str(out)
    assert seconds < 10 and grown < 100


# --- CSV and JSONL ------------------------------------------------------------------------


def test_an_unbalanced_quote_does_not_merge_other_peoples_rows(tmp_path):
    path = tmp_path / "f.csv"
    path.write_text(
        "序号,姓名,联系电话,修改意见\n"
        '1,张三,13800000001,"建议删除第五条\n'
        "2,李四,13800000002,建议降低罚款\n"
        "3,王五,13800000003,建议增加充电桩\n",
        encoding="utf-8",
    )
    recs = records(path)
    assert len(recs) == 3
    assert "unbalanced quote" in recs[0].error and recs[0].locator == "row=2"  # the row a person sees
    assert [r.comment.author_name for r in recs[1:]] == ["李四", "王五"]
    assert "李四" not in (recs[0].raw_text or "")


def test_jsonl_lines_split_on_newline_only_and_bad_lines_are_quarantined(tmp_path):
    path = tmp_path / "f.jsonl"
    lines = [
        json.dumps({"text": "第一段\u2028第二段\u2029第三段\u0085完"}, ensure_ascii=False),
        "[" * 50_000 + "]" * 50_000,
        '{"text": "\\ud800 孤立代理"}',
        '{"text": "时间越界", "submitted_at": "0001-01-01T00:00:00+09:00"}',
        '{"text": "最后一条"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    recs = records(path)
    assert [r.locator for r in recs] == ["line=1", "line=2", "line=3", "line=4", "line=5"]
    assert recs[0].comment.text == "第一段\u2028第二段\u2029第三段\u0085完"
    assert "nested too deeply" in recs[1].error
    assert "surrogate" in recs[2].error
    assert "out of range" in recs[3].error
    assert recs[4].comment.text == "最后一条"


def test_hostile_jsonl_imports_without_traceback_keeping_every_line(session, cid, tmp_path):
    path = tmp_path / "f.jsonl"
    path.write_text('{"text": "好的意见"}\n' + "[" * 50_000 + "\n" + '{"text": "\\udfff"}\n{"text": NaN}\n', encoding="utf-8")
    summary = import_files(session, SYSTEM, cid, [path])
    session.commit()
    assert summary.records == 4 and summary.imported + summary.quarantined == 4
    assert session.scalar(select(func.count()).select_from(RawRecord)) == 4


# --- files that are not files ---------------------------------------------------------------


def test_a_fifo_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    start = time.perf_counter()
    with pytest.raises(InputError, match="not a regular file"):
        read_sources(fifo)
    assert time.perf_counter() - start < 5
    assert expand_paths([tmp_path]) == []


def test_symlinks_out_of_the_folder_are_not_followed_unless_asked(tmp_path):
    outside = tmp_path / "outside"
    folder = tmp_path / "folder"
    outside.mkdir()
    folder.mkdir()
    secret = write_rows(outside / "secret.xlsx", [HEADER, ["1", "张三", "意见", ""]])
    (folder / "link.xlsx").symlink_to(secret)
    own = write_rows(folder / "own.xlsx", [HEADER, ["1", "李四", "意见", ""]])
    assert expand_paths([folder]) == [own]
    assert sorted(expand_paths([folder], follow_links=True)) == [folder / "link.xlsx", own]


# --- minutes ------------------------------------------------------------------------------

W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def test_minutes_read_content_controls_tracked_insertions_nested_tables_and_lone_labels(tmp_path):
    doc = Document()
    doc.add_paragraph("座谈会纪要")
    body = doc.element.body
    sdt = parse_xml(
        f'<w:sdt {W}><w:sdtContent><w:p><w:r><w:t>张三（居民）：控件里的意见，建议第五条删除。</w:t></w:r></w:p>'
        "</w:sdtContent></w:sdt>"
    )
    ins = parse_xml(
        f'<w:p {W}><w:r><w:t>李四：</w:t></w:r><w:ins w:id="1" w:author="x"><w:r><w:t>修订插入的意见。</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="x"><w:r><w:delText>删掉的字</w:delText></w:r></w:del></w:p>'
    )
    body.append(sdt)
    body.append(ins)
    doc.add_paragraph("王五（某公司法务）：")
    doc.add_paragraph("标签单独一行，这是王五的话。")
    outer = doc.add_table(rows=2, cols=2)
    outer.cell(0, 0).text, outer.cell(0, 1).text = "提出人", "修改意见"
    outer.cell(1, 0).text = "赵六"
    inner = outer.cell(1, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "嵌套表格里的意见"
    doc.save(tmp_path / "m.docx")
    recs = [r for r in records(tmp_path / "m.docx") if r.comment is not None]
    by_speaker = {r.comment.author_name: r.comment.text for r in recs}
    assert "控件里的意见" in by_speaker["张三"]
    assert by_speaker["李四"] == "修订插入的意见。"
    assert by_speaker["王五"] == "标签单独一行，这是王五的话。"
    assert "嵌套表格里的意见" in by_speaker["赵六"]
    assert all("王五的话" not in text for who, text in by_speaker.items() if who != "王五")


def test_two_speakers_in_one_paragraph_with_a_line_break_are_two_turns(tmp_path):
    doc = Document()
    doc.add_paragraph("座谈会纪要")
    p = doc.add_paragraph("张三：我同意。")
    p.add_run().add_break()
    p.add_run("李四：我反对。")
    doc.save(tmp_path / "m.docx")
    recs = [r for r in records(tmp_path / "m.docx") if r.comment is not None]
    assert {r.comment.author_name: r.comment.text for r in recs} == {"张三": "我同意。", "李四": "我反对。"}


# --- e-mail -------------------------------------------------------------------------------


def test_every_text_part_and_forwarded_bodies_are_read_and_a_broken_attachment_keeps_its_bytes(tmp_path):
    inner = EmailMessage()
    inner["From"] = "a@example.cn"
    inner["Subject"] = "原信"
    inner.set_content("转发的原信正文：建议第十条删除。")
    msg = EmailMessage()
    msg["From"] = "b@example.cn"
    msg["Message-ID"] = "<m1@example.cn>"
    msg.set_content("第一部分正文。")
    msg.add_attachment("第二部分正文。", subtype="plain", disposition="inline")
    msg.add_attachment(inner)
    msg.add_attachment(b"PK\x03\x04broken", maintype="application", subtype="octet-stream", filename="坏.xlsx")
    (tmp_path / "m.eml").write_bytes(msg.as_bytes())
    recs = records(tmp_path / "m.eml")
    letter = next(r for r in recs if r.comment is not None)
    assert "第一部分正文" in letter.comment.text and "第二部分正文" in letter.comment.text
    assert "转发的原信正文" in letter.comment.text
    broken = next(r for r in recs if r.error)
    assert "坏.xlsx" in broken.error and broken.payload["content_base64"]


def test_a_from_line_inside_a_body_does_not_split_the_message(tmp_path):
    text = (
        "From sender@example.cn Sat Sep 20 10:00:00 2025\nFrom: sender@example.cn\nSubject: a\n\n"
        "第一行。\nFrom the draft I quote: 第五条。\n最后一行。\n"
    )
    (tmp_path / "m.mbox").write_text(text, encoding="utf-8")
    recs = records(tmp_path / "m.mbox")
    assert len(recs) == 1 and "最后一行" in recs[0].comment.text


def _mbox(path: Path, n: int) -> Path:
    box = mailbox.mbox(path)
    for i in range(n):
        m = EmailMessage()
        m["From"] = f"p{i}@example.cn"
        m["Message-ID"] = f"<msg{i}@example.cn>"
        m.set_content(f"第{i}封信的意见。")
        box.add(m)
    box.close()
    return path


# --- idempotency --------------------------------------------------------------------------


def test_same_content_in_new_bytes_is_recognised(session, cid, tmp_path):
    path = write_rows(tmp_path / "form.xlsx", [HEADER] + [[str(i), f"人{i}", f"意见{i}", ""] for i in range(5)])
    first = import_files(session, SYSTEM, cid, [path])
    wb = openpyxl.load_workbook(path)
    wb.properties.title = "re-saved"
    wb.save(path)  # new bytes, same rows
    again = import_files(session, SYSTEM, cid, [path])
    assert first.imported == 5 and (again.imported, again.skipped) == (0, 5)
    box = _mbox(tmp_path / "in.mbox", 30)
    import_files(session, SYSTEM, cid, [box])
    _mbox(tmp_path / "in.mbox", 1)  # mailbox appends: 31 messages, the last a new one
    m = EmailMessage()
    m["From"] = "new@example.cn"
    m["Message-ID"] = "<new@example.cn>"
    m.set_content("新来的一封。")
    appended = mailbox.mbox(box)
    appended.add(m)
    appended.close()
    more = import_files(session, SYSTEM, cid, [box])
    session.commit()
    assert (more.imported, more.skipped) == (1, 31)


def test_an_unedited_fix_file_does_not_turn_rejected_values_into_comments(session, cid, tmp_path):
    path = write_rows(tmp_path / "form.xlsx", [HEADER, ["1", "张三", True, ""], ["2", "李四", "无", ""], ["3", "王五", "=1+1", ""]])
    import_files(session, SYSTEM, cid, [path])
    fix = tmp_path / "fix.csv"
    listed = export_quarantine(session, SYSTEM, cid, fix)
    assert listed.count == 3  # a boolean, "无", a formula without a cached value
    again = import_files(session, SYSTEM, cid, [fix])
    session.commit()
    assert again.imported == 0 and again.unresolved == 3
    assert list_quarantine(session, SYSTEM, cid).count == 3
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_dismissing_a_quarantined_record_keeps_it_with_the_reason(session, cid, tmp_path):
    path = write_rows(tmp_path / "form.xlsx", [HEADER, ["1", "张三", "无", ""]])
    import_files(session, SYSTEM, cid, [path])
    (entry,) = list_quarantine(session, SYSTEM, cid).records
    done = dismiss_quarantined(session, SYSTEM, entry["quarantine_id"], "填表人写的是“无”")
    session.commit()
    assert done.was and list_quarantine(session, SYSTEM, cid).count == 0
    raw = session.get(RawRecord, entry["quarantine_id"])
    assert raw.status == "dismissed" and raw.error.startswith("dismissed: 填表人写的是“无”")
    with pytest.raises(Exception, match="not in quarantine"):
        dismiss_quarantined(session, SYSTEM, entry["quarantine_id"], "again")
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_a_quote_that_never_closes_in_a_long_csv_loses_no_row(tmp_path):
    path = tmp_path / "f.csv"
    rows = "".join(f"{i},人{i},意见{i}\n" for i in range(2, 20_000))
    path.write_text('序号,姓名,修改意见\n1,张三,"没有闭合的引号\n' + rows, encoding="utf-8")
    recs = records(path)
    assert len(recs) == 19_999
    assert "unbalanced quote" in recs[0].error
    assert [r.comment.text for r in recs[1:3]] == ["意见2", "意见3"] and recs[-1].comment.text == "意见19999"
