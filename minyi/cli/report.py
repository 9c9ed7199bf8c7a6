"""`minyi report feedback|review|stats`: the documents sent upward and to the committee
(a thin shell over ``minyi.services.documents``)."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import report_app
from minyi.cli.output import JSON_HELP, as_option, print_json


@report_app.command("feedback")
def feedback_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    contact_point: str = typer.Option(None, "--contact-point", help="Issuing contact point (default: the consultation's own)."),
    fmt: str = typer.Option(None, "--format", help="docx, xlsx, pdf, md, or bundle (the JSON file the level above imports; default: from the file name)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    no_record: bool = typer.Option(False, "--no-record", help="Do not record the rows as sent (FeedbackItem)."),
    addressee: str = typer.Option(None, "--to", help="主送机关 (default: as set with `minyi consultation update`, else the issuing body)."),
    signer: str = typer.Option(None, "--signer", help="落款: the signing unit (default: as set, else the contact point)."),
    signed_on: str = typer.Option(None, "--date", help="成文日期, YYYY-MM-DD (default: as set; a past consultation: its deadline)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the feedback document sent upward (关于《××条例（征求意见稿）》的意见建议).

    Example: minyi report feedback --consultation 1 --contact-point 华富街道基层立法联系点
    --date 2025-10-14 --format docx -o feedback.docx --json

    Example (for the level above): minyi report feedback --consultation 1 --format bundle -o 田面社区.bundle.json
    """
    if (fmt or "").lower() == "bundle":
        return _bundle(consultation_id, output, contact_point, not no_record, as_json, as_user)
    from minyi.services.consultations import as_date
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.documents import feedback_document

    when = as_date(signed_on, "--date") if signed_on else None
    with unit_of_work() as session:
        result = feedback_document(
            session, actor_for(session, as_user), consultation_id, fmt, output,
            contact_point=contact_point, record=not no_record, signer=signer, date=when, addressee=addressee,
        )
    if as_json:
        print_json(result.to_dict())
    else:
        s = result.summary["sections"]
        typer.echo(
            f"Wrote {result.path}: {s['general']} general, {s['article']} article, {s['other']} other opinions"
        )
        if result.summary.get("date_source") == "deadline":
            typer.echo(f"成文日期 {result.summary['date']} is the consultation's deadline (none was set): "
                       "give --date, or set it with `minyi consultation update ID --date`", err=True)


def _bundle(consultation_id: int, output: Path, contact_point: str | None, record: bool, as_json: bool,
            as_user: str | None) -> None:
    """`--format bundle`: the feedback as the JSON bundle a higher level imports."""
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import export_bundle

    with unit_of_work() as session:
        result = export_bundle(session, actor_for(session, as_user), consultation_id, output,
                               contact_point=contact_point, record=record)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"Wrote {result.path}: {result.summary['items']} rows, {result.summary['people']} people")


@report_app.command("review")
def review_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    fmt: str = typer.Option(None, "--format", help="docx, xlsx, md or pdf (default: from the file name)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the committee's review report: per article, the clusters across all contact
    points with counts, representatives and the draft text.

    Example: minyi report review --consultation 1 --format xlsx -o review.xlsx
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.documents import review_report

    with unit_of_work() as session:
        result = review_report(session, actor_for(session, as_user), consultation_id, fmt, output)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"Wrote {result.path}")


@report_app.command("stats")
def stats_report_cmd(
    year: int = typer.Option(..., "--year", help="Year of the consultations (by opening date)."),
    contact_point: str = typer.Option(None, "--contact-point", help="Only this contact point (default: all, one line each)."),
    signer: str = typer.Option(None, "--signer", help="落款 (default: the contact point)."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write: .docx, .pdf or .md."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the yearly summary (参与法律法规意见征集N部，反馈建议N条，被采纳N条) with charts,
    in the GB/T 9704 layout.

    Example: minyi report stats --year 2025 --contact-point 华富街道基层立法联系点 -o 2025.docx
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.documents import yearly_summary

    with unit_of_work() as session:
        result = yearly_summary(session, actor_for(session, as_user), year, None, output,
                                contact_point=contact_point, signer=signer)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(result.summary["sentence"])
        typer.echo(f"Wrote {result.path}")
