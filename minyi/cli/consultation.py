"""`minyi consultation …`"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer

from minyi.cli.apps import consultation_app
from minyi.cli.output import JSON_HELP, print_json
from minyi.errors import InputError


def parse_date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError as exc:
        raise InputError(f"{field}: {value!r} is not a date in YYYY-MM-DD form") from exc


@consultation_app.command("create")
def create_cmd(
    title: str = typer.Option(..., "--title", help="Title of the draft opened for comment."),
    issuing_body: str = typer.Option(None, "--issuing-body", help="Who opened it (e.g. 深圳市司法局)."),
    level: str = typer.Option(None, "--level", help="国家 / 省级 / 市级 / 区级."),
    opened: str = typer.Option(None, "--opened", help="Opening date, YYYY-MM-DD."),
    deadline: str = typer.Option(None, "--deadline", help="Deadline, YYYY-MM-DD."),
    contact_point: str = typer.Option(None, "--contact-point", help="Contact point gathering the comments."),
    contact_point_level: str = typer.Option(None, "--contact-point-level", help="国家级 / 省级 / 市级 / 区级."),
    draft: Path = typer.Option(None, "--draft", help="Draft file to attach (.txt/.md/.docx/.pdf)."),
    label: str = typer.Option("征求意见稿", "--label", help="Label of the draft version."),
    source_url: str = typer.Option(None, "--source-url", help="Where the draft was published."),
    as_json: bool = typer.Option(False, "--json", help="Print the new consultation as JSON (with its id)."),
) -> None:
    """Create a consultation, optionally with its draft.

    Example: minyi consultation create --title "××条例（征求意见稿）" --opened 2026-03-01
    --deadline 2026-03-31 --contact-point 华富街道基层立法联系点 --draft draft.docx --json
    """
    from models.db import require_schema, session_scope
    from models.store import consultation_summary, create_consultation, load_draft_version
    from pipeline.drafts.parser import parse_file

    parsed = parse_file(draft) if draft else None  # parse first: bad files change nothing
    with session_scope() as session:
        require_schema(session)
        consultation = create_consultation(
            session,
            title=title,
            issuing_body=issuing_body,
            level=level,
            opened_on=parse_date(opened, "--opened"),
            deadline=parse_date(deadline, "--deadline"),
            contact_point=contact_point,
            contact_point_level=contact_point_level,
            source_url=source_url,
        )
        if parsed is not None:
            load_draft_version(session, consultation.id, parsed, label=label, source_file=str(draft))
        session.refresh(consultation)
        summary = consultation_summary(consultation)
    if as_json:
        print_json(summary)
    else:
        typer.echo(f"Created consultation {summary['id']}: {summary['title']}")


@consultation_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help=JSON_HELP)) -> None:
    """List consultations with their comment and suggestion counts.

    Example: minyi consultation list --json
    """
    from rich.console import Console
    from rich.table import Table

    from models.db import require_schema, session_scope
    from models.store import list_consultations

    with session_scope() as session:
        require_schema(session)
        rows = list_consultations(session)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo("No consultations yet. Create one with `minyi consultation create`.")
        return
    table = Table("id", "title", "opened", "deadline", "status", "comments", "suggestions")
    for r in rows:
        table.add_row(
            str(r["id"]), r["title"], r["opened_on"] or "", r["deadline"] or "", r["status"],
            str(r["comments"]), str(r["suggestions"]),
        )
    Console().print(table)


@consultation_app.command("show")
def show_cmd(
    consultation_id: int = typer.Argument(..., help="Consultation id."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show one consultation.

    Example: minyi consultation show 1 --json
    """
    from models.db import require_schema, session_scope
    from models.store import consultation_summary, get_consultation

    with session_scope() as session:
        require_schema(session)
        summary = consultation_summary(get_consultation(session, consultation_id))
    if as_json:
        print_json(summary)
    else:
        for key, value in summary.items():
            typer.echo(f"{key}: {value if value is not None else ''}")
