"""The analysis on 1 vs 2 single-threaded Dask workers (issue 14), on the same data.

One synthetic consultation (``bench/generate.py``) is imported once into a SQLite file;
each mode analyses a fresh copy of that file, so every mode starts from nothing analysed
and an empty embedding cache:

- ``in-process``: ``analyze(...)`` as ``minyi analyze`` runs it by default;
- ``1 worker`` / ``2 workers``: ``analyze(..., workers=N)`` (a ``LocalCluster`` of N
  single-threaded processes; its start-up is included in the time).

Prints a Markdown table (total and the stages the workers take part in: read, i.e.
normalise + mask + split, embed, cluster; mapping and dedup embed through them too; dedup
runs in the driver) with the 1-minute load average before each run, and the 2 : 1
speed-up. The three results are also compared (suggestions, groups, clusters counts).

Usage: ``.venv/bin/python bench/bench_distributed.py --n 10000 --backend use --work /tmp/minyi-bench-dist``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))


def prepare(n: int, seed: int, work: Path) -> tuple[Path, int]:
    """The imported, not yet analysed consultation: (SQLite file, consultation id)."""
    from generate import generate
    from minyi.core.records import CommentIn, RecordIn, SourceIn
    from models.db import dispose_engines, session_scope, upgrade
    from models.ingest import ingest
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    path = work / f"imported-{n}-{seed}.db"
    if path.exists():
        path.unlink()
    url = f"sqlite:///{path}"
    upgrade(url)
    with session_scope(url) as session:
        c = create_consultation(session, title=f"合成征求意见 {n}", contact_point="基准测试联系点")
        load_draft_version(session, c.id, parse_file(REPO / "samples" / "ebike" / "draft.md"))
        records = (
            RecordIn(
                origin="synthetic.jsonl", locator=f"id={r['id']}", payload={"id": r["id"], "text": r["text"]},
                raw_text=r["text"],
                comment=CommentIn(text=r["text"], author_name=r["author"], external_id=r["id"], channel=r["channel"]),
            )
            for r in generate(n, seed)
        )
        ingest(session, c.id, SourceIn(channel="forum", name="synthetic.jsonl", fingerprint=f"dist-{n}-{seed}"), records)
        cid = c.id
    dispose_engines()  # checkpoints SQLite's WAL: the copies hold everything
    return path, cid


def run(mode: str, workers: int | None, imported: Path, cid: int, backend: str, work: Path) -> dict:
    from models.db import dispose_engines, session_scope
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM

    path = work / f"{mode.replace(' ', '-')}.db"
    shutil.copyfile(imported, path)
    load = os.getloadavg()[0]
    t = time.perf_counter()
    with session_scope(f"sqlite:///{path}") as session:
        summary = analyze(session, SYSTEM, cid, backend=backend, workers=workers)
    seconds = time.perf_counter() - t
    dispose_engines()
    return {"mode": mode, "seconds": seconds, "load": load, "stages": summary.seconds,
            "result": (summary.suggestions, summary.duplicate_groups, summary.clusters, summary.clustered)}


def table(rows: list[dict]) -> str:
    lines = [
        "| mode | total s | read s | embed s | map_semantic s | dedup s | cluster s "
        "| suggestions / groups / clusters | load avg (1 min) |",
        "|---|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    for r in rows:
        st = r["stages"]
        # Normalising, masking and splitting: the workers' seconds (summed over them) and
        # this process's storing.
        read = sum(st.get(k, 0) for k in ("normalise", "mask", "split"))
        lines.append(
            f"| {r['mode']} | {r['seconds']:.1f} | {read:.1f} | {st.get('embed', 0):.1f} "
            f"| {st.get('map_semantic', 0):.1f} | {st.get('dedup', 0):.1f} | {st.get('cluster', 0):.1f} "
            f"| {' / '.join(str(x) for x in r['result'][:3])} | {r['load']:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--backend", default="use")
    parser.add_argument("--work", type=Path, default=Path("/tmp/minyi-bench-dist"))
    args = parser.parse_args(argv)
    args.work.mkdir(parents=True, exist_ok=True)
    imported, cid = prepare(args.n, args.seed, args.work)
    rows = [run(mode, w, imported, cid, args.backend, args.work)
            for mode, w in (("in-process", None), ("1 worker", 1), ("2 workers", 2))]
    print(table(rows))
    one, two = rows[1]["seconds"], rows[2]["seconds"]
    print(f"\n2 workers : 1 worker = {one / two:.2f}x; identical results: "
          f"{len({r['result'] for r in rows}) == 1}")


if __name__ == "__main__":
    main()
