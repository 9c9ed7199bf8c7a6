"""Read a draft file (.txt, .md, .docx, .pdf) into plain text.

Every failure a user can cause (missing file, binary junk, unknown encoding, corrupt
Word/PDF file, a scanned PDF) raises :class:`minyi.core.errors.InputError` with one line that
names the file.
"""

from __future__ import annotations

import io
import logging
import unicodedata
import warnings
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from minyi.core.errors import InputError

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"

# Magic numbers of formats people mistakenly hand us as drafts.
_IMAGE_MAGIC = {
    b"\x89PNG\r\n\x1a\n": "PNG",
    b"\xff\xd8\xff": "JPEG",
    b"GIF87a": "GIF",
    b"GIF89a": "GIF",
    b"II*\x00": "TIFF",
    b"MM\x00*": "TIFF",
}
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .doc / .wps / .xls

_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
]


def read_document(path: Path | str) -> str:
    """Return the plain text of a draft file; raise InputError naming the file."""
    path = Path(path)
    data = _read_bytes(path)
    kind = _detect_kind(path, data)
    if kind == "pdf":
        return _read_pdf(path, data)
    if kind == "docx":
        return _read_docx(path, data)
    return decode_text(data, name=str(path))


# ---------------------------------------------------------------------------- files


def _read_bytes(path: Path) -> bytes:
    if not path.exists():
        raise InputError(f"{path}: file not found", message_zh=f"找不到文件：{path}")
    if path.is_dir():
        raise InputError(f"{path}: is a directory, not a file", message_zh=f"{path} 是文件夹，不是文件")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})", message_zh=f"无法读取文件：{path}") from exc
    if not data.strip():
        raise InputError(f"{path}: file is empty", message_zh=f"文件为空：{path}")
    return data


def _detect_kind(path: Path, data: bytes) -> str:
    """'pdf', 'docx' or 'text'. The content decides when it is unambiguous (a .txt that is
    really a PDF still reads); the extension decides for .docx/.pdf so that a corrupt one
    gets the right message."""
    suffix = path.suffix.lower()
    if b"%PDF-" in data[:1024]:  # PDF readers accept junk before the header
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        if suffix == ".docx" or _is_docx_zip(data):
            return "docx"
        raise InputError(f"{path}: is a zip archive but not a Word .docx document")
    if data.startswith(_OLE_MAGIC):
        raise InputError(
            f"{path}: legacy Word/WPS binary format is not supported; save it as .docx",
            message_zh="不支持旧版 .doc/.wps 格式，请另存为 .docx",
        )
    for magic, name in _IMAGE_MAGIC.items():
        if data.startswith(magic):
            raise InputError(
                f"{path}: is a {name} image, not a text document (run OCR first)",
                message_zh="文件是图片，不是文本文档",
            )
    if suffix == ".pdf":
        raise InputError(f"{path}: corrupt PDF (no %PDF header)", message_zh="PDF 文件已损坏")
    if suffix == ".docx":
        raise InputError(f"{path}: corrupt .docx (not a zip package)", message_zh="Word 文件已损坏")
    return "text"


def _is_docx_zip(data: bytes) -> bool:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return "word/document.xml" in zf.namelist()
    except zipfile.BadZipFile:
        return False


# ----------------------------------------------------------------------------- text


def decode_text(data: bytes, *, name: str) -> str:
    """Decode bytes of a text file: BOM → strict UTF-8 → GB18030 (if it reads like
    common Chinese) → a clear error for UTF-8 with a few broken bytes → charset-normalizer
    → GB18030 if it reads as text at all. Raises InputError otherwise."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return _check_printable(data.decode(encoding).lstrip("\ufeff"), name)
            except UnicodeDecodeError as exc:
                raise InputError(f"{name}: not valid {encoding} despite its byte-order mark") from exc
    if b"\x00" in data:
        raise InputError(f"{name}: binary file (contains NUL bytes), not text", message_zh="文件不是文本文件")
    try:
        return _check_printable(data.decode("utf-8"), name)
    except UnicodeDecodeError as exc:
        utf8_error = exc
    gb = _try_decode(data, "gb18030")
    if gb is not None and _reads_like_gb2312(gb):
        return _check_printable(gb, name)
    if _mostly_utf8(data):
        line = data[: utf8_error.start].count(b"\n") + 1
        raise InputError(
            f"{name}: invalid UTF-8 at line {line} (byte {utf8_error.start}); the file is damaged or mixes encodings",
            message_zh=f"文件第 {line} 行含有无效的 UTF-8 字节",
        )
    guessed = _charset_normalizer_guess(data)
    if guessed is not None:
        return _check_printable(guessed, name)
    if gb is not None and _mostly_sane(gb):
        return _check_printable(gb, name)
    raise InputError(
        f"{name}: unknown text encoding (not UTF-8, GBK/GB18030 or UTF-16 with BOM)",
        message_zh="无法识别文件的文字编码",
    )


def _try_decode(data: bytes, encoding: str) -> str | None:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError:
        return None


def _mostly_utf8(data: bytes) -> bool:
    """UTF-8 with a few broken bytes (a damaged file), rather than another encoding."""
    text = data.decode("utf-8", errors="replace")
    bad = text.count("\ufffd")
    return bad <= max(3, len(text) // 1000) and any(ord(ch) > 0x7F and ch != "\ufffd" for ch in text)


def _reads_like_gb2312(text: str) -> bool:
    """GB18030 decodes Big5 and other double-byte text without error but into rare
    characters; real GBK text is nearly all within the common GB2312 repertoire."""
    wide = [ch for ch in text if ord(ch) > 0x7F]
    if not wide:
        return True
    common = 0
    for ch in wide:
        try:
            ch.encode("gb2312")
            common += 1
        except UnicodeEncodeError:
            pass
    return common / len(wide) >= 0.9


def _charset_normalizer_guess(data: bytes) -> str | None:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        return None
    text = str(best)
    return text if _mostly_sane(text) else None


def _is_sane_char(ch: str) -> bool:
    if ch.isspace() or " " <= ch <= "~":
        return True
    cat = unicodedata.category(ch)
    if cat.startswith("C"):  # control, private use, unassigned
        return False
    code = ord(ch)
    return (
        0x4E00 <= code <= 0x9FFF  # CJK unified ideographs
        or 0x3400 <= code <= 0x4DBF  # extension A
        or 0x3000 <= code <= 0x303F  # CJK punctuation
        or 0xFF00 <= code <= 0xFFEF  # full-width forms
        or 0x2000 <= code <= 0x206F  # general punctuation: “” … —
        or 0x2460 <= code <= 0x24FF  # ① ⑴
        or 0x3200 <= code <= 0x32FF  # ㈠
        or 0xA0 <= code <= 0x24F  # Latin-1 and Latin extended
        or 0x2100 <= code <= 0x218F  # ℃ №, Roman numerals
        or 0xF900 <= code <= 0xFAFF  # compatibility ideographs
        or code >= 0x20000  # supplementary ideographs (GB18030 4-byte)
    )


def _mostly_sane(text: str) -> bool:
    if not text.strip():
        return False
    sane = sum(1 for ch in text if _is_sane_char(ch))
    return sane / len(text) >= 0.95


def _check_printable(text: str, name: str) -> str:
    """Text that decodes but is full of control characters is a binary file."""
    if not text.strip():
        raise InputError(f"{name}: file is empty", message_zh="文件为空")
    bad = sum(1 for ch in text if unicodedata.category(ch) == "Cc" and ch not in "\t\n\r\f\v")
    if bad / len(text) > 0.01:
        raise InputError(f"{name}: binary file, not text", message_zh="文件不是文本文件")
    return text


# ----------------------------------------------------------------------------- docx


def _read_docx(path: Path, data: bytes) -> str:
    import docx

    try:
        document = docx.Document(io.BytesIO(data))
        lines = list(_docx_lines(document))
    except InputError:
        raise
    except Exception as exc:  # python-docx raises zip, KeyError, lxml and package errors
        raise InputError(
            f"{path}: corrupt or unreadable .docx ({_reason(exc)})", message_zh="Word 文件已损坏，无法读取"
        ) from exc
    text = "\n".join(lines)
    if not text.strip():
        raise InputError(f"{path}: the .docx document contains no text", message_zh="Word 文件中没有文字")
    return text


def _docx_lines(document) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Body paragraphs and table cells in document order. Word's automatic list numbers
    (第%1条 set up as a numbered list) are rendered, since many drafts number articles
    that way and the labels are otherwise invisible to python-docx."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    numbering = _Numbering(document)
    for block in document.element.body.iterchildren():
        tag = block.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(block, document)
            yield numbering.label(paragraph) + _paragraph_text(block)
        elif tag == "tbl":
            yield from _table_lines(Table(block, document), numbering)


def _table_lines(table, numbering: "_Numbering") -> Iterator[str]:  # type: ignore[no-untyped-def]
    seen: set[int] = set()
    for row in table.rows:
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat the same element
                continue
            seen.add(id(cell._tc))
            for paragraph in cell.paragraphs:
                yield numbering.label(paragraph) + _paragraph_text(paragraph._p)
            for inner in cell.tables:
                yield from _table_lines(inner, numbering)


_TEXT_TAGS = {_W + "t": None, _W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n"}
_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"


def _paragraph_text(p) -> str:  # type: ignore[no-untyped-def]
    """Visible text of a paragraph. Unlike python-docx's ``Paragraph.text`` this keeps
    tracked insertions (runs inside w:ins), which revised drafts are full of; deletions
    use w:delText and stay out. Fallback copies of text boxes would double the text."""
    parts: list[str] = []
    for element in p.iter(*_TEXT_TAGS):
        if any(ancestor.tag == _FALLBACK for ancestor in element.iterancestors()):
            continue
        replacement = _TEXT_TAGS[element.tag]
        parts.append((element.text or "") if replacement is None else replacement)
    return "".join(parts)


class _Numbering:
    """Renders Word list numbers (decimal and Chinese counting formats). Lists that share
    an abstract definition continue one count, as Word shows them, unless a list
    overrides its start."""

    _FORMATS = {"decimal", "chineseCounting", "chineseCountingThousand", "chineseLegalSimplified",
                "ideographTraditional", "decimalFullWidth", "decimalEnclosedParen"}

    def __init__(self, document) -> None:  # type: ignore[no-untyped-def]
        self._levels: dict[tuple[str, int], tuple[str, str, int]] = {}  # (numId, ilvl) → fmt, text, start
        self._counter_key: dict[str, str] = {}  # numId → whose counters it uses
        self._counters: dict[str, list[int]] = {}
        try:
            root = document.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {node.get(_w("abstractNumId")): node for node in root.findall(_w("abstractNum"))}
        for num in root.findall(_w("num")):
            num_id = num.get(_w("numId"))
            ref = _val(num.find(_w("abstractNumId")))
            node = abstract.get(ref)
            if node is None or num_id is None:
                continue
            overrides = {int(o.get(_w("ilvl")) or 0): int(_val(o.find(_w("startOverride"))) or 1)
                         for o in num.findall(_w("lvlOverride")) if o.find(_w("startOverride")) is not None}
            self._counter_key[num_id] = f"num{num_id}" if overrides else f"abstract{ref}"
            for lvl in node.findall(_w("lvl")):
                ilvl = int(lvl.get(_w("ilvl")) or 0)
                fmt = _val(lvl.find(_w("numFmt"))) or "decimal"
                text = _val(lvl.find(_w("lvlText"))) or ""
                start = overrides.get(ilvl, int(_val(lvl.find(_w("start"))) or 1))
                self._levels[(num_id, ilvl)] = (fmt, text, start)

    def label(self, paragraph) -> str:  # type: ignore[no-untyped-def]
        num_id, ilvl = self._num_pr(paragraph)
        if num_id is None or (num_id, ilvl) not in self._levels:
            return ""
        counters = self._counters.setdefault(self._counter_key[num_id], [0] * 9)
        fmt, text, start = self._levels[(num_id, ilvl)]
        counters[ilvl] = max(counters[ilvl] + 1, start)
        for deeper in range(ilvl + 1, 9):
            counters[deeper] = 0
        if fmt not in self._FORMATS or not text:
            return ""  # bullets and unsupported formats carry no citable number
        out = text
        for level in range(ilvl + 1):
            level_fmt = self._levels.get((num_id, level), (fmt, "", 1))[0]
            out = out.replace(f"%{level + 1}", _format_number(counters[level] or 1, level_fmt))
        return out + " "

    @staticmethod
    def _num_pr(paragraph) -> tuple[str | None, int]:  # type: ignore[no-untyped-def]
        for pPr in (paragraph._p.pPr, _style_ppr(paragraph)):
            num_pr = pPr.find(_w("numPr")) if pPr is not None else None
            if num_pr is not None:
                num_id = _val(num_pr.find(_w("numId")))
                ilvl = int(_val(num_pr.find(_w("ilvl"))) or 0)
                return (num_id if num_id not in (None, "0") else None), ilvl
        return None, 0


def _style_ppr(paragraph):  # type: ignore[no-untyped-def]
    try:
        return paragraph.style.element.pPr
    except Exception:
        return None


def _format_number(n: int, fmt: str) -> str:
    if fmt.startswith("chinese") or fmt == "ideographTraditional":
        from minyi.core.numerals import to_chinese

        return to_chinese(n)
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    return str(n)


def _w(tag: str) -> str:
    return _W + tag


def _val(node) -> str | None:  # type: ignore[no-untyped-def]
    return None if node is None else node.get(_w("val"))


# ------------------------------------------------------------------------------ pdf


@contextmanager
def _quiet_pypdf() -> Iterator[None]:
    """pypdf logs and warns about damaged files; the user gets our one-line error instead."""
    logger = logging.getLogger("pypdf")
    old = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        logger.setLevel(old)


def _read_pdf(path: Path, data: bytes) -> str:
    from pypdf import PdfReader

    with _quiet_pypdf():
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise InputError(f"{path}: PDF is password-protected", message_zh="PDF 文件有密码保护")
            pages = [page.extract_text() or "" for page in reader.pages]
        except InputError:
            raise
        except Exception as exc:  # pypdf raises many kinds of errors on damaged files
            raise InputError(f"{path}: corrupt or unreadable PDF ({_reason(exc)})", message_zh="PDF 文件已损坏") from exc
    text = "\f".join(pages)  # the parser uses page breaks to spot running headers
    if not any(ch.isalnum() for ch in text):
        raise InputError(
            f"{path}: PDF has no text layer (scanned images?); run OCR first",
            message_zh="PDF 没有文字层（可能是扫描件），请先进行文字识别",
        )
    if _garbled_share(text) > 0.3:
        raise InputError(
            f"{path}: PDF text layer is unreadable (fonts without a Unicode map); run OCR first",
            message_zh="PDF 文字层无法识别，请先进行文字识别",
        )
    return text


def _garbled_share(text: str) -> float:
    """Share of control, private-use and replacement characters: what a PDF yields when
    its fonts lack a ToUnicode map."""
    visible = [ch for ch in text if not ch.isspace()]
    bad = sum(1 for ch in visible if ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Co", "Cn"))
    return bad / max(1, len(visible))


def _reason(exc: Exception) -> str:
    message = " ".join(str(exc).split()) or type(exc).__name__
    return message[:120]
