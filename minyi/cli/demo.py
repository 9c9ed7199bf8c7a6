"""`minyi demo`"""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import app
from minyi.cli.output import JSON_HELP, QUIET_HELP, print_json, stderr


@app.command("demo")
def demo_cmd(
    workdir: Path = typer.Option(Path("minyi-demo"), "--workdir", help="Folder for the demo database and outputs."),
    backend: str = typer.Option(None, "--backend", help="Embedding backend: use, sentence-transformers or tfidf."),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run the main job on the shipped sample consultation and write its outputs.

    Example: minyi demo --workdir /tmp/minyi-demo
    """
    from minyi.demo import run_demo

    def log(message: str) -> None:
        if not quiet and not as_json:
            stderr.print(message)

    result = run_demo(workdir, backend=backend, quiet=quiet or as_json, log=log)
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(f"Database: {result.database_url}")
    typer.echo(f"Sample consultation: id {result.consultation_id}")
    for name, path in result.outputs.items():
        typer.echo(f"{name}: {path}")
