"""`minyi user add|list`: people who log in to the review application."""

from __future__ import annotations

import typer

from minyi.cli.apps import app
from minyi.cli.output import JSON_HELP, as_option, print_json

user_app = typer.Typer(
    help="Users of the review application (minyi serve).\n\n"
    "Example: minyi user add wangfang --role staff --contact-point 华富街道基层立法联系点",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(user_app, name="user")


@user_app.command("add")
def add_cmd(
    name: str = typer.Argument(..., help="The user name to log in with."),
    role: str = typer.Option(..., "--role", help="admin, staff (联系点工作人员) or reviewer (法工委审阅人)."),
    contact_point: list[str] = typer.Option(
        None, "--contact-point", help="A contact point a staff member works for (repeat for several)."
    ),
    consultation: list[int] = typer.Option(
        None, "--consultation", help="Limit a reviewer to this consultation id (repeat for several)."
    ),
    password: str = typer.Option(
        None, "--password", help="The password (at least 8 characters); asked for when omitted."
    ),
    display_name: str = typer.Option(None, "--display-name", help="The name pages show."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Add a user who logs in to the review application.

    Example: minyi user add liming --role reviewer --consultation 1 --password 'a long secret'
    """
    from minyi.services.accounts import add_user
    from minyi.services.context import actor_for, unit_of_work

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    with unit_of_work() as session:
        info = add_user(session, actor_for(session, as_user), name, role, password=password,
                        contact_points=contact_point or [], consultation_ids=consultation or [],
                        display_name=display_name)
    if as_json:
        print_json(info.to_dict())
        return
    where = f", contact points: {', '.join(info.contact_points)}" if info.contact_points else ""
    typer.echo(f"Added user {info.username} ({info.role}{where})")


@user_app.command("list")
def list_cmd(as_json: bool = typer.Option(False, "--json", help=JSON_HELP), as_user: str = as_option()) -> None:
    """List the users.

    Example: minyi user list --json
    """
    from minyi.services.accounts import list_users
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        users = list_users(session, actor_for(session, as_user))
    if as_json:
        print_json([u.to_dict() for u in users])
        return
    for u in users:
        points = "、".join(u.contact_points)
        typer.echo(f"{u.username}\t{u.role}\t{'active' if u.active else 'disabled'}\t{points}")
