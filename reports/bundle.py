"""The bundles that carry feedback between levels, and how a higher level's documents show
where its rows came from.

A *feedback bundle* (``minyi report feedback --format bundle``) is one JSON file, versioned
by ``schema``: the consultation, the draft version it was read against (label, title, text
hash), and every row of the feedback document with its article, scope, cluster, wording,
counts, channels and provenance — built from the masked document, so it carries no personal
data. A *decisions bundle* goes the other way: per row a lower level sent, the decision
taken above and the reply to give.

Everything here is pure: the application layer (``minyi.services.rollup``) loads, masks and
stores; this module shapes dicts and document rows.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from minyi.core.decisions import precedence
from minyi.core.records import DECISIONS_BUNDLE_SCHEMA as DECISIONS_SCHEMA
from minyi.core.records import FEEDBACK_BUNDLE_SCHEMA as FEEDBACK_SCHEMA
from minyi.core.reporting import STATUS_RANK, ClusterView, SuggestionRow

SCHEMAS = (FEEDBACK_SCHEMA, DECISIONS_SCHEMA)
BUNDLE_SUFFIX = ".bundle.json"


class OriginLike(Protocol):
    people: int
    points: list[dict[str, Any]]


# --- rows at a higher level ---------------------------------------------------------------


def comment_people(comment_id: int, origins: Mapping[int, OriginLike]) -> int:
    """The people a comment stands for: a rolled-up row its count, anyone else one."""
    origin = origins.get(comment_id)
    return max(1, int(origin.people)) if origin is not None else 1


def people_of(members: Iterable[SuggestionRow], origins: Mapping[int, OriginLike]) -> int:
    return sum(comment_people(c, origins) for c in {m.comment_id for m in members})


def weigh_views(views: list[ClusterView], origins: Mapping[int, OriginLike]) -> list[ClusterView]:
    """Views whose ``count`` counts the people behind rolled-up rows ("M人提出")."""
    if not origins:
        return views
    return [replace(v, count=people_of(v.members, origins)) for v in views]


def point_people(members: Iterable[SuggestionRow], origins: Mapping[int, OriginLike],
                 own_point: str | None) -> dict[str, int]:
    """Leaf contact point → people, over the distinct comments of ``members``: a rolled-up
    row counts for the points it names, a comment gathered here for its own point."""
    out: Counter[str] = Counter()
    seen: set[int] = set()
    for m in members:
        if m.comment_id in seen:
            continue
        seen.add(m.comment_id)
        origin = origins.get(m.comment_id)
        if origin is not None and origin.points:
            for p in origin.points:
                out[str(p.get("name") or m.contact_point or "")] += int(p.get("people") or 1)
        elif origin is not None:
            out[m.contact_point or own_point or ""] += max(1, int(origin.people))
        else:
            out[m.contact_point or own_point or ""] += 1
    out.pop("", None)
    return dict(out)


def points_text(points: Mapping[str, int]) -> str:
    """有2个联系点、5人提出：甲社区3人、乙社区2人."""
    total = sum(points.values())
    listed = "、".join(f"{name}{n}人" for name, n in sorted(points.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"有{len(points)}个联系点、{total}人提出：{listed}"


def points_list(points: Mapping[str, int]) -> str:
    """2个联系点：甲社区3人、乙社区2人."""
    listed = "、".join(f"{name}{n}人" for name, n in sorted(points.items(), key=lambda kv: (-kv[1], kv[0])))
    return f"{len(points)}个联系点：{listed}"


def attribute_rows(rows: Iterable[Any], members_of: Mapping[int, SuggestionRow],
                   origins: Mapping[int, OriginLike], own_point: str | None) -> int:
    """Name the points behind each feedback row that carries rolled-up rows (its
    提出人/单位 becomes "有N个联系点、M人提出：…"); returns the rows changed."""
    changed = 0
    for row in rows:
        members = [members_of[s] for s in row.suggestion_ids if s in members_of]
        if not any(m.comment_id in origins for m in members):
            continue
        points = point_people(members, origins, own_point)
        # A table cell says it all; an item of 二/四 already ends in "有M人提出".
        row.proposers = points_text(points) if row.section == "article" else points_list(points)
        changed += 1
    return changed


@dataclass
class PointTook:
    """A contact point's part in a higher level's consultation."""

    name: str
    level: str | None = None
    rows: int = 0  # rows it sent (suggestions at this level)
    people: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "level": self.level, "rows": self.rows, "people": self.people}


def participation(rows: Iterable[SuggestionRow], origins: Mapping[int, OriginLike],
                  participants: Iterable[tuple[str, str | None]], own_point: str | None) -> list[PointTook]:
    """Every participating point (sent something or not) with its rows and people; the
    own point's directly gathered comments count for it."""
    took: dict[str, PointTook] = {name: PointTook(name, level) for name, level in participants}
    rows = list(rows)
    per_point_comments: dict[str, set[int]] = {}
    for r in rows:
        origin = origins.get(r.comment_id)
        name = r.contact_point or own_point or ""
        if not name:
            continue
        per_point_comments.setdefault(name, set()).add(r.comment_id)
        took.setdefault(name, PointTook(name))
    for name, comments in per_point_comments.items():
        took[name].rows = len(comments)
        took[name].people = sum(comment_people(c, origins) for c in comments)
    return sorted(took.values(), key=lambda p: (-p.people, p.name))


def participation_text(points: list[PointTook]) -> str:
    """本次征求意见共有N个联系点参与：甲（反馈意见3条，涉及5人）、乙（未反馈意见）。"""
    parts = [
        f"{p.name}（反馈意见{p.rows}条，涉及{p.people}人）" if p.rows else f"{p.name}（未反馈意见）"
        for p in points
    ]
    return f"本次征求意见共有{len(points)}个联系点参与：{'、'.join(parts)}。"


# --- the feedback bundle ------------------------------------------------------------------


def item_key(row: Any) -> str:
    """A row's identity across re-issues: its cluster, else its first suggestion."""
    if row.cluster_id is not None:
        return f"cluster:{row.cluster_id}"
    return f"suggestion:{min(row.suggestion_ids)}" if row.suggestion_ids else f"row:{row.section}:{row.ordinal}"


def strongest(statuses: Iterable[tuple[str, str | None]]) -> tuple[str, str | None] | None:
    """(status, source) that stands for a row: a reviewer's word first, then the strongest."""
    ranked = sorted(statuses, key=lambda s: (precedence(s[1]), STATUS_RANK.get(s[0], 9)))
    return ranked[0] if ranked else None


def feedback_items(doc: Any, members_of: Mapping[int, SuggestionRow], origins: Mapping[int, OriginLike],
                   own_point: str | None) -> list[dict[str, Any]]:
    """The bundle's rows from a (masked) feedback document and its (masked) rows."""
    items = []
    for row in doc.rows:
        members = [members_of[s] for s in row.suggestion_ids if s in members_of]
        comments = {m.comment_id for m in members}
        channels = Counter()
        for c in comments:
            channels[next(m.channel for m in members if m.comment_id == c)] += 1
        provenance = sorted({(m.channel, m.source_name or "", m.contact_point or "") for m in members})
        types = Counter(m.type for m in members if m.type)
        items.append({
            "key": item_key(row),
            "section": row.section,
            "scope": row.section if row.section != "other" else "out_of_scope",
            "ordinal": row.ordinal,
            "article": row.article_label,
            "draft_text": row.draft_text,
            "cluster": {"id": row.cluster_id, "label": row.label, "reviewed": row.reviewed},
            "text": row.suggestion,
            "reason": row.reason or None,
            "proposers": row.proposers or None,
            "type": types.most_common(1)[0][0] if types else None,
            "count": row.count,
            "comments": len(comments),
            "suggestions": len(members),
            "channel": channels.most_common(1)[0][0] if channels else "other",
            "channels": dict(channels),
            "points": [{"name": n, "people": p} for n, p in point_people(members, origins, own_point).items()],
            "provenance": [{"channel": ch, "source": src, "contact_point": cp} for ch, src, cp in provenance],
            "suggestion_ids": list(row.suggestion_ids),
        })
    return items


def bundle_points(items: list[dict[str, Any]], levels: Mapping[str, str | None]) -> list[dict[str, Any]]:
    """The leaf points of a bundle with their rows and people."""
    rows: Counter[str] = Counter()
    people: Counter[str] = Counter()
    for item in items:
        for p in item["points"]:
            rows[p["name"]] += 1
            people[p["name"]] += int(p["people"])
    return [{"name": n, "level": levels.get(n), "rows": rows[n], "people": people[n]}
            for n in sorted(rows, key=lambda n: (-people[n], n))]


@dataclass
class FeedbackBundle:
    """A feedback bundle as written (``to_dict``) — one JSON file."""

    formats = ("bundle",)

    uid: str
    sequence: int
    issued_at: datetime
    contact_point: dict[str, Any]
    consultation: dict[str, Any]
    draft_version: dict[str, Any] | None
    figures: dict[str, Any]
    items: list[dict[str, Any]]
    points: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": FEEDBACK_SCHEMA,
            "kind": "feedback",
            "bundle_id": self.uid,
            "sequence": self.sequence,
            "issued_at": self.issued_at.isoformat(timespec="seconds"),
            "contact_point": self.contact_point,
            "consultation": self.consultation,
            "draft_version": self.draft_version,
            "figures": self.figures,
            "points": self.points,
            # The lower level's suggestion ids stay at the lower level.
            "items": [{k: v for k, v in i.items() if k != "suggestion_ids"} for i in self.items],
        }

    def summary(self) -> dict[str, Any]:
        return {"bundle_id": self.uid, "sequence": self.sequence, "items": len(self.items),
                "people": sum(int(i["count"]) for i in self.items), "points": self.points}


@dataclass
class DecisionsBundle:
    """Decisions on the rows lower levels sent, going back down."""

    uid: str
    sequence: int
    issued_at: datetime
    contact_point: dict[str, Any]
    consultation: dict[str, Any]
    items: list[dict[str, Any]]  # {"point", "key", "status", "note", "final_articles", "reply"}

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": DECISIONS_SCHEMA,
            "kind": "decisions",
            "bundle_id": self.uid,
            "sequence": self.sequence,
            "issued_at": self.issued_at.isoformat(timespec="seconds"),
            "contact_point": self.contact_point,
            "consultation": self.consultation,
            "items": self.items,
        }

    def summary(self) -> dict[str, Any]:
        return {"bundle_id": self.uid, "items": len(self.items),
                "statuses": dict(Counter(i["status"] or "未决定" for i in self.items)),
                "points": sorted({i["point"] for i in self.items})}


def write_bundle(bundle: FeedbackBundle | DecisionsBundle, path: str | Path) -> str:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(bundle.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return str(path)


# --- statistics across levels -------------------------------------------------------------


@dataclass
class PointLine:
    """A point's own figures and its roll-up total (itself and every point below it)."""

    key: str
    level: str | None
    parent: str | None
    own: Any  # reports.stats.StatLine
    total: Any

    def to_dict(self) -> dict[str, Any]:
        return {"key": self.key, "level": self.level, "parent": self.parent,
                "own": self.own.to_dict(), "total": self.total.to_dict()}


STAT_COLUMNS = ["分组", "级别", "上级", "反馈建议（条）", "被采纳（条）", "采纳", "部分采纳", "未采纳", "未决定",
                "采纳率（%）", "含下级：反馈建议（条）", "含下级：被采纳（条）", "含下级：采纳率（%）"]


@dataclass
class RollupStats:
    """Fed back, adopted, partly adopted and the rate per point (with roll-up totals), per
    level and per year."""

    formats = ("table", "json", "csv", "xlsx")

    year: int | None
    top: str | None
    by_point: list[PointLine]
    by_level: list[Any]  # StatLine, key = level
    by_year: list[Any]
    total: Any

    def to_dict(self) -> dict[str, Any]:
        return {"year": self.year, "top": self.top, "by_point": [p.to_dict() for p in self.by_point],
                "by_level": [s.to_dict() for s in self.by_level], "by_year": [s.to_dict() for s in self.by_year],
                "total": self.total.to_dict(), "sentence": self.sentence()}

    def _point_row(self, p: PointLine) -> list[Any]:
        o, t = p.own, p.total
        return [p.key, p.level or "", p.parent or "", o.suggestions, o.adopted, o.adopted_full, o.adopted_partly,
                o.not_adopted, o.undecided, o.rate, t.suggestions, t.adopted, t.rate]

    @staticmethod
    def _line_row(s: Any) -> list[Any]:
        return [s.key, "", "", s.suggestions, s.adopted, s.adopted_full, s.adopted_partly, s.not_adopted,
                s.undecided, s.rate, s.suggestions, s.adopted, s.rate]

    def to_table(self) -> tuple[list[str], list[list[Any]]]:
        rows = [self._point_row(p) for p in self.by_point]
        rows += [self._line_row(s) for s in [*self.by_level, *self.by_year, self.total]]
        return STAT_COLUMNS, rows

    def to_sheets(self) -> list[Any]:
        from reports.document import Sheet

        return [
            Sheet("按联系点", STAT_COLUMNS, [self._point_row(p) for p in self.by_point], title=self.sentence()),
            Sheet("按级别", STAT_COLUMNS, [self._line_row(s) for s in [*self.by_level, self.total]]),
            Sheet("按年度", STAT_COLUMNS, [self._line_row(s) for s in [*self.by_year, self.total]]),
        ]

    def to_text(self) -> str:
        import io

        from rich.console import Console
        from rich.table import Table

        table = Table(*STAT_COLUMNS, title="各级联系点反馈及采纳情况")
        for row in self.to_table()[1]:
            table.add_row(*[str(v) for v in row])
        console = Console(width=200, record=True, file=io.StringIO())
        console.print(table)
        console.print(self.sentence())
        return console.export_text()

    def sentence(self) -> str:
        """The yearly summary text of a district or city (年度工作情况)."""
        t = self.total
        head = f"{self.year}年，" if self.year else ""
        subject = self.top or "各级基层立法联系点"
        below = len([p for p in self.by_point if p.key != self.top])
        who = f"{subject}及所辖{below}个联系点" if self.top else f"{subject}（{len(self.by_point)}个）"
        text = (f"{head}{who}共参与法律法规意见征集{t.consultations}部，反馈建议{t.suggestions}条，"
                f"被采纳{t.adopted}条")
        if t.adopted:
            text += f"（其中采纳{t.adopted_full}条、部分采纳{t.adopted_partly}条）"
        text += f"，采纳率{t.rate:.1f}%。"
        levels = [f"{s.key}联系点反馈建议{s.suggestions}条、被采纳{s.adopted}条" for s in self.by_level if s.suggestions]
        if len(levels) > 1:
            text += f"其中，{'；'.join(levels)}。"
        return text


NO_LEVEL = "（级别未定）"


def build_rollup_stats(rows: list[Any], points: list[tuple[str, str | None, str | None]], *,
                       year: int | None = None, top: str | None = None) -> RollupStats:
    """``rows``: StatRow (one per suggestion, counted once); ``points``: (name, level,
    parent) of every point known here. Pure."""
    from minyi.core.reporting import dedup_statuses
    from minyi.core.vocab import CONTACT_POINT_LEVELS
    from reports.stats import NO_POINT, summarise

    level_of = {n: lv for n, lv, _p in points}
    parent_of = {n: p for n, _lv, p in points}
    children: dict[str | None, list[str]] = {}
    for n, _lv, p in points:
        children.setdefault(p, []).append(n)

    def below(name: str) -> list[str]:
        out, todo = [], [name]
        while todo:
            n = todo.pop()
            out.append(n)
            todo.extend(c for c in children.get(n, []) if c not in out)
        return out

    if top:
        scope = set(below(top))
        rows = [r for r in rows if r.contact_point in scope]
    unit_status = dedup_statuses(rows)
    by_name: dict[str, list[Any]] = {}
    for r in rows:
        by_name.setdefault(r.contact_point or NO_POINT, []).append(r)
    names = [n for n, _lv, _p in points if (not top or n in scope)]
    names += [n for n in by_name if n not in names]
    lines = []
    for n in names:
        family = [r for m in below(n) for r in by_name.get(m, [])] if n in level_of else by_name.get(n, [])
        if not family:
            continue
        lines.append(PointLine(n, level_of.get(n), parent_of.get(n), summarise(n, by_name.get(n, []), unit_status),
                               summarise(n, family, unit_status)))
    order = {lv: i for i, lv in enumerate(CONTACT_POINT_LEVELS)}
    lines.sort(key=lambda p: (order.get(p.level, 99), -p.total.suggestions, p.key))
    by_level: dict[str, list[Any]] = {}
    for r in rows:
        by_level.setdefault(level_of.get(r.contact_point or "") or NO_LEVEL, []).append(r)
    level_lines = [summarise(lv, by_level[lv], unit_status)
                   for lv in sorted(by_level, key=lambda lv: order.get(lv, 99))]
    by_year: dict[str, list[Any]] = {}
    for r in rows:
        by_year.setdefault(f"{r.year}年" if r.year else "（年份不详）", []).append(r)
    year_lines = [summarise(y, by_year[y], unit_status) for y in sorted(by_year)]
    return RollupStats(year, top, lines, level_lines, year_lines, summarise("合计", rows, unit_status))
