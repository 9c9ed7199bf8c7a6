"""The draft parser on texts written for these tests: one test per thing real drafts do."""

from __future__ import annotations

import json
from pathlib import Path

import docx
import pytest
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from minyi.core.drafts import ParsedDraft
from pipeline.drafts.parser import format_outline, parse_file, parse_text

DATA = Path(__file__).parent / "data" / "drafts"


def labels(parsed: ParsedDraft) -> list[str]:
    return [a.label for a in parsed.articles]


# ------------------------------------------------------------------ numbering


def test_large_chinese_numerals():
    parsed = parse_text(
        "第一百二十二条 甲。\n第一百二十三条 乙。\n第一千二百五十九条 丙。\n第一千二百六十条 本法自公布之日起施行。"
    )
    assert [a.number for a in parsed.articles] == [122, 123, 1259, 1260]
    assert labels(parsed) == ["第一百二十二条", "第一百二十三条", "第一千二百五十九条", "第一千二百六十条"]
    assert parsed.articles[-1].text == "本法自公布之日起施行。"


def test_zero_and_hundreds_are_read_as_in_statutes():
    parsed = parse_text("第一百零五条 甲。\n第一百〇六条 乙。\n第一百一十条 丙。")
    assert [a.number for a in parsed.articles] == [105, 106, 110]
    assert labels(parsed) == ["第一百零五条", "第一百零六条", "第一百一十条"]


def test_arabic_full_width_and_spaced_numbers_get_chinese_labels():
    parsed = parse_text("第1条 为了规范管理，制定本办法。\n第１２条：本办法适用于本市。\n第 十三 条 本办法自公布之日起施行。")
    assert [a.number for a in parsed.articles] == [1, 12, 13]
    assert labels(parsed) == ["第一条", "第十二条", "第十三条"]
    assert parsed.articles[1].text == "本办法适用于本市。"  # the "：" after the label is a separator
    assert parsed.articles[2].text == "本办法自公布之日起施行。"


def test_inserted_article_zhi_yi():
    parsed = parse_text("第十条 甲。\n第十条之一 乙。\n第十条之二　丙。\n第十一条 丁。")
    assert labels(parsed) == ["第十条", "第十条之一", "第十条之二", "第十一条"]
    inserted = parsed.article("10之一")
    assert inserted is not None
    assert (inserted.number, inserted.suffix, inserted.text) == (10, "之一", "乙。")
    assert parsed.article(10).suffix is None


def test_articles_looked_up_by_key_follow_changes_to_the_list():
    parsed = parse_text("第一条 甲。\n第二条 乙。")
    assert parsed.article(2).text == "乙。"
    parsed.articles = parse_text("第一条 丙。").articles
    assert parsed.article(2) is None and parsed.article(1).text == "丙。"
    parsed.articles.append(parse_text("第三条 丁。").articles[0])
    assert parsed.article("3").text == "丁。"


def test_inserted_articles_beyond_zhi_er_in_a_wrapped_sentence():
    # Inside an unfinished sentence only the next number in sequence opens an article;
    # 之三 after 之二 is next, though "之三" < "之二" as strings.
    parsed = parse_text("第十条 甲\n第十条之一 乙\n第十条之二 丙\n第十条之三 丁\n第十一条 戊。")
    assert labels(parsed) == ["第十条", "第十条之一", "第十条之二", "第十条之三", "第十一条"]


def test_bracketed_article_captions_are_kept_in_the_text():
    parsed = parse_text("第一条【立法目的】为了规范养犬行为，制定本条例。\n第二条【适用范围】本条例适用于：\n（一）甲\n第三条【施行日期】本条例自公布之日起施行。")
    assert labels(parsed) == ["第一条", "第二条", "第三条"]
    assert parsed.article(1).text == "【立法目的】为了规范养犬行为，制定本条例。"


def test_label_alone_on_its_line_takes_the_next_line_as_text():
    parsed = parse_text("第一条\n为了规范管理，制定本办法。\n第二条\n本办法自公布之日起施行。")
    assert [a.text for a in parsed.articles] == ["为了规范管理，制定本办法。", "本办法自公布之日起施行。"]
    assert len(parsed.articles[0].paragraphs) == 1


# ------------------------------------------------------------------ headings


def test_markdown_part_chapter_section_headings():
    text = "\n".join([
        "# 某某法典",
        "## 第一编 总则",
        "### 第一章 基本规定",
        "第一条 甲。",
        "### 第二章 主体",
        "#### 第一节 一般规定",
        "第二条 乙。",
        "#### 第二节 特别规定",
        "第三条 丙。",
        "## 第二编 分则",
        "### 第一章 登记",
        "第四条 丁。",
    ])
    parsed = parse_text(text)
    rows = [(a.label, a.part, a.chapter, a.section) for a in parsed.articles]
    assert rows == [
        ("第一条", "第一编 总则", "第一章 基本规定", None),
        ("第二条", "第一编 总则", "第二章 主体", "第一节 一般规定"),
        ("第三条", "第一编 总则", "第二章 主体", "第二节 特别规定"),
        ("第四条", "第二编 分则", "第一章 登记", None),
    ]
    assert parsed.title == "某某法典"


def test_plain_headings_with_odd_spacing_or_none():
    text = "\n".join([
        "第一章　总　　则",
        "第一条 甲。",
        "第二章登记",  # no space between number and name
        "第一节一般规定",
        "第二条 乙。",
        "第二节  特别规定",
        "第三条 丙。",
        "第三章 法律 责任",
        "第四条 丁。",
    ])
    parsed = parse_text(text)
    assert [(a.chapter, a.section) for a in parsed.articles] == [
        ("第一章 总则", None),
        ("第二章 登记", "第一节 一般规定"),
        ("第二章 登记", "第二节 特别规定"),
        ("第三章 法律责任", None),
    ]


def test_heading_number_and_name_on_two_lines():
    parsed = parse_text("第一章\n总　则\n第一条 甲。\n第二章\n附　则\n第二条 乙。")
    assert [a.chapter for a in parsed.articles] == ["第一章 总则", "第二章 附则"]
    assert [a.text for a in parsed.articles] == ["甲。", "乙。"]


def test_new_chapter_clears_the_section():
    parsed = parse_text("第一章 总则\n第一节 目的\n第一条 甲。\n第二章 附则\n第二条 乙。")
    assert parsed.articles[1].chapter == "第二章 附则"
    assert parsed.articles[1].section is None


# ------------------------------------------------------------------ 款 项 目


def test_paragraphs_kuan_on_separate_lines():
    parsed = parse_text(
        "第二条 本条例适用于本市行政区域。\n\n本条例所称电动自行车，是指以车载蓄电池作为辅助能源的两轮自行车。\n"
        "法律、法规另有规定的，从其规定。\n第三条 乙。"
    )
    article = parsed.article(2)
    assert [p.text for p in article.paragraphs] == [
        "本条例适用于本市行政区域。",
        "本条例所称电动自行车，是指以车载蓄电池作为辅助能源的两轮自行车。",
        "法律、法规另有规定的，从其规定。",
    ]
    assert article.text == "\n".join(p.text for p in article.paragraphs)


def test_items_xiang_in_all_bracket_styles():
    parsed = parse_text(
        "第五条 有下列情形之一的，不予登记：\n（一）不符合国家标准的；\n(二)无合法来源凭证的；\n（三）其他情形。\n"
        "前款规定的情形，应当书面告知。\n"
        "第六条 申请人应当提交：\n（1）身份证明；\n（2）购车凭证。"
    )
    five, six = parsed.articles
    assert five.paragraphs[0].text == "有下列情形之一的，不予登记："
    assert five.paragraphs[0].items == ["（一）不符合国家标准的；", "(二)无合法来源凭证的；", "（三）其他情形。"]
    assert five.paragraphs[1].text == "前款规定的情形，应当书面告知。"
    assert five.paragraphs[1].items == []
    assert six.paragraphs[0].items == ["（1）身份证明；", "（2）购车凭证。"]
    assert five.text == (
        "有下列情形之一的，不予登记：\n（一）不符合国家标准的；\n(二)无合法来源凭证的；\n（三）其他情形。\n"
        "前款规定的情形，应当书面告知。"
    )


def test_sub_items_mu_fold_into_their_item():
    parsed = parse_text(
        "第七条 禁止下列行为：\n（一）非法改装；\n（二）违反通行规定，包括：\n1.闯红灯；\n2．逆行；\n3、占用机动车道。\n（三）其他行为。"
    )
    items = parsed.articles[0].paragraphs[0].items
    assert items == [
        "（一）非法改装；",
        "（二）违反通行规定，包括：\n1.闯红灯；\n2．逆行；\n3、占用机动车道。",
        "（三）其他行为。",
    ]


def test_numbered_lines_without_a_parent_item_are_items():
    parsed = parse_text("第八条 申请材料包括：\n1.申请书；\n2.身份证明。")
    assert parsed.articles[0].paragraphs[0].items == ["1.申请书；", "2.身份证明。"]


# ------------------------------------------------------------------ header, 目录


def test_table_of_contents_does_not_duplicate_chapters_or_articles():
    text = "\n".join([
        "某某市养犬管理条例（草案）",
        "目　录",
        "第一章  总则……………………………………1",
        "第二章  登记与免疫………………………3",
        "第三章  附则 9",
        "第一章  总则",
        "第一条  为了规范养犬行为，制定本条例。",
        "第二章  登记与免疫",
        "第二条  本市实行养犬登记制度。",
        "第三章  附则",
        "第三条  本条例自公布之日起施行。",
    ])
    parsed = parse_text(text)
    assert labels(parsed) == ["第一条", "第二条", "第三条"]
    assert [a.chapter for a in parsed.articles] == ["第一章 总则", "第二章 登记与免疫", "第三章 附则"]
    assert parsed.title == "某某市养犬管理条例（草案）"


def test_table_of_contents_when_the_body_has_no_headings():
    parsed = parse_text("某某办法\n目录\n第一章 总则\n第二章 附则\n第一条 甲。\n第二条 乙。")
    assert labels(parsed) == ["第一条", "第二条"]
    assert [a.chapter for a in parsed.articles] == [None, None]


def test_title_skips_a_cover_notice_and_its_preamble():
    text = "\n".join([
        "关于公开征求《某某市养犬管理条例（征求意见稿）》意见的通知",
        "为了提高立法质量，现将《某某市养犬管理条例（征求意见稿）》全文公布，征求社会各界意见。",
        "某某市养犬管理条例",
        "（征求意见稿）",
        "第一条 为了规范养犬行为，制定本条例。",
    ])
    parsed = parse_text(text)
    assert parsed.title == "某某市养犬管理条例（征求意见稿）"
    assert labels(parsed) == ["第一条"]


def test_header_and_preamble_lines_stay_out_of_articles():
    text = "\n".join([
        "《某某市物业管理条例（征求意见稿）》",
        "发布日期：2024年3月1日",
        "说明：请于2024年4月1日前反馈意见。",
        "（2019年12月1日某某市第十五届人民代表大会常务委员会第二十次会议通过）",
        "第一章 总则",
        "第一条 为了规范物业管理活动，制定本条例。",
        "第二条 本条例自2025年1月1日起施行。",
    ])
    parsed = parse_text(text)
    assert parsed.title == "某某市物业管理条例（征求意见稿）"
    assert labels(parsed) == ["第一条", "第二条"]
    assert "发布日期" not in parsed.full_text and "会议通过" not in parsed.full_text


def test_markdown_title_and_info_end_header():
    text = "# 某某条例\n\n2020年1月1日 第十届常务委员会第三次会议通过\n\n<!-- INFO END -->\n\n某某条例\n\n## 第一章 总则\n\n第一条 甲。\n"
    parsed = parse_text(text)
    assert parsed.title == "某某条例"
    assert labels(parsed) == ["第一条"]
    assert parsed.articles[0].text == "甲。"


def test_title_is_none_without_a_header():
    assert parse_text("第一条 甲。").title is None


# ------------------------------------------------------------------ wrapped (PDF) text


def test_pdf_style_wrapped_draft_with_cross_reference_lines():
    parsed = parse_file(DATA / "wrapped_draft.txt")
    assert parsed.title == "××市电动自行车管理条例（征求意见稿）"
    assert labels(parsed) == [
        "第一条", "第二条", "第三条", "第四条", "第五条", "第五条之一", "第六条", "第七条", "第八条",
    ]
    assert [a.chapter for a in parsed.articles] == [
        "第一章 总则", "第一章 总则", "第一章 总则",
        "第二章 登记与通行", "第二章 登记与通行", "第二章 登记与通行",
        "第三章 法律责任", "第三章 法律责任", "第四章 附则",
    ]
    by_key = {a.key: a for a in parsed.articles}
    # Wrapped lines are joined back into one sentence.
    assert by_key["1"].text == (
        "为了加强电动自行车管理，维护道路交通秩序，保障人民群众生命财产安全，根据《中华人民共和国道路交通安全法》"
        "等法律、行政法规，结合本市实际，制定本条例。"
    )
    assert [p.text for p in by_key["2"].paragraphs] == [
        "本市行政区域内电动自行车的销售、登记、通行及其相关管理活动，适用本条例。",
        "法律、法规对电动自行车管理另有规定的，从其规定。",
    ]
    # Lines starting with "第X条" inside a sentence are references, not articles, even
    # when the number is the next one in sequence (第五条规定…) or jumps back (第三条 关于…).
    assert by_key["3"].text.endswith("依照本条例第二条规定的范围开展工作。")
    assert by_key["4"].paragraphs[1].text == "对依照本条例第四条第一款、第五条规定不予登记的，应当书面说明理由。"
    assert by_key["6"].text.endswith("依照本条例第三条关于职责分工的规定移送有关部门处理。")
    assert by_key["7"].text == "违反本条例第五条第一款第一项规定的，处五十元罚款。"
    # Items, 目 and the paragraph after them.
    five = by_key["5"]
    assert five.paragraphs[0].items[2] == "（三）不得有下列行为：\n1.手持电话；\n2．逆向行驶；\n3、醉酒驾驶。"
    assert five.paragraphs[1].text == "违反前款第（二）项规定的，由公安机关交通管理部门予以警告。"
    # Page footers ("- 1 -", "— 2 —", "3") are gone.
    for junk in ("- 1 -", "— 2 —", "\n3\n"):
        assert junk not in parsed.full_text
    assert by_key["5之一"].text == "电动自行车销售者应当向购买者提供产品合格证明。"


def test_running_page_headers_of_wrapped_text_are_dropped():
    page = ["某某市人大常委会法制工作委员会", "征求意见稿"]
    text = "\n".join([
        "某某市养犬管理条例", *page,
        "第一条 为了规范养犬行为，保障公民健康和人身安全，",
        "维护市容环境和社会秩序，制定本条例。", "— 1 —", *page,
        "第二条 本条例适用于本市行政区域内的养犬和",
        "犬只经营活动，以及相关的管理工作。", "— 2 —", *page,
        "第三条 市、区人民政府负责本行政区域内的养犬",
        "管理工作。",
    ])
    parsed = parse_text(text)
    assert [a.text for a in parsed.articles] == [
        "为了规范养犬行为，保障公民健康和人身安全，维护市容环境和社会秩序，制定本条例。",
        "本条例适用于本市行政区域内的养犬和犬只经营活动，以及相关的管理工作。",
        "市、区人民政府负责本行政区域内的养犬管理工作。",
    ]


def test_reference_line_after_finished_sentence_still_reads_as_citation():
    parsed = parse_text("第一条 甲。\n第二条 乙。\n第一条的规定适用于本条。\n第三条 丙。")
    assert labels(parsed) == ["第一条", "第二条", "第三条"]
    assert parsed.article(2).paragraphs[1].text == "第一条的规定适用于本条。"


def test_article_starting_with_a_reference_to_another_article():
    parsed = parse_text("第七条 甲。\n第八条 第七条规定的期限届满后，登记失效。")
    assert labels(parsed) == ["第七条", "第八条"]
    assert parsed.article(8).text == "第七条规定的期限届满后，登记失效。"


def test_heading_like_reference_in_wrapped_sentence_is_text():
    parsed = parse_text("第一章 总则\n第一条 本条例\n第二章的规定适用于全市。\n第二章 附则\n第二条 乙。")
    assert parsed.article(1).text == "本条例第二章的规定适用于全市。"
    assert [a.chapter for a in parsed.articles] == ["第一章 总则", "第二章 附则"]


def test_excerpt_skipping_numbers_after_an_unpunctuated_item():
    # One paragraph per line (Word): an item without "；" does not make the next,
    # later-numbered article a cross-reference.
    parsed = parse_text("第三条 有下列情形之一的，不予登记：\n（一）未提交申请\n第七条 本条例自公布之日起施行。")
    assert labels(parsed) == ["第三条", "第七条"]
    assert parsed.article(3).paragraphs[0].items == ["（一）未提交申请"]


def test_paragraph_per_line_text_is_not_joined():
    # One paragraph per line (Word, Markdown): a paragraph without final punctuation is
    # kept apart from the next one.
    parsed = parse_text("第一条 本条例所称下列用语的含义\n电动自行车，是指两轮自行车。\n第二条 乙。")
    assert [p.text for p in parsed.article(1).paragraphs] == ["本条例所称下列用语的含义", "电动自行车，是指两轮自行车。"]


# ------------------------------------------------------------------ width and punctuation


def test_full_and_half_width_forms():
    text = "\n".join([
        "第一章　总则",
        "第１条　为了规范管理，制定本办法:",
        "(一)ASCII 括号的项;",
        "（二）全角括号的项；",
        "第2条:本办法所称\u3000“经营者”，是指……",
    ])
    parsed = parse_text(text)
    one, two = parsed.articles
    assert (one.label, two.label) == ("第一条", "第二条")
    assert one.paragraphs[0].text == "为了规范管理，制定本办法:"
    assert one.paragraphs[0].items == ["(一)ASCII 括号的项;", "（二）全角括号的项；"]
    # Chinese punctuation is kept as written; typesetting spaces between Chinese are dropped.
    assert two.text == "本办法所称“经营者”，是指……"


def test_kangxi_radicals_from_pdf_text_layers_read_as_ideographs():
    # Some PDF producers map glyphs to Kangxi radicals: "第⼀条" with U+2F00, "⼈" U+2F08.
    parsed = parse_text("第\u2f00章 总则\n第\u2f00条 \u2f08民政府应当加强管理。")
    assert (parsed.articles[0].label, parsed.articles[0].chapter) == ("第一条", "第一章 总则")
    assert parsed.articles[0].text == "人民政府应当加强管理。"


def test_zero_width_characters_and_page_numbers_are_dropped():
    parsed = parse_text("\u200b\n第一条 甲\u200b乙。\n\u200b\n第 2 页 共 9 页\n12\n第二条 丙。")
    assert [a.text for a in parsed.articles] == ["甲乙。", "丙。"]


# ------------------------------------------------------------------ files


ENCODED_DRAFT = "某某条例\n第一章 总则\n第一条 为了规范管理，制定本条例。\n第二条 本条例适用于本市行政区域。\n"


@pytest.mark.parametrize("encoding", ["gbk", "gb18030", "utf-8-sig", "utf-16"])
def test_encoded_text_files(tmp_path, encoding):
    path = tmp_path / f"draft-{encoding}.txt"
    path.write_bytes(ENCODED_DRAFT.encode(encoding))
    parsed = parse_file(path)
    assert parsed.title == "某某条例"
    assert labels(parsed) == ["第一条", "第二条"]
    assert parsed.articles[0].text == "为了规范管理，制定本条例。"
    assert parsed.source == str(path)


def test_gb18030_only_characters(tmp_path):
    text = ENCODED_DRAFT + "第三条 姓名含有“䶮”等生僻字的，应当如实登记。\n"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = tmp_path / "draft.txt"
    path.write_bytes(text.encode("gb18030"))
    assert parse_file(path).article(3).text == "姓名含有“䶮”等生僻字的，应当如实登记。"


def test_utf8_bom_does_not_hide_the_title(tmp_path):
    path = tmp_path / "draft.md"
    path.write_bytes("# 某某条例\n\n第一条 甲。\n".encode("utf-8-sig"))
    parsed = parse_file(path)
    assert parsed.title == "某某条例"
    assert labels(parsed) == ["第一条"]


def test_docx_paragraphs_tables_and_tracked_changes(tmp_path):
    document = docx.Document()
    document.add_paragraph("某某市电动自行车管理条例（草案）")
    document.add_heading("第一章　总则", level=2)
    document.add_paragraph("第一条　为了加强管理，制定本条例。")
    revised = document.add_paragraph("第二条　本条例适用于")
    # A tracked insertion is part of the text; a tracked deletion is not.
    revised._p.append(parse_xml(
        f'<w:ins {nsdecls("w")} w:id="1" w:author="法工委"><w:r><w:t>本市行政区域</w:t></w:r></w:ins>'
    ))
    revised._p.append(parse_xml(
        f'<w:del {nsdecls("w")} w:id="2" w:author="法工委"><w:r><w:delText>全省</w:delText></w:r></w:del>'
    ))
    revised.add_run("。")
    document.add_paragraph("本条例所称电动自行车，是指两轮自行车。")
    table = document.add_table(rows=1, cols=1)
    table.cell(0, 0).text = "第三条　表格中的条文。"
    path = tmp_path / "draft.docx"
    document.save(path)

    parsed = parse_file(path)
    assert parsed.title == "某某市电动自行车管理条例（草案）"
    assert [(a.label, a.chapter) for a in parsed.articles] == [
        ("第一条", "第一章 总则"), ("第二条", "第一章 总则"), ("第三条", "第一章 总则"),
    ]
    assert [p.text for p in parsed.article(2).paragraphs] == [
        "本条例适用于本市行政区域。", "本条例所称电动自行车，是指两轮自行车。",
    ]
    assert parsed.article(3).text == "表格中的条文。"


def _word_list(document, num_ids: list[int], abstract_id: int, fmt: str, text: str) -> None:
    """Define a Word list (numFmt + lvlText such as chineseCounting + 第%1条) that the
    given numIds share, as Word does for a list split by other paragraphs."""
    numbering = document.part.numbering_part.element
    numbering.insert(0, parse_xml(
        f'<w:abstractNum {nsdecls("w")} w:abstractNumId="{abstract_id}"><w:lvl w:ilvl="0"><w:start w:val="1"/>'
        f'<w:numFmt w:val="{fmt}"/><w:lvlText w:val="{text}"/></w:lvl></w:abstractNum>'
    ))
    for num_id in num_ids:
        numbering.append(parse_xml(
            f'<w:num {nsdecls("w")} w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/></w:num>'
        ))


def _numbered(document, text: str, num_id: int) -> None:
    paragraph = document.add_paragraph(text)
    num_pr = paragraph._p.get_or_add_pPr().get_or_add_numPr()
    num_pr.get_or_add_numId().val = num_id
    num_pr.get_or_add_ilvl().val = 0


def test_docx_word_list_numbers_become_labels(tmp_path):
    # Many drafts number 章 and 条 with Word's automatic numbering, which python-docx
    # does not render; the reader does.
    document = docx.Document()
    document.add_paragraph("某某市养犬管理条例（草案）")
    _word_list(document, [71], 70, "chineseCounting", "第%1章")
    _word_list(document, [81, 82], 80, "chineseCounting", "第%1条")
    _numbered(document, "总则", 71)
    _numbered(document, "为了规范养犬行为，制定本条例。", 81)
    _numbered(document, "本条例适用于本市行政区域。", 81)
    _numbered(document, "附则", 71)
    _numbered(document, "本条例自公布之日起施行。", 82)  # another numId of the same list goes on
    path = tmp_path / "draft.docx"
    document.save(path)

    parsed = parse_file(path)
    assert [(a.label, a.chapter, a.text) for a in parsed.articles] == [
        ("第一条", "第一章 总则", "为了规范养犬行为，制定本条例。"),
        ("第二条", "第一章 总则", "本条例适用于本市行政区域。"),
        ("第三条", "第二章 附则", "本条例自公布之日起施行。"),
    ]


def text_pdf(pages: list[list[str]]) -> bytes:
    """A minimal valid PDF showing the given lines, one text line each, in a CID font
    with a ToUnicode map (no PDF writer library is installed)."""
    chars = sorted({ch for page in pages for line in page for ch in line})
    entries = [f"<{ord(ch):04X}> <{ord(ch):04X}>" for ch in chars]
    blocks = "".join(
        f"{len(chunk)} beginbfchar\n" + "\n".join(chunk) + "\nendbfchar\n"
        for chunk in (entries[i : i + 100] for i in range(0, len(entries), 100))
    )
    cmap = (
        "/CIDInit /ProcSet findresource begin 12 dict begin begincmap\n"
        "/CIDSystemInfo << /Registry (Adobe) /Ordering (UCS) /Supplement 0 >> def\n"
        "/CMapName /Adobe-Identity-UCS def /CMapType 2 def\n"
        "1 begincodespacerange <0000> <FFFF> endcodespacerange\n"
        f"{blocks}endcmap CMapName currentdict /CMap defineresource pop end end"
    )
    kids = " ".join(f"{6 + 2 * i} 0 R" for i in range(len(pages)))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /Identity-H"
        b" /DescendantFonts [4 0 R] /ToUnicode 5 0 R >>",
        b"<< /Type /Font /Subtype /CIDFontType2 /BaseFont /STSong-Light"
        b" /CIDSystemInfo << /Registry (Adobe) /Ordering (Identity) /Supplement 0 >> /DW 1000 >>",
        _pdf_stream(cmap.encode()),
    ]
    for i, page in enumerate(pages):
        shown = ["<" + "".join(f"{ord(ch):04X}" for ch in line) + "> Tj T*" for line in page]
        content = "\n".join(["BT", "/F1 12 Tf", "14 TL", "50 800 Td", *shown, "ET"])
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
            f" /Contents {7 + 2 * i} 0 R >>".encode()
        )
        objects.append(_pdf_stream(content.encode()))
    return _pdf_assemble(objects)


def _pdf_stream(data: bytes) -> bytes:
    return b"<< /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def _pdf_assemble(objects: list[bytes]) -> bytes:
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


def test_pdf_with_text_layer(tmp_path):
    lines = (DATA / "wrapped_draft.txt").read_text(encoding="utf-8").splitlines()
    middle = lines.index("- 1 -")
    path = tmp_path / "draft.pdf"
    path.write_bytes(text_pdf([lines[: middle + 1], lines[middle + 1 :]]))

    from_pdf = parse_file(path)
    from_txt = parse_file(DATA / "wrapped_draft.txt")
    assert from_pdf.to_dict() == from_txt.to_dict()
    assert len(from_pdf.articles) == 9


# ------------------------------------------------------------------ output shapes


def test_json_shape_is_exact():
    parsed = parse_text("# 某某条例\n## 第二章 登记\n### 第一节 一般规定\n第十二条 甲：\n（一）乙；\n（二）丙。\n丁。")
    data = json.loads(json.dumps(parsed.to_dict(), ensure_ascii=False))
    assert set(data) == {"title", "articles"}
    assert data["title"] == "某某条例"
    (article,) = data["articles"]
    assert article == {
        "number": 12,
        "suffix": None,
        "label": "第十二条",
        "chapter": "第二章 登记",
        "section": "第一节 一般规定",
        "text": "甲：\n（一）乙；\n（二）丙。\n丁。",
        "paragraphs": [{"text": "甲：", "items": ["（一）乙；", "（二）丙。"]}, {"text": "丁。", "items": []}],
    }
    assert list(article) == ["number", "suffix", "label", "chapter", "section", "text", "paragraphs"]


def test_outline_lists_chapters_with_ranges_and_articles():
    outline = format_outline(parse_file(DATA / "wrapped_draft.txt"))
    lines = outline.splitlines()
    assert lines[0] == "××市电动自行车管理条例（征求意见稿）"
    assert "9 articles" in lines[1]
    assert "第二章 登记与通行  (第四条–第五条之一, 3 articles)" in lines
    assert "第四章 附则  (第八条, 1 article)" in lines
    assert "  第八条  本条例自2025年1月1日起施行。" in lines
    first = next(line for line in lines if line.strip().startswith("第一条"))
    assert first.endswith("…") and len(first.split("  ", 2)[-1]) == 31  # ~30 characters and an ellipsis


def test_no_articles_gives_empty_list():
    assert parse_text("这是一份没有条文的说明。").articles == []
