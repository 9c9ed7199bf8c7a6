"""`minyi db …`"""

from __future__ import annotations

import typer

from minyi.cli.apps import db_app
from minyi.cli.output import JSON_HELP, print_json


@db_app.command("upgrade")
def upgrade_cmd(
    revision: str = typer.Argument("head", help="Target Alembic revision."),
    database_url: str = typer.Option(
        None, "--database-url", help="Database URL (default: settings / MINYI_DATABASE_URL)."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Create the database or migrate it to the newest schema.

    Example: minyi db upgrade   (creates ./minyi.db by default)
    """
    from minyi.services.database import upgrade_database

    state = upgrade_database(database_url, revision)
    if as_json:
        print_json(state.to_dict())
    else:
        typer.echo(f"Database {state.database_url} is at revision {state.revision}.")


@db_app.command("current")
def current_cmd(
    database_url: str = typer.Option(None, "--database-url", help="Database URL."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the schema revision of the database.

    Example: minyi db current --json
    """
    from minyi.services.database import database_state

    state = database_state(database_url)
    if as_json:
        print_json({"revision": state.revision})
    else:
        typer.echo(state.revision or "(empty database: run `minyi db upgrade`)")
