"""`minyi draft …`"""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import draft_app
from minyi.cli.output import JSON_HELP, as_option, print_json


@draft_app.command("parse")
def parse_cmd(
    file: Path = typer.Argument(..., help="Draft or enacted text: .txt, .md, .docx or .pdf."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Parse a draft into its articles; print an outline or JSON.

    Example: minyi draft parse 条例草案.docx --json
    """
    from minyi.services.drafts import draft_outline, parse_draft

    parsed = parse_draft(file)
    if as_json:
        print_json(parsed.to_dict())
    else:
        typer.echo(draft_outline(parsed))


@draft_app.command("load")
def load_cmd(
    file: Path = typer.Argument(..., help="Draft file to attach."),
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    label: str = typer.Option("征求意见稿", "--label", help="Version label: 征求意见稿, 一审稿, 二审稿, 公布稿 …"),
    comment_base: bool = typer.Option(
        None, "--comment-base/--not-comment-base",
        help="Whether comments cite this version (default: the first version loaded).",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Attach a version of the draft to a consultation (idempotent).

    Example: minyi draft load 二审稿.docx --consultation 1 --label 二审稿
    """
    from minyi.services.consultations import load_draft
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        result = load_draft(
            session, actor_for(session, as_user), consultation_id, file, label=label, comment_base=comment_base
        )
    if as_json:
        print_json(result.to_dict())
    elif result.created:
        typer.echo(f"Loaded {label} ({result.articles} articles) into consultation {consultation_id}.")
    else:
        typer.echo(f"{label} of consultation {consultation_id} is already loaded with this text; nothing changed.")
