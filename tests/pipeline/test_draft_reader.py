"""Reading draft files: encodings, formats, and every kind of bad input → one-line InputError."""

from __future__ import annotations

import zipfile
from pathlib import Path

import docx
import pytest

from minyi.core.errors import InputError
from pipeline.drafts.parser import parse_file
from pipeline.drafts.reader import read_document

DRAFT = "某某条例\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于本市行政区域。\n"


def assert_one_line_error(exc: pytest.ExceptionInfo, path: Path, *words: str) -> str:
    message = str(exc.value)
    assert str(path) in message
    assert "\n" not in message
    for word in words:
        assert word in message.lower()
    return message


# ------------------------------------------------------------------ good input


@pytest.mark.parametrize(
    "encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030", "utf-16", "utf-16-le", "utf-16-be"]
)
def test_text_encodings(tmp_path, encoding):
    data = DRAFT.encode(encoding)
    if encoding == "utf-16-le":
        data = b"\xff\xfe" + data
    elif encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    path = tmp_path / "draft.txt"
    path.write_bytes(data)
    assert read_document(path) == DRAFT


def test_traditional_big5_text_is_detected(tmp_path):
    text = "某某市條例\n第一條 為了規範停車管理，維護交通秩序，制定本條例。\n第二條 本條例適用於本市行政區域。\n"
    path = tmp_path / "draft.txt"
    path.write_bytes(text.encode("big5"))
    assert read_document(path) == text
    assert [a.label for a in parse_file(path).articles] == ["第一条", "第二条"]


def test_content_decides_over_a_misleading_extension(tmp_path):
    document = docx.Document()
    document.add_paragraph("第一条 甲。")
    path = tmp_path / "draft.txt"  # really a .docx
    document.save(path)
    assert read_document(path).strip() == "第一条 甲。"


def test_unknown_extension_is_sniffed_as_text(tmp_path):
    path = tmp_path / "draft.draft"
    path.write_bytes(DRAFT.encode("gbk"))
    assert read_document(path) == DRAFT


# ------------------------------------------------------------------ bad input


def test_missing_file(tmp_path):
    path = tmp_path / "nope.txt"
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "not found")


def test_directory(tmp_path):
    with pytest.raises(InputError) as exc:
        read_document(tmp_path)
    assert_one_line_error(exc, tmp_path, "directory")


@pytest.mark.parametrize("content", [b"", b"  \n\r\n\t "])
def test_empty_file(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "empty")


def test_binary_file_with_nul_bytes(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "binary")


def test_image_file(tmp_path):
    path = tmp_path / "scan.txt"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "image")


def test_legacy_word_file(tmp_path):
    path = tmp_path / "draft.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, ".docx")


@pytest.mark.parametrize(
    "data",
    [bytes([0x80, 0xFF, 0xFE, 0x81]) * 40, b"\x81\x30\xff\xfe" * 50],
    ids=["invalid-in-every-encoding", "looks-like-utf16-without-bom"],
)
def test_undecodable_text(tmp_path, data):
    path = tmp_path / "draft.txt"
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "encoding")


def test_text_without_articles(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("关于征求意见的通知\n请各单位于月底前反馈意见。\n", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        parse_file(path)
    assert_one_line_error(exc, path, "no articles")


@pytest.mark.parametrize(
    "make",
    [
        lambda p: p.write_bytes(b"this is not a zip at all, just text pretending"),
        lambda p: p.write_bytes(b"PK\x03\x04" + bytes(100)),
        lambda p: zipfile.ZipFile(p, "w").writestr("word/document.xml", "<not-xml"),
    ],
    ids=["not-a-zip", "truncated-zip", "bad-xml"],
)
def test_corrupt_docx(tmp_path, make):
    path = tmp_path / "draft.docx"
    make(path)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "docx")


def test_zip_that_is_not_a_word_document(tmp_path):
    path = tmp_path / "draft.txt"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "zip")


def test_docx_without_text(tmp_path):
    path = tmp_path / "blank.docx"
    docx.Document().save(path)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "no text")


@pytest.mark.parametrize(
    "data", [b"%PDF-1.4\nthis is not really a pdf\n", b"not a pdf at all"], ids=["bad-body", "no-header"]
)
def test_corrupt_pdf(tmp_path, data):
    path = tmp_path / "draft.pdf"
    path.write_bytes(data)
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "pdf")


def _one_page_pdf(content: bytes) -> bytes:
    """A one-page PDF drawing ``content`` (Helvetica available as /F1)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_pdf_without_text_layer(tmp_path):
    path = tmp_path / "scanned.pdf"
    path.write_bytes(_one_page_pdf(b"0 0 1 rg 50 50 200 200 re f"))  # a drawing, as a scan has
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "no text layer")


def test_pdf_with_an_unreadable_text_layer(tmp_path):
    path = tmp_path / "garbled.pdf"
    path.write_bytes(_one_page_pdf(b"BT /F1 12 Tf 50 800 Td (\\001\\002\\003\\004\\005\\006A) Tj ET"))
    with pytest.raises(InputError) as exc:
        read_document(path)
    assert_one_line_error(exc, path, "unreadable")
