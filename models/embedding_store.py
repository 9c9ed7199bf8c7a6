"""The embedding cache (``EmbeddingCache`` table): vectors by backend name and text hash.

Vectors are stored as little-endian float32 bytes. ``get_embeddings``/``put_embeddings`` are
the cache's two halves; ``minyi.services.analysis.cached_embeddings`` joins them with
``pipeline.embed.embed_cached`` so that only texts the cache has not seen are embedded.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.entities import EmbeddingCache

# Keeps each IN (...) list well below SQLite's and PostgreSQL's parameter limits.
_CHUNK = 500


def _to_bytes(vector: np.ndarray) -> bytes:
    return np.asarray(vector, dtype="<f4").tobytes()


def _from_bytes(blob: bytes, dim: int) -> np.ndarray:
    vector = np.frombuffer(blob, dtype="<f4")
    if vector.shape != (dim,):
        raise ValueError(f"embedding_cache row has {vector.size} values, expected {dim}")
    return vector.astype(np.float32)


def get_embeddings(session: Session, backend: str, hashes: Sequence[str]) -> dict[str, np.ndarray]:
    """``{text_hash: vector}`` for the hashes cached under ``backend`` (others are absent)."""
    found: dict[str, np.ndarray] = {}
    wanted = list(dict.fromkeys(hashes))
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        rows = session.execute(
            select(EmbeddingCache.text_hash, EmbeddingCache.dim, EmbeddingCache.vector).where(
                EmbeddingCache.backend == backend, EmbeddingCache.text_hash.in_(chunk)
            )
        )
        for text_hash, dim, blob in rows:
            found[text_hash] = _from_bytes(blob, dim)
    return found


def put_embeddings(session: Session, backend: str, vectors: dict[str, np.ndarray]) -> int:
    """Store vectors not cached yet under ``backend``; returns how many rows were added.

    Hashes already present are left alone (same text, same backend: same vector), so calling
    this twice, or from two runs, never violates the (backend, text_hash) unique key.
    """
    if not vectors:
        return 0
    present: set[str] = set()
    wanted = list(vectors)
    for start in range(0, len(wanted), _CHUNK):
        present.update(
            session.scalars(
                select(EmbeddingCache.text_hash).where(
                    EmbeddingCache.backend == backend,
                    EmbeddingCache.text_hash.in_(wanted[start : start + _CHUNK]),
                )
            )
        )
    rows = [
        {"backend": backend, "text_hash": h, "dim": int(v.shape[0]), "vector": _to_bytes(v)}
        for h, v in vectors.items()
        if h not in present
    ]
    for start in range(0, len(rows), _CHUNK):
        session.execute(EmbeddingCache.__table__.insert(), rows[start : start + _CHUNK])
    session.flush()
    return len(rows)


def count_embeddings(session: Session, backend: str | None = None) -> int:
    query = select(func.count()).select_from(EmbeddingCache)
    if backend is not None:
        query = query.where(EmbeddingCache.backend == backend)
    return int(session.scalar(query) or 0)
