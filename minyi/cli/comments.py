"""`minyi comments import | quarantine | list`: a thin shell over minyi.services.intake."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import comments_app
from minyi.cli.output import JSON_HELP, QUIET_HELP, as_option, print_json, reporter

CONSULTATION_HELP = "Id of the consultation (see `minyi consultation list`)."


@comments_app.command("import")
def import_cmd(
    files: list[Path] = typer.Argument(..., help="Files (.xlsx .xls .csv .docx .eml .mbox .jsonl) or folders."),
    consultation: int = typer.Option(..., "--consultation", "-c", help=CONSULTATION_HELP),
    contact_point: str = typer.Option(None, "--contact-point", help="Contact point that gathered these comments."),
    channel: str = typer.Option(
        None, "--channel", help="symposium / form / email / forum / official / other (default: by file type)."
    ),
    mapping: str = typer.Option(
        None,
        "--mapping",
        help="Columns with unusual names: text=建议内容,author=提交人 or a .toml/.json file. "
        "Fields: text author organisation contact articles quoted reason submitted_at id.",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_user: str = as_option(),
) -> None:
    """Import comments from files; importing the same file again adds nothing.

    Records that cannot become comments (empty, unreadable, too long, broken encoding) are
    kept in quarantine: see `minyi comments quarantine`.

    Example: minyi comments import 意见征集表.xlsx 座谈会纪要.docx --consultation 1
    --contact-point 华富街道基层立法联系点
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.intake import IMPORT_STAGE, import_files

    with unit_of_work() as session, reporter(quiet or as_json, {IMPORT_STAGE: "Importing"}) as report:
        summary = import_files(
            session,
            actor_for(session, as_user),
            consultation,
            files,
            channel=channel,
            contact_point=contact_point,
            mapping=mapping,
            progress=report,
        )
    if as_json:
        print_json(summary.to_dict())
        return
    typer.echo(
        f"Imported {summary.imported} comments from {len({f['file'] for f in summary.files})} file(s); "
        f"{summary.skipped} already present, {summary.quarantined} quarantined"
        + (f", {summary.containers} e-mails carrying only attachments" if summary.containers else "")
        + (f", {summary.resolved} quarantined records resolved" if summary.resolved else "")
        + "."
    )
    for note in summary.notes:
        typer.echo(f"Note: {note}")
    for origin, locator, reason in summary.quarantine:
        typer.echo(f"Quarantined {Path(origin).name} {locator or ''}: {reason}")
    if summary.quarantined:
        typer.echo(
            f"Fix them with: minyi comments quarantine --consultation {consultation} --export fix.csv"
        )


@comments_app.command("quarantine")
def quarantine_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help=CONSULTATION_HELP),
    export: Path = typer.Option(
        None,
        "--export",
        help="Write the records to this CSV (minyi plain format with a quarantine_id column); "
        "edit it and import it back with `minyi comments import FILE --consultation ID`.",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """List records kept in quarantine, with the reason, or export them for fixing.

    Example: minyi comments quarantine --consultation 1 --export fix.csv
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.intake import export_quarantine, list_quarantine

    with unit_of_work() as session:
        actor = actor_for(session, as_user)
        if export:
            listed = export_quarantine(session, actor, consultation, export)
        else:
            listed = list_quarantine(session, actor, consultation)
    if as_json:
        print_json(listed.to_dict())
        return
    for e in listed.records:
        typer.echo(f"#{e['quarantine_id']} {e['source'] or Path(e['origin']).name} {e['locator'] or ''}: {e['reason']}")
    typer.echo(f"{listed.count} record(s) in quarantine.")
    if export:
        typer.echo(f"Wrote {listed.written} row(s) to {export}; fix the text column, then run: "
                   f"minyi comments import {export} --consultation {consultation}")


@comments_app.command("dismiss")
def dismiss_cmd(
    record: int = typer.Argument(..., help="The quarantined record's id (#N in `minyi comments quarantine`)."),
    reason: str = typer.Option(..., "--reason", help="Why the record holds no opinion (kept in the audit log)."),
    consultation: int = typer.Option(None, "--consultation", "-c", help="Check that the record is of this consultation."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Take a quarantined record that holds no opinion (a "无" row, a test line) out of the
    quarantine; it is kept, with the reason, and the decision is audited.

    Example: minyi comments dismiss 42 --reason "填表人写的是“无”"
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.intake import dismiss_quarantined

    with unit_of_work() as session:
        done = dismiss_quarantined(session, actor_for(session, as_user), record, reason, consultation_id=consultation)
    if as_json:
        print_json(done.to_dict())
        return
    typer.echo(f"Dismissed #{done.quarantine_id} (was: {done.was}); reason: {done.reason}")


@comments_app.command("list")
def list_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help=CONSULTATION_HELP),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="Show at most N comments."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """List imported comments as received (personal data is masked only for users who may
    not see it).

    Example: minyi comments list --consultation 1 --limit 20 --json
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.intake import list_comments

    with unit_of_work() as session:
        entries = list_comments(session, actor_for(session, as_user), consultation, limit=limit).comments
    if as_json:
        print_json(entries)
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("id", "channel", "author", "text")
    for e in entries:
        text = e["text"].replace("\n", " ")
        author = " ".join(x for x in (e["author_name"], e["author_organisation"]) if x)
        table.add_row(str(e["id"]), e["channel"], author, text[:120] + ("…" if len(text) > 120 else ""))
    Console().print(table)
    typer.echo(f"{len(entries)} comment(s).")
