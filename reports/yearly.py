"""The yearly summary (年度工作情况), written the way contact points report it:
"共参与法律法规意见征集N部，反馈建议N条，被采纳N条，采纳率N%" — for one contact point, or for
all of them (the district's or city's summary, with one such sentence per point) — then
tables per consultation, per channel and per adoption status, each with a 合计 row, and
charts, in the GB/T 9704 layout.

``build_yearly`` takes the statistics by consultation, channel and contact point
(``reports.stats``); ``reports.formats`` writes the summary as .docx, .pdf or .md (charts
beside the .md file).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from reports.document import Doc, Figure, Heading, Para, Table, cn_ordinal, zh_date
from reports.stats import StatLine, StatsResult

TABLE_COLUMNS = ["序号", "名称", "收到意见（件）", "反馈建议（条）", "被采纳（条）", "采纳率"]
TABLE_WIDTHS = [12, 62, 22, 22, 20, 18]
STATUS_COLUMNS = ["序号", "采纳情况", "建议（条）", "占比"]
STATUS_WIDTHS = [12, 80, 32, 32]
ALL_POINTS = "各基层立法联系点"


def rate_text(rate: float) -> str:
    return f"{rate:.1f}%"


def headline(subject: str, line: StatLine) -> str:
    """"X共参与法律法规意见征集N部，反馈建议N条，被采纳N条，采纳率N%"."""
    return (f"{subject}共参与法律法规意见征集{line.consultations}部，反馈建议{line.suggestions}条，"
            f"被采纳{line.adopted}条，采纳率{rate_text(line.rate)}")


@dataclass
class YearlySummary:
    formats = ("docx", "pdf", "md")  # what reports.formats can write it as

    year: int
    issuer: str  # the contact point, or ALL_POINTS for the whole district or city
    total: StatLine
    by_consultation: StatsResult
    by_channel: StatsResult
    date: date
    by_point: StatsResult | None = None  # the whole district or city: one line per point
    signer: str | None = None  # 落款 (e.g. the district congress' office); default the point

    @property
    def whole(self) -> bool:
        return self.issuer == ALL_POINTS

    def sentence(self) -> str:
        t = self.total
        text = f"{self.year}年，{headline(self.issuer, t)}。"
        details = []
        if t.adopted:
            details.append(f"被采纳的建议中，采纳{t.adopted_full}条、部分采纳{t.adopted_partly}条")
        details.append(f"共收到群众意见{t.comments}件")
        text += "；".join(details) + "。"
        if self.by_consultation.symposiums:
            text += f"全年共召开座谈会{self.by_consultation.symposiums}场"
            if self.by_consultation.symposium_participants:
                text += f"，参加人员{self.by_consultation.symposium_participants}人次"
            text += "。"
        return text

    def point_sentences(self) -> list[str]:
        """One headline per contact point (the whole district's or city's summary)."""
        if self.by_point is None:
            return []
        return [headline(line.key, line) for line in self.by_point.lines]

    def to_doc(self, assets_dir: str | Path) -> Doc:
        """The document, with its charts written as PNG files into ``assets_dir``."""
        return yearly_doc(self, assets_dir)

    def summary(self) -> dict[str, object]:
        """What `minyi report stats --json` prints beside the path."""
        return {"year": self.year, "sentence": self.sentence(), "points": self.point_sentences(),
                "total": self.total.to_dict()}


def build_yearly(
    year: int,
    by_consultation: StatsResult,
    by_channel: StatsResult,
    contact_point: str | None = None,
    *,
    on: date | None = None,
    by_point: StatsResult | None = None,
    signer: str | None = None,
) -> YearlySummary:
    return YearlySummary(
        year=year,
        issuer=contact_point or ALL_POINTS,
        total=by_consultation.total,
        by_consultation=by_consultation,
        by_channel=by_channel,
        date=on or date.today(),
        by_point=by_point if contact_point is None else None,
        signer=signer,
    )


def _rows(lines: list[StatLine], total: StatLine) -> list[list[str]]:
    """One row per line and the 合计 row (the lines add up to it: ``reports.stats``)."""
    rows = [
        [str(i), line.key, str(line.comments), str(line.suggestions), str(line.adopted), rate_text(line.rate)]
        for i, line in enumerate(lines, start=1)
    ]
    rows.append(["合计", f"共{len(lines)}项", str(total.comments), str(total.suggestions), str(total.adopted),
                 rate_text(total.rate)])
    return rows


def status_rows(total: StatLine) -> list[list[str]]:
    """Every status with its count and share, 无法判断 and 待定 included, and 合计."""
    counts = total.status_counts()
    rows = [
        [str(i), name, str(n), f"{100 * n / total.suggestions:.1f}%" if total.suggestions else "0.0%"]
        for i, (name, n) in enumerate(counts.items(), start=1)
    ]
    rows.append(["合计", "", str(sum(counts.values())), "100.0%" if total.suggestions else "0.0%"])
    return rows


def _table(columns: list[str], rows: list[list[str]], widths: list[float], name: str) -> Table:
    return Table(columns, rows, widths, name=name, total_row=True,
                 centre_columns=[0, *range(2, len(columns))])


def yearly_doc(summary: YearlySummary, chart_dir: str | Path) -> Doc:
    """The document, with its charts written as PNG files into ``chart_dir``."""
    from reports import charts  # matplotlib: loaded only when a yearly summary is drawn

    chart_dir = Path(chart_dir)
    year = summary.year
    blocks: list = [Heading(1, "一、总体情况"), Para(summary.sentence())]
    points = summary.point_sentences()
    if points:
        blocks.append(Para("其中，" + "；".join(points) + "。"))
    sections: list[tuple[str, list]] = []
    figure = 0

    def next_figure() -> int:
        nonlocal figure
        figure += 1
        return figure

    if summary.by_point is not None and summary.by_point.lines:
        lines = summary.by_point.lines
        body: list = [_table(["序号", "联系点", *TABLE_COLUMNS[2:]], _rows(lines, summary.by_point.total),
                             TABLE_WIDTHS, "各联系点")]
        sections.append(("各联系点意见征集情况", body))
    lines = summary.by_consultation.lines
    if lines:
        n = next_figure()
        bars = charts.adoption_bars(
            [line.key for line in lines], [line.suggestions for line in lines],
            [line.adopted_full for line in lines], [line.adopted_partly for line in lines],
            f"{year}年各法规反馈建议及采纳情况", chart_dir / f"yearly-{year}-consultations.png",
        )
        sections.append(("各法律法规意见征集情况", [
            _table(TABLE_COLUMNS, _rows(lines, summary.by_consultation.total), TABLE_WIDTHS, "各法规"),
            Figure(bars, 150, f"图{n}　各法规反馈建议及采纳情况"),
        ]))
    else:
        sections.append(("各法律法规意见征集情况", [Para(f"{year}年未参与法律法规意见征集。")]))
    channel_lines = summary.by_channel.lines
    if channel_lines:
        sections.append(("各渠道意见征集情况", [
            _table(["序号", "渠道", *TABLE_COLUMNS[2:]], _rows(channel_lines, summary.by_channel.total),
                   TABLE_WIDTHS, "各渠道"),
            Para("同一建议经多个渠道重复提出的，只在最先提出的渠道计一条。"),
        ]))
    if summary.total.suggestions:
        n = next_figure()
        pie = charts.status_pie(summary.total.status_counts(), f"{year}年反馈建议采纳情况",
                                chart_dir / f"yearly-{year}-status.png")
        sections.append(("反馈建议采纳情况", [
            _table(STATUS_COLUMNS, status_rows(summary.total), STATUS_WIDTHS, "采纳情况"),
            Para("“无法判断”指对照公布稿无法确定是否采纳的建议，“待定”指尚无采纳结论的建议。"),
            Figure(pie, 120, f"图{n}　反馈建议采纳情况"),
        ]))
    for i, (title, body) in enumerate(sections, start=2):
        blocks.append(Heading(1, f"{cn_ordinal(i)}、{title}"))
        blocks += body
    subject = "基层立法联系点" if summary.whole else ""
    return Doc(
        title=f"关于{year}年度{subject}参与法律法规意见征集工作情况的报告",
        blocks=blocks,
        issuer=summary.signer or (None if summary.whole else summary.issuer),
        date_text=zh_date(summary.date),
        author=summary.signer or summary.issuer,
    )
