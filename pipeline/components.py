"""The pipeline's swappable parts, chosen by name from settings (``[pipeline]`` in minyi.toml),
the way BERTopic lets one swap its embedding, clustering and representation models.

``component("splitter", "default")`` returns the callable registered under that stage and
name; ``register("splitter", "mine")`` adds one. Parts owned by other modules are registered
lazily as ``"module:attribute"`` so importing this module stays cheap (no jieba, no numpy
models) and a missing optional dependency only matters when its part is chosen.

Stage contracts:

- normaliser: ``(text) -> pipeline.normalise.Normalised``
- masker: ``(text) -> pipeline.mask.Masked``
- splitter: ``(text, titles) -> pipeline.split.Split``
- mapper: ``(text, index, **kw) -> pipeline.references.Resolution`` (explicit references;
  ``hybrid`` adds semantic mapping for what has none, ``explicit`` does not)
- deduplicator: ``pipeline.dedup.deduplicate``
- clusterer: ``pipeline.cluster.cluster_scope`` (with ``method=`` the chosen name)
- classifier: ``(text) -> type``
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from minyi.core.errors import ConfigError

# The names are the vocabulary ``minyi.core.vocab.PIPELINE_COMPONENTS`` (which settings check
# at load time); a test keeps the two the same.
_REGISTRY: dict[str, dict[str, Callable[..., Any] | str]] = {
    "normaliser": {"default": "pipeline.normalise:normalise"},
    "masker": {"default": "pipeline.mask:mask"},
    "splitter": {"default": "pipeline.split:split_comment"},
    "mapper": {
        "hybrid": "pipeline.references:resolve_references",
        "explicit": "pipeline.references:resolve_references",
    },
    "deduplicator": {"default": "pipeline.dedup:deduplicate"},
    "clusterer": {
        "agglomerative": "pipeline.cluster:cluster_scope",
        "hdbscan": "pipeline.cluster:cluster_scope",
        "kmeans": "pipeline.cluster:cluster_scope",
    },
    "classifier": {"rules": "pipeline.classify:classify"},
}
# Mapper names that also run the semantic stage for suggestions citing nothing.
SEMANTIC_MAPPERS = {"hybrid"}


def stages() -> list[str]:
    return list(_REGISTRY)


def names(stage: str) -> list[str]:
    return list(_REGISTRY.get(stage, {}))


def register(stage: str, name: str, func: Callable[..., Any] | str | None = None):  # type: ignore[no-untyped-def]
    """Register ``func`` (or decorate one) as ``name`` for ``stage``."""

    def add(f: Callable[..., Any] | str) -> Callable[..., Any] | str:
        _REGISTRY.setdefault(stage, {})[name] = f
        return f

    return add(func) if func is not None else add


def component(stage: str, name: str) -> Callable[..., Any]:
    """The callable registered for ``stage`` under ``name``; ConfigError naming the setting
    when there is none."""
    if stage not in _REGISTRY:
        raise ConfigError(f"unknown pipeline stage {stage!r}; stages: {', '.join(_REGISTRY)}")
    entry = _REGISTRY[stage].get(name)
    if entry is None:
        raise ConfigError(
            f"pipeline.{stage} = {name!r} is not a known component; "
            f"choose one of {', '.join(_REGISTRY[stage])}"
        )
    if isinstance(entry, str):
        module, _, attr = entry.partition(":")
        entry = getattr(importlib.import_module(module), attr)
        _REGISTRY[stage][name] = entry
    return entry


def from_settings(settings: Any) -> dict[str, Callable[..., Any]]:
    """Every stage's callable as chosen by ``settings`` (a ``PipelineSettings``)."""
    return {stage: component(stage, getattr(settings, stage)) for stage in _REGISTRY}
