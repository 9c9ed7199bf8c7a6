"""Write a ``reports.document.Doc`` as Markdown (for reading in a browser or a review)."""

from __future__ import annotations

import os
from pathlib import Path

from minyi.core.safety import escape_markdown, safe_link
from reports.document import Doc, Figure, Heading, Para, Table


def _cell(text: str) -> str:
    # A table cell is one line; keep paragraph breaks visible, and a user's text inert
    # (pipes, links, images and HTML literal).
    return escape_markdown(text or "").replace("\n", "<br>")


def render_markdown(doc: Doc, base_dir: str | Path | None = None) -> str:
    md = escape_markdown
    lines = [f"# {md(doc.title)}", ""]
    if doc.subtitle:
        lines += [f"*{md(doc.subtitle)}*", ""]
    if doc.recipient:
        lines += [md(doc.recipient), ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {md(block.text)}", ""]
        elif isinstance(block, Para):
            text = f"**{md(block.lead)}**{md(block.text)}" if block.lead else md(block.text)
            if block.align == "right":
                text = f'<p align="right">{text}</p>'
            lines += [text, ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_cell(c) for c in block.columns) + " |")
            lines.append("|" + "|".join("---" for _ in block.columns) + "|")
            previous: list[str] | None = None
            for row in block.rows:
                shown = [
                    "同上" if previous is not None and i in block.merge_columns and v == previous[i] and v else v
                    for i, v in enumerate(row)
                ]
                lines.append("| " + " | ".join(_cell(v) for v in shown) + " |")
                previous = row
            lines.append("")
        elif isinstance(block, Figure):
            target = block.path
            if base_dir is not None:
                target = os.path.relpath(block.path, base_dir)
            target = safe_link(target) or ""
            lines += [f"![{md(block.caption)}]({target})", ""]
    for text in (doc.issuer, doc.date_text):
        if text:
            lines += [f'<p align="right">{md(text)}</p>', ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(doc: Doc, path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(doc, path.parent), encoding="utf-8")
    return str(path)
