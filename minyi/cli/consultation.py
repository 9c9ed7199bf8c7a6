"""`minyi consultation …`: a thin shell over minyi.services.consultations."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from minyi.cli.apps import consultation_app
from minyi.cli.output import JSON_HELP, as_option, print_json

VERSION_HELP = "Refuse the change unless the row is still at this version (`minyi consultation show --json`)."


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
    as_user: str = as_option(),
) -> None:
    """Create a consultation, optionally with its draft.

    Example: minyi consultation create --title "××条例（征求意见稿）" --opened 2026-03-01
    --deadline 2026-03-31 --contact-point 华富街道基层立法联系点 --draft draft.docx --json
    """
    from minyi.services.consultations import create_consultation
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        info = create_consultation(
            session, actor_for(session, as_user), title=title, issuing_body=issuing_body, level=level,
            opened_on=opened, deadline=deadline, contact_point=contact_point,
            contact_point_level=contact_point_level, draft=draft, label=label, source_url=source_url,
        )
    if as_json:
        print_json(info.to_dict())
    else:
        typer.echo(f"Created consultation {info.id}: {info.fields['title']}")


@consultation_app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """List consultations with their comment and suggestion counts.

    Example: minyi consultation list --json
    """
    from rich.console import Console
    from rich.table import Table

    from minyi.services.consultations import list_consultations
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        rows = list_consultations(session, actor_for(session, as_user))
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
    as_user: str = as_option(),
) -> None:
    """Show one consultation, with its symposiums (their source ids, for `minyi consultation symposium`).

    Example: minyi consultation show 1 --json
    """
    from minyi.services.consultations import show_consultation
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        info = show_consultation(session, actor_for(session, as_user), consultation_id)
    if as_json:
        print_json(info.to_dict())
        return
    for key, value in info.fields.items():
        typer.echo(f"{key}: {value if value is not None else ''}")
    for s in info.symposiums:
        typer.echo(
            f"symposium {s['source_id']}: {s['name']}  date {s['date'] or '-'}  "
            f"participants {s['participants'] if s['participants'] is not None else '-'}"
        )


@consultation_app.command("update")
def update_cmd(
    consultation_id: int = typer.Argument(..., help="Consultation id."),
    title: str = typer.Option(None, "--title", help="Title of the draft."),
    issuing_body: str = typer.Option(None, "--issuing-body", help="Who opened it (制定机关)."),
    addressee: str = typer.Option(None, "--to", help="主送机关 of the feedback document (default: the issuing body)."),
    signer: str = typer.Option(None, "--signer", help="落款: the signing unit (default: the contact point)."),
    signed_on: str = typer.Option(None, "--date", help="成文日期 of the feedback document, YYYY-MM-DD."),
    opened: str = typer.Option(None, "--opened", help="Opening date, YYYY-MM-DD."),
    deadline: str = typer.Option(None, "--deadline", help="Deadline, YYYY-MM-DD."),
    status: str = typer.Option(None, "--status", help="open / closed / reported / archived."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Change a consultation: what the feedback document prints (主送, 落款, 成文日期), its
    dates and status. An empty value ("") clears a field.

    Example: minyi consultation update 1 --to 深圳市人大常委会法制工作委员会 --signer 福田区华富街道基层立法联系点 --date 2025-10-20
    """
    from minyi.cli.review import show_change
    from minyi.services.consultations import as_date, update_consultation
    from minyi.services.context import actor_for, unit_of_work

    given: dict[str, Any] = {
        "title": title, "issuing_body": issuing_body, "addressee": addressee, "signer": signer,
        "status": status,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    for name, value, option in (("signed_on", signed_on, "--date"), ("opened_on", opened, "--opened"),
                                ("deadline", deadline, "--deadline")):
        if value is not None:
            changes[name] = as_date(value, option)
    with unit_of_work() as session:
        result = update_consultation(
            session, actor_for(session, as_user), consultation_id, expected_version=expected_version, **changes
        )
    show_change(result, as_json)


@consultation_app.command("symposium")
def symposium_cmd(
    source_id: int = typer.Argument(..., help="The symposium's source id (see `minyi consultation show`)."),
    held_on: str = typer.Option(None, "--date", help="When it was held, YYYY-MM-DD (\"\" clears it)."),
    participants: int = typer.Option(None, "--participants", help="How many people took part."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Correct a symposium's date and participant count (counted in 征求意见工作开展情况).

    Example: minyi consultation symposium 3 --date 2025-09-25 --participants 18
    """
    from minyi.cli.review import show_change
    from minyi.services.consultations import as_date, update_symposium
    from minyi.services.context import actor_for, unit_of_work

    changes: dict[str, Any] = {}
    if held_on is not None:
        changes["held_on"] = as_date(held_on, "--date")
    if participants is not None:
        changes["participants"] = participants
    with unit_of_work() as session:
        result = update_symposium(
            session, actor_for(session, as_user), source_id, expected_version=expected_version, **changes
        )
    show_change(result, as_json)
