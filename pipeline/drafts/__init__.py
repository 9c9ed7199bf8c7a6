"""Draft parsing: read .txt/.md/.docx/.pdf drafts into a provision tree."""

from minyi.core.drafts import Article, Paragraph, ParsedDraft

__all__ = ["Article", "Paragraph", "ParsedDraft"]
