"""`minyi draft parse` through the CLI: JSON shape, outline, and clean errors."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import docx
import pytest

DRAFTS = Path(__file__).resolve().parent.parent / "pipeline" / "data" / "drafts"
WRAPPED = DRAFTS / "wrapped_draft.txt"

ARTICLE_KEYS = ["number", "suffix", "label", "chapter", "section", "text", "paragraphs"]


def test_json_output_has_the_exact_shape(run_cli):
    r = run_cli("draft", "parse", WRAPPED, "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert list(data) == ["title", "articles"]
    assert data["title"] == "××市电动自行车管理条例（征求意见稿）"
    assert len(data["articles"]) == 9
    for article in data["articles"]:
        assert list(article) == ARTICLE_KEYS
        assert isinstance(article["number"], int)
        assert article["suffix"] in (None, "之一")
        assert isinstance(article["label"], str) and article["label"].startswith("第")
        assert article["chapter"] is None or article["chapter"].startswith("第")
        assert article["section"] is None or isinstance(article["section"], str)
        assert isinstance(article["text"], str) and article["text"]
        for paragraph in article["paragraphs"]:
            assert list(paragraph) == ["text", "items"]
            assert isinstance(paragraph["text"], str)
            assert all(isinstance(item, str) for item in paragraph["items"])
    inserted = data["articles"][5]
    assert (inserted["number"], inserted["suffix"], inserted["label"]) == (5, "之一", "第五条之一")
    assert data["articles"][3]["paragraphs"][0]["items"][0] == "（一）不符合强制性国家标准的；"


def test_outline_prints_chapters_and_articles(run_cli):
    r = run_cli("draft", "parse", WRAPPED)
    assert r.exit_code == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "××市电动自行车管理条例（征求意见稿）"
    for chapter in ("第一章 总则", "第二章 登记与通行", "第三章 法律责任", "第四章 附则"):
        assert any(line.startswith(chapter + "  (") for line in lines), chapter
    assert any(line.strip().startswith("第五条之一  电动自行车销售者") for line in lines)


def test_docx_through_the_cli(run_cli, tmp_path):
    document = docx.Document()
    document.add_paragraph("某某条例（草案）")
    document.add_paragraph("第一章　总则")
    document.add_paragraph("第一条　为了规范管理，制定本条例。")
    path = tmp_path / "草案.docx"
    document.save(path)
    r = run_cli("draft", "parse", path, "--json")
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["title"] == "某某条例（草案）"
    assert data["articles"][0]["chapter"] == "第一章 总则"


def _corrupt_docx(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("word/document.xml", "<not-xml")


BAD_INPUTS = {
    "empty": ("empty.txt", lambda p: p.write_bytes(b"")),
    "binary": ("blob.txt", lambda p: p.write_bytes(bytes(range(256)) * 4)),
    "no-articles": ("notes.txt", lambda p: p.write_text("关于征求意见的通知\n请反馈意见。\n", encoding="utf-8")),
    "undecodable": ("odd.txt", lambda p: p.write_bytes(bytes([0x80, 0xFF, 0xFE, 0x81]) * 40)),
    "missing": ("missing.txt", None),
    "corrupt-docx": ("broken.docx", _corrupt_docx),
    "corrupt-pdf": ("broken.pdf", lambda p: p.write_bytes(b"%PDF-1.4\nnot really\n")),
}


@pytest.mark.parametrize("case", [*BAD_INPUTS, "directory"])
def test_bad_input_gives_one_error_line_and_exit_code_2(run_cli, tmp_path, case):
    if case == "directory":
        path = tmp_path
    else:
        name, make = BAD_INPUTS[case]
        path = tmp_path / name
        if make:
            make(path)
    for args in (("draft", "parse", path), ("draft", "parse", path, "--json")):
        r = run_cli(*args)
        assert r.exit_code == 2, (case, r.stdout, r.stderr, r.exception)
        assert r.stdout == ""
        lines = r.stderr.splitlines()
        assert len(lines) == 1, r.stderr
        assert lines[0].startswith("Error:")
        assert path.name in lines[0]
        assert "Traceback" not in r.stderr
