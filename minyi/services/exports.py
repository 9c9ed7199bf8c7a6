"""Exports for the contact point's own work: one row per suggestion, one row per adoption
decision, as JSONL, CSV or a workbook (``reports.exports`` through ``reports.formats``).

Every text field is masked by default, like the documents (``documents.Masker``). The
suggestion export may carry the original text with ``include_personal_data=True``, for an
actor allowed to see the commenters' personal data (staff of the collecting contact point,
admins); such an export is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.services.context import Actor, audit
from minyi.services.documents import Masker, reportable
from models import adoption_store, report_queries
from reports import formats
from reports.exports import RowExport, adoption_export, suggestion_export

# A decision's fields that may carry a commenter's words.
_MASKED_DECISION_FIELDS = ("text", "note", "evidence")


@dataclass
class ExportResult:
    rows: int
    format: str
    path: str | None = None  # the file written, if any
    text: str | None = None  # the export itself when no file was given (jsonl, csv)

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "format": self.format, "path": self.path}


def _write(export: RowExport, fmt: str, path: str | Path | None) -> ExportResult:
    out = formats.write(export, fmt, path)
    return ExportResult(
        len(export), fmt, str(path) if path is not None else None,
        None if formats.FORMATS[fmt].to_file else out,
    )


# --- suggestions --------------------------------------------------------------------------


def suggestions(session: Session, actor: Actor, consultation_id: int, *,
                include_personal_data: bool = False) -> RowExport:
    """One row per suggestion: text, masked text, articles, chapter, mapping method and
    score, type, duplicate group and count, cluster."""
    consultation = reportable(session, actor, consultation_id)
    if include_personal_data:
        actor.require("see_personal_data", consultation)
    rows = report_queries.suggestion_rows(session, consultation_id)
    if not include_personal_data:
        masker = Masker.for_consultation(session, consultation_id)
        rows = [masker.row(r) for r in rows]
    return suggestion_export(rows, report_queries.articles_of(session, consultation_id))


def export_suggestions(session: Session, actor: Actor, consultation_id: int, fmt: str | None = "jsonl",
                       path: str | Path | None = None, *, include_personal_data: bool = False) -> ExportResult:
    """Write the suggestion export (jsonl / csv: text, also to ``path`` when given; xlsx:
    to ``path``)."""
    consultation = reportable(session, actor, consultation_id)
    fmt = formats.check_format(RowExport, fmt, path)
    export = suggestions(session, actor, consultation_id, include_personal_data=include_personal_data)
    result = _write(export, fmt, path)
    if include_personal_data:  # who took personal data out of minyi, and where to
        audit(session, actor, "export_personal_data", consultation,
              after={"export": "suggestions", "rows": result.rows, "path": result.path})
    return result


# --- adoption decisions ---------------------------------------------------------------------


def adoption(session: Session, actor: Actor, consultation_id: int) -> RowExport:
    """The decision that counts per suggestion (a reviewer's over the detector's), with
    its evidence; texts masked."""
    reportable(session, actor, consultation_id)
    masker = Masker.for_consultation(session, consultation_id)
    decisions = [
        {**d, **{k: masker.value(d.get(k)) for k in _MASKED_DECISION_FIELDS}}
        for d in adoption_store.effective_decisions(session, consultation_id)
    ]
    return adoption_export(decisions)


def export_adoption(session: Session, actor: Actor, consultation_id: int, fmt: str | None = "jsonl",
                    path: str | Path | None = None) -> ExportResult:
    """Write the adoption export (jsonl / csv: text, also to ``path`` when given; xlsx:
    to ``path``; evidence as a JSON string in csv/xlsx)."""
    reportable(session, actor, consultation_id)
    fmt = formats.check_format(RowExport, fmt, path)
    return _write(adoption(session, actor, consultation_id), fmt, path)
