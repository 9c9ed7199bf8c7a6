"""E-mail importer (.eml, .mbox) on messages built here with the email package."""

from __future__ import annotations

import base64
import io
import mailbox
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import func, select

from collectors.importers import read_file, read_sources
from collectors.importers.email import html_to_text
from minyi.services.context import SYSTEM
from minyi.services.intake import import_files
from models.entities import Comment, RawRecord, Source
from models.store import create_consultation

HTML_BODY = (
    "<html><head><style>p{color:red}</style></head><body>"
    "<p>尊敬的立法联系点：</p><p>建议第十二条增加&ldquo;老旧小区&rdquo;的例外规定。</p>"
    "<p>王㛃<br>2024年3月5日</p></body></html>"
)
SHEET_ROWS = [["提出人", "意见建议"], ["甲", "建议增设充电棚"], ["乙", "建议统一头盔标准"], ["丙", "赞成第三条"]]
MBOX_BODIES = ["建议一：降低罚款。", "建议二：延长过渡期。", "建议三：加强宣传教育。"]


def gb18030_html_eml(path: Path) -> Path:
    """An HTML message labelled gb2312 whose text needs GB18030 (the name 王㛃)."""
    sender = base64.b64encode("王㛃".encode("gb18030")).decode()
    body = base64.encodebytes(HTML_BODY.encode("gb18030")).decode()
    path.write_bytes(
        (
            f"From: =?gb2312?b?{sender}?= <wang@example.cn>\r\n"
            "To: lianxidian@example.gov.cn\r\n"
            "Subject: =?utf-8?b?" + base64.b64encode("关于条例的意见".encode()).decode() + "?=\r\n"
            "Date: Tue, 05 Mar 2024 09:30:00 +0800\r\n"
            "Message-ID: <m1@example.cn>\r\n"
            "MIME-Version: 1.0\r\n"
            'Content-Type: text/html; charset="gb2312"\r\n'
            "Content-Transfer-Encoding: base64\r\n\r\n" + body
        ).encode("ascii")
    )
    return path


def xlsx_bytes(rows) -> bytes:
    wb = openpyxl.Workbook()
    for row in rows:
        wb.active.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def eml_with_attachment(path: Path, body: str = "您好，联名意见详见附件。") -> Path:
    msg = EmailMessage()
    msg["From"] = "某小区业委会 <yeweihui@example.cn>"
    msg["To"] = "lianxidian@example.gov.cn"
    msg["Subject"] = "联名意见"
    msg["Date"] = "Wed, 06 Mar 2024 10:00:00 +0800"
    msg.set_content(body)
    msg.add_attachment(
        xlsx_bytes(SHEET_ROWS),
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="联名意见.xlsx",
    )
    path.write_bytes(msg.as_bytes())
    return path


def mbox_of_three(path: Path) -> Path:
    box = mailbox.mbox(path)
    for i, body in enumerate(MBOX_BODIES, start=1):
        msg = EmailMessage()
        msg["From"] = f"居民{i} <r{i}@example.cn>"
        msg["Subject"] = f"意见{i}"
        msg["Date"] = f"Thu, 0{i} Mar 2024 08:00:00 +0000"
        msg.set_content(body, cte="quoted-printable" if i == 2 else "base64")
        box.add(msg)
    box.flush()
    box.close()
    return path


def test_html_message_in_gb18030_is_decoded_to_text(tmp_path):
    source, records = read_file(gb18030_html_eml(tmp_path / "letter.eml"))
    [record] = list(records)
    c = record.comment
    assert source.channel == "email"
    assert c.text == "尊敬的立法联系点：\n建议第十二条增加“老旧小区”的例外规定。\n王㛃\n2024年3月5日"
    assert (c.author_name, c.author_contact) == ("王㛃", "wang@example.cn")
    assert c.submitted_at.utcoffset().total_seconds() == 8 * 3600
    assert c.meta["subject"] == "关于条例的意见" and c.external_id == "<m1@example.cn>"
    assert record.locator == "message=1"


def test_html_to_text_drops_styles_and_keeps_blocks():
    assert html_to_text("<style>x{}</style><div>甲</div><div>乙&amp;丙</div>") == "甲\n乙&丙"


def test_mbox_gives_one_record_per_message(tmp_path):
    _source, records = read_file(mbox_of_three(tmp_path / "inbox.mbox"))
    records = list(records)
    assert [r.comment.text for r in records] == MBOX_BODIES
    assert [r.locator for r in records] == ["message=1", "message=2", "message=3"]
    assert records[0].comment.submitted_at == datetime.fromisoformat("2024-03-01T08:00:00+00:00")


def test_attachment_is_read_as_a_child_source(tmp_path):
    sources = read_sources(eml_with_attachment(tmp_path / "joint.eml"))
    (parent, messages), (child, rows) = sources
    assert messages[0].comment is None  # the body only points at the attachment
    assert child.name == "联名意见.xlsx" and child.channel == "email"
    assert child.meta["parent_fingerprint"] == parent.fingerprint
    assert [r.comment.author_name for r in rows] == ["甲", "乙", "丙"]


def test_attachment_import_links_sources_and_accounts_for_every_record(session, tmp_path):
    cid = create_consultation(session, title="条例").id
    path = eml_with_attachment(tmp_path / "joint.eml")
    summary = import_files(session, SYSTEM, cid, [path])
    session.commit()
    assert (summary.imported, summary.containers, summary.quarantined) == (len(SHEET_ROWS) - 1, 1, 0)
    parent, child = session.scalars(select(Source).order_by(Source.id)).all()
    message = session.scalars(select(RawRecord).where(RawRecord.source_id == parent.id)).one()
    assert child.parent_id == parent.id and child.meta["parent_raw_record_id"] == message.id
    again = import_files(session, SYSTEM, cid, [path])
    assert again.imported == 0 and again.skipped == summary.records


def test_message_with_its_own_opinion_and_an_attachment_keeps_both(tmp_path):
    body = "我本人认为第五条的处罚过重，建议删除第五条第二款，其余意见见附件中的联名表格，请一并研究。"
    (_p, messages), (_c, rows) = read_sources(eml_with_attachment(tmp_path / "both.eml", body=body))
    assert messages[0].comment.text == body and len(rows) == len(SHEET_ROWS) - 1


def test_corrupt_attachment_is_quarantined_not_fatal(session, tmp_path):
    msg = EmailMessage()
    msg["From"] = "a@example.cn"
    msg.set_content("意见见附件")
    msg.add_attachment(b"garbage", maintype="application", subtype="octet-stream", filename="坏.xlsx")
    path = tmp_path / "bad.eml"
    path.write_bytes(msg.as_bytes())
    cid = create_consultation(session, title="条例").id
    summary = import_files(session, SYSTEM, cid, [path])
    assert summary.quarantined == 1 and "坏.xlsx" in summary.quarantine[0][2]
    assert session.scalar(select(func.count()).select_from(Comment)) == 0


def test_mbox_import_is_idempotent(session, tmp_path):
    cid = create_consultation(session, title="条例").id
    path = mbox_of_three(tmp_path / "inbox.mbox")
    first = import_files(session, SYSTEM, cid, [path])
    second = import_files(session, SYSTEM, cid, [path])
    assert (first.imported, second.imported, second.skipped) == (3, 0, 3)


@pytest.mark.parametrize("name", ["letter.txt", "letter"])
def test_message_without_an_email_extension_is_recognised(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(gb18030_html_eml(tmp_path / "x.eml").read_bytes())
    source, _r = read_file(path)
    assert source.meta["format"] == "eml"
