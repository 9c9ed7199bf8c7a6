"""PDF through LibreOffice: pages, a CJK font embedded, and a clear error without it."""

from __future__ import annotations

import re
import shutil

import pytest

CJK_FONT = re.compile(r"CJK|Song|Fang|Hei|Kai|SimSun|WenQuanYi|Han|Droid", re.I)


def _fonts(reader) -> set[str]:  # type: ignore[no-untyped-def]
    names = set()
    for page in reader.pages:
        fonts = page["/Resources"].get("/Font", {})
        for key in fonts:
            names.add(str(fonts[key].get_object().get("/BaseFont", "")))
    return names


@pytest.mark.slow
def test_feedback_pdf_has_pages_and_a_cjk_font(built_sqlite, sqlite_session, tmp_path):
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed; apt-get install libreoffice-writer-nogui")
    from pypdf import PdfReader

    from minyi.services.context import SYSTEM
    from minyi.services.documents import feedback_document

    path = feedback_document(sqlite_session, SYSTEM, built_sqlite.consultation_id, "pdf",
                             tmp_path / "feedback.pdf").path
    reader = PdfReader(path)
    assert len(reader.pages) >= 2
    fonts = _fonts(reader)
    assert any(CJK_FONT.search(f) for f in fonts), fonts
    text = "".join(page.extract_text() for page in reader.pages)
    assert "三、逐条修改意见" in text.replace(" ", "")
    # A4 portrait: 595 x 842 pt.
    box = reader.pages[0].mediabox
    assert abs(float(box.width) - 595.3) < 2 and abs(float(box.height) - 841.9) < 2


def test_missing_libreoffice_is_a_clear_error(built_sqlite, sqlite_session, tmp_path, monkeypatch):
    from minyi.core.errors import DependencyMissing
    from minyi.core.settings import reset_settings
    from minyi.services.context import SYSTEM
    from minyi.services.documents import feedback
    from reports import formats

    monkeypatch.setenv("MINYI_REPORTS__LIBREOFFICE", "no-such-soffice-binary")
    reset_settings()
    doc = feedback(sqlite_session, SYSTEM, built_sqlite.consultation_id)
    with pytest.raises(DependencyMissing, match="LibreOffice .*'no-such-soffice-binary'.* not installed"):
        formats.write(doc, "pdf", tmp_path / "feedback.pdf")
    assert not (tmp_path / "feedback.pdf").exists()
    reset_settings()
