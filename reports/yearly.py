"""The yearly summary (年度工作情况): "参与法律法规意见征集N部，反馈建议N条，被采纳N条",
a table per consultation and per channel, with charts, in the GB/T 9704 layout."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from reports import charts
from reports.feedback import Doc, Figure, Heading, Para, Table, zh_date
from reports.stats import StatLine, StatsResult, load_stats

TABLE_COLUMNS = ["序号", "名称", "收到意见（件）", "反馈建议（条）", "采纳", "部分采纳", "采纳率"]
TABLE_WIDTHS = [10, 56, 20, 20, 14, 18, 18]


@dataclass
class YearlySummary:
    year: int
    issuer: str
    total: StatLine
    by_consultation: StatsResult
    by_channel: StatsResult
    date: date

    def sentence(self) -> str:
        t = self.total
        text = (
            f"{self.year}年，{self.issuer}共参与法律法规意见征集{t.consultations}部，"
            f"收到意见{t.comments}件，反馈建议{t.suggestions}条，被采纳{t.adopted}条"
        )
        if t.adopted:
            text += f"（其中采纳{t.adopted_full}条、部分采纳{t.adopted_partly}条）"
        text += f"，采纳率{t.rate:.1f}%。"
        if self.by_consultation.symposiums:
            text += f"全年共召开座谈会{self.by_consultation.symposiums}场"
            if self.by_consultation.symposium_participants:
                text += f"，参加人员{self.by_consultation.symposium_participants}人次"
            text += "。"
        return text


def build_yearly(session: Session, year: int, contact_point: str | None = None, *, on: date | None = None) -> YearlySummary:
    by_consultation = load_stats(session, "consultation", year=year, contact_point=contact_point)
    by_channel = load_stats(session, "channel", year=year, contact_point=contact_point)
    return YearlySummary(
        year=year,
        issuer=contact_point or "本联系点",
        total=by_consultation.total,
        by_consultation=by_consultation,
        by_channel=by_channel,
        date=on or date.today(),
    )


def _rows(lines: list[StatLine]) -> list[list[str]]:
    return [
        [str(i), line.key, str(line.comments), str(line.suggestions), str(line.adopted_full),
         str(line.adopted_partly), f"{line.rate:.1f}%"]
        for i, line in enumerate(lines, start=1)
    ]


def yearly_doc(summary: YearlySummary, chart_dir: str | Path) -> Doc:
    """The document, with its charts written as PNG files into ``chart_dir``."""
    chart_dir = Path(chart_dir)
    lines = summary.by_consultation.lines
    blocks: list = [
        Heading(1, "一、总体情况"),
        Para(summary.sentence()),
        Heading(1, "二、各法律法规意见征集情况"),
    ]
    if lines:
        blocks.append(Table(TABLE_COLUMNS, _rows(lines), TABLE_WIDTHS, name="各法规"))
        bars = charts.adoption_bars(
            [line.key for line in lines], [line.suggestions for line in lines],
            [line.adopted_full for line in lines], [line.adopted_partly for line in lines],
            f"{summary.year}年各法规反馈建议及采纳情况", chart_dir / f"yearly-{summary.year}-consultations.png",
        )
        blocks.append(Figure(bars, 150, "图1　各法规反馈建议及采纳情况"))
    else:
        blocks.append(Para(f"{summary.year}年未参与法律法规意见征集。"))
    blocks.append(Heading(1, "三、各渠道意见征集情况"))
    channel_lines = summary.by_channel.lines
    if channel_lines:
        blocks.append(Table(["序号", "渠道", *TABLE_COLUMNS[2:]], _rows(channel_lines), TABLE_WIDTHS, name="各渠道"))
        t = summary.total
        status_counts = {"采纳": t.adopted_full, "部分采纳": t.adopted_partly, "未采纳": t.not_adopted,
                         "其他": t.suggestions - t.adopted - t.not_adopted - t.undecided, "未决定": t.undecided}
        pie = charts.status_pie(status_counts, f"{summary.year}年反馈建议采纳情况",
                                chart_dir / f"yearly-{summary.year}-status.png")
        blocks.append(Figure(pie, 120, "图2　反馈建议采纳情况"))
    return Doc(
        title=f"关于{summary.year}年度参与法律法规意见征集工作情况的报告",
        blocks=blocks,
        issuer=summary.issuer if summary.issuer != "本联系点" else None,
        date_text=zh_date(summary.date),
    )


def write_yearly(summary: YearlySummary, path: str | Path, fmt: str | None = None) -> str:
    """Write the summary as .docx (default), .md or .pdf; charts go beside the file."""
    import tempfile

    path = Path(path)
    fmt = (fmt or path.suffix.lstrip(".") or "docx").lower()
    if fmt == "md":
        from reports.markdown import write_markdown

        chart_dir = path.parent / f"{path.stem}-charts"
        return write_markdown(yearly_doc(summary, chart_dir), path)
    with tempfile.TemporaryDirectory(prefix="minyi-charts-") as tmp:
        doc = yearly_doc(summary, tmp)  # pictures are embedded in the .docx
        if fmt == "pdf":
            from reports.pdf import write_pdf

            return write_pdf(doc, path)
        if fmt == "docx":
            from reports.docx_writer import write_docx

            return write_docx(doc, path)
    from minyi.errors import InputError

    raise InputError(f"--format: {fmt!r} is not one of docx, md, pdf for the yearly summary")
