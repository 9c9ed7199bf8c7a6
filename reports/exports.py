"""Row-list exports (one row per suggestion, one per adoption decision) written by
``reports.formats`` as JSONL, CSV or a workbook.

JSONL keeps lists and objects as they are; a CSV or workbook cell holds one value, so each
export says how its lists and objects become text (``flatten``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from minyi.core.reporting import ArticleInfo, SuggestionRow
from minyi.core.vocab import adoption_rule_label
from reports.document import Sheet

Record = dict[str, Any]


@dataclass
class RowExport:
    formats = ("jsonl", "csv", "xlsx")  # what reports.formats can write it as

    sheet_name: str
    columns: list[str]
    records: list[Record]
    flatten: Callable[[Record], Record]  # a record with one plain value per column

    def to_records(self) -> list[Record]:
        return self.records

    def to_table(self) -> tuple[list[str], list[list[Any]]]:
        return self.columns, [[flat[c] for c in self.columns] for flat in map(self.flatten, self.records)]

    def to_sheets(self) -> list[Sheet]:
        columns, rows = self.to_table()
        return [Sheet(self.sheet_name, columns, rows, styled=False)]

    def __len__(self) -> int:
        return len(self.records)


# --- suggestions ------------------------------------------------------------------------------

SUGGESTION_COLUMNS = [
    "suggestion_id", "comment_id", "external_id", "ordinal", "text", "masked_text", "articles",
    "chapter", "mapping_method", "mapping_score", "type", "is_general", "is_out_of_scope",
    "duplicate_group", "duplicate_count", "cluster_id", "cluster_label", "channel", "submitted_at",
]


def _article_key(article: ArticleInfo) -> int | str:
    return int(article.key) if article.key.isdigit() else article.key


def suggestion_record(row: SuggestionRow, articles: dict[int, ArticleInfo]) -> Record:
    """One suggestion with its mapping, duplicate group and cluster. ``articles`` are those
    of the version comments refer to (empty without a draft)."""
    linked = [articles[a] for a in row.article_ids if a in articles]
    if row.mapping_methods:
        method: str | None = "+".join(row.mapping_methods)
    else:
        method = "general" if row.is_general or not articles else None
    return {
        "suggestion_id": row.suggestion_id,
        "comment_id": row.comment_id,
        "external_id": row.external_id,
        "ordinal": row.ordinal,
        "text": row.original_text,
        "masked_text": row.masked_text,
        "articles": [_article_key(a) for a in linked],
        "chapter": linked[0].chapter if linked else None,
        "mapping_method": method,
        "mapping_score": round(row.mapping_score, 4) if row.mapping_score is not None else None,
        "type": row.type,
        "is_general": row.is_general,
        "is_out_of_scope": row.is_out_of_scope,
        "duplicate_group": row.duplicate_group_id,
        "duplicate_count": row.duplicate_size,
        "cluster_id": row.cluster_ids[0] if row.cluster_ids else None,
        "cluster_label": row.cluster_label,
        "channel": row.channel,
        "submitted_at": row.submitted_at.isoformat() if isinstance(row.submitted_at, datetime) else None,
    }


def _flat_lists(record: Record) -> Record:
    """Lists become "12;13" in CSV/XLSX cells."""
    return {k: ";".join(str(x) for x in v) if isinstance(v, list) else v for k, v in record.items()}


def suggestion_export(rows: list[SuggestionRow], articles: dict[int, ArticleInfo]) -> RowExport:
    return RowExport("建议", SUGGESTION_COLUMNS, [suggestion_record(r, articles) for r in rows], _flat_lists)


# --- adoption decisions ---------------------------------------------------------------------

ADOPTION_COLUMNS = [
    "suggestion_id", "external_id", "status", "confidence", "decided_by", "source", "rule", "reason",
    "draft_articles", "final_articles", "note", "text", "evidence",
]


def _flat_decision(record: Record) -> Record:
    """Article lists joined with 、, evidence as a JSON string."""
    out = dict(record)
    out["draft_articles"] = "、".join(record["draft_articles"])
    out["final_articles"] = "、".join(record["final_articles"])
    out["evidence"] = json.dumps(record["evidence"], ensure_ascii=False)
    return out


def adoption_export(decisions: list[Record]) -> RowExport:
    """The decision that counts per suggestion (``models.adoption_store.effective_decisions``)."""
    # "reason": the rule as the reviewer reads it (依据), beside its code for scripts.
    records = [{**{k: d.get(k) for k in ADOPTION_COLUMNS}, "reason": adoption_rule_label(d.get("rule"))}
               for d in decisions]
    return RowExport("采纳情况", ADOPTION_COLUMNS, records, _flat_decision)
