"""PDF: the GB/T 9704 .docx converted by LibreOffice (``soffice --headless``), so the PDF
has exactly the layout of the document sent upward."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from minyi.core.errors import DependencyMissing, InputError
from reports.docx_writer import write_docx
from reports.document import Doc

TIMEOUT_S = 180


def libreoffice_binary() -> str:
    """The soffice executable from settings.reports.libreoffice, or DependencyMissing."""
    from minyi.core.settings import get_settings

    name = get_settings().reports.libreoffice
    found = shutil.which(name) or (name if Path(name).is_file() else None)
    if not found:
        raise DependencyMissing(
            f"LibreOffice ({name!r}) is not installed, so PDF cannot be written: "
            "install it (Debian: apt-get install -y libreoffice-writer-nogui fonts-noto-cjk) "
            "or set reports.libreoffice in minyi.toml; .docx works without it"
        )
    return found


def _font_replacements(profile: Path) -> None:
    """LibreOffice ignores a .docx's declared fall-backs (w:altName) and would draw every
    missing official font in one default face; its replacement table, in the private
    profile of this conversion, maps each to the first installed fall-back instead."""
    from xml.sax.saxutils import escape

    from reports.fonts import substitutions

    pairs = substitutions()
    if not pairs:
        return
    item = (
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution/FontPairs">'
        '<node oor:name="_{i}" oor:op="replace">'
        '<prop oor:name="Always" oor:op="fuse"><value>true</value></prop>'
        '<prop oor:name="OnScreenOnly" oor:op="fuse"><value>false</value></prop>'
        '<prop oor:name="ReplaceFont" oor:op="fuse"><value>{official}</value></prop>'
        '<prop oor:name="SubstituteFont" oor:op="fuse"><value>{fallback}</value></prop>'
        "</node></item>"
    )
    xml = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" '
        'xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">',
        '<item oor:path="/org.openoffice.Office.Common/Font/Substitution">'
        '<prop oor:name="Replacement" oor:op="fuse"><value>true</value></prop></item>',
        *[item.format(i=i, official=escape(o), fallback=escape(f)) for i, (o, f) in enumerate(pairs.items())],
        "</oor:items>",
    ]
    user = profile / "user"
    user.mkdir(parents=True, exist_ok=True)
    (user / "registrymodifications.xcu").write_text("\n".join(xml), encoding="utf-8")


def convert_to_pdf(docx_path: str | Path, pdf_path: str | Path) -> str:
    """Convert one .docx to PDF with LibreOffice in a private profile (runs in parallel with
    other conversions and with a user's open LibreOffice)."""
    binary = libreoffice_binary()
    docx_path, pdf_path = Path(docx_path), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="minyi-lo-") as tmp:
        profile = Path(tmp) / "profile"
        _font_replacements(profile)
        outdir = Path(tmp) / "out"
        cmd = [
            binary, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
            "--convert-to", "pdf", "--outdir", str(outdir), str(docx_path),
        ]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired as exc:
            raise InputError(f"{docx_path}: LibreOffice did not finish within {TIMEOUT_S} s") from exc
        produced = outdir / (docx_path.stem + ".pdf")
        if proc.returncode != 0 or not produced.is_file():
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise InputError(
                f"{docx_path}: LibreOffice could not convert it to PDF"
                + (f": {detail[-1]}" if detail else "")
            )
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(produced), str(pdf_path))
    return str(pdf_path)


def write_pdf(doc: Doc, path: str | Path) -> str:
    libreoffice_binary()  # fail before doing any work
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="minyi-pdf-") as tmp:
        docx_path = Path(tmp) / (path.stem + ".docx")
        write_docx(doc, docx_path)
        return convert_to_pdf(docx_path, path)
