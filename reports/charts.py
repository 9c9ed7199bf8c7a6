"""Charts (matplotlib, PNG) with Chinese labels.

Figures are built with ``matplotlib.figure.Figure`` (no pyplot state, safe in servers and
tests) using the CJK font that ``reports.fonts`` finds at run time. ``save`` refuses to
write a chart with tofu boxes: matplotlib's "Glyph … missing from font(s)" warning becomes a
``DependencyMissing`` error.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

from matplotlib.figure import Figure

from minyi.core.errors import DependencyMissing
from reports.fonts import use_cjk_font

ADOPTED_COLOUR = "#c0392b"
PARTLY_COLOUR = "#e67e22"
FED_BACK_COLOUR = "#7f8c8d"
STATUS_COLOURS = {
    "采纳": ADOPTED_COLOUR, "部分采纳": PARTLY_COLOUR, "未采纳": "#34495e", "已有规定": "#16a085",
    "研究参考": "#2980b9", "无法判断": "#95a5a6", "待定": "#bdc3c7", "未决定": "#bdc3c7",
}


def new_figure(width_in: float = 8, height_in: float = 4.5) -> Figure:
    use_cjk_font()
    return Figure(figsize=(width_in, height_in), dpi=150, layout="constrained")


def save(fig: Figure, path: str | Path) -> str:
    """Write the PNG; a missing glyph is an error, not a silent tofu box."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig.savefig(str(path), format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    if missing:
        path.unlink(missing_ok=True)
        raise DependencyMissing(f"chart {path.name}: {missing[0]} (no CJK font in use)")
    return str(path)


def wrap_label(label: str, width: int = 8) -> str:
    """The whole label on as many lines as it needs (never cut short): after 》 or before
    （ where possible, else every ``width`` characters."""
    lines: list[str] = []
    rest = label.strip()
    while len(rest) > width:
        window = rest[: width + 2]
        cut = max(window.rfind("》") + 1, window.rfind("（"), 0)
        cut = cut if cut >= width // 2 else width
        lines.append(rest[:cut])
        rest = rest[cut:]
    lines.append(rest)
    return "\n".join(x for x in lines if x)


def adoption_bars(labels: Sequence[str], fed_back: Sequence[int], adopted_full: Sequence[int],
                  adopted_partly: Sequence[int], title: str, path: str | Path) -> str:
    """Suggestions fed back beside those adopted (采纳 and 部分采纳 stacked), per group,
    with the adoption rate above each group."""
    wrapped = [wrap_label(label) for label in labels]
    depth = max((w.count("\n") + 1 for w in wrapped), default=1)
    fig = new_figure(max(6.0, 1.3 * len(labels) + 3), 4.0 + 0.22 * depth)
    ax = fig.subplots()
    xs = list(range(len(labels)))
    w = 0.38
    ax.bar([x - w / 2 for x in xs], fed_back, w, label="反馈建议", color=FED_BACK_COLOUR)
    ax.bar([x + w / 2 for x in xs], adopted_full, w, label="采纳", color=ADOPTED_COLOUR)
    ax.bar([x + w / 2 for x in xs], adopted_partly, w, bottom=adopted_full, label="部分采纳",
           color=PARTLY_COLOUR)
    for x, total, full, partly in zip(xs, fed_back, adopted_full, adopted_partly):
        rate = 100 * (full + partly) / total if total else 0
        ax.annotate(f"采纳率{rate:.1f}%", (x, total), ha="center", va="bottom", fontsize=9,
                    xytext=(0, 3), textcoords="offset points")
    ax.set_xticks(xs, wrapped, fontsize=9)
    ax.set_xlim(-0.8, max(len(labels), 3) - 0.2)  # a lone group keeps slim bars
    ax.set_ylabel("条数")
    ax.set_title(title)
    ax.legend(frameon=False)
    ax.margins(y=0.15)
    ax.spines[["top", "right"]].set_visible(False)
    return save(fig, path)


def status_pie(counts: dict[str, int], title: str, path: str | Path) -> str:
    """Share of each adoption status, every slice named with its count and share in the
    legend (采纳、部分采纳、未采纳、已有规定、研究参考、无法判断、待定; no unnamed 其他)."""
    items = [(k, v) for k, v in counts.items() if v]
    total = sum(v for _, v in items)
    fig = new_figure(7, 4.5)
    ax = fig.subplots()
    if items:
        wedges, _texts = ax.pie([v for _, v in items],
                                colors=[STATUS_COLOURS.get(k, "#999999") for k, _ in items],
                                startangle=90, counterclock=False,
                                wedgeprops={"linewidth": 1, "edgecolor": "white"})
        ax.legend(wedges, [f"{k}  {v}条（{100 * v / total:.1f}%）" for k, v in items],
                  loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
        ax.set_aspect("equal")
    else:
        ax.text(0.5, 0.5, "暂无采纳情况", ha="center", va="center")
        ax.axis("off")
    ax.set_title(title)
    return save(fig, path)


def horizontal_bars(labels: Sequence[str], values: Sequence[int], title: str, path: str | Path,
                    xlabel: str = "人数") -> str:
    """Top articles (or channels …) as horizontal bars, largest on top."""
    fig = new_figure(7, max(3.0, 0.4 * len(labels) + 1.5))
    ax = fig.subplots()
    ys = list(range(len(labels)))[::-1]
    ax.barh(ys, values, color=FED_BACK_COLOUR)
    ax.set_yticks(ys, [wrap_label(label, 14) for label in labels])
    for y, v in zip(ys, values):
        ax.annotate(str(v), (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_xlabel(xlabel)
    ax.set_title(title)
    ax.spines[["top", "right"]].set_visible(False)
    return save(fig, path)
