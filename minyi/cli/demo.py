"""`minyi demo`"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from minyi.cli.apps import app
from minyi.cli.analyze import STAGE_ZH
from minyi.cli.output import JSON_HELP, QUIET_HELP, print_json, reporter, stderr


@app.command("demo")
def demo_cmd(
    workdir: Path = typer.Option(Path("minyi-demo"), "--workdir", help="Folder for the demo database and outputs."),
    backend: str = typer.Option(
        None, "--backend", help="Embedding backend: use, use-onnx, sentence-transformers or tfidf."
    ),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Run the main job on the shipped sample consultation and write its outputs.

    Example: minyi demo --workdir /tmp/minyi-demo
    """
    from minyi.services.demo import run_demo

    def log(message: str) -> None:
        if not quiet and not as_json:
            stderr.print(message)

    with reporter(quiet or as_json, STAGE_ZH) as report:
        result = run_demo(workdir, backend=backend, progress=report, log=log)
    if as_json:
        print_json(result.to_dict())
        return
    typer.echo(f"Database: {result.database_url}")
    typer.echo(f"Sample consultation: id {result.consultation_id}")
    for name, path in result.outputs.items():
        typer.echo(f"{name}: {path}")
    web = result.web
    if web:
        typer.echo("")
        typer.echo("Review application (in Chinese, for contact-point staff and reviewers):")
        typer.echo(f"  cd {web['folder']} && {Path(sys.executable).parent / 'minyi'} serve")
        typer.echo(f"  then open {web['address']} and log in as {web['user']} / {web['password']}")
