"""Clustering within one scope (skeleton: signatures are final; bodies follow).

``cluster_scope(texts, embeddings, weights=None, method=None, distance_threshold=None)
-> list[ClusterOut]``: every input index lands in exactly one cluster.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class ClusterOut:
    members: list[int]  # indices into the input
    representative: int  # medoid (index into the input)
    keywords: list[str]
    label: str  # keywords joined with "、"
    size: int  # weighted: people, duplicates included


def cluster_scope(texts: Sequence[str], embeddings: np.ndarray, weights: Sequence[int] | None = None,
                  *, method: str | None = None, distance_threshold: float | None = None,
                  settings=None) -> list[ClusterOut]:
    raise NotImplementedError
