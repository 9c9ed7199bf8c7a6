"""Where the analysis' expensive pure computations run: in this process, or on Dask.

``analyze`` (``minyi.services.analysis``) keeps every database read and write, and every
step that needs the whole consultation (near-duplicate detection, the embedding cache), in
the driver process. What it hands to an ``Executor`` is a pure function and partitions
(chunks of comments to normalise, mask and split; embedding batches; one clustering per
article scope); ``Executor.map`` and ``Executor.imap`` return the results in the
partitions' order, so the driver merges them in the same order as a single-process run and
stores the same suggestions, links, groups and clusters. ``imap`` keeps a few partitions
in flight ahead of the one the driver is storing: the workers compute while it writes.

- ``InProcess`` (the default) calls the function on each partition in turn; in a large
  run, reading the comments still runs on a few local processes (``Offload``,
  ``LocalProcesses``, ``pipeline.local_processes``), which leave no core idle;
- ``DaskExecutor`` submits the partitions to a ``dask.distributed`` cluster: a
  ``LocalCluster`` of ``workers`` single-threaded processes, or an existing cluster at
  ``scheduler`` ("tcp://HOST:8786", started with ``dask scheduler`` / ``dask worker``).

Workers import ``pipeline`` and ``minyi`` themselves: every worker machine needs the same
installation (and, for the USE or sentence-transformers backends, the same model).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import numpy as np

from minyi.core.errors import ConfigError, DependencyMissing

T = TypeVar("T")
R = TypeVar("R")

# Texts per embedding partition: large enough that a task's overhead (pickling, scheduling)
# is small next to the model's time, small enough that two workers share a 10k-text stage.
EMBED_BATCH = 2048
# Texts few enough to embed here rather than send: a task's round trip costs milliseconds,
# a few hundred texts cost the model a second or more, which the workers share.
LOCAL_AT_MOST = 64
# Partitions per worker (or local process) that ``imap`` keeps submitted ahead of the driver.
AHEAD = 2
_END = object()


class Executor(Protocol):
    workers: int

    def imap(self, fn: Callable[[T], R], partitions: Iterable[T]) -> Iterator[R]:
        """``fn(p)`` for each of ``partitions`` (read lazily), in that order, as each is needed."""
        ...

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """``[fn(p) for p in partitions]``, in that order, wherever it runs."""
        ...

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` on every worker (loading a model), without waiting for it."""
        ...


class InProcess:
    """The default: every partition in this process, one after another."""

    workers = 1

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        return [fn(p) for p in partitions]

    def imap(self, fn: Callable[[T], R], partitions: Iterable[T]) -> Iterator[R]:
        # One partition at a time: memory holds one, as without an executor.
        return (fn(p) for p in partitions)

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        """Nothing to prepare: this process loads what it needs on first use."""


def warm_up() -> None:
    """Load what the partitions need (jieba's dictionaries, scikit-learn) on a worker while
    the driver still splits and maps: a cold worker spends seconds on it."""
    from sklearn.cluster import AgglomerativeClustering  # noqa: F401

    import pipeline.cluster  # noqa: F401
    import pipeline.embed  # noqa: F401
    from pipeline.semantic import tokenize

    tokenize("电动自行车停放充电管理")


class DaskExecutor:
    """Partitions as tasks on a ``dask.distributed`` client; results gathered in order."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.workers = max(1, len(client.scheduler_info().get("workers", {})))
        self.on_each_worker(warm_up)

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        """Start ``fn(*args)`` on every worker, without waiting: preparation, not results."""
        from distributed import fire_and_forget

        for address in self.client.scheduler_info().get("workers", {}):
            fire_and_forget(self.client.submit(fn, *args, pure=False, workers=[address],
                                               allow_other_workers=False))

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        if len(partitions) <= 1:
            # One partition gains nothing from a round trip to a worker.
            return [fn(p) for p in partitions]
        futures = self.client.map(fn, list(partitions), pure=False)
        return self.client.gather(futures)

    def imap(self, fn: Callable[[T], R], partitions: Iterable[T]) -> Iterator[R]:
        return _submitted_ahead(lambda p: self.client.submit(fn, p, pure=False), partitions,
                                AHEAD * self.workers)


def _submitted_ahead(submit: Callable[[Any], Any], partitions: Iterable[Any], ahead: int) -> Iterator[Any]:
    """The results of ``submit(p)`` (a future) in order, with up to ``ahead`` partitions
    submitted beyond the one being returned: the workers compute the next ones while the
    driver stores this one, and memory holds a bounded number of partitions."""
    todo = iter(partitions)
    flying: deque[Any] = deque()

    def submit_more() -> None:
        while len(flying) < ahead:
            nxt = next(todo, _END)
            if nxt is _END:
                return
            flying.append(submit(nxt))

    submit_more()
    while flying:
        done = flying.popleft()
        submit_more()
        yield done.result()


class LocalProcesses:
    """``imap`` on a pool of this machine's processes: how a run without ``--workers`` reads
    (normalises, masks, splits) a large batch. Reading is single-threaded Python, so in
    one process it leaves the second core idle; here the pool reads the next chunks while
    the analysing process stores one."""

    def __init__(self, processes: int) -> None:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        self.workers = processes
        # "spawn": a forked child would share the parent's database connections and threads.
        self.pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"))

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        return list(self.imap(fn, partitions))

    def imap(self, fn: Callable[[T], R], partitions: Iterable[T]) -> Iterator[R]:
        return _submitted_ahead(lambda p: self.pool.submit(fn, p), partitions, AHEAD * self.workers)

    def on_each_worker(self, fn: Callable[..., Any], *args: Any) -> None:
        """Nothing to prepare: each process loads what it needs on first use."""

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


# Items (comments, texts, suggestions) a stage must have before local processes take it:
# starting them costs a few seconds (imports, dictionaries), which a small stage never repays.
OFFLOAD_AT_LEAST = 4000


class Offload:
    """Where one run's pure partitions go: to the Dask workers when the run has them; else,
    for a stage of more than one partition, to ``processes`` local processes, started by
    the first stage of at least ``OFFLOAD_AT_LEAST`` items and kept for the stages the
    caller sends while it holds this; else here."""

    def __init__(self, run_on: Executor, processes: int) -> None:
        self.run_on, self.processes = run_on, processes
        self.pool: LocalProcesses | None = None

    def executor_for(self, partitions: int, items: int) -> Executor:
        if not isinstance(self.run_on, InProcess) or self.processes <= 1 or partitions <= 1:
            return self.run_on
        if self.pool is None and items < OFFLOAD_AT_LEAST:
            return self.run_on  # once started, the processes take smaller stages too
        if self.pool is None:
            self.pool = LocalProcesses(self.processes)
        return self.pool

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None


@contextmanager
def executor(workers: int | None = None, scheduler: str | None = None) -> Iterator[Executor]:
    """The executor for ``--workers N`` / ``--scheduler tcp://HOST:8786`` (neither: in process).

    A ``LocalCluster`` is started for the run and closed after it."""
    if scheduler and workers:
        raise ConfigError("--workers and --scheduler exclude each other: give one")
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})")
    if not scheduler and not workers:
        yield InProcess()
        return
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a dependency
        raise DependencyMissing("--workers/--scheduler need the package dask[distributed]") from exc
    if scheduler:
        try:
            client = Client(scheduler, timeout=30)
        except OSError as exc:
            raise ConfigError(f"--scheduler {scheduler}: no Dask scheduler answers there ({exc})") from exc
        try:
            yield DaskExecutor(client)
        finally:
            client.close()
        return
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        yield DaskExecutor(client)


# --- embedding on workers -------------------------------------------------------------------

_EMBEDDERS: dict[str, Any] = {}  # per worker process: each model is loaded once


def _worker_embedder(backend: str, pipe: Any) -> Any:
    from pipeline.embed import get_embedder

    if backend not in _EMBEDDERS:
        _EMBEDDERS[backend] = get_embedder(backend, pipe)
    return _EMBEDDERS[backend]


def single_threaded(pipe: Any) -> Any:
    """The settings a worker embeds with: one thread each, the workers are the parallelism."""
    return pipe.model_copy(update={"use_threads": 1}) if hasattr(pipe, "model_copy") else pipe


def encode_partition(job: tuple[str, Any, list[str]]) -> np.ndarray:
    """``(backend, pipeline settings, texts)`` → their vectors, computed where this runs."""
    backend, pipe, texts = job
    return _worker_embedder(backend, pipe).encode(texts)


def load_embedder(job: tuple[str, Any]) -> None:
    """Load ``(backend, pipeline settings)``'s model on a worker before its first batch."""
    _worker_embedder(*job)


class PartitionedEmbedder:
    """An embedder whose ``encode`` splits its texts into batches encoded by the executor.

    Every backend embeds each text on its own (no fitted state), so a text's vector does
    not depend on the batch it is in: the rows are those of one ``encode`` call."""

    def __init__(self, local: Any, backend: str, pipe: Any, run: Executor, batch: int | None = None) -> None:
        self.local, self.backend, self.run, self.batch = local, backend, run, batch or EMBED_BATCH
        self.name, self.dim = local.name, local.dim
        self.pipe = single_threaded(pipe)

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) <= LOCAL_AT_MOST:
            return self.local.encode(texts)
        # A multiple of the workers' number of batches, of equal size: 7 batches of 2,048 on
        # two workers leave one idle for the last; 8 of 1,792 keep both busy to the end.
        workers = self.run.workers
        batches = -(-len(texts) // self.batch)
        batches = -(-batches // workers) * workers
        size = -(-len(texts) // batches)
        jobs = [(self.backend, self.pipe, texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.concatenate(self.run.map(encode_partition, jobs)).astype(np.float32, copy=False)

    def __getattr__(self, name: str) -> Any:
        # Anything else (thresholds' lookups, a tokenizer …) is the local embedder's.
        return getattr(self.local, name)
