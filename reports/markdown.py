"""Write a ``reports.feedback.Doc`` as Markdown (for reading in a browser or a review)."""

from __future__ import annotations

import os
from pathlib import Path

from reports.feedback import Doc, Figure, Heading, Para, Table


def _cell(text: str) -> str:
    # A table cell is one line; keep paragraph breaks visible and pipes literal.
    return (text or "").replace("|", "\\|").replace("\n", "<br>")


def render_markdown(doc: Doc, base_dir: str | Path | None = None) -> str:
    lines = [f"# {doc.title}", ""]
    if doc.subtitle:
        lines += [f"*{doc.subtitle}*", ""]
    if doc.recipient:
        lines += [doc.recipient, ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * (block.level + 1)} {block.text}", ""]
        elif isinstance(block, Para):
            text = f"**{block.lead}**{block.text}" if block.lead else block.text
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
            lines += [f"![{block.caption}]({target})", ""]
    for text in (doc.issuer, doc.date_text):
        if text:
            lines += [f'<p align="right">{text}</p>', ""]
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(doc: Doc, path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_markdown(doc, path.parent), encoding="utf-8")
    return str(path)
