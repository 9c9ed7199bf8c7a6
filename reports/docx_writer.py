"""Write a ``reports.document.Doc`` as .docx in the GB/T 9704-2012 layout (党政机关公文格式).

A4; margins top 37 mm, bottom 35 mm, left 28 mm, right 26 mm; 22 lines of 28 characters:
body 3号 (16 pt) 仿宋_GB2312 at a fixed 28.95 pt line pitch (225 mm / 22 lines); title 2号
(22 pt) 方正小标宋简体 centred; 一、 headings 3号 黑体, （一） headings 3号 楷体; page numbers
4号 (14 pt) 宋体 "— 1 —", right on odd pages and left on even pages, one character in from
the edge; tables repeat their header row on every page.

Every run names its East-Asian font through ``w:rFonts w:eastAsia`` (Word and WPS pick the
Chinese font from that attribute, not from ``w:ascii``), and the font table lists a
fall-back for each official font (``w:altName``) for machines that lack it.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from minyi.core.safety import map_strings, xml_safe
from reports import fonts
from reports.document import Doc, Figure, Heading, Para, Table

PAGE_WIDTH_MM, PAGE_HEIGHT_MM = 210, 297
MARGINS_MM = {"top": 37, "bottom": 35, "left": 28, "right": 26}
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
PAGE_NUMBER_PT = 14  # 4号
TABLE_PT = 10.5  # 五号, so a seven-column table fits the 156 mm text block
# Cell margins left and right (1.3 mm each: Word's default 1.9 mm wastes a column's width).
CELL_MARGIN_TWIPS = 74
# 225 mm of text height / 22 lines = 10.23 mm = 28.95 pt per line; Word stores twentieths.
LINE_PITCH_TWIPS = 579
ALIGN = {
    "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
}


# --- low-level helpers ----------------------------------------------------------------


def set_run_font(run, font: fonts.OfficialFont, size_pt: float, bold: bool = False) -> None:  # type: ignore[no-untyped-def]
    """Name ``font`` for every script of the run (East-Asian first) and drop theme fonts,
    which would otherwise override the explicit names."""
    run.font.size = Pt(size_pt)
    run.font.bold = bold
    rpr = run._element.get_or_add_rPr()
    _set_rfonts(rpr, font.name)


def _set_rfonts(rpr, name: str) -> None:  # type: ignore[no-untyped-def]
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme"):
        if rfonts.get(qn(attr)) is not None:
            del rfonts.attrib[qn(attr)]
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi", "w:cs"):
        rfonts.set(qn(attr), name)


def _exact_spacing(paragraph, twips: int = LINE_PITCH_TWIPS) -> None:  # type: ignore[no-untyped-def]
    fmt = paragraph.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(twips / 20)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


def _indent_chars(paragraph, first_line_chars: int = 2, size_pt: float = BODY_PT) -> None:  # type: ignore[no-untyped-def]
    """First-line indent in characters (w:firstLineChars for Word/WPS, points for others)."""
    paragraph.paragraph_format.first_line_indent = Pt(first_line_chars * size_pt)
    ind = paragraph._element.get_or_add_pPr().find(qn("w:ind"))
    if ind is not None:
        ind.set(qn("w:firstLineChars"), str(first_line_chars * 100))


def _add_field(paragraph, instruction: str, placeholder: str = "1") -> None:  # type: ignore[no-untyped-def]
    """A complex field (begin / instrText / separate / result / end), e.g. PAGE."""

    def fld(kind: str):  # type: ignore[no-untyped-def]
        el = OxmlElement("w:fldChar")
        el.set(qn("w:fldCharType"), kind)
        return el

    for part in ("begin", "instr", "separate", "result", "end"):
        run = paragraph.add_run()
        set_run_font(run, fonts.PAGE_NUMBER, PAGE_NUMBER_PT)
        if part == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._element.append(instr)
        elif part == "result":
            run.text = placeholder
        else:
            run._element.append(fld(part))


def _page_number_footer(footer, align: str) -> None:  # type: ignore[no-untyped-def]
    paragraph = footer.paragraphs[0] if footer.paragraphs else footer.add_paragraph()
    paragraph.alignment = ALIGN[align]
    # GB/T 9704: 单页码居右空一字，双页码居左空一字 (one 4号 character).
    if align == "right":
        paragraph.paragraph_format.right_indent = Pt(PAGE_NUMBER_PT)
    else:
        paragraph.paragraph_format.left_indent = Pt(PAGE_NUMBER_PT)
    set_run_font(paragraph.add_run("— "), fonts.PAGE_NUMBER, PAGE_NUMBER_PT)
    _add_field(paragraph, "PAGE")
    set_run_font(paragraph.add_run(" —"), fonts.PAGE_NUMBER, PAGE_NUMBER_PT)


def _font_table_fallbacks(document) -> None:  # type: ignore[no-untyped-def]
    """Add each official font to word/fontTable.xml with its first fall-back as w:altName."""
    from lxml import etree

    part = next(
        (r.target_part for r in document.part.rels.values() if r.reltype.endswith("/fontTable")),
        None,
    )
    if part is None:
        return
    root = etree.fromstring(part.blob)
    w = root.nsmap.get("w") or "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
    for font in fonts.ALL_OFFICIAL:
        el = etree.SubElement(root, f"{{{w}}}font")
        el.set(f"{{{w}}}name", font.name)
        # Word and WPS substitute w:altName for a missing font; the panose class (serif /
        # sans / script) and family steer their choice when the alternative is missing too.
        alt = etree.SubElement(el, f"{{{w}}}altName")
        alt.set(f"{{{w}}}val", font.fallbacks[0])
        panose = etree.SubElement(el, f"{{{w}}}panose1")
        panose.set(f"{{{w}}}val", font.panose)
        charset = etree.SubElement(el, f"{{{w}}}charset")
        charset.set(f"{{{w}}}val", "86")  # GB2312
        family = etree.SubElement(el, f"{{{w}}}family")
        family.set(f"{{{w}}}val", font.family)
        pitch = etree.SubElement(el, f"{{{w}}}pitch")
        pitch.set(f"{{{w}}}val", "variable")
    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _setup_page(document) -> None:  # type: ignore[no-untyped-def]
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width = Mm(PAGE_WIDTH_MM)
    section.page_height = Mm(PAGE_HEIGHT_MM)
    section.top_margin = Mm(MARGINS_MM["top"])
    section.bottom_margin = Mm(MARGINS_MM["bottom"])
    section.left_margin = Mm(MARGINS_MM["left"])
    section.right_margin = Mm(MARGINS_MM["right"])
    section.header_distance = Mm(15)
    # The page number sits about 7 mm below the text block.
    section.footer_distance = Mm(23)
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
    document.settings.odd_and_even_pages_header_footer = True
    _page_number_footer(section.footer, "right")
    _page_number_footer(section.even_page_footer, "left")


def _setup_styles(document) -> None:  # type: ignore[no-untyped-def]
    normal = document.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    _set_rfonts(rpr, fonts.BODY.name)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:eastAsia"), "zh-CN")
    fmt = normal.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH_TWIPS / 20)
    fmt.space_before = Pt(0)
    fmt.space_after = Pt(0)


# --- blocks ---------------------------------------------------------------------------


TITLE_CHARS_PER_LINE = 20  # 156 mm / 22 pt


def title_lines(title: str, max_chars: int = TITLE_CHARS_PER_LINE) -> list[str]:
    """Break a long title where the sense allows (before "（", after "》" or "关于"), so
    that no line is over-long and the lines are as even as possible."""
    if len(title) <= max_chars:
        return [title]
    cuts = [i for i, ch in enumerate(title) if ch == "（" and i > 0]
    cuts += [i + 1 for i, ch in enumerate(title) if ch == "》" and i + 1 < len(title)]
    if title.startswith("关于"):
        cuts.append(2)
    for word in ("意见征集", "工作情况", "的报告", "的意见建议", "汇总分析报告"):
        at = title.find(word)
        if at > 0:
            cuts.append(at)
    fitting = [c for c in cuts if c <= max_chars and len(title) - c <= max_chars]
    if not fitting:
        return [title]  # let the word processor wrap it
    best = min(fitting, key=lambda c: abs(len(title) - 2 * c))
    return [title[:best], title[best:]]


def _title(document, text: str) -> None:  # type: ignore[no-untyped-def]
    p = document.add_paragraph()
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _exact_spacing(p, 700)  # 35 pt: a 2号 line with room for descenders
    for i, line in enumerate(title_lines(text)):
        run = p.add_run(line)
        set_run_font(run, fonts.TITLE, TITLE_PT)
        if i:
            run._element.addprevious(_line_break())


def _line_break():  # type: ignore[no-untyped-def]
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


def _blank(document) -> None:  # type: ignore[no-untyped-def]
    p = document.add_paragraph()
    _exact_spacing(p)


def _body_paragraph(document, block: Para) -> None:  # type: ignore[no-untyped-def]
    # A line break inside justified text would stretch the line; each line is a paragraph.
    for i, line in enumerate(block.text.split("\n")):
        p = document.add_paragraph()
        p.alignment = ALIGN.get(block.align, WD_ALIGN_PARAGRAPH.JUSTIFY)
        _exact_spacing(p)
        if block.indent:
            _indent_chars(p)
        if block.lead and i == 0:
            set_run_font(p.add_run(block.lead), fonts.HEADING2, BODY_PT)
        set_run_font(p.add_run(line), fonts.BODY, BODY_PT)


def _heading(document, block: Heading) -> None:  # type: ignore[no-untyped-def]
    p = document.add_paragraph()
    _exact_spacing(p)
    _indent_chars(p)
    p.paragraph_format.keep_with_next = True
    font = fonts.HEADING1 if block.level <= 1 else fonts.HEADING2
    set_run_font(p.add_run(block.text), font, BODY_PT)


def _cell_text(cell, text: str, font: fonts.OfficialFont, align: str = "left",  # type: ignore[no-untyped-def]
               size_pt: float = TABLE_PT, bold: bool = False) -> None:
    lines = (text or "").split("\n")
    first = cell.paragraphs[0]
    for i, line in enumerate(lines):
        p = first if i == 0 else cell.add_paragraph()
        p.alignment = ALIGN[align]
        _exact_spacing(p, int((size_pt + 4) * 20))
        p.paragraph_format.first_line_indent = Pt(0)
        # Off the page's line grid, or every table line takes a full 28.95 pt body line.
        snap = OxmlElement("w:snapToGrid")
        snap.set(qn("w:val"), "0")
        p._element.get_or_add_pPr().insert(0, snap)
        set_run_font(p.add_run(line), font, size_pt, bold=bold)


def _row_flag(row, tag: str) -> None:  # type: ignore[no-untyped-def]
    el = OxmlElement(tag)
    el.set(qn("w:val"), "true")
    row._tr.get_or_add_trPr().append(el)


def _cell_margins(tbl_pr) -> None:  # type: ignore[no-untyped-def]
    mar = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        el = OxmlElement(f"w:{side}")
        el.set(qn("w:w"), str(CELL_MARGIN_TWIPS))
        el.set(qn("w:type"), "dxa")
        mar.append(el)
    tbl_pr.append(mar)


def _no_wrap(cell) -> None:  # type: ignore[no-untyped-def]
    tc_pr = cell._tc.get_or_add_tcPr()
    tc_pr.append(OxmlElement("w:noWrap"))


def _table(document, block: Table) -> None:  # type: ignore[no-untyped-def]
    table = document.add_table(rows=1, cols=len(block.columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)
    _cell_margins(tbl_pr)
    size = block.font_pt or TABLE_PT
    header = table.rows[0]
    # Repeat the header row at the top of every page the table runs onto, and keep each
    # row whole on one page where it fits (w:cantSplit).
    _row_flag(header, "w:cantSplit")
    _row_flag(header, "w:tblHeader")
    for cell, name in zip(header.cells, block.columns):
        _cell_text(cell, name, fonts.HEADING1, "center", size)
    last = len(block.rows) - 1
    for r, values in enumerate(block.rows):
        row = table.add_row()
        _row_flag(row, "w:cantSplit")
        bold = block.total_row and r == last
        for i, (cell, value) in enumerate(zip(row.cells, values)):
            short = len(value) <= 4 and i in (0, len(values) - 1)
            centred = i in block.centre_columns or short
            _cell_text(cell, value, fonts.HEADING1 if bold else fonts.BODY, "center" if centred else "left", size)
            if i in block.nowrap_columns:
                _no_wrap(cell)
    for row in table.rows:
        for cell, width in zip(row.cells, block.widths_mm):
            cell.width = Mm(width)
    _merge_equal_runs(table, block)
    grid = table._tbl.tblGrid
    for col, width in zip(grid.findall(qn("w:gridCol")), block.widths_mm):
        col.set(qn("w:w"), str(int(width / 25.4 * 1440)))


def _merge_equal_runs(table, block: Table) -> None:  # type: ignore[no-untyped-def]
    """Merge consecutive equal cells of ``block.merge_columns`` vertically (keeping the
    text once)."""
    from docx.table import _Cell

    # table.cell(r, c) rebuilds the whole grid on every call (quadratic on a long table);
    # the table has no horizontal spans, so a row's c-th <w:tc> is its c-th cell.
    trs = table._tbl.tr_lst

    def cell_at(r: int, c: int) -> _Cell:
        return _Cell(trs[r].tc_lst[c], table)

    for col in block.merge_columns:
        start = 0
        for i in range(1, len(block.rows) + 1):
            if i < len(block.rows) and block.rows[i][col] == block.rows[start][col]:
                continue
            if i - start > 1:
                top = cell_at(start + 1, col)  # +1: the header row
                for r in range(start + 2, i + 1):
                    # Empty the lower cell first, or merge() appends its text.
                    cell = cell_at(r, col)
                    for p in cell.paragraphs[1:]:
                        p._element.getparent().remove(p._element)
                    for run in cell.paragraphs[0].runs:
                        run._element.getparent().remove(run._element)
                merged = top.merge(cell_at(i, col))
                # merge() leaves the emptied cells' paragraphs behind; drop the empty ones.
                for p in merged.paragraphs[1:]:
                    if not p.text:
                        p._element.getparent().remove(p._element)
            start = i


def _figure(document, block: Figure) -> None:  # type: ignore[no-untyped-def]
    document.add_picture(block.path, width=Mm(block.width_mm))
    document.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
    if block.caption:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact_spacing(p)
        set_run_font(p.add_run(block.caption), fonts.BODY, BODY_PT)


def _signature(document, issuer: str | None, date_text: str | None) -> None:  # type: ignore[no-untyped-def]
    """落款: issuer and date on the right, four characters in (成文日期右空四字)."""
    if not (issuer or date_text):
        return
    # The 落款 never stands alone on a page: it keeps with the last lines of the text.
    if document.paragraphs:
        document.paragraphs[-1].paragraph_format.keep_with_next = True
    for _ in range(2):
        _blank(document)
        document.paragraphs[-1].paragraph_format.keep_with_next = True
    for text in (issuer, date_text):
        if not text:
            continue
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.keep_with_next = text is issuer
        _exact_spacing(p)
        p.paragraph_format.right_indent = Pt(4 * BODY_PT)
        set_run_font(p.add_run(text), fonts.BODY, BODY_PT)


def _core_properties(document, doc: Doc) -> None:  # type: ignore[no-untyped-def]
    """Title, author (the contact point) and today's dates, replacing python-docx's template
    values (author "python-docx", created 2013, a revision count and comments of its own)."""
    from datetime import datetime, timezone

    now = datetime.now(timezone.utc).replace(microsecond=0, tzinfo=None)
    props = document.core_properties
    author = doc.author or doc.issuer or ""
    props.title = doc.title
    props.subject = doc.title
    props.author = author
    props.last_modified_by = author
    props.created = now
    props.modified = now
    props.revision = 1
    props.comments = ""
    props.keywords = ""
    props.category = ""
    props.language = "zh-CN"
    _app_properties(document)


APP_XML = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
    'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
    "<Application>minyi</Application><DocSecurity>0</DocSecurity></Properties>"
)


def _app_properties(document) -> None:  # type: ignore[no-untyped-def]
    """docProps/app.xml without the template's "Microsoft Macintosh Word" and page counts."""
    for part in document.part.package.iter_parts():
        if str(part.partname) == "/docProps/app.xml":
            part._blob = APP_XML.encode("utf-8")


def build_document(doc: Doc):  # type: ignore[no-untyped-def]
    """The python-docx Document for ``doc`` (not yet saved)."""
    document = Document()
    _setup_styles(document)
    _setup_page(document)
    _font_table_fallbacks(document)
    _core_properties(document, doc)
    # The template starts with no paragraph; the title goes first.
    _title(document, doc.title)
    if doc.subtitle:
        p = document.add_paragraph()
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _exact_spacing(p)
        set_run_font(p.add_run(doc.subtitle), fonts.HEADING2, BODY_PT)
    _blank(document)
    if doc.recipient:
        _body_paragraph(document, Para(doc.recipient, indent=False, align="left"))
    for block in doc.blocks:
        if isinstance(block, Heading):
            _heading(document, block)
        elif isinstance(block, Para):
            _body_paragraph(document, block)
        elif isinstance(block, Table):
            _table(document, block)
        elif isinstance(block, Figure):
            _figure(document, block)
    _signature(document, doc.issuer, doc.date_text)
    return document


def write_docx(doc: Doc, path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # A stray control character in a comment must not stop the document (XML forbids it).
    build_document(map_strings(doc, xml_safe)).save(str(path))
    return str(path)
