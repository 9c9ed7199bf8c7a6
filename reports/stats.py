"""Adoption statistics: consultations taken part in, comments, suggestions fed back, adopted
(采纳 + 部分采纳, each also separately) and the adoption rate, by contact point,
consultation, year or channel.

Units: a comment is one submission (件); "suggestions fed back" counts suggestions after
deduplication (条: a duplicate group counts once, in the group of its first member, so
the lines add up to the 合计 line); a suggestion's status is the reviewer's manual
decision, else the detector's, and every line's status columns (采纳 … 无法判断, 待定) add
up to its 反馈建议. 参与征集（部） of the 合计 line counts distinct consultations (one
consultation can appear on several lines).

``build_stats`` computes from ``StatRow`` lists (loaded by ``models.report_queries``);
``reports.formats`` writes the result as a terminal table, JSON, CSV or a workbook.
"""

from __future__ import annotations

import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from minyi.core.errors import InputError
from minyi.core.reporting import StatRow, dedup_statuses
from minyi.core.vocab import CHANNELS
from reports.document import Sheet

GROUPINGS = ("contact-point", "consultation", "year", "channel")
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
    "already_covered": "已有规定",
    "for_reference": "研究参考",
    "undetermined": "无法判断",
    "undecided": "待定",
    "rate": "采纳率（%）",
}
# Every suggestion has exactly one of these (None: no decision yet, 待定), so the status
# columns of a line add up to its 反馈建议.
STATUS_FIELDS = {
    "采纳": "adopted_full", "部分采纳": "adopted_partly", "未采纳": "not_adopted",
    "已有规定": "already_covered", "研究参考": "for_reference", "无法判断": "undetermined", None: "undecided",
}
STATUS_NAMES = {"adopted_full": "采纳", "adopted_partly": "部分采纳", "not_adopted": "未采纳",
                "already_covered": "已有规定", "for_reference": "研究参考", "undetermined": "无法判断",
                "undecided": "待定"}


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
    undecided: int  # 待定: no decision yet
    rate: float  # adopted / suggestions, percent, one decimal
    already_covered: int = 0  # 已有规定
    for_reference: int = 0  # 研究参考
    undetermined: int = 0  # 无法判断 (the detector could not tell)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def status_counts(self) -> dict[str, int]:
        """Status name → count, every status (待定 included); they add up to ``suggestions``."""
        return {STATUS_NAMES[f]: getattr(self, f) for f in STATUS_FIELDS.values()}


@dataclass
class StatsResult:
    formats = ("table", "json", "csv", "xlsx")  # what reports.formats can write it as

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

    def to_table(self) -> tuple[list[str], list[list[Any]]]:
        """Columns (field names) and one row per line, the total last (CSV)."""
        return FIELDS, [_values(line) for line in [*self.lines, self.total]]

    def to_sheets(self) -> list[Sheet]:
        return [Sheet(f"按{_BY_ZH[self.by]}统计", [COLUMNS_ZH[f] for f in FIELDS],
                      [_values(line) for line in [*self.lines, self.total]])]

    def to_text(self) -> str:
        """A plain-text table (rich) for the terminal."""
        from rich.console import Console
        from rich.table import Table

        table = Table(*[COLUMNS_ZH[f] for f in FIELDS], title=f"按{_BY_ZH[self.by]}统计")
        for line in self.lines:
            table.add_row(*[str(v) for v in _values(line)])
        table.add_row(*[str(v) for v in _values(self.total)], style="bold")
        console = Console(width=160, record=True, file=io.StringIO())
        console.print(table)
        return console.export_text()


def check_grouping(by: str) -> str:
    if by not in GROUPINGS:
        raise InputError(f"--by: {by!r} is not one of {', '.join(GROUPINGS)}")
    return by


# How a suggestion is grouped for each --by.
_KEYS: dict[str, Callable[[StatRow], str]] = {
    "contact-point": lambda r: r.contact_point or NO_POINT,
    "consultation": lambda r: r.consultation_title,
    "year": lambda r: f"{r.year}年" if r.year else "（年份不详）",
    "channel": lambda r: CHANNELS.get(r.channel, r.channel),
}


def summarise(key: str, rows: list[StatRow], unit_status: dict[tuple[int, int], str | None] | None = None,
              units: set[tuple[int, int]] | None = None) -> StatLine:
    """One line of the table from its suggestions (pure). ``unit_status`` gives each
    deduplicated suggestion its status decided over all its duplicates; ``units`` are the
    deduplicated suggestions this line counts (default: all of its rows')."""
    if unit_status is None:
        unit_status = dedup_statuses(rows)
    if units is None:
        units = {r.dedup_key for r in rows}
    statuses = [unit_status.get(k) for k in units]
    counts = {f: 0 for f in STATUS_FIELDS.values()}
    for status in statuses:
        counts[STATUS_FIELDS.get(status, "undetermined")] += 1
    full, partly = counts["adopted_full"], counts["adopted_partly"]
    total = len(statuses)
    return StatLine(
        key=key,
        consultations=len({r.consultation_id for r in rows}),
        comments=len({r.comment_id for r in rows}),
        suggestions=total,
        adopted=full + partly,
        rate=round(100 * (full + partly) / total, 1) if total else 0.0,
        **counts,
    )


def owners(rows: list[StatRow], key: Callable[[StatRow], str]) -> dict[tuple[int, int], str]:
    """The one group each deduplicated suggestion is counted in: that of its first member
    (lowest suggestion id), so the lines add up to the total — a point made in a symposium
    and repeated on the forum is one suggestion, counted once."""
    first: dict[tuple[int, int], StatRow] = {}
    for r in rows:
        if r.dedup_key not in first or r.suggestion_id < first[r.dedup_key].suggestion_id:
            first[r.dedup_key] = r
    return {k: key(r) for k, r in first.items()}


def compute(rows: list[StatRow], by: str) -> tuple[list[StatLine], StatLine]:
    """Lines per group (largest first; years and consultations in time order) and the total;
    comments and suggestions of the lines add up to the total's."""
    key = _KEYS[check_grouping(by)]
    groups: dict[str, list[StatRow]] = defaultdict(list)
    first_seen: dict[str, tuple[int, int]] = {}
    for r in rows:
        k = key(r)
        groups[k].append(r)
        first_seen.setdefault(k, (r.year or 0, r.consultation_id))
    unit_status = dedup_statuses(rows)
    owned: dict[str, set[tuple[int, int]]] = defaultdict(set)
    for unit, group in owners(rows, key).items():
        owned[group].add(unit)
    lines = [summarise(k, g, unit_status, owned[k]) for k, g in groups.items()]
    if by in ("year", "consultation"):
        lines.sort(key=lambda line: first_seen[line.key])
    else:
        lines.sort(key=lambda line: (-line.suggestions, line.key))
    return lines, summarise("合计", rows, unit_status)


def build_stats(
    rows: list[StatRow],
    by: str = "contact-point",
    *,
    year: int | None = None,
    contact_point: str | None = None,
    symposiums: int = 0,
    symposium_participants: int | None = None,
) -> StatsResult:
    """The table grouped ``by`` from the suggestions in range (pure)."""
    lines, total = compute(rows, by)
    return StatsResult(by, year, contact_point, lines, total, symposiums, symposium_participants)


FIELDS = list(COLUMNS_ZH)
_BY_ZH = {"contact-point": "联系点", "consultation": "法规", "year": "年度", "channel": "渠道"}


def _values(line: StatLine) -> list[Any]:
    d = line.to_dict()
    return [d[f] for f in FIELDS]
