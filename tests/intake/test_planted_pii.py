"""Personal data never goes upward: a corpus with over 200 planted items in every input
format (xlsx, xls, csv, docx minutes, mbox, jsonl) is imported, analysed (tfidf) and
written into every document that leaves the contact point — feedback (.docx .md .xlsx
.pdf), review report (.docx .md .xlsx), statistics (.csv .xlsx .json) and the masked
suggestion export — and each document is scanned for every planted item and every run of
7+ digits it contained: none may appear."""

from __future__ import annotations

import csv
import json
import mailbox
import shutil
import subprocess
import zipfile
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path

import openpyxl
import pytest
from docx import Document

from minyi.services.analysis import analyze
from minyi.services.context import SYSTEM
from minyi.services.documents import feedback_document, review_report, statistics
from minyi.services.exports import export_suggestions
from minyi.services.intake import import_files
from models.store import create_consultation, load_draft_version
from pii_corpus import Person, Planted, comment_text, organisation_text, people, reason_text

PER_FORMAT = 18  # people per input format: 18 × 12 items = 216 planted items each
FORMATS = ("xlsx", "xls", "csv", "docx", "mbox", "jsonl")
HEADER = ["序号", "姓名", "单位", "联系电话", "涉及条款", "修改意见", "理由"]


def form_rows(group: list[Person]) -> list[list[str]]:
    return [
        [str(i), p.name, organisation_text(p), p.mobile, f"第{12 + i % 20}条", comment_text(p, i), reason_text(p)]
        for i, p in enumerate(group, start=1)
    ]


def file_name(group: list[Person], kind: str) -> str:
    # A person's name and mobile in the file name (printed in the .xlsx appendix once).
    return f"意见-{group[0].name}{group[0].mobile_digits}.{kind}"


def write_xlsx(path: Path, group: list[Person]) -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "意见征集表"
    ws.append(HEADER)
    for row in form_rows(group):
        ws.append(row)
    wb.save(path)


def write_xls(path: Path, group: list[Person]) -> None:
    xlwt = pytest.importorskip("xlwt", reason="xlwt (test extra) writes the .xls file")
    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("意见征集表")
    for r, row in enumerate([HEADER, *form_rows(group)]):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    book.save(str(path))


def write_csv(path: Path, group: list[Person]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(form_rows(group))


def write_docx(path: Path, group: list[Person]) -> None:
    doc = Document()
    doc.add_paragraph("电动自行车管理条例座谈会纪要")
    doc.add_paragraph("时间：2025年9月20日")
    for i, p in enumerate(group):
        lines = comment_text(p, i).split("\n")
        doc.add_paragraph(f"{p.name}（{p.organisation}，电话{p.mobile_digits}）：{lines[0]}")
        for line in lines[1:]:
            doc.add_paragraph(line)
    doc.save(path)


def write_mbox(path: Path, group: list[Person]) -> None:
    box = mailbox.mbox(path)
    for i, p in enumerate(group):
        msg = EmailMessage()
        msg["From"] = formataddr((p.name, p.email))
        msg["To"] = "lifa@example.gov.cn"
        msg["Subject"] = f"对条例的意见（{p.name} {p.mobile_digits}）"
        msg["Message-ID"] = make_msgid(domain="example.cn")
        msg["Date"] = "Sat, 20 Sep 2025 10:00:00 +0800"
        msg.set_content(comment_text(p, i))
        box.add(msg)
    box.close()


def write_jsonl(path: Path, group: list[Person]) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i, p in enumerate(group):
            fh.write(json.dumps({
                "id": f"J-{i}", "text": comment_text(p, i), "author": p.name, "contact": p.mobile,
                "organisation": organisation_text(p), "reason": reason_text(p), "articles": f"第{12 + i % 20}条",
            }, ensure_ascii=False) + "\n")


WRITERS = {"xlsx": write_xlsx, "xls": write_xls, "csv": write_csv, "docx": write_docx, "mbox": write_mbox,
           "jsonl": write_jsonl}


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as z:
        return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))


def xlsx_text(path: Path) -> str:
    wb = openpyxl.load_workbook(path)
    parts = []
    for ws in wb.worksheets:
        parts.append(ws.title)
        parts += [str(c.value) for row in ws.iter_rows() for c in row if c.value is not None]
    return "\n".join(parts)


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def document_text(path: Path) -> str:
    readers = {".docx": docx_text, ".xlsx": xlsx_text, ".pdf": pdf_text}
    return readers.get(path.suffix, lambda p: p.read_text("utf-8-sig"))(path)


@pytest.fixture
def corpus(tmp_path) -> tuple[list[Path], dict[str, Planted]]:
    everyone = people(PER_FORMAT * len(FORMATS), seed=2025)
    paths, planted = [], {}
    for n, kind in enumerate(FORMATS):
        group = everyone[n * PER_FORMAT:(n + 1) * PER_FORMAT]
        path = tmp_path / "in" / file_name(group, kind)
        path.parent.mkdir(exist_ok=True)
        WRITERS[kind](path, group)
        paths.append(path)
        planted[kind] = Planted()
        for p in group:
            planted[kind].add(p)
    return paths, planted


def test_corpus_plants_over_200_items_in_every_format(corpus):
    _paths, planted = corpus
    assert {kind: len(p.items) >= 200 for kind, p in planted.items()} == dict.fromkeys(FORMATS, True)


def test_no_planted_personal_data_reaches_any_upward_document(session, corpus, tmp_path, sample_dir):
    from pipeline.drafts.parser import parse_file

    paths, planted = corpus
    cid = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）").id
    load_draft_version(session, cid, parse_file(sample_dir / "draft.md"))
    summary = import_files(session, SYSTEM, cid, paths, contact_point="华富街道基层立法联系点")
    assert summary.imported >= PER_FORMAT * len(FORMATS)  # every opinion arrived
    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()

    out = tmp_path / "out"
    written: list[Path] = []
    formats = ["docx", "md", "xlsx"] + (["pdf"] if shutil.which("soffice") else [])
    for fmt in formats:
        written.append(Path(feedback_document(session, SYSTEM, cid, fmt, out / f"feedback.{fmt}", record=False).path))
    for fmt in ("docx", "md", "xlsx"):
        written.append(Path(review_report(session, SYSTEM, cid, fmt, out / f"review.{fmt}").path))
    for fmt in ("csv", "xlsx", "json"):
        statistics(session, SYSTEM, "contact-point", fmt, out / f"stats.{fmt}")
        written.append(out / f"stats.{fmt}")
    export_suggestions(session, SYSTEM, cid, "csv", out / "suggestions.csv")
    written.append(out / "suggestions.csv")

    shown = document_text(out / "feedback.md") + document_text(out / "review.md")
    assert "【手机号】" in shown or "【姓名】" in shown  # the planted comments did reach the documents, masked
    leaks = {}
    for path in written:
        text = document_text(path)
        assert len(text) > 50, path.name
        for kind, items in planted.items():
            hits = items.found_in(text)
            if hits:
                leaks[f"{path.name} ← {kind}"] = hits[:5]
    assert leaks == {}
