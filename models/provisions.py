"""The one walk up a version's provision tree (款 → 条 → 节 → 章 → 编).

Works on anything with ``id``, ``parent_id`` and ``kind`` (ORM rows, selected tuples, or
dicts with those keys), so every query can select only the columns it needs and still
share the walk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, Generic, TypeVar

N = TypeVar("N")


def _field(node: Any, name: str) -> Any:
    return node[name] if isinstance(node, dict) else getattr(node, name)


class ProvisionTree(Generic[N]):
    def __init__(self, nodes: Iterable[N]) -> None:
        self.nodes: list[N] = list(nodes)
        self.by_id: dict[int, N] = {_field(n, "id"): n for n in self.nodes}

    def ancestors(self, node: Any) -> Iterator[N]:
        """The node's parent, grandparent … up to the root."""
        parent_id = _field(node, "parent_id")
        while parent_id is not None and parent_id in self.by_id:
            parent = self.by_id[parent_id]
            yield parent
            parent_id = _field(parent, "parent_id")

    def ancestor(self, node: Any, kind: str) -> N | None:
        """The nearest ancestor of ``kind`` ("chapter", "section", "article" …)."""
        return next((a for a in self.ancestors(node) if _field(a, "kind") == kind), None)

    def article_of(self, node: Any) -> N | None:
        """The article a provision belongs to (itself when it is one)."""
        return node if _field(node, "kind") == "article" else self.ancestor(node, "article")

    def children(self, node: Any, kind: str | None = None) -> list[N]:
        node_id = _field(node, "id")
        return [
            n for n in self.nodes
            if _field(n, "parent_id") == node_id and (kind is None or _field(n, "kind") == kind)
        ]
