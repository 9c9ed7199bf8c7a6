"""The draft parser on real statutes (../shared/data/laws, LawRefBook Markdown).

Expected values come from an independent, deliberately simple reading of each file: after
``<!-- INFO END -->``, ``## `` lines are chapters, ``### `` lines are sections and lines
starting with 第…条 are articles. On top of that, a few facts checked by reading the files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.drafts.parser import parse_file, parse_text

LAWS_DIR = "laws"
TEMPLATE = "法律法规模版.md"
_ARTICLE_LINE = re.compile(r"^第[一二三四五六七八九十百千零〇两]+条(?:之[一二三四五六七八九十]+)?")
_HEADING = re.compile(r"^(第[一二三四五六七八九十百]+[编章节])\s*(.*)$")


@pytest.fixture(scope="module")
def laws(shared_data: Path) -> list[Path]:
    folder = shared_data / LAWS_DIR
    if not folder.is_dir():
        pytest.skip(f"real data not available: {folder} is absent")
    return sorted(p for p in folder.glob("*.md") if p.name not in {TEMPLATE, "SOURCE.md"})


def simple_reading(path: Path) -> list[tuple[str, str | None, str | None, str]]:
    """(label, chapter, section, text) for every article line, by plain line matching;
    the text is the article's lines after the label, concatenated."""
    body = path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)[1]
    chapter = section = None
    rows: list[list] = []
    for raw in body.splitlines():
        line = raw.replace("\u200b", "").strip()
        if line.startswith("### "):
            section = _heading_name(line[4:])
        elif line.startswith("## "):
            chapter, section = _heading_name(line[3:]), None
        elif m := _ARTICLE_LINE.match(line):
            rows.append([m.group(0), chapter, section, line[m.end() :].strip()])
        elif line and rows and rows[-1][1:3] == [chapter, section]:
            rows[-1][3] += line
    return [tuple(row) for row in rows]


def as_pdf_text(path: Path, width: int, page_lines: int = 40) -> str:
    """The law as PDF text extraction gives it: no Markdown, lines cut every ``width``
    characters whatever the sentence, and a running title and page number per page."""
    header, body = path.read_text(encoding="utf-8").split("<!-- INFO END -->", 1)
    title = header.splitlines()[0][2:].strip()
    lines = []
    for raw in body.splitlines():
        line = raw.replace("\u200b", "").lstrip("#").strip()
        lines += [line[i : i + width] for i in range(0, len(line), width)]
    pages = [lines[i : i + page_lines] for i in range(0, len(lines), page_lines)]
    return "\n".join(
        "\n".join([title, *page, f"— {number} —"]) for number, page in enumerate(pages, start=1)
    )


def _heading_name(text: str) -> str:
    """'第一章　总　　则' → '第一章 总则' (the parser's documented form)."""
    m = _HEADING.match(text.strip())
    assert m, f"unexpected heading {text!r}"
    name = "".join(m.group(2).split())
    return f"{m.group(1)} {name}" if name else m.group(1)


def test_every_law_matches_a_simple_reading(laws):
    assert len(laws) >= 11  # the eleven statutes listed in SOURCE.md
    for path in laws:
        expected = [row[:3] for row in simple_reading(path)]
        parsed = parse_file(path)
        got = [(a.label, a.chapter, a.section) for a in parsed.articles]
        assert len(got) == len(expected), path.name
        assert got == expected, path.name
        numbers = [a.number for a in parsed.articles]
        assert numbers == list(range(1, len(numbers) + 1)), path.name
        assert parsed.title and parsed.title == path.read_text(encoding="utf-8").splitlines()[0][2:].strip()
        assert all(a.text for a in parsed.articles), path.name


@pytest.mark.parametrize("width", [19, 28, 37])
def test_every_law_survives_pdf_style_line_wrapping(laws, width):
    """Wrapped lines that begin with "第X条" (cross-references) must not become articles,
    headings must keep their names, and no text may be lost or moved to another article.
    Only 款 boundaries can differ: a line that ends with 。 at the margin reads as a
    paragraph end."""
    for path in laws:
        expected = simple_reading(path)
        parsed = parse_text(as_pdf_text(path, width))
        got = [(a.label, a.chapter, a.section, a.text.replace("\n", "")) for a in parsed.articles]
        assert [row[:3] for row in got] == [row[:3] for row in expected], (path.name, width)
        for row, want in zip(got, expected):
            assert row[3] == _squash(want[3]), (path.name, width, row[0])


def _squash(text: str) -> str:
    """The parser drops typesetting spaces between Chinese characters."""
    return re.sub(r"(?<=[^\x00-\x7f])[ \u3000]+(?=[^\x00-\x7f])", "", text)


def test_template_file_is_only_a_template(shared_data):
    template = shared_data / LAWS_DIR / TEMPLATE
    if not template.exists():
        pytest.skip(f"{template} is absent")
    text = template.read_text(encoding="utf-8")
    assert "bookHidden" in text and "xxxxx" in text  # placeholders, not a statute


def _law(shared_data: Path, name: str):
    path = shared_data / LAWS_DIR / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return parse_file(path)


def test_company_law_2023_known_facts(shared_data):
    parsed = _law(shared_data, "公司法(2023-12-29).md")
    assert parsed.title == "中华人民共和国公司法"
    assert len(parsed.articles) == 266
    a42 = parsed.article(42)
    assert (a42.chapter, a42.section) == ("第三章 有限责任公司的设立和组织机构", "第一节 设立")
    assert a42.text.startswith("有限责任公司由一个以上五十个以下股东出资设立")
    a100 = parsed.article(100)
    assert (a100.chapter, a100.section) == ("第五章 股份有限公司的设立和组织机构", "第一节 设立")
    last = parsed.article(266)
    assert (last.label, last.chapter, last.section) == ("第二百六十六条", "第十五章 附则", None)
    assert len(last.paragraphs) == 2
    assert last.paragraphs[0].text == "本法自2024年7月1日起施行。"
    assert last.paragraphs[1].text.startswith("本法施行前已登记设立的公司，出资期限超过本法规定的期限的")


def test_shenzhen_data_regulation_has_chapters_and_sections(shared_data):
    parsed = _law(shared_data, "深圳经济特区数据条例(2021-07-06).md")
    assert len(parsed.articles) == 100
    assert (parsed.article(9).chapter, parsed.article(9).section) == ("第二章 个人数据", "第一节 一般规定")
    assert (parsed.article(68).chapter, parsed.article(68).section) == ("第四章 数据要素市场", "第三节 公平竞争")
    assert (parsed.article(100).chapter, parsed.article(100).section) == ("第七章 附则", None)
    two = parsed.article(2)
    assert two.paragraphs[0].text == "本条例中下列用语的含义："
    assert len(two.paragraphs[0].items) == 9 and two.paragraphs[0].items[0].startswith("（一）数据，")


def test_legislation_law_2023_and_spaced_headings(shared_data):
    parsed = _law(shared_data, "立法法(2023-03-13).md")
    assert len(parsed.articles) == 120
    assert (parsed.article(71).chapter, parsed.article(71).section) == ("第二章 法律", "第五节 其他规定")
    assert (parsed.article(72).chapter, parsed.article(72).section) == ("第三章 行政法规", None)
    beijing = _law(shared_data, "北京市机动车停车条例(2021-09-24).md")
    assert len(beijing.articles) == 43
    assert beijing.article(1).chapter == "第一章 总则"  # written "第一章　总　　则"
    assert beijing.article(43).chapter == "第五章 附则"


def test_counts_of_the_version_pairs(shared_data):
    expected = {
        "立法法(2015-03-15).md": 105, "立法法(2023-03-13).md": 120,
        "公司法(2018-10-26).md": 218, "公司法(2023-12-29).md": 266,
        "慈善法(2016-03-16).md": 112, "慈善法(2023-12-29).md": 125,
        "上海市优化营商环境条例(2020-04-10).md": 80, "上海市优化营商环境条例(2024-09-27).md": 97,
        "北京市机动车停车条例(2021-09-24).md": 43, "北京市机动车停车条例(2024-03-29).md": 43,
    }
    for name, count in expected.items():
        assert len(_law(shared_data, name).articles) == count, name
