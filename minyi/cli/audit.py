"""`minyi audit list`: a thin shell over minyi.services.audit_log."""

from __future__ import annotations

import typer

from minyi.cli.apps import audit_app
from minyi.cli.output import JSON_HELP, as_option, print_json


@audit_app.command("list")
def list_cmd(
    consultation: int = typer.Option(None, "--consultation", "-c", help="Only this consultation."),
    user: str = typer.Option(None, "--user", help="Only what this user did."),
    since: str = typer.Option(None, "--since", help="From this day on, YYYY-MM-DD."),
    until: str = typer.Option(None, "--until", help="Up to this day (included), YYYY-MM-DD."),
    limit: int = typer.Option(None, "--limit", help="At most this many rows (the newest)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """List the audit log, newest first: who, when, what, before → after.

    Example: minyi audit list --consultation 1 --user 王芳 --since 2026-03-01 --json
    """
    from minyi.services.audit_log import list_audit
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        entries = list_audit(
            session, actor_for(session, as_user), consultation_id=consultation, user=user,
            since=since, until=until, limit=limit,
        )
    if as_json:
        print_json(entries.to_dict())
        return
    if not entries.entries:
        typer.echo("No audit rows.")
        return
    for e in entries.entries:
        typer.echo(f"#{e.id}  {e.at:%Y-%m-%d %H:%M}  {e.actor}  {e.action}  {e.summary_zh}")
        for c in e.changes:
            if c.get("change") == "changed":
                typer.echo(f"    {c['name_zh']} {c['field_zh']}: {_short(c['before'])} → {_short(c['after'])}")
            elif "change" in c:
                typer.echo(f"    {c['name_zh']} {'新建' if c['change'] == 'created' else '删除'}")


def _short(value: object, width: int = 60) -> str:
    if value is None or value == []:
        return "（空）"
    text = "、".join(map(str, value)) if isinstance(value, list) else str(value)
    return text if len(text) <= width else text[: width - 1] + "…"
