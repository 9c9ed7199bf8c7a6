"""Draft types: the provision tree the draft parser returns, the article as the analysis
sees it, and a reference from a suggestion to an article."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Paragraph:
    """款: one paragraph of an article; ``items`` are its 项 (with their 目 folded in)."""

    text: str
    items: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "items": list(self.items)}


@dataclass
class Article:
    """条: the unit everyone cites."""

    number: int
    suffix: str | None  # "之一" for 第十条之一
    label: str  # "第十二条", "第十条之一"
    text: str  # the whole article without its label, 款 joined by newlines
    paragraphs: list[Paragraph] = field(default_factory=list)
    chapter: str | None = None  # "第二章 登记与上牌"
    section: str | None = None  # "第一节 一般规定"
    part: str | None = None  # "第一编 总则"

    @property
    def key(self) -> str:
        """Unique key within a draft: "12" or "12之一"."""
        return f"{self.number}{self.suffix or ''}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "suffix": self.suffix,
            "label": self.label,
            "chapter": self.chapter,
            "section": self.section,
            "text": self.text,
            "paragraphs": [p.to_dict() for p in self.paragraphs],
        }


@dataclass
class ParsedDraft:
    title: str | None
    articles: list[Article] = field(default_factory=list)
    source: str | None = None  # file the text came from

    def to_dict(self) -> dict[str, Any]:
        """Exactly the shape `minyi draft parse --json` prints."""
        return {"title": self.title, "articles": [a.to_dict() for a in self.articles]}

    def article(self, key: int | str) -> Article | None:
        """The article with this key ("12", "12之一"), the first if a draft repeats one."""
        return self._by_key().get(str(key))

    def _by_key(self) -> dict[str, Article]:
        # Built once per list of articles (rebuilt if the list is replaced or grows): the
        # adoption rules look articles up hundreds of times per suggestion.
        cached = self.__dict__.get("_index")
        if cached is None or cached[0] is not self.articles or cached[1] != len(self.articles):
            index: dict[str, Article] = {}
            for a in self.articles:
                index.setdefault(a.key, a)
            cached = (self.articles, len(self.articles), index)
            self.__dict__["_index"] = cached
        return cached[2]

    @property
    def full_text(self) -> str:
        return "\n".join(f"{a.label}　{a.text}" for a in self.articles)


@dataclass(frozen=True)
class DraftArticle:
    key: str  # "12" or "12之一" (minyi.core.drafts.Article.key)
    number: int
    suffix: str | None
    label: str
    text: str
    chapter: str | None = None  # "第二章 生产、销售和维修"
    section: str | None = None
    # Number of 项 in each 款 (len = number of paragraphs).
    paragraph_items: tuple[int, ...] = ()
    paragraph_texts: tuple[str, ...] = ()
    provision_id: int | None = None


@dataclass(frozen=True)
class Reference:
    article_key: str
    paragraph: int | None = None
    item: int | None = None
    evidence: str = ""
    span: tuple[int, int] = (0, 0)
    method: str = "explicit"
    # How it was found: article / range / list / chapter / relative / quote / declared.
    via: str = "article"
