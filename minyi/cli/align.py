"""`minyi draft align OLD NEW`: which article became which between two versions."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import draft_app
from minyi.cli.output import JSON_HELP, print_json

@draft_app.command("align")
def align_cmd(
    old: Path = typer.Argument(..., help="Earlier version (e.g. the 征求意见稿): .txt, .md, .docx or .pdf."),
    new: Path = typer.Argument(..., help="Later version (e.g. the 公布稿)."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP + " One row per article pair."),
) -> None:
    """Align the articles of two versions and show what changed.

    Rows: {"old", "new", "similarity", "change"} with change one of unchanged, modified,
    added, deleted, moved; a merge shows as two rows sharing "new" and a split as two rows
    sharing "old" (marked by "group"). Without --json: a diff per changed article.

    Example: minyi draft align 征求意见稿.docx 公布稿.docx --json
    """
    from minyi.services.drafts import align_files, alignment_report

    alignment = align_files(old, new)
    if as_json:
        print_json(alignment.to_list())
        return
    typer.echo(alignment_report(alignment))
