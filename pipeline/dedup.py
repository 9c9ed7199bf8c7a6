"""Duplicate detection (skeleton: signatures are final; bodies follow).

``deduplicate(texts, embeddings=None, scopes=None, ...) -> DedupResult``: indices are
positions in ``texts``; ``result.groups`` lists groups of 2+ members with kind
exact/near/campaign/semantic, canonical index and size; ``result.stages`` has per-stage
seconds and before/after unit counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np


@dataclass
class DupGroup:
    kind: str  # exact / near / campaign / semantic (the loosest link that joined it)
    members: list[int]  # indices into the input, ascending
    canonical: int  # index of the member that represents the group

    @property
    def size(self) -> int:
        return len(self.members)


@dataclass
class StageReport:
    name: str
    seconds: float
    units_before: int
    units_after: int


@dataclass
class DedupResult:
    groups: list[DupGroup]
    stages: list[StageReport] = field(default_factory=list)

    def group_index(self, n: int) -> list[int | None]:
        """For each input index, the position of its group in ``groups`` (None if alone)."""
        raise NotImplementedError


def deduplicate(texts: Sequence[str], embeddings: np.ndarray | None = None, *,
                scopes: Sequence[str | None] | None = None, semantic_threshold: float | None = None,
                minhash_threshold: float | None = None, num_perm: int | None = None,
                settings=None) -> DedupResult:
    raise NotImplementedError
