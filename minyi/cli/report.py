"""`minyi report feedback|review|stats`: the documents sent upward and to the committee."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import report_app
from minyi.cli.output import JSON_HELP, print_json
from minyi.errors import InputError

FEEDBACK_FORMATS = ("docx", "xlsx", "pdf", "md")


def _format_for(fmt: str | None, output: Path, allowed: tuple[str, ...]) -> str:
    """--format, else the output file's suffix."""
    chosen = (fmt or output.suffix.lstrip(".") or "").lower()
    if chosen not in allowed:
        raise InputError(f"--format: {chosen or '(none)'!r} is not one of {', '.join(allowed)}")
    return chosen


@report_app.command("feedback")
def feedback_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    contact_point: str = typer.Option(None, "--contact-point", help="Issuing contact point (default: the consultation's own)."),
    fmt: str = typer.Option(None, "--format", help="docx, xlsx, pdf or md (default: from the file name)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    no_record: bool = typer.Option(False, "--no-record", help="Do not record the rows as sent (FeedbackItem)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Write the feedback document sent upward (关于《××条例（征求意见稿）》的意见建议).

    Example: minyi report feedback --consultation 1 --contact-point 华富街道基层立法联系点
    --format docx -o feedback.docx --json
    """
    from models.db import require_schema, session_scope
    from reports.feedback import build_feedback, save_feedback, write_feedback

    chosen = _format_for(fmt, output, FEEDBACK_FORMATS)
    with session_scope() as session:
        require_schema(session)
        doc = build_feedback(session, consultation_id, contact_point)
        path = write_feedback(doc, chosen, str(output))
        if not no_record:
            save_feedback(session, doc, str(output))
    if as_json:
        print_json({"path": path, "format": chosen, **doc.summary()})
    else:
        s = doc.sections()
        typer.echo(
            f"Wrote {path}: {s['general']} general, {s['article']} article, {s['other']} other opinions"
        )


@report_app.command("review")
def review_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    fmt: str = typer.Option(None, "--format", help="docx, xlsx, md or pdf (default: from the file name)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Write the committee's review report: per article, the clusters across all contact
    points with counts, representatives and the draft text.

    Example: minyi report review --consultation 1 --format xlsx -o review.xlsx
    """
    from models.db import require_schema, session_scope
    from reports.review import build_review, write_review

    chosen = _format_for(fmt, output, ("docx", "xlsx", "md", "pdf"))
    with session_scope() as session:
        require_schema(session)
        report = build_review(session, consultation_id)
        path = write_review(report, chosen, str(output))
    if as_json:
        print_json({"path": path, "format": chosen, "title": report.title,
                    "sections": report.sections(), "figures": report.figures.to_dict()})
    else:
        typer.echo(f"Wrote {path}")


@report_app.command("stats")
def stats_report_cmd(
    year: int = typer.Option(..., "--year", help="Year of the consultations (by opening date)."),
    contact_point: str = typer.Option(None, "--contact-point", help="Only this contact point."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write: .docx, .pdf or .md."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Write the yearly summary (参与法律法规意见征集N部，反馈建议N条，被采纳N条) with charts,
    in the GB/T 9704 layout.

    Example: minyi report stats --year 2025 --contact-point 华富街道基层立法联系点 -o 2025.docx
    """
    from models.db import require_schema, session_scope
    from reports.yearly import build_yearly, write_yearly

    chosen = _format_for(None, output, ("docx", "pdf", "md"))
    with session_scope() as session:
        require_schema(session)
        summary = build_yearly(session, year, contact_point)
    path = write_yearly(summary, output, chosen)
    if as_json:
        print_json({"path": path, "year": year, "sentence": summary.sentence(),
                    "total": summary.total.to_dict()})
    else:
        typer.echo(summary.sentence())
        typer.echo(f"Wrote {path}")
