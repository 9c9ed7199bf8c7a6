"""Where the analysis' expensive pure computations run: in this process, or on Dask.

``analyze`` (``minyi.services.analysis``) keeps every database read and write, and every
step that needs the whole consultation (near-duplicate detection, the embedding cache), in
the driver process. What it hands to an ``Executor`` is a pure function and a list of
partitions (embedding batches, one clustering per article scope); ``Executor.map`` returns
the results in the partitions' order, so the driver merges them in the same order as a
single-process run and stores the same links, groups and clusters.

- ``InProcess`` (the default) calls the function on each partition in turn;
- ``DaskExecutor`` submits the partitions to a ``dask.distributed`` cluster: a
  ``LocalCluster`` of ``workers`` single-threaded processes, or an existing cluster at
  ``scheduler`` ("tcp://HOST:8786", started with ``dask scheduler`` / ``dask worker``).

Workers import ``pipeline`` and ``minyi`` themselves: every worker machine needs the same
installation (and, for the USE or sentence-transformers backends, the same model).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

import numpy as np

from minyi.core.errors import ConfigError, DependencyMissing

T = TypeVar("T")
R = TypeVar("R")

# Texts per embedding partition: large enough that a task's overhead (pickling, scheduling)
# is small next to the model's time, small enough that two workers share a 10k-text stage.
EMBED_BATCH = 2048


class Executor(Protocol):
    workers: int

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        """``[fn(p) for p in partitions]``, in that order, wherever it runs."""
        ...


class InProcess:
    """The default: every partition in this process, one after another."""

    workers = 1

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        return [fn(p) for p in partitions]


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
        from distributed import fire_and_forget

        for address in client.scheduler_info().get("workers", {}):
            fire_and_forget(client.submit(warm_up, pure=False, workers=[address], allow_other_workers=False))

    def map(self, fn: Callable[[T], R], partitions: Sequence[T]) -> list[R]:
        if len(partitions) <= 1:
            # One partition gains nothing from a round trip to a worker.
            return [fn(p) for p in partitions]
        futures = self.client.map(fn, list(partitions), pure=False)
        return self.client.gather(futures)


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


def encode_partition(job: tuple[str, Any, list[str]]) -> np.ndarray:
    """``(backend, pipeline settings, texts)`` → their vectors, computed where this runs."""
    from pipeline.embed import get_embedder

    backend, pipe, texts = job
    if backend not in _EMBEDDERS:
        _EMBEDDERS[backend] = get_embedder(backend, pipe)
    return _EMBEDDERS[backend].encode(texts)


class PartitionedEmbedder:
    """An embedder whose ``encode`` splits its texts into batches encoded by the executor.

    Every backend embeds each text on its own (no fitted state), so a text's vector does
    not depend on the batch it is in: the rows are those of one ``encode`` call."""

    def __init__(self, local: Any, backend: str, pipe: Any, run: Executor, batch: int | None = None) -> None:
        self.local, self.backend, self.run, self.batch = local, backend, run, batch or EMBED_BATCH
        self.name, self.dim = local.name, local.dim
        # One thread per worker: the workers are the parallelism.
        self.pipe = pipe.model_copy(update={"use_threads": 1}) if hasattr(pipe, "model_copy") else pipe

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        if len(texts) <= self.batch:
            return self.local.encode(texts)
        # At least one batch per worker, so a stage of a few thousand texts is shared.
        size = min(self.batch, -(-len(texts) // self.run.workers))
        jobs = [(self.backend, self.pipe, texts[i : i + size]) for i in range(0, len(texts), size)]
        return np.concatenate(self.run.map(encode_partition, jobs)).astype(np.float32, copy=False)

    def __getattr__(self, name: str) -> Any:
        # Anything else (thresholds' lookups, a tokenizer …) is the local embedder's.
        return getattr(self.local, name)
