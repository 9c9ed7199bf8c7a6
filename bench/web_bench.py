"""Review application benchmark: server time of the article view, the review queue and a
cluster page on a large consultation (p95 < 300 ms at 100k comments), and 20 concurrent
reviewers working one consultation for a minute without an error.

1. Builds (or reuses, ``--db``) an analysed consultation of N synthetic comments
   (``bench/generate.py``, the sample draft, ``--backend tfidf`` by default).
2. Server time: each page requested ``--repeat`` times in-process (Starlette's TestClient,
   no network), p50 / p95 / max in milliseconds.
3. Load: ``minyi serve`` on 127.0.0.1 (loopback only), ``--reviewers`` threads each logged in
   as its own reviewer, for ``--seconds`` (and at most ``--max-requests`` each): read the
   article view, the queue, a cluster; save the cluster's consolidated opinion with the
   version it read. A 409 (someone else saved first) is the expected answer to a stale edit,
   not an error; any 5xx, connection failure or other 4xx is.

Usage: ``.venv/bin/python bench/web_bench.py --comments 100000 --json bench/web_results.json``
(``--db /tmp/web-bench.db`` keeps the analysed database for the next run). Figures go into
bench/RESULTS.md, section "Review application".
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

SECRET = "bench-secret-key-for-the-review-application"
PASSWORD = "bench password"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def build(db: Path, comments: int, backend: str) -> int:
    """An analysed consultation of ``comments`` synthetic comments; returns its id."""
    from generate import generate

    from minyi.services import accounts, analysis, consultations, intake
    from minyi.services.context import SYSTEM, unit_of_work
    from models.db import upgrade

    url = f"sqlite:///{db}"
    upgrade(url)
    with unit_of_work(url) as s:
        cid = consultations.create_consultation(
            s, SYSTEM, title="基准测试条例（征求意见稿）", contact_point="基准联系点",
            draft=REPO / "samples" / "ebike" / "draft.md",
        ).id
    data = db.with_suffix(".jsonl")
    with data.open("w", encoding="utf-8") as f:
        for row in generate(comments, seed=7):
            row.pop("gold", None)
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    with unit_of_work(url) as s:
        intake.import_files(s, SYSTEM, cid, [data], channel="forum", contact_point="基准联系点")
    with unit_of_work(url) as s:
        analysis.analyze(s, SYSTEM, cid, backend=backend)
    with unit_of_work(url) as s:
        for i in range(40):
            accounts.add_user(s, SYSTEM, f"reviewer{i}", "reviewer", password=PASSWORD)
    return cid


def login(client, name: str) -> str:  # type: ignore[no-untyped-def]
    token = CSRF.search(client.get("/login").text).group(1)
    response = client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": token},
                           follow_redirects=False)
    if response.status_code != 303:
        raise RuntimeError(f"login of {name} failed: {response.status_code}")
    return CSRF.search(client.get("/consultations").text).group(1)


def pages(db_url: str, cid: int) -> dict[str, str]:
    import sqlite3

    path = db_url.removeprefix("sqlite:///")
    con = sqlite3.connect(path)
    cluster = con.execute("select id from cluster where consultation_id = ? order by size desc limit 1", (cid,)).fetchone()[0]
    article = con.execute("""select provision_id from cluster where consultation_id = ? and provision_id is not null
                             group by provision_id order by count(*) desc limit 1""", (cid,)).fetchone()[0]
    con.close()
    return {
        "article view (whole draft)": f"/c/{cid}/articles",
        "article view (one article)": f"/c/{cid}/articles?article={article}",
        "search (头盔)": f"/c/{cid}/articles?q=头盔",
        "search, no match (every comment read)": f"/c/{cid}/articles?q=无此词语",
        "review queue": f"/c/{cid}/queue",
        "consultation page": f"/c/{cid}",
        "consultations list": "/consultations",
        "statistics": "/stats",
        "cluster page (largest), last page": f"/clusters/{cluster}?page=999",
        "cluster page (largest)": f"/clusters/{cluster}",
    }


def server_times(db_url: str, cid: int, repeat: int) -> dict[str, dict[str, float]]:
    from fastapi.testclient import TestClient

    from minyi.core.settings import load_settings
    from web.app import create_app

    app = create_app(load_settings(database_url=db_url, web={"secret_key": SECRET}))
    out = {}
    with TestClient(app) as client:
        login(client, "reviewer0")
        for name, url in pages(db_url, cid).items():
            client.get(url)  # warm caches
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            times.sort()
            out[name] = {"p50": round(statistics.median(times), 1),
                         "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 1), "max": round(times[-1], 1),
                         "bytes": len(response.content)}
            print(f"{name:32s} p50 {out[name]['p50']:7.1f} ms  p95 {out[name]['p95']:7.1f} ms", flush=True)
    return out


def load(db_url: str, cid: int, reviewers: int, seconds: float, max_requests: int) -> dict[str, int]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "MINYI_DATABASE_URL": db_url, "MINYI_WEB__SECRET_KEY": SECRET}
    server = subprocess.Popen([sys.executable, "-m", "minyi", "serve", "--host", "127.0.0.1", "--port", str(port)],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            time.sleep(0.2)
    # What a reviewer working the consultation opens (statistics and the consultation list
    # are measured above, not part of the reviewers' loop).
    urls = [url for name, url in pages(db_url, cid).items() if name not in ("statistics", "consultations list")]
    cluster_url = urls[-1]
    counts = {"requests": 0, "conflicts": 0, "saves": 0, "errors": 0}
    lock = threading.Lock()
    errors: list[str] = []

    def reviewer(i: int) -> None:
        rng = random.Random(i)
        with httpx.Client(base_url=base, timeout=60) as client:
            csrf = login(client, f"reviewer{i}")
            deadline = time.monotonic() + seconds
            done = 0
            while time.monotonic() < deadline and done < max_requests:
                done += 1
                try:
                    if rng.random() < 0.2:
                        page = client.get(cluster_url).text
                        version = re.search(r'name="version" value="(\d+)"', page).group(1)
                        response = client.post(cluster_url + "/update", data={
                            "csrf_token": csrf, "version": version, "opinion": f"审阅人{i}的意见{done}",
                        }, follow_redirects=False)
                        status = response.status_code
                        with lock:
                            counts["saves"] += status == 303
                            counts["conflicts"] += status == 409
                        ok = status in (303, 409)
                    else:
                        status = client.get(rng.choice(urls)).status_code
                        ok = status == 200
                except Exception as exc:  # a refused connection, a timeout
                    ok, status = False, repr(exc)
                with lock:
                    counts["requests"] += 1
                    if not ok:
                        counts["errors"] += 1
                        errors.append(str(status))

    threads = [threading.Thread(target=reviewer, args=(i,)) for i in range(reviewers)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    counts["seconds"] = round(time.monotonic() - start, 1)
    server.terminate()
    server.wait(timeout=60)
    if errors:
        print("errors:", errors[:10], flush=True)
    print(f"load: {counts}", flush=True)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--comments", type=int, default=100_000)
    parser.add_argument("--db", type=Path, default=None, help="Analysed database to reuse or build (SQLite file).")
    parser.add_argument("--backend", default="tfidf")
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--reviewers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--max-requests", type=int, default=2000, help="Per reviewer: the loop is bounded.")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    db = args.db or Path(f"/tmp/minyi-web-bench-{args.comments}.db")
    if db.exists():
        import sqlite3

        from models.db import upgrade

        upgrade(f"sqlite:///{db}")  # a database built by an earlier version: today's schema
        cid = sqlite3.connect(db).execute("select max(id) from consultation").fetchone()[0]
    else:
        start = time.perf_counter()
        cid = build(db, args.comments, args.backend)
        print(f"built {args.comments} comments in {time.perf_counter() - start:.0f} s", flush=True)
    url = f"sqlite:///{db}"
    result = {"comments": args.comments, "server_ms": server_times(url, cid, args.repeat),
              "load": load(url, cid, args.reviewers, args.seconds, args.max_requests)}
    if args.json:
        args.json.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
