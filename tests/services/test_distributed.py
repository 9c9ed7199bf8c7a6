"""`analyze(..., workers=2)` on a Dask LocalCluster gives the same result as in process."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from minyi.core.errors import ConfigError
from minyi.core.records import CommentIn, RecordIn, SourceIn
from minyi.services import analysis, distributed
from minyi.services.analysis import analyze
from minyi.services.context import SYSTEM
from models.entities import Cluster, ClusterMember, Comment, Provision, Suggestion, SuggestionProvision
from models.ingest import ingest
from models.store import create_consultation, load_draft_version


def _records(rows: list[dict]):
    return [
        RecordIn(origin="synthetic.jsonl", locator=f"id={r['id']}", payload={"id": r["id"], "text": r["text"]},
                 comment=CommentIn(text=r["text"], author_name=r["author"], external_id=r["id"], channel=r["channel"]))
        for r in rows
    ]


def _database(tmp_path: Path, name: str, sample_dir: Path):
    from models.db import get_engine, upgrade
    from pipeline.drafts.parser import parse_file

    url = f"sqlite:///{tmp_path / name}"
    upgrade(url)
    session = sessionmaker(bind=get_engine(url), expire_on_commit=False)()
    c = create_consultation(session, title="深圳经济特区电动自行车管理条例（征求意见稿）")
    load_draft_version(session, c.id, parse_file(sample_dir / "draft.md"))
    session.commit()
    return session, c.id


def _add(session, cid, rows, name):
    ingest(session, cid, SourceIn(channel="forum", name=name, fingerprint=name), _records(rows))
    session.commit()


def _snapshot(session, cid) -> dict:
    """Everything the analysis decided, by comment external id and ordinal (not row ids)."""
    key = {
        s.id: (ext, s.ordinal)
        for s, ext in session.execute(
            select(Suggestion, Comment.external_id).join(Comment, Comment.id == Suggestion.comment_id)
            .where(Suggestion.consultation_id == cid)
        )
    }
    suggestions = {key[s.id]: (s.text, s.scope, s.type) for s in session.scalars(
        select(Suggestion).where(Suggestion.consultation_id == cid))}
    links = sorted(
        (key[sid], number, method, round(score or 0.0, 6))
        for sid, number, method, score in session.execute(
            select(SuggestionProvision.suggestion_id, Provision.number, SuggestionProvision.method,
                   SuggestionProvision.score)
            .join(Provision, Provision.id == SuggestionProvision.provision_id)
            .where(SuggestionProvision.suggestion_id.in_(list(key)))
        )
    )
    groups: dict[int, list] = {}
    for s in session.scalars(select(Suggestion).where(Suggestion.consultation_id == cid)):
        if s.duplicate_group_id is not None:
            groups.setdefault(s.duplicate_group_id, []).append(key[s.id])
    clusters = sorted(
        (c.scope, c.label, c.size, tuple(sorted(key[m] for m in session.scalars(
            select(ClusterMember.suggestion_id).where(ClusterMember.cluster_id == c.id)))))
        for c in session.scalars(select(Cluster).where(Cluster.consultation_id == cid))
    )
    return {
        "suggestions": suggestions,
        "links": links,
        "groups": sorted(tuple(sorted(g)) for g in groups.values()),
        "clusters": clusters,
    }


def _counts(summary) -> dict:
    return {k: v for k, v in summary.to_dict().items() if k not in ("seconds", "run_id", "consultation_id")}


@pytest.mark.slow  # about 75 s on the shared 2-core machine (LocalCluster start, 2 × 2 runs)
def test_two_dask_workers_give_the_single_process_result(tmp_path, sample_dir, monkeypatch, generated):
    from distributed import LocalCluster

    rows = generated(200, seed=3)
    first, second = rows[:160], rows[160:]
    single, single_cid = _database(tmp_path, "single.db", sample_dir)
    dask_s, dask_cid = _database(tmp_path, "dask.db", sample_dir)
    # Small embedding partitions and chunks, so even this consultation is embedded and read
    # by both workers.
    monkeypatch.setattr(distributed, "EMBED_BATCH", 64)
    monkeypatch.setattr(analysis, "SPLIT_CHUNK", 50)
    # One cluster for both runs (as `--scheduler` uses one started by `dask scheduler`).
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    try:
        for name, part in (("first", first), ("second", second)):
            _add(single, single_cid, part, name)
            _add(dask_s, dask_cid, part, name)
            one = analyze(single, SYSTEM, single_cid, backend="tfidf")
            single.commit()
            two = analyze(dask_s, SYSTEM, dask_cid, backend="tfidf", scheduler=cluster.scheduler_address)
            dask_s.commit()
            # The second batch joins stored clusters and groups (incremental) on both.
            assert _counts(two) == _counts(one)
            assert two.suggestions > 0 and two.clustered > 0
        a, b = _snapshot(single, single_cid), _snapshot(dask_s, dask_cid)
        assert len(a["suggestions"]) > 200 and a["links"] and a["groups"] and len(a["clusters"]) > 5
        for part in ("suggestions", "links", "groups", "clusters"):
            assert b[part] == a[part], part
    finally:
        cluster.close()
        single.close()
        dask_s.close()


def test_local_processes_give_the_single_process_result(tmp_path, sample_dir, monkeypatch, generated):
    from minyi.core.settings import get_settings

    rows = generated(150, seed=5)
    monkeypatch.setattr(analysis, "SPLIT_CHUNK", 40)  # four chunks, read by the pool
    monkeypatch.setattr(distributed, "OFFLOAD_AT_LEAST", 1)
    sent: list[str] = []
    imap = distributed.LocalProcesses.imap
    monkeypatch.setattr(distributed.LocalProcesses, "imap",
                        lambda self, fn, parts: (sent.append(fn.__name__), imap(self, fn, parts))[1])
    pipe = get_settings().pipeline
    snapshots = []
    for name, processes in (("alone.db", 1), ("pool.db", 2)):
        session, cid = _database(tmp_path, name, sample_dir)
        _add(session, cid, rows, "batch")
        summary = analyze(session, SYSTEM, cid, backend="tfidf",
                          settings=pipe.model_copy(update={"local_processes": processes}))
        session.commit()
        assert summary.comments == 150 and summary.suggestions >= 150
        assert summary.personal_data  # the masker's counts come back from the pool too
        snapshots.append(_snapshot(session, cid))
        session.close()
    assert sent == ["read_comments"]
    alone, pooled = snapshots
    for part in ("suggestions", "links", "groups", "clusters"):
        assert pooled[part] == alone[part], part


def test_offload_keeps_small_stages_and_dask_runs_to_their_executor():
    alone = distributed.InProcess()
    offload = distributed.Offload(alone, 2)
    try:
        big = distributed.OFFLOAD_AT_LEAST
        assert offload.executor_for(1, big) is alone  # one partition
        assert offload.executor_for(5, big - 1) is alone  # too little work to start processes
        assert distributed.Offload(alone, 1).executor_for(5, big) is alone  # local_processes = 1
        pool = offload.executor_for(5, big)
        assert isinstance(pool, distributed.LocalProcesses) and pool.workers == 2
        assert offload.executor_for(3, big) is pool  # started once, kept for the run's later stages
        assert offload.executor_for(3, 10) is pool  # then it takes smaller stages too
        assert offload.executor_for(1, big) is alone
        assert list(pool.imap(len, ("x" * n for n in range(9)))) == list(range(9))
        assert pool.map(len, ["a", "bb", ""]) == [1, 2, 0]
    finally:
        offload.close()
    assert offload.pool is None


def test_partitioned_embedder_gives_the_rows_of_one_encode_call():
    from minyi.core.settings import get_settings
    from pipeline.embed import get_embedder

    pipe = get_settings().pipeline
    local = get_embedder("tfidf", pipe)

    class TwoWorkers(distributed.InProcess):
        workers = 2

    texts = [f"第{i}条建议修改为{i * 7}日内办结" for i in range(50)]
    parted = distributed.PartitionedEmbedder(local, "tfidf", pipe, TwoWorkers(), batch=8)
    assert (parted.encode(texts) == local.encode(texts)).all()
    assert parted.name == local.name and parted.dim == local.dim


def test_workers_start_a_local_cluster_that_maps_in_order():
    with distributed.executor(workers=2) as run_on:
        assert isinstance(run_on, distributed.DaskExecutor) and run_on.workers == 2
        assert run_on.map(len, ["a", "bb", "ccc", "", "eeeee"]) == [1, 2, 3, 0, 5]
        # More partitions than are kept in flight, read from a generator: all, in order.
        words = ("x" * n for n in range(3 * distributed.AHEAD * run_on.workers))
        assert list(run_on.imap(len, words)) == list(range(3 * distributed.AHEAD * run_on.workers))


def test_workers_and_scheduler_exclude_each_other():
    with pytest.raises(ConfigError, match="exclude each other"):
        with distributed.executor(2, "tcp://127.0.0.1:8786"):
            pass
    with distributed.executor() as run_on:
        assert isinstance(run_on, distributed.InProcess)
