"""`minyi review …`: a thin shell over minyi.services.review (reviewer operations)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer

from minyi.cli.apps import review_app
from minyi.cli.output import JSON_HELP, as_option, print_json
from minyi.core.errors import InputError

VERSION_HELP = (
    "Refuse the change unless the row is still at this version (the `version` a previous "
    "--json output or `minyi consultation show` printed)."
)


def _run(operation: str, as_user: str | None, as_json: bool, *args: Any, **kwargs: Any) -> None:
    """One unit of work: the acting user, one reviewer operation, then its summary."""
    from minyi.services import review
    from minyi.services.context import actor_for, unit_of_work

    call: Callable[..., Any] = getattr(review, operation)
    with unit_of_work() as session:
        result = call(session, actor_for(session, as_user), *args, **kwargs)
    show_change(result, as_json)


def show_change(result: Any, as_json: bool) -> None:
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(result.summary_zh)
    for key, snap in result.entities.items():
        typer.echo(f"  {key} → version {snap['version']}")
    for key in result.removed:
        typer.echo(f"  {key} removed")
    if result.action != "undo":
        typer.echo("Undo with: minyi review undo")


def parse_ids(value: str, option: str) -> list[int]:
    """"12,13, 14" → [12, 13, 14]."""
    try:
        ids = [int(part) for part in value.replace("，", ",").split(",") if part.strip()]
    except ValueError as exc:
        raise InputError(f"{option}: {value!r} is not a list of ids such as 12,13") from exc
    if not ids:
        raise InputError(f"{option}: give at least one id")
    return ids


@review_app.command("move")
def move_cmd(
    suggestion: int = typer.Argument(..., help="Suggestion id (see `minyi export suggestions`)."),
    to: list[str] = typer.Option(
        ..., "--to",
        help="12 (第十二条), 12.2 (第十二条第二款), 10之一, general (总体意见), out-of-scope (草案范围外) "
        "or not-opinion (非意见: left out of the document). Repeat for several articles.",
    ),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Move a suggestion (with its duplicates) to other articles, to 总体意见, out of the
    draft's scope, or out of the document as not an opinion.

    Example: minyi review move 42 --to 12.2 --to 13
    """
    _run("move_suggestion", as_user, as_json, suggestion, to, expected_version=expected_version)


@review_app.command("merge")
def merge_cmd(
    clusters: list[int] = typer.Argument(..., help="Cluster ids; the first keeps its label and texts."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP + " (the first cluster's)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Merge clusters of one article into the first.

    Example: minyi review merge 7 9
    """
    _run("merge_clusters", as_user, as_json, clusters, expected_version=expected_version)


@review_app.command("split")
def split_cmd(
    cluster: int = typer.Argument(..., help="Cluster id."),
    members: str = typer.Option(..., "--members", help="Suggestions that form the new cluster: 42,57."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Split a cluster: the chosen suggestions (with their duplicates) form a new cluster.

    Example: minyi review split 7 --members 42,57
    """
    _run("split_cluster", as_user, as_json, cluster, parse_ids(members, "--members"),
         expected_version=expected_version)


@review_app.command("assign")
def assign_cmd(
    suggestion: int = typer.Argument(..., help="Suggestion id."),
    cluster: int = typer.Option(..., "--cluster", help="The cluster it belongs in (same article)."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP + " (the suggestion's)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Move a suggestion (with its duplicates) to another cluster of its article.

    Example: minyi review assign 42 --cluster 9
    """
    _run("assign_suggestion", as_user, as_json, suggestion, cluster, expected_version=expected_version)


@review_app.command("set")
def set_cmd(
    cluster: int = typer.Argument(..., help="Cluster id."),
    label: str = typer.Option(None, "--label", help="A new label (标题)."),
    representative: int = typer.Option(None, "--representative", help="The member suggestion that speaks for it."),
    opinion: str = typer.Option(None, "--opinion", help="The consolidated 修改意见 sent upward (\"\" clears it)."),
    reason: str = typer.Option(None, "--reason", help="Its 理由 (\"\" clears it)."),
    reviewed: bool = typer.Option(
        None, "--reviewed/--not-reviewed",
        help="Mark reviewed: the document then uses the --opinion wording instead of the representative's.",
    ),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Relabel a cluster, choose its representative, write its 修改意见 and 理由, mark it
    reviewed.

    Example: minyi review set 7 --opinion "建议将限速提高至每小时二十五公里。" --reason "与国家标准一致。" --reviewed
    """
    _run("update_cluster", as_user, as_json, cluster, label=label, representative=representative,
         opinion=opinion, reason=reason, reviewed=reviewed, expected_version=expected_version)


@review_app.command("ungroup")
def ungroup_cmd(
    suggestion: int = typer.Argument(..., help="Suggestion id."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Take a suggestion out of its duplicate group; the analysis never puts it back.

    Example: minyi review ungroup 42
    """
    _run("ungroup_suggestion", as_user, as_json, suggestion, expected_version=expected_version)


@review_app.command("join-groups")
def join_groups_cmd(
    groups: list[int] = typer.Argument(..., help="Duplicate group ids; the others join the first."),
    expected_version: int = typer.Option(None, "--expected-version", help=VERSION_HELP + " (the first group's)"),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Join duplicate groups that say the same thing (counted as one opinion).

    Example: minyi review join-groups 3 5
    """
    _run("join_groups", as_user, as_json, groups, expected_version=expected_version)


@review_app.command("undo")
def undo_cmd(
    consultation: int = typer.Option(None, "--consultation", "-c", help="Only operations on this consultation."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    as_user: str = as_option(),
) -> None:
    """Undo your last operation (run it again to undo the one before).

    Example: minyi review undo --consultation 1
    """
    _run("undo", as_user, as_json, consultation_id=consultation)
