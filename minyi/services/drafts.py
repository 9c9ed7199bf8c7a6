"""Draft texts without a database: parse one, align two versions."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from minyi.core.drafts import ParsedDraft
from pipeline.align import AlignedPair, align_versions, format_inline_diff, summarise
from pipeline.drafts.parser import format_outline, parse_file

_CHANGE_ZH = {"modified": "修改", "added": "新增", "deleted": "删除", "moved": "移动", "unchanged": "未改"}


def parse_draft(path: str | Path) -> ParsedDraft:
    """The article tree of a .txt/.md/.docx/.pdf draft (InputError naming the file)."""
    return parse_file(path)


def draft_outline(draft: ParsedDraft) -> str:
    return format_outline(draft)


@dataclass
class Alignment:
    old: ParsedDraft
    new: ParsedDraft
    rows: list[AlignedPair]

    @property
    def counts(self) -> dict[str, int]:
        return summarise(self.rows)

    def to_list(self) -> list[dict[str, Any]]:
        return [r.to_dict() for r in self.rows]


def align_files(old: str | Path, new: str | Path) -> Alignment:
    """Which article became which between two versions."""
    old_parsed, new_parsed = parse_file(old), parse_file(new)
    return Alignment(old_parsed, new_parsed, align_versions(old_parsed, new_parsed))


def alignment_report(alignment: Alignment) -> str:
    """A readable report: counts, then each changed article with an inline diff."""
    old, new, counts = alignment.old, alignment.new, alignment.counts
    lines = [
        f"{len(old.articles)} → {len(new.articles)} articles: "
        + ", ".join(f"{k} {v}" for k, v in counts.items() if v)
    ]
    for r in alignment.rows:
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
