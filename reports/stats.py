"""Adoption statistics: consultations taken part in, comments, suggestions fed back, adopted
(采纳 + 部分采纳, each also separately) and the adoption rate, by contact point,
consultation, year or channel.

Units: a comment is one submission (件); "suggestions fed back" counts suggestions after
deduplication (条: a duplicate group counts once within each group of the table); a
suggestion's status is the reviewer's manual decision, else the detector's. The total
line is computed over all suggestions, not summed from the lines (a duplicate group can
span channels or contact points).
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from minyi.errors import InputError
from models.entities import CHANNELS
from models.report_queries import (
    StatRow,
    contact_point_id_by_name,
    dedup_statuses,
    stat_rows,
    symposium_counts,
)

GROUPINGS = ("contact-point", "consultation", "year", "channel")
FORMATS = ("table", "json", "csv", "xlsx")
NO_POINT = "（未指定联系点）"
COLUMNS_ZH = {
    "key": "分组",
    "consultations": "参与征集（部）",
    "comments": "收到意见（件）",
    "suggestions": "反馈建议（条）",
    "adopted": "被采纳（条）",
    "adopted_full": "采纳",
    "adopted_partly": "部分采纳",
    "not_adopted": "未采纳",
    "undecided": "未决定",
    "rate": "采纳率（%）",
}


@dataclass
class StatLine:
    key: str
    consultations: int
    comments: int
    suggestions: int
    adopted: int  # 采纳 + 部分采纳
    adopted_full: int
    adopted_partly: int
    not_adopted: int
    undecided: int
    rate: float  # adopted / suggestions, percent, one decimal

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class StatsResult:
    by: str
    year: int | None
    contact_point: str | None
    lines: list[StatLine]
    total: StatLine
    symposiums: int = 0
    symposium_participants: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "year": self.year,
            "contact_point": self.contact_point,
            "lines": [line.to_dict() for line in self.lines],
            "total": self.total.to_dict(),
            "symposiums": self.symposiums,
            "symposium_participants": self.symposium_participants,
        }


def _key_function(by: str) -> Callable[[StatRow], str]:
    if by == "contact-point":
        return lambda r: r.contact_point or NO_POINT
    if by == "consultation":
        return lambda r: r.consultation_title
    if by == "year":
        return lambda r: f"{r.year}年" if r.year else "（年份不详）"
    if by == "channel":
        return lambda r: CHANNELS.get(r.channel, r.channel)
    raise InputError(f"--by: {by!r} is not one of {', '.join(GROUPINGS)}")


def summarise(key: str, rows: list[StatRow], unit_status: dict[tuple[int, int], str | None] | None = None) -> StatLine:
    """One line of the table from its suggestions (pure). ``unit_status`` gives each
    deduplicated suggestion its status decided over all its duplicates, so a duplicate in
    another channel counts as adopted too."""
    if unit_status is None:
        unit_status = dedup_statuses(rows)
    statuses = [unit_status.get(k) for k in {r.dedup_key for r in rows}]
    full = sum(1 for s in statuses if s == "采纳")
    partly = sum(1 for s in statuses if s == "部分采纳")
    total = len(statuses)
    return StatLine(
        key=key,
        consultations=len({r.consultation_id for r in rows}),
        comments=len({r.comment_id for r in rows}),
        suggestions=total,
        adopted=full + partly,
        adopted_full=full,
        adopted_partly=partly,
        not_adopted=sum(1 for s in statuses if s == "未采纳"),
        undecided=sum(1 for s in statuses if s is None),
        rate=round(100 * (full + partly) / total, 1) if total else 0.0,
    )


def compute(rows: list[StatRow], by: str) -> tuple[list[StatLine], StatLine]:
    """Lines per group (largest first; years and consultations in time order) and the total."""
    key = _key_function(by)
    groups: dict[str, list[StatRow]] = defaultdict(list)
    first_seen: dict[str, tuple[int, int]] = {}
    for r in rows:
        k = key(r)
        groups[k].append(r)
        first_seen.setdefault(k, (r.year or 0, r.consultation_id))
    unit_status = dedup_statuses(rows)
    lines = [summarise(k, g, unit_status) for k, g in groups.items()]
    if by in ("year", "consultation"):
        lines.sort(key=lambda line: first_seen[line.key])
    else:
        lines.sort(key=lambda line: (-line.suggestions, line.key))
    return lines, summarise("合计", rows, unit_status)


def load_stats(
    session: Session,
    by: str = "contact-point",
    *,
    year: int | None = None,
    contact_point: str | None = None,
) -> StatsResult:
    if by not in GROUPINGS:
        raise InputError(f"--by: {by!r} is not one of {', '.join(GROUPINGS)}")
    point_id = contact_point_id_by_name(session, contact_point)
    rows, _consultations = stat_rows(session, year=year, contact_point_id=point_id)
    lines, total = compute(rows, by)
    held, participants = symposium_counts(session, {r.consultation_id for r in rows}, point_id)
    return StatsResult(by, year, contact_point, lines, total, held, participants)


# --- output ---------------------------------------------------------------------------

FIELDS = list(COLUMNS_ZH)


def _values(line: StatLine) -> list[Any]:
    d = line.to_dict()
    return [d[f] for f in FIELDS]


def to_csv(result: StatsResult) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(FIELDS)
    for line in [*result.lines, result.total]:
        writer.writerow(_values(line))
    return buf.getvalue()


def to_table(result: StatsResult) -> str:
    """A plain-text table (rich) for the terminal."""
    from rich.console import Console
    from rich.table import Table

    table = Table(*[COLUMNS_ZH[f] for f in FIELDS], title=f"按{_BY_ZH[result.by]}统计")
    for line in result.lines:
        table.add_row(*[str(v) for v in _values(line)])
    table.add_row(*[str(v) for v in _values(result.total)], style="bold")
    console = Console(width=160, record=True, file=io.StringIO())
    console.print(table)
    return console.export_text()


_BY_ZH = {"contact-point": "联系点", "consultation": "法规", "year": "年度", "channel": "渠道"}


def write_stats(result: StatsResult, fmt: str, path: str | Path | None) -> str:
    """Render in ``fmt``; writes ``path`` when given and returns the text (or the path for
    xlsx)."""
    if fmt not in FORMATS:
        raise InputError(f"--format: {fmt!r} is not one of {', '.join(FORMATS)}")
    if fmt == "xlsx":
        if path is None:
            raise InputError("--format xlsx needs -o FILE.xlsx")
        from reports.xlsx_writer import Sheet, write_sheets

        return write_sheets(
            [Sheet(f"按{_BY_ZH[result.by]}统计", [COLUMNS_ZH[f] for f in FIELDS],
                   [_values(line) for line in [*result.lines, result.total]])],
            path,
        )
    text = {
        "json": lambda: json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n",
        "csv": lambda: to_csv(result),
        "table": lambda: to_table(result),
    }[fmt]()
    if path is not None:
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(text, encoding="utf-8")
    return text
