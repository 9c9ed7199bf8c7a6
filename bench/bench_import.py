"""Streaming import: time and peak memory of importing a large JSONL and a large .xlsx.

Each import runs in a fresh process on a fresh SQLite database, so its peak resident memory
(ru_maxrss of the child) is the import's own. Flat memory means the peak does not grow with
the file.

    .venv/bin/python bench/bench_import.py --jsonl 100000 1000000 --xlsx 100000 500000

prints one JSON line per run and a Markdown table (for bench/RESULTS.md).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEXT = "建议第{a}条增加关于{t}的规定，明确{who}的责任，并对第{b}款的罚款数额作出调整，理由是实际执行中{r}。"
TOPICS = ("电动自行车停放", "充电设施", "头盔佩戴", "外卖骑手管理", "车辆登记", "超标车过渡期")
WHO = ("物业服务企业", "街道办事处", "公安交通管理部门", "生产销售企业", "用人单位")
REASONS = ("难以落实", "群众反映强烈", "标准不统一", "处罚过重", "缺乏配套措施")


def comment(i: int) -> dict[str, object]:
    return {
        "id": f"c{i}",
        "text": TEXT.format(a=i % 60 + 1, t=TOPICS[i % 6], who=WHO[i % 5], b=i % 3 + 1, r=REASONS[i % 5]) + f"（编号{i}）",
        "author": f"市民{i}",
        "contact_point": f"联系点{i % 12 + 1}",
        "articles": [f"第{i % 60 + 1}条"],
    }


def write_jsonl(path: Path, n: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(1, n + 1):
            fh.write(json.dumps(comment(i), ensure_ascii=False) + "\n")


def write_xlsx(path: Path, n: int) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    ws = book.create_sheet("意见征集表")
    ws.append(["序号", "姓名", "联系点", "条款", "修改意见"])
    for i in range(1, n + 1):
        c = comment(i)
        ws.append([i, c["author"], c["contact_point"], c["articles"][0], c["text"]])
    book.save(path)


def run_import(path: Path, stream_above: int | None) -> dict[str, object]:
    """In this process (the child): a fresh database, one import, the figures."""
    from minyi.services.context import SYSTEM, unit_of_work
    from minyi.services.database import upgrade_database
    from minyi.services.intake import import_files
    from models.store import create_consultation

    url = os.environ["MINYI_DATABASE_URL"]
    upgrade_database(url)
    with unit_of_work(url) as s:
        cid = create_consultation(s, title="国家法律草案（征求意见稿）").id
    start = time.perf_counter()
    with unit_of_work(url) as s:
        summary = import_files(s, SYSTEM, cid, [path], stream_above=stream_above)
    seconds = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"file": path.name, "bytes": path.stat().st_size, "imported": summary.imported,
            "seconds": round(seconds, 1), "peak_mib": round(peak_kib / 1024), "rows_per_s": round(summary.imported / seconds)}


def measure(kind: str, n: int, work: Path, stream_above: int | None) -> dict[str, object]:
    path = work / f"{kind}-{n}.{kind}"
    if not path.exists():
        (write_jsonl if kind == "jsonl" else write_xlsx)(path, n)
    db = work / f"{kind}-{n}.sqlite"
    db.unlink(missing_ok=True)
    env = {**os.environ, "MINYI_DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)}
    extra = [] if stream_above is None else ["--stream-above", str(stream_above)]
    out = subprocess.run([sys.executable, __file__, "--child", str(path), *extra], env=env, check=True,
                         capture_output=True, text=True).stdout
    db.unlink(missing_ok=True)
    return {"kind": kind, "rows": n, **json.loads(out.strip().splitlines()[-1]), "load": os.getloadavg()[0]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jsonl", type=int, nargs="*", default=[])
    parser.add_argument("--xlsx", type=int, nargs="*", default=[])
    parser.add_argument("--work", type=Path, default=None, help="where the files are written (default: a temp dir)")
    parser.add_argument("--stream-above", type=int, default=None,
                        help="stream files over this many bytes (default: the importer's own threshold; "
                             "0 streams every file, to compare sizes below it)")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_import(args.child, args.stream_above)))
        return
    work = args.work or Path(tempfile.mkdtemp(prefix="minyi-bench-import-"))
    work.mkdir(parents=True, exist_ok=True)
    rows = []
    for kind, sizes in (("jsonl", args.jsonl), ("xlsx", args.xlsx)):
        for n in sizes:
            rows.append(measure(kind, n, work, args.stream_above))
            print(json.dumps(rows[-1], ensure_ascii=False), flush=True)
    print("\n| file | rows | MiB on disk | time s | rows/s | peak RSS MiB | load avg (1 min) |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['kind']} | {r['rows']:,} | {r['bytes'] / 2**20:.0f} | {r['seconds']} | {r['rows_per_s']:,} "
              f"| {r['peak_mib']} | {r['load']:.1f} |")


if __name__ == "__main__":
    main()
