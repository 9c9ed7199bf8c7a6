"""Roll-up between levels and closing the loop (a thin shell over ``minyi.services.rollup``
and ``minyi.services.replies``):

`minyi point add|list`, `minyi consultation participants`, `minyi adoption
export-decisions|import-decisions`, `minyi report letters|notice`, `minyi rollup stats`,
`minyi comments consent`. The feedback bundle itself is `minyi report feedback --format
bundle`; a higher level imports bundles with `minyi comments import`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import _group, adoption_app, app, comments_app, consultation_app, report_app
from minyi.cli.output import JSON_HELP, as_option, print_json

point_app = _group(
    "Contact points and their hierarchy (国家级/省级/市级/区级/街道/社区).\n\n"
    "Example: minyi point add 田面社区基层立法联系点 --level 社区 --parent 华富街道基层立法联系点"
)
rollup_app = _group(
    "Statistics across levels: per point (with the points below it), per level, per year.\n\n"
    "Example: minyi rollup stats --year 2025 --format xlsx -o rollup.xlsx --chart rollup.png"
)
app.add_typer(point_app, name="point")
app.add_typer(rollup_app, name="rollup")


@point_app.command("add")
def point_add_cmd(
    name: str = typer.Argument(..., help="Name of the contact point."),
    level: str = typer.Option(None, "--level", help="国家级, 省级, 市级, 区级, 街道 or 社区."),
    parent: str = typer.Option(None, "--parent", help="The point one level up (must exist)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Create a contact point, or give an existing one its level and parent.

    Example: minyi point add 田面社区基层立法联系点 --level 社区 --parent 华富街道基层立法联系点 --json
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import add_point

    with unit_of_work() as session:
        result = add_point(session, actor_for(session, as_user), name, level=level, parent=parent)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"{'Created' if result.created else 'Updated'} {result.name} ({result.level or 'no level'}"
                   + (f", under {result.parent})" if result.parent else ")"))


@point_app.command("list")
def point_list_cmd(
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Every contact point with its level, parents before their children.

    Example: minyi point list --json
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import list_points

    with unit_of_work() as session:
        points = list_points(session, actor_for(session, as_user))
    if as_json:
        print_json([p.to_dict() for p in points])
        return
    for p in points:
        typer.echo(f"{p.id:>4}  {p.level or '':<4}  {p.name}" + (f"  ← {p.parent}" if p.parent else ""))


@consultation_app.command("participants")
def participants_cmd(
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    add: list[str] = typer.Option(None, "--add", help="Add this lower-level point (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """List (and add) the lower-level points taking part in a consultation, with the rows
    and people each sent.

    Example: minyi consultation participants -c 3 --add 田面社区基层立法联系点 --add 新田社区基层立法联系点
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import add_participants, participants

    with unit_of_work() as session:
        actor = actor_for(session, as_user)
        result = (add_participants(session, actor, consultation_id, add) if add
                  else participants(session, actor, consultation_id))
    if as_json:
        print_json(result.to_dict())
        return
    for name in result.added:
        typer.echo(f"Added {name}")
    for p in result.points:
        typer.echo(f"{p['name']}: {p['rows']} rows, {p['people']} people")


@adoption_app.command("export-decisions")
def export_decisions_cmd(
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    output: Path = typer.Option(..., "-o", "--output", help="Decisions bundle to write (.json)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the decisions on every row lower levels sent (status, reason, final articles,
    reply), for them to import.

    Example: minyi adoption export-decisions -c 3 -o decisions.bundle.json
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import export_decisions

    with unit_of_work() as session:
        result = export_decisions(session, actor_for(session, as_user), consultation_id, output)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"Wrote {result.path}: {result.summary['items']} decisions for {', '.join(result.summary['points'])}")


@adoption_app.command("import-decisions")
def import_decisions_cmd(
    file: Path = typer.Argument(..., help="Decisions bundle from the level above."),
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Record the decisions taken above on the suggestions this level sent; importing the
    same bundle again changes nothing.

    Example: minyi adoption import-decisions decisions.bundle.json -c 1
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import import_decisions

    with unit_of_work() as session:
        result = import_decisions(session, actor_for(session, as_user), consultation_id, file)
    if as_json:
        print_json(result.to_dict())
    elif result.already_imported:
        typer.echo(f"{file.name} was already imported; nothing changed")
    else:
        typer.echo(f"Recorded {result.applied} decisions on {result.suggestions} suggestions"
                   + (f"; {len(result.unknown)} rows not found here" if result.unknown else ""))


@report_app.command("letters")
def letters_cmd(
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    output: Path = typer.Option(..., "-o", "--output", help="File stem: writes STEM.xlsx and STEM.docx."),
    contact_point: str = typer.Option(None, "--contact-point", help="The point whose contributors (default: the consultation's)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the contributors to inform (.xlsx, with an SMS text per person) and a
    mail-merge .docx of short letters telling each what became of their suggestions.
    Contains names and contacts: it stays at the contact point.

    Example: minyi report letters -c 1 -o 告知/田面社区
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.replies import write_contributor_letters

    with unit_of_work() as session:
        result = write_contributor_letters(session, actor_for(session, as_user), consultation_id, output,
                                           contact_point=contact_point)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"Wrote {', '.join(result.files.values())}: {result.contributors} people, {result.items} replies")


@report_app.command("notice")
def notice_cmd(
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    output: Path = typer.Option(..., "-o", "--output", help="File to write (.docx, .md or .pdf)."),
    fmt: str = typer.Option(None, "--format", help="docx, md or pdf (default: from the file name)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Write the public notice of adopted suggestions; a contributor is named only where
    they agreed (see `minyi comments consent`).

    Example: minyi report notice -c 1 -o 采纳情况公告.docx
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.replies import public_notice_document

    with unit_of_work() as session:
        result = public_notice_document(session, actor_for(session, as_user), consultation_id, fmt, output)
    if as_json:
        print_json(result.to_dict())
    else:
        typer.echo(f"Wrote {result.path}: {result.summary['rows']} adopted suggestions, {result.summary['named']} named")


@comments_app.command("consent")
def consent_cmd(
    comment_ids: list[int] = typer.Argument(..., help="Comment ids (see `minyi comments list`)."),
    consultation_id: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    withdraw: bool = typer.Option(False, "--no", help="Record that they do NOT agree."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Record that these comments' authors agreed to be named in the public notice (a
    form's 是否同意公开姓名 column is read at import; this overrides it).

    Example: minyi comments consent 12 15 -c 1
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.replies import set_consent

    with unit_of_work() as session:
        n = set_consent(session, actor_for(session, as_user), consultation_id, comment_ids, not withdraw)
    if as_json:
        print_json({"consultation_id": consultation_id, "comments": comment_ids, "consent": not withdraw})
    else:
        typer.echo(f"Recorded {'no ' if withdraw else ''}consent for {n} comment(s)")


@rollup_app.command("stats")
def rollup_stats_cmd(
    year: int = typer.Option(None, "--year", help="Only consultations opened in this year."),
    contact_point: str = typer.Option(None, "--contact-point", help="This point and the points below it."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or xlsx."),
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
    chart: Path = typer.Option(None, "--chart", help="Also draw a bar chart (PNG) per point."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    as_user: str = as_option(),
) -> None:
    """Fed back, adopted, partly adopted and the adoption rate per point (with the points
    below it), per level and per year, and the yearly summary sentence.

    Example: minyi rollup stats --year 2025 --contact-point 福田区人大常委会法制工作委员会
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.rollup import write_rollup_statistics

    if as_json:
        fmt = "json"
    with unit_of_work() as session:
        result = write_rollup_statistics(session, actor_for(session, as_user), fmt, output, year=year,
                                         contact_point=contact_point, chart=chart)
    if output is None:
        typer.echo(result.text, nl=False)
    else:
        typer.echo(f"Wrote {output}" + (f" and {chart}" if chart else ""))
