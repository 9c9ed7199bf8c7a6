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
    from models.db import get_engine, upgrade

    rev = upgrade(database_url, revision)
    url = get_engine(database_url).url.render_as_string(hide_password=True)
    if as_json:
        print_json({"database_url": url, "revision": rev})
    else:
        typer.echo(f"Database {url} is at revision {rev}.")


@db_app.command("current")
def current_cmd(
    database_url: str = typer.Option(None, "--database-url", help="Database URL."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Show the schema revision of the database.

    Example: minyi db current --json
    """
    from models.db import current_revision

    rev = current_revision(database_url)
    if as_json:
        print_json({"revision": rev})
    else:
        typer.echo(rev or "(empty database: run `minyi db upgrade`)")
