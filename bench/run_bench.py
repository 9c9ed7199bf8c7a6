"""Benchmarks: the whole analysis (minyi.services.analysis.analyze) on synthetic consultations, and our
clustering against BERTopic on the same embeddings.

    .venv/bin/python bench/run_bench.py                       # 10k and 100k, backend use
    .venv/bin/python bench/run_bench.py --sizes 10000 --bertopic 10000
    .venv/bin/python bench/run_bench.py --no-write --sizes 2000   # a quick look

Each size runs in its own process (so its peak memory, ru_maxrss, is its own): generate the
comments (bench/generate.py), create a SQLite database, load samples/ebike/draft.md, ingest
the comments (models.ingest), then time ``analyze`` end to end; the per-stage seconds are
the orchestrator's own (RunSummary.seconds). Figures go to bench/RESULTS.md ("Benchmark",
"Clustering vs BERTopic").
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

GiB = 1024**3
CHILDREN_EVERY = 25  # PeakRss lists the process's children every 25 samples (5 s)
RAW = Path(__file__).resolve().parent / "e2e_results.json"  # raw figures behind RESULTS.md


class PeakRss:
    """Samples the resident memory (psutil) of the process and its children (the local
    processes that read, score and cluster beside it: ``pipeline.local_processes``) every
    0.2 s; the process's own ru_maxrss is the final say when it is higher.

    Used as the analysis' progress callback, it also keeps the peak seen during each stage
    (``by_stage``, GiB): the stage most recently reported is the one running."""

    def __init__(self) -> None:
        import psutil

        self.proc, self.peak, self.stop = psutil.Process(), 0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.children: list = []  # psutil.Process of each child, listed every CHILDREN_EVERY samples
        self.samples = 0
        self.stage: str | None = None
        self.stage_peak: dict[str, int] = {}
        self.timeline: list[tuple[float, str]] = []  # (epoch seconds, stage starting then)

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if stage not in self.stage_peak:  # a line per stage on stderr, so a run of an hour can be followed
            print(f"{time.strftime('%H:%M:%S')} {stage} (rss {self.proc.memory_info().rss / GiB:.2f} GiB)",
                  file=sys.stderr, flush=True)
        if stage != self.stage:
            self.timeline.append((time.time(), stage))
            self.stage = stage
            self._sample(list_children=True)  # a stage may start or end the local processes

    def stage_at(self, epoch: float) -> str | None:
        return next((stage for at, stage in reversed(self.timeline) if at <= epoch), None)

    def _sample(self, list_children: bool = False) -> None:
        import psutil

        # Listing the children reads every process's /proc/PID/stat (psutil's ppid_map): done
        # every 0.2 s, that took about a tenth of the analysing process's time at 100k
        # (py-spy, 2026-12-04), so the sampler itself slowed what it measured. The local
        # processes live for whole stages; their memory is still read every 0.2 s.
        self.samples += 1
        if list_children or self.samples % CHILDREN_EVERY == 0:
            self.children = self.proc.children(recursive=True)
        rss = self.proc.memory_info().rss
        for child in self.children:
            try:
                rss += child.memory_info().rss
            except psutil.Error:  # ended between the listing and the reading
                pass
        self.peak = max(self.peak, rss)
        if self.stage is not None:
            self.stage_peak[self.stage] = max(self.stage_peak.get(self.stage, 0), rss)

    @property
    def by_stage(self) -> dict[str, float]:
        return {k: round(v / GiB, 2) for k, v in self.stage_peak.items()}

    def _run(self) -> None:
        while not self.stop.is_set():
            self._sample()
            self.stop.wait(0.2)

    def __enter__(self) -> PeakRss:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


# Another writer, as a reviewer's edit is one: every second a short write transaction on
# the same SQLite file from its own process; one line "<epoch> <seconds waited>" per write.
PROBE = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], timeout=3600, isolation_level=None)
with open(sys.argv[2], "a") as out:
    while True:
        t = time.time()
        conn.execute("BEGIN IMMEDIATE")
        waited = time.time() - t
        conn.execute("CREATE TABLE IF NOT EXISTS bench_writer_probe (at REAL, waited REAL)")
        conn.execute("INSERT INTO bench_writer_probe VALUES (?, ?)", (t, waited))
        conn.execute("COMMIT")
        out.write(f"{t} {waited}\\n")
        out.flush()
        time.sleep(1)
"""


class WriterProbe:
    """How long another writer waits while the analysis runs (issue 14: "other writers are
    never blocked for more than a second or two")."""

    def __init__(self, database: Path, log: Path) -> None:
        self.database, self.log = database, log

    def __enter__(self) -> WriterProbe:
        self.log.unlink(missing_ok=True)
        self.proc = subprocess.Popen([sys.executable, "-c", PROBE, str(self.database), str(self.log)])
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.kill()
        self.proc.wait()

    def report(self, stage_at) -> dict:  # type: ignore[no-untyped-def]
        writes = [tuple(map(float, line.split())) for line in self.log.read_text().splitlines() if line.strip()]
        if not writes:
            return {}
        waits = sorted(w for _t, w in writes)
        worst_at, worst = max(writes, key=lambda tw: tw[1])
        return {"writes": len(writes), "max_s": round(worst, 2), "max_in_stage": stage_at(worst_at),
                "p99_s": round(waits[min(len(waits) - 1, int(0.99 * len(waits)))], 2),
                "over_2s": sum(1 for w in waits if w > 2)}


def max_rss_bytes() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


# --- one end-to-end run ---------------------------------------------------------------


class ModelClock:
    """Seconds and texts inside the embedding backend's own forward pass (the embedder's
    ``_encode``) during a run: the backend's throughput on exactly the run's texts."""

    def __init__(self) -> None:
        self.seconds, self.texts = 0.0, 0

    def __enter__(self) -> ModelClock:
        from pipeline import embed

        self._classes = [c for c in vars(embed).values() if isinstance(c, type) and "_encode" in vars(c)]
        self._saved = {c: c._encode for c in self._classes}
        clock = self

        def wrap(inner):  # type: ignore[no-untyped-def]
            def timed(self, texts):  # type: ignore[no-untyped-def]
                _load_model(self)  # loading the weights is not throughput
                t = time.perf_counter()
                try:
                    return inner(self, texts)
                finally:
                    clock.seconds += time.perf_counter() - t
                    clock.texts += len(texts)
            return timed

        for c in self._classes:
            c._encode = wrap(c._encode)
        return self

    def __exit__(self, *exc: object) -> None:
        for c, f in self._saved.items():
            c._encode = f


def _load_model(embedder: object) -> None:
    """Touch a lazily loaded model's parts (USE loads its weights on first use)."""
    model = getattr(embedder, "_model", None)
    for part in ("_model", "_tokenizer"):
        getattr(model, part, None)


def _ingest_generated(session, cid: int, rows: list[dict], fingerprint: str):  # type: ignore[no-untyped-def]
    from minyi.core.records import CommentIn, RecordIn, SourceIn
    from models.ingest import ingest

    records = (
        RecordIn(
            origin="synthetic.jsonl",
            locator=f"id={r['id']}",
            payload={k: r[k] for k in ("id", "text", "author", "contact", "submitted_at")},
            raw_text=r["text"],
            comment=CommentIn(
                text=r["text"],
                author_name=r["author"],
                author_contact=r["contact"],
                external_id=r["id"],
                channel=r["channel"],
            ),
        )
        for r in rows
    )
    return ingest(session, cid, SourceIn(channel="forum", name="synthetic.jsonl", fingerprint=fingerprint), records)


def run_end_to_end(n: int, backend: str, workdir: Path, seed: int = 0, incremental: int = 0) -> dict:
    from generate import generate
    from minyi.core.settings import reset_settings
    from models.db import session_scope, upgrade
    from models.store import create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM

    out: dict = {"n": n, "backend": backend, "code": _commit_id(), "seconds": {}}
    url = f"sqlite:///{workdir / f'bench-{n}.db'}"
    os.environ["MINYI_DATABASE_URL"] = url
    reset_settings()
    t = time.perf_counter()
    rows = generate(n, seed)
    out["seconds"]["generate"] = round(time.perf_counter() - t, 2)
    upgrade(url)
    with PeakRss() as sampler:
        t = time.perf_counter()
        with session_scope(url) as session:
            c = create_consultation(session, title=f"合成征求意见 {n}", contact_point="基准测试联系点")
            load_draft_version(session, c.id, parse_file(REPO / "samples" / "ebike" / "draft.md"))
            summary = _ingest_generated(session, c.id, rows, f"bench-{n}-{seed}")
            cid = c.id
        out["seconds"]["ingest"] = round(time.perf_counter() - t, 2)
        out["ingested"] = summary.imported
        t = time.perf_counter()
        gold = single_point_gold(rows)
        del rows  # the generator's million dicts are not the analysis' memory
        probe = WriterProbe(workdir / f"bench-{n}.db", workdir / f"writer-probe-{n}.log")
        with session_scope(url) as session, ModelClock() as model, probe:
            result = analyze(session, SYSTEM, cid, backend=backend, progress=sampler)
        sampler("feedback", 0, None)
        out["seconds"]["analyze_total"] = round(time.perf_counter() - t, 2)
        model_seconds, model_texts = model.seconds, model.texts
        t = time.perf_counter()
        with session_scope(url) as session:
            from minyi.services.documents import feedback_document

            feedback_document(session, SYSTEM, cid, "docx", workdir / f"feedback-{n}.docx")
        out["seconds"]["feedback"] = round(time.perf_counter() - t, 2)
    out["stages"] = result.seconds
    out["embedding"] = embedding_efficiency(url, backend, result.seconds.get("embed"), model_seconds, model_texts)
    out["summary"] = {
        k: v for k, v in result.to_dict().items() if isinstance(v, int) and k not in ("run_id", "consultation_id")
    }
    out["peak_rss_gib"] = round(max(max_rss_bytes(), sampler.peak) / GiB, 3)
    out["stage_rss_gib"] = sampler.by_stage
    out["writer_wait"] = probe.report(sampler.stage_at)
    out["quality"] = mapping_quality(url, cid, gold)
    if incremental:
        # The main figures first, so a batch that has to be stopped does not take them with it.
        print("RESULT-BEFORE-BATCH " + json.dumps(out, ensure_ascii=False), file=sys.stderr, flush=True)
        out["incremental"] = add_batch(url, cid, incremental, backend, n)
    return out


def run_batch_on(database: Path, n: int, backend: str, workdir: Path) -> dict:
    """A batch of ``n`` new comments analysed on its own, on a copy of an analysed database
    (``database``: one a ``--one`` run left, or any analysed consultation): the batch figure
    without analysing the consultation again first. The consultation with the most comments
    takes the batch."""
    import shutil

    from sqlalchemy import func, select

    from minyi.core.settings import reset_settings
    from models.db import session_scope, upgrade
    from models.entities import Comment

    copy = workdir / "batch-on.db"
    shutil.copyfile(database, copy)
    url = f"sqlite:///{copy}"
    os.environ["MINYI_DATABASE_URL"] = url
    reset_settings()
    upgrade(url)
    with session_scope(url) as session:
        cid, analysed = session.execute(
            select(Comment.consultation_id, func.count()).group_by(Comment.consultation_id)
            .order_by(func.count().desc()).limit(1)
        ).one()
    return {"n": int(analysed), "backend": backend, "code": _commit_id(), "batch_only": True,
            "analysed_in": database.name, "incremental": add_batch(url, cid, n, backend, int(analysed))}


def _commit_id() -> str:
    """The checkout's commit, so a row of the table says which code it measured."""
    proc = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short=7", "HEAD"], capture_output=True, text=True)
    return proc.stdout.strip() or "?"


def add_batch(url: str, cid: int, n: int, backend: str, offset: int) -> dict:
    """A new batch of ``n`` comments on the analysed consultation, analysed on its own: the
    time should follow the batch, not the consultation."""
    from generate import generate
    from minyi.services.analysis import analyze
    from minyi.services.context import SYSTEM
    from models.db import session_scope

    rows = generate(n, seed=1)
    for r in rows:  # the generator numbers from 1 each time: new ids, new comments
        r["id"] = f"batch-{offset}-{r['id']}"
        r["text"] = r["text"] + "（补充）"
    t = time.perf_counter()
    with session_scope(url) as session:
        imported = _ingest_generated(session, cid, rows, f"bench-batch-{offset}-{n}").imported
    ingest_s = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    with session_scope(url) as session:
        result = analyze(session, SYSTEM, cid, backend=backend)
    return {"n": n, "imported": imported, "ingest": ingest_s, "analyze_total": round(time.perf_counter() - t, 2),
            "stages": result.seconds, "suggestions": result.suggestions,
            "dedup_compared": result.dedup_compared}


def embedding_efficiency(url: str, backend: str, embed_seconds: float | None,
                         model_seconds: float = 0.0, model_texts: int = 0) -> dict:
    """Texts the run embedded per second (its embed stage over the texts in the fresh
    database's embedding cache) against the backend's own throughput on the same texts in
    the same run (``model``: its forward passes, timed inside the backend), and, for
    reference, on 2,950 of the run's suggestions spread over the consultation, measured
    after the run (a new embedder, no cache)."""
    from sqlalchemy import func, select

    from minyi.core.settings import get_settings
    from models.db import session_scope
    from models.embedding_store import count_embeddings
    from models.entities import Suggestion
    from pipeline.embed import get_embedder

    with session_scope(url) as session:
        texts = int(count_embeddings(session))
        total = int(session.scalar(select(func.count()).select_from(Suggestion)) or 0)
        step = max(1, total // 3000)
        sample = list(session.scalars(
            select(Suggestion.masked_text).where(Suggestion.id % step == 0).order_by(Suggestion.id).limit(3000)
        ))
    embedder = get_embedder(backend, get_settings().pipeline)
    embedder.encode(sample[:50])  # load the model
    fresh = [t + " " for t in sample[50:]]  # not in any memo
    t = time.perf_counter()
    embedder.encode(fresh)
    backend_rate = len(fresh) / (time.perf_counter() - t)
    run_rate = texts / embed_seconds if embed_seconds else None
    model_rate = model_texts / model_seconds if model_seconds else None
    return {"texts": texts, "run_per_s": round(run_rate) if run_rate else None,
            "model_texts": model_texts, "model_per_s": round(model_rate) if model_rate else None,
            "share": round(run_rate / model_rate, 2) if run_rate and model_rate else None,
            "sample_per_s": round(backend_rate)}


def single_point_gold(rows: list[dict]) -> dict[str, tuple[bool, frozenset[int]]]:
    """External id → (cited explicitly, gold articles), for comments making one point on
    articles."""
    return {
        r["id"]: (bool(point["explicit"]), frozenset(point["articles"]))
        for r in rows
        if len(r["gold"]["points"]) == 1 and (point := r["gold"]["points"][0])["articles"]
    }


def mapping_quality(url: str, cid: int, gold: dict[str, tuple[bool, frozenset[int]]]) -> dict:
    """Top-link accuracy of single-point comments against the generator's gold articles."""
    from sqlalchemy import select

    from models.db import session_scope
    from models.entities import Comment, Provision, Suggestion, SuggestionProvision

    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    with session_scope(url) as session:
        q = (
            select(Comment.external_id, Suggestion.id, SuggestionProvision.method, SuggestionProvision.score, Provision.number)
            .join(Suggestion, Suggestion.comment_id == Comment.id)
            .join(SuggestionProvision, SuggestionProvision.suggestion_id == Suggestion.id, isouter=True)
            .join(Provision, Provision.id == SuggestionProvision.provision_id, isouter=True)
            .where(Comment.consultation_id == cid)
        )
        best: dict[str, tuple[float, int | None]] = {}
        for ext, _sid, _method, score, number in session.execute(q):
            if ext not in gold:
                continue
            if number is not None and (ext not in best or (score or 0) > best[ext][0]):
                best[ext] = (score or 0, number)
            best.setdefault(ext, (0.0, None))
    for ext, (explicit, articles) in gold.items():
        if ext not in best:
            continue
        kind = "explicit" if explicit else "reference-free"
        stats[kind][1] += 1
        stats[kind][0] += int(best[ext][1] in articles)
    return {k: round(v[0] / v[1], 3) for k, v in stats.items() if v[1]}


# --- clustering vs BERTopic ------------------------------------------------------------


def cluster_comparison(n: int, backend: str, seed: int = 0) -> dict:
    """Our per-scope clustering and BERTopic on the same embeddings of ``n`` generated
    single-point comments; ARI/NMI against the generator's topics (the proposals)."""
    import numpy as np
    from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

    from generate import generate
    from minyi.core.settings import PipelineSettings
    from pipeline.cluster import cluster_scope
    from pipeline.embed import get_embedder

    rows = [r for r in generate(n, seed) if len(r["gold"]["points"]) == 1]
    texts = [r["text"] for r in rows]
    topics = [r["gold"]["points"][0]["topic"] for r in rows]
    scopes = [",".join(map(str, r["gold"]["points"][0]["articles"])) or "general" for r in rows]
    settings = PipelineSettings(embedding_backend=backend)
    embedder = get_embedder(backend, settings)
    t = time.perf_counter()
    emb = embedder.encode(texts)
    out: dict = {"n": len(texts), "topics": len(set(topics)), "embed_seconds": round(time.perf_counter() - t, 1)}

    def ours(per_scope: bool, method: str) -> list[str]:
        labels = [""] * len(texts)
        groups = defaultdict(list)
        for i, s in enumerate(scopes if per_scope else ["all"] * len(texts)):
            groups[s].append(i)
        for scope, idx in groups.items():
            for k, c in enumerate(cluster_scope([texts[i] for i in idx], emb[idx], method=method,
                                                settings=settings)):
                for m in c.members:
                    labels[idx[m]] = f"{scope}/{k}"
        return labels

    def score(name: str, labels, seconds: float) -> None:
        out[name] = {
            "seconds": round(seconds, 1),
            "clusters": len(set(labels)),
            "ARI": round(adjusted_rand_score(topics, labels), 3),
            "NMI": round(normalized_mutual_info_score(topics, labels), 3),
        }

    for name, per_scope, method in (
        ("ours_agglomerative_per_article", True, "agglomerative"),
        ("ours_hdbscan_per_article", True, "hdbscan"),
        ("ours_agglomerative_global", False, "agglomerative"),
    ):
        t = time.perf_counter()
        labels = ours(per_scope, method)
        score(name, labels, time.perf_counter() - t)
    try:
        from bertopic import BERTopic
        from sklearn.feature_extraction.text import CountVectorizer

        from pipeline.semantic import tokenize
    except ImportError as exc:
        out["bertopic"] = f"not installed: {exc}"
        return out
    t = time.perf_counter()
    model = BERTopic(
        vectorizer_model=CountVectorizer(tokenizer=tokenize, token_pattern=None, lowercase=False),
        calculate_probabilities=False,
        verbose=False,
    )
    labels, _ = model.fit_transform(texts, np.asarray(emb))
    # BERTopic's -1 is its outlier bin; scored as one cluster, as a reviewer would see it.
    score("bertopic", [str(x) for x in labels], time.perf_counter() - t)
    out["bertopic"]["outliers"] = int(sum(1 for x in labels if x == -1))
    return out


# --- driver ---------------------------------------------------------------------------


def _child(args: argparse.Namespace) -> None:
    if args.batch_on:
        with tempfile.TemporaryDirectory(prefix="minyi-bench-") as tmp:
            result = run_batch_on(Path(args.batch_on), args.incremental or 10_000, args.backend, Path(tmp))
    elif args.one_kind == "e2e":
        with tempfile.TemporaryDirectory(prefix="minyi-bench-") as tmp:
            result = run_end_to_end(args.one, args.backend, Path(tmp), incremental=args.incremental)
    else:
        result = cluster_comparison(args.one, args.backend)
    print("RESULT " + json.dumps(result, ensure_ascii=False))


def _spawn(kind: str, n: int, backend: str, incremental: int = 0, batch_on: str | None = None) -> dict:
    cmd = [sys.executable, __file__, "--one", str(n), "--one-kind", kind, "--backend", backend,
           "--incremental", str(incremental)] + (["--batch-on", batch_on] if batch_on else [])
    proc = subprocess.run(cmd, capture_output=True, text=True)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    if proc.returncode != 0 or line is None:
        tail = "\n".join(proc.stderr.splitlines()[-15:])
        return {"n": n, "error": f"exit {proc.returncode}: {tail}"}
    return json.loads(line[len("RESULT ") :])


def e2e_table(results: list[dict]) -> str:
    stages = sorted({s for r in results for s in r.get("stages", {})}, key=_stage_order)
    head = ("| comments | code | generate s | ingest s | " + " | ".join(f"{s} s" for s in stages)
            + " | analyze total s | feedback .docx s | peak RSS GiB | embedded texts/s (backend's own; share) |")
    rows = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in results:
        if r.get("batch_only"):
            continue
        if "error" in r:
            rows.append(f"| {r['n']:,} | error: {r['error'][:200]} |")
            continue
        cells = [f"{r['n']:,}", r.get("code", ""), str(r["seconds"]["generate"]), str(r["seconds"]["ingest"])]
        cells += [str(r["stages"].get(s, "")) for s in stages]
        e = r.get("embedding") or {}
        cells += [str(r["seconds"]["analyze_total"]), str(r["seconds"].get("feedback", "")), str(r["peak_rss_gib"]),
                  f"{e.get('run_per_s', '')} ({e.get('model_per_s', '')}; {e.get('share', '')})" if e else ""]
        rows.append("| " + " | ".join(cells) + " |")
    details = "\n".join(
        f"- {r['n']:,} ({r.get('code', '')}): summary {json.dumps(r.get('summary', {}), ensure_ascii=False)}; "
        f"top-link accuracy vs generator gold {json.dumps(r.get('quality', {}), ensure_ascii=False)}"
        + (f"; peak RSS by stage, GiB {json.dumps(r['stage_rss_gib'])}" if r.get("stage_rss_gib") else "")
        + (f"; another writer during the analysis (a write a second): {_waits(r['writer_wait'])}"
           if r.get("writer_wait") else "")
        for r in results
        if "error" not in r and not r.get("batch_only")
    )
    batches = [r for r in results if "error" not in r and r.get("incremental")]
    if batches:
        head = ("| analysed | code | new batch | ingest s | " + " | ".join(f"{s} s" for s in stages)
                + " | analyze total s | suggestions dedup compared | consultation analysed by |")
        lines = [head, "|" + "---|" * (head.count("|") - 1)]
        for r in batches:
            b = r["incremental"]
            lines.append("| " + " | ".join([f"{r['n']:,}", r.get("code", ""), f"{b['n']:,}", str(b["ingest"])]
                                           + [str(b["stages"].get(s, "")) for s in stages]
                                           + [str(b["analyze_total"]),
                                              f"{b['dedup_compared']:,}" if "dedup_compared" in b else "all",
                                              f"an earlier run (a copy of {r['analysed_in']})"
                                              if r.get("batch_only") else "the same run"]) + " |")
        details += "\n\nA new batch added to the analysed consultation and analysed on its own:\n\n" + "\n".join(lines)
    return "\n".join(rows) + "\n\n" + details


def _waits(w: dict) -> str:
    return (f"{w['writes']} writes, longest wait {w['max_s']} s (during {w['max_in_stage']}), "
            f"99th percentile {w['p99_s']} s, {w['over_2s']} waited over 2 s")


def _stage_order(name: str) -> int:
    from minyi.services.analysis import STAGES

    return STAGES.index(name) if name in STAGES else len(STAGES)


def bertopic_table(r: dict) -> str:
    if "error" in r:
        return f"error: {r['error']}"
    rows = ["| method | seconds | clusters | ARI | NMI |", "|---|---|---|---|---|"]
    for name in ("ours_agglomerative_per_article", "ours_hdbscan_per_article", "ours_agglomerative_global", "bertopic"):
        v = r.get(name)
        if isinstance(v, dict):
            extra = f" ({v['outliers']} outliers in topic -1)" if "outliers" in v else ""
            rows.append(f"| {name}{extra} | {v['seconds']} | {v['clusters']} | {v['ARI']} | {v['NMI']} |")
        elif v:
            rows.append(f"| {name} | {v} | | | |")
    return (
        f"{r['n']:,} single-point generated comments, {r['topics']} gold topics (the generator's proposals), "
        f"same {r.get('backend', '')} embeddings for all (embedding took {r['embed_seconds']} s, not counted below). "
        "BERTopic: defaults (UMAP 5-d, HDBSCAN min_cluster_size 10), CountVectorizer over our jieba tokens.\n\n"
        + "\n".join(rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time the analysis pipeline on synthetic consultations.")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--backend", default="use")
    parser.add_argument("--bertopic", type=int, default=10000, help="size of the clustering comparison (0: skip)")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--incremental", type=int, default=0,
                        help="after each size, add a batch of this many comments and analyse it on its own")
    parser.add_argument("--rewrite", action="store_true",
                        help="rewrite the Benchmark section from bench/e2e_results.json (with --sizes '')")
    parser.add_argument("--batch-on", metavar="DB",
                        help="time only a new batch (--incremental, default 10000) on a copy of this analysed "
                             "SQLite database, and record it")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--one-kind", default="e2e", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        _child(args)
        return
    if args.batch_on:
        if not Path(args.batch_on).is_file():
            sys.exit(f"--batch-on: {args.batch_on}: no such database file")
        r = _spawn("e2e", 1, args.backend, args.incremental or 10_000, batch_on=args.batch_on)
        print(json.dumps(r, ensure_ascii=False), flush=True)
        if "error" in r:
            sys.exit(2)
        if not args.no_write:
            stored = json.loads(RAW.read_text(encoding="utf-8")) if RAW.is_file() else {}
            stored[f"{args.backend}:batch:{r['n']}"] = r
            RAW.write_text(json.dumps(stored, ensure_ascii=False, indent=1), encoding="utf-8")
        return
    from results import write_section

    machine = (
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{round(os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / GiB)} GiB; Python "
        f"{platform.python_version()}; date {date.today()}; backend {args.backend}; SQLite.\n\n"
    )
    results = []
    for n in [int(x) for x in args.sizes.split(",") if x]:
        r = _spawn("e2e", n, args.backend, args.incremental)
        print(json.dumps(r, ensure_ascii=False), flush=True)
        results.append(r)
    if (results or args.rewrite) and not args.no_write:
        # Sizes measured in earlier runs stay in the table (the 10^6 run is done on its own).
        stored = json.loads(RAW.read_text(encoding="utf-8")) if RAW.is_file() else {}
        stored.update({f"{args.backend}:{r['n']}": r for r in results})
        RAW.write_text(json.dumps(stored, ensure_ascii=False, indent=1), encoding="utf-8")
        results = sorted(
            (r for k, r in stored.items() if k.startswith(f"{args.backend}:")), key=lambda r: r["n"]
        )
        write_section(
            "Benchmark",
            machine
            + "End to end through `minyi.services.analysis.analyze` on comments from bench/generate.py (ingest "
            "through models.ingest). Stage seconds are the orchestrator's; peak RSS is the process's "
            "maximum resident memory; `code` is the commit measured. Targets (issue 14): 100k comments "
            "analysed in ≤ 5 min; 10^6 in ≤ 60 min and ≤ 8 GiB.\n\n"
            + e2e_table(results),
        )
    if args.bertopic:
        r = _spawn("cluster", args.bertopic, args.backend)
        r["backend"] = args.backend
        print(json.dumps(r, ensure_ascii=False), flush=True)
        if not args.no_write:
            write_section("Clustering vs BERTopic", machine + bertopic_table(r))


if __name__ == "__main__":
    main()
