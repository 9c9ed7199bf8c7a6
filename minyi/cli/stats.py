"""`minyi stats`: adoption statistics by contact point, consultation, year or channel (a thin
shell over ``minyi.services.documents.statistics``)."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import app
from minyi.cli.output import as_option


@app.command("stats")
def stats_cmd(
    by: str = typer.Option("contact-point", "--by", help="contact-point, consultation, year or channel."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or xlsx."),
    year: int = typer.Option(None, "--year", help="Only consultations opened in this year."),
    contact_point: str = typer.Option(None, "--contact-point", help="Only this contact point."),
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
    chart: Path = typer.Option(None, "--chart", help="Also draw a bar chart (PNG) of fed back vs adopted."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
    as_user: str = as_option(),
) -> None:
    """Consultations taken part in, comments, suggestions fed back, adopted (采纳 + 部分采纳)
    and the adoption rate.

    Example: minyi stats --by year --format csv -o stats.csv --chart stats.png
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.documents import statistics

    if as_json:
        fmt = "json"
    with unit_of_work() as session:
        result = statistics(session, actor_for(session, as_user), by, fmt, output, year=year,
                            contact_point=contact_point, chart=chart)
    if output is None:
        typer.echo(result.text, nl=False)
    else:
        typer.echo(f"Wrote {output}" + (f" and {chart}" if chart else ""), err=fmt == "json")
