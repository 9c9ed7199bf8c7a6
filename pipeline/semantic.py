"""Semantic mapping: link a suggestion that cites no article to the articles it is about.

(Skeleton: signatures are final; bodies follow.)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ArticleDoc:
    """One article as the mapper sees it."""

    key: str  # "12" or "12之一" (pipeline.drafts.model.Article.key)
    label: str  # "第十二条"
    text: str
    chapter: str | None = None  # "第二章 登记与上牌"
    provision_id: int | None = None


@dataclass(frozen=True)
class SemanticLink:
    article_key: str
    provision_id: int | None
    score: float  # calibrated, in [0, 1]
    method: str = "semantic"


def tokenize(text: str) -> list[str]:
    """jieba tokens (legal user dictionary loaded) without stop words or punctuation."""
    raise NotImplementedError


def articles_from_draft(draft) -> list[ArticleDoc]:  # ParsedDraft
    raise NotImplementedError


def articles_from_provisions(provisions) -> list[ArticleDoc]:  # list[models.entities.Provision]
    """Article rows (kind="article", e.g. store.article_provisions) → ArticleDoc (chapter
    taken from the parent chain)."""
    raise NotImplementedError


class SemanticMapper:
    """``SemanticMapper(articles, embedder).map(texts, embeddings=None) -> list[list[SemanticLink]]``

    ``embeddings`` (rows for ``texts``, from the same embedder) may be passed to avoid
    re-embedding; an empty list for a text means 总体意见 (no article above threshold).
    """

    def __init__(self, articles: Sequence[ArticleDoc], embedder, *, threshold: float | None = None,
                 top_k: int = 3, settings=None, article_embeddings: np.ndarray | None = None) -> None:
        raise NotImplementedError

    def map(self, texts: Sequence[str], embeddings: np.ndarray | None = None) -> list[list[SemanticLink]]:
        raise NotImplementedError
