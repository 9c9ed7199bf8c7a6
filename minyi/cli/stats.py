"""`minyi stats`: adoption statistics by contact point, consultation, year or channel."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import app


@app.command("stats")
def stats_cmd(
    by: str = typer.Option("contact-point", "--by", help="contact-point, consultation, year or channel."),
    fmt: str = typer.Option("table", "--format", help="table, json, csv or xlsx."),
    year: int = typer.Option(None, "--year", help="Only consultations opened in this year."),
    contact_point: str = typer.Option(None, "--contact-point", help="Only this contact point."),
    output: Path = typer.Option(None, "-o", "--output", help="Write to this file instead of stdout."),
    chart: Path = typer.Option(None, "--chart", help="Also draw a bar chart (PNG) of fed back vs adopted."),
    as_json: bool = typer.Option(False, "--json", help="Same as --format json."),
) -> None:
    """Consultations taken part in, comments, suggestions fed back, adopted (采纳 + 部分采纳)
    and the adoption rate.

    Example: minyi stats --by year --format csv -o stats.csv --chart stats.png
    """
    from models.db import require_schema, session_scope
    from reports.stats import load_stats, write_stats

    if as_json:
        fmt = "json"
    with session_scope() as session:
        require_schema(session)
        result = load_stats(session, by, year=year, contact_point=contact_point)
    text = write_stats(result, fmt, output)
    if chart is not None:
        from reports import charts

        lines = result.lines
        charts.adoption_bars(
            [line.key for line in lines], [line.suggestions for line in lines],
            [line.adopted_full for line in lines], [line.adopted_partly for line in lines],
            "反馈建议及采纳情况", chart,
        )
    if output is None:
        typer.echo(text, nl=False)
    else:
        typer.echo(f"Wrote {output}" + (f" and {chart}" if chart else ""), err=fmt == "json")
