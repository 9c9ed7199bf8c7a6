"""Draft parsing: read .txt/.md/.docx/.pdf drafts into a provision tree."""

from pipeline.drafts.model import Article, Paragraph, ParsedDraft

__all__ = ["Article", "Paragraph", "ParsedDraft"]
