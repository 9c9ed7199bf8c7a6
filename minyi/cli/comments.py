"""`minyi comments import | quarantine | list`: a thin shell over collectors.importers and
models.ingest."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import comments_app
from minyi.cli.output import JSON_HELP, QUIET_HELP, print_json, progress

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
) -> None:
    """Import comments from files; importing the same file again adds nothing.

    Records that cannot become comments (empty, unreadable, too long, broken encoding) are
    kept in quarantine: see `minyi comments quarantine`.

    Example: minyi comments import 意见征集表.xlsx 座谈会纪要.docx --consultation 1
    --contact-point 华富街道基层立法联系点
    """
    from collectors.importers import import_files
    from models.db import require_schema, session_scope

    with session_scope() as session, progress(quiet or as_json) as bar:
        require_schema(session)
        task = bar.add_task("Importing", total=None)
        summary = import_files(
            session,
            consultation,
            files,
            channel=channel,
            contact_point=contact_point,
            mapping=mapping,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
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
) -> None:
    """List records kept in quarantine, with the reason, or export them for fixing.

    Example: minyi comments quarantine --consultation 1 --export fix.csv
    """
    from collectors.importers.plain import write_quarantine_csv
    from models.db import require_schema, session_scope
    from models.ingest import list_quarantined, quarantine_entry

    with session_scope() as session:
        require_schema(session)
        raws = list_quarantined(session, consultation)
        entries = [quarantine_entry(r) for r in raws]
        written = write_quarantine_csv(raws, str(export)) if export else None
    if as_json:
        print_json({"consultation": consultation, "count": len(entries), "records": entries, "exported": str(export) if export else None})
        return
    for e in entries:
        typer.echo(f"#{e['quarantine_id']} {e['source'] or Path(e['origin']).name} {e['locator'] or ''}: {e['reason']}")
    typer.echo(f"{len(entries)} record(s) in quarantine.")
    if export:
        typer.echo(f"Wrote {written} row(s) to {export}; fix the text column, then run: "
                   f"minyi comments import {export} --consultation {consultation}")


@comments_app.command("list")
def list_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help=CONSULTATION_HELP),
    limit: int = typer.Option(None, "--limit", "-n", min=1, help="Show at most N comments."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List imported comments (raw text; personal data is not masked here).

    Example: minyi comments list --consultation 1 --limit 20 --json
    """
    from models.db import require_schema, session_scope
    from models.ingest import comment_entry, list_comments

    with session_scope() as session:
        require_schema(session)
        entries = [comment_entry(c) for c in list_comments(session, consultation, limit=limit)]
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
