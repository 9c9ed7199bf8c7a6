"""Reading generated documents back for assertions."""

from __future__ import annotations

import re

from docx.oxml.ns import qn

from report_builder import EMAIL, ID_NUMBER, PERSONAL_NAMES, PHONES

PHONE_RE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)|0\d{2,3}-\d{7,8}")
ID_RE = re.compile(r"(?<!\d)\d{17}[\dXx]")


def docx_text(document) -> str:  # type: ignore[no-untyped-def]
    """Every piece of text in the document: body, tables, headers and footers."""
    parts = [t.text or "" for t in document.element.body.iter(qn("w:t"))]
    for section in document.sections:
        for part in (section.footer, section.even_page_footer, section.header):
            parts += [t.text or "" for t in part._element.iter(qn("w:t"))]
    return "\n".join(parts)


def east_asia(run) -> str | None:  # type: ignore[no-untyped-def]
    rpr = run._element.rPr
    fonts = rpr.find(qn("w:rFonts")) if rpr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def assert_no_personal_data(text: str) -> None:
    for name in PERSONAL_NAMES:
        assert name not in text, f"personal name {name} leaked"
    for phone in PHONES:
        assert phone not in text, f"phone {phone} leaked"
    assert ID_NUMBER not in text and EMAIL not in text
    assert not PHONE_RE.search(text), PHONE_RE.search(text)
    assert not ID_RE.search(text)
