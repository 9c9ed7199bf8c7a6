"""`minyi draft align OLD NEW`: which article became which between two versions."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import draft_app
from minyi.cli.output import JSON_HELP, print_json

_CHANGE_ZH = {"modified": "修改", "added": "新增", "deleted": "删除", "moved": "移动", "unchanged": "未改"}


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
    from pipeline.align import align_versions
    from pipeline.drafts.parser import parse_file

    old_parsed, new_parsed = parse_file(old), parse_file(new)
    rows = align_versions(old_parsed, new_parsed)
    if as_json:
        print_json([r.to_dict() for r in rows])
        return
    typer.echo(format_alignment(rows, old_parsed, new_parsed))


def format_alignment(rows, old, new) -> str:  # type: ignore[no-untyped-def]
    """A readable report: counts, then each changed article with an inline diff."""
    from pipeline.align import format_inline_diff, summarise

    counts = summarise(rows)
    lines = [
        f"{len(old.articles)} → {len(new.articles)} articles: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    ]
    for r in rows:
        if r.change == "unchanged":
            continue
        head = f"{r.old_label or '—'} → {r.new_label or '—'}  [{_CHANGE_ZH[r.change]}"
        head += f"，{'合并' if r.group == 'merged' else '拆分'}" if r.group else ""
        head += f"]  similarity {r.similarity:.2f}" if r.old and r.new else "]"
        lines.append("")
        lines.append(head)
        if r.change == "added":
            lines.append("  {+" + new.article(r.new_key).text.replace("\n", "") + "+}")
        elif r.change == "deleted":
            lines.append("  [-" + old.article(r.old_key).text.replace("\n", "") + "-]")
        else:
            lines.append("  " + format_inline_diff(old.article(r.old_key).text, new.article(r.new_key).text))
    if counts["unchanged"]:
        lines.append("")
        lines.append(f"({counts['unchanged']} unchanged articles not shown)")
    return "\n".join(lines)
