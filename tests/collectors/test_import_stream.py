"""Large files streamed (collectors.importers.stream): the same records as the whole-file
readers, stored in chunks, and nothing of a file left behind when it fails part-way.

``stream_above=0`` streams these small files, generated here in a second or two."""

from __future__ import annotations

import json
import tracemalloc
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from collectors.importers import open_sources, read_sources
from minyi.core.errors import InputError
from minyi.services.context import Actor
from minyi.services.intake import import_files
from models.entities import Comment, RawRecord, Source
from models.store import create_consultation

OPERATOR = Actor(name="王敏", role="admin")
TEXT = "建议第{n}条增加关于电动自行车停放充电的规定，明确物业责任。"


def write_jsonl(path: Path, n: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(1, n + 1):
            row = {"id": f"c{i}", "text": TEXT.format(n=i % 50 + 1), "author": f"市民{i}", "articles": ["第十二条"]}
            fh.write(("{broken\n" if i == 7 else "") + json.dumps(row, ensure_ascii=False) + "\n")
    return path


def write_form_csv(path: Path, n: int, *, encoding: str = "utf-8-sig", long_line_at: int | None = None) -> Path:
    lines = ["深圳市电动自行车管理条例意见征集表", "序号,姓名,联系电话,条款,修改意见"]
    for i in range(1, n + 1):
        if i == long_line_at:
            lines.append(f"{i},张三,138,第三条," + "长" * 140_000)  # over the csv field limit, no quote
            continue
        opinion = TEXT.format(n=i)
        if i == 5:
            opinion = f'"{opinion}\n第二行也是意见"'  # a comment written over two lines
        lines.append(f"{i},市民{i},1380000{i:04d},第{i % 9 + 1}条,{opinion}")
    path.write_bytes(("\n".join(lines) + "\n").encode(encoding))
    return path


def write_xlsx(path: Path, n: int) -> Path:
    book = Workbook()
    ws = book.active
    ws.title = "意见征集表"
    ws.append(["某某街道立法联系点意见征集表"])
    ws.append(["序号", "姓名", "条款", "修改意见", "提交时间"])
    for i in range(1, n + 1):
        ws.append([i, f"市民{i}", f"第{i % 9 + 1}条" if i != 4 else None, TEXT.format(n=i), "2024-05-01"])
    ws.merge_cells("C3:C4")  # 条款 merged over two opinions: filled down
    hidden = book.create_sheet("补充")
    hidden.append(["姓名", "修改意见"])
    hidden.append(["李四", "第五条的罚款数额过高。"])
    hidden.sheet_state = "hidden"
    book.save(path)
    return path


def write_mbox(path: Path, n: int) -> Path:
    parts = []
    for i in range(1, n + 1):
        parts.append(
            f"From sender{i}@example.cn Mon May  6 10:{i % 60:02d}:00 2024\n"
            f"From: 市民{i} <sender{i}@example.cn>\nSubject: 意见\nMessage-ID: <m{i}@example.cn>\n"
            f"Date: Mon, 6 May 2024 10:00:00 +0800\nContent-Type: text/plain; charset=utf-8\n\n"
            f"{TEXT.format(n=i)}\n>From here on quoted\n\n"
        )
    path.write_bytes("".join(parts).encode("utf-8"))
    return path


def records_of(sources) -> list[tuple]:
    return [
        (s.name, s.fingerprint, r.locator, r.content_hash, json.dumps(r.payload, ensure_ascii=False, sort_keys=True),
         r.error, r.comment.text if r.comment else None)
        for s, records in sources for r in records
    ]


@pytest.mark.parametrize("writer,name,n", [
    (write_jsonl, "comments.jsonl", 1200),
    (write_form_csv, "form.csv", 1200),
    (write_xlsx, "form.xlsx", 700),
    (write_mbox, "letters.mbox", 60),
])
def test_streamed_records_are_those_read_whole(tmp_path, writer, name, n):
    path = writer(tmp_path / name, n)
    streamed = open_sources(path, stream_above=0)
    assert not isinstance(streamed, list)  # really streamed
    streamed_sources = [(s, list(r)) for s, r in streamed]
    whole = read_sources(path)
    assert records_of(streamed_sources) == records_of(whole)
    # What depends on all rows is complete once the records are exhausted.
    assert [s.meta for s, _r in streamed_sources] == [s.meta for s, _r in whole]


@pytest.fixture
def cid(session) -> int:
    c = create_consultation(session, title="电动自行车管理条例（征求意见稿）")
    session.commit()
    return c.id


def counts(session) -> tuple[int, int, int]:
    return tuple(session.scalar(select(func.count()).select_from(t)) for t in (Comment, RawRecord, Source))


def test_streamed_import_stores_in_chunks_and_a_whole_read_recognises_it(session, cid, tmp_path):
    path = write_jsonl(tmp_path / "comments.jsonl", 1200)
    steps: list[tuple] = []
    first = import_files(session, OPERATOR, cid, [path], stream_above=0, progress=lambda *a: steps.append(a))
    session.commit()
    assert (first.imported, first.quarantined) == (1200, 1)
    assert counts(session) == (1200, 1201, 1)
    assert [d for _s, d, _t in steps][1:] == [500, 1000, 1201]  # three chunks, total unknown
    again = import_files(session, OPERATOR, cid, [path])  # read whole this time
    assert (again.imported, again.skipped) == (0, 1201)


def test_a_csv_unreadable_part_way_leaves_nothing_and_names_the_line(session, cid, tmp_path):
    path = write_form_csv(tmp_path / "form.csv", 1500, long_line_at=1200)
    steps: list[tuple] = []
    with pytest.raises(InputError, match=r"form\.csv: not a readable CSV file \(line 1203\)"):
        import_files(session, OPERATOR, cid, [path], stream_above=0, progress=lambda *a: steps.append(a))
    assert steps[-1][1] >= 1000  # two chunks were stored before the failure …
    session.rollback()
    assert counts(session) == (0, 0, 0)  # … and none of them stays


def test_a_workbook_broken_part_way_leaves_nothing_and_names_the_row(session, cid, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", 1500)
    broken = tmp_path / "broken.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                cut = data.index(b'<row r="1300"')
                data = data[:cut] + b"<row r=\"1300\"><c r=\"A1300\"><v>1</broken>"  # truncated mid-sheet
            dst.writestr(info, data)
    with pytest.raises(InputError, match=r"broken\.xlsx: cannot be read after sheet=意见征集表;row=1299"):
        import_files(session, OPERATOR, cid, [broken], stream_above=0)
    session.rollback()
    assert counts(session) == (0, 0, 0)


def test_streaming_memory_does_not_grow_with_the_file(tmp_path):
    def peak(n: int) -> int:
        path = write_jsonl(tmp_path / f"c{n}.jsonl", n)
        tracemalloc.start()
        for _source, records in open_sources(path, stream_above=0):
            for _r in records:
                pass
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(5_000), peak(25_000)
    assert large < small * 1.5  # five times the rows, about the same peak


def test_a_workbook_is_streamed_by_what_it_unpacks_to_and_a_padded_one_is_not(tmp_path):
    from collectors.importers.stream import streamed_kind

    form = write_xlsx(tmp_path / "form.xlsx", 3000)
    on_disk = form.stat().st_size
    with zipfile.ZipFile(form) as z:
        unpacked = sum(i.file_size for i in z.infolist())
    assert unpacked > 3 * on_disk
    # Small on disk, large unpacked: streamed (memory stays flat however many rows).
    assert streamed_kind(form, stream_above=on_disk * 2) == "xlsx"
    assert streamed_kind(form, stream_above=unpacked) is None
    # A workbook padded to explode is left to the whole-file reader, which refuses it.
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(form.read_bytes())
    with zipfile.ZipFile(bomb, "a", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/padding.bin", b"\0" * (200 * on_disk))
    assert streamed_kind(bomb, stream_above=on_disk) is None
