"""`minyi analyze` and `minyi export suggestions`: a thin shell over ``pipeline.run`` and
``models.analysis_store``."""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path
from typing import Any

import typer

from minyi.cli.apps import app, export_app
from minyi.cli.output import JSON_HELP, QUIET_HELP, dumps, print_json, progress
from minyi.errors import InputError

STAGE_ZH = {
    "normalise": "规范化",
    "mask": "个人信息遮蔽",
    "split": "拆分意见",
    "map_explicit": "条款引用识别",
    "map_semantic": "语义匹配条款",
    "dedup": "重复意见识别",
    "embed": "文本向量",
    "classify": "意见类型",
    "cluster": "聚类",
}


def stage_progress(bar: Any) -> Any:
    """A ``pipeline.run`` progress callback drawing one rich bar per stage."""
    tasks: dict[str, Any] = {}

    def report(stage: str, done: int, total: int) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(STAGE_ZH.get(stage, stage), total=max(total, 1))
        bar.update(tasks[stage], completed=done if total else 1, total=max(total, 1))

    return report


@app.command("analyze")
def analyze_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    backend: str = typer.Option(
        None, "--backend", help="Embedding backend: use (default), sentence-transformers or tfidf."
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
) -> None:
    """Analyse the comments of a consultation: normalise, mask personal data, split into
    suggestions, map them to articles, find duplicates, cluster and classify.

    Only what is new since the last run is processed; reviewers' manual decisions are kept.

    Example: minyi analyze --consultation 1 --backend tfidf --json
    """
    from models.db import require_schema, session_scope
    from pipeline.embed import canonical_backend
    from pipeline.run import analyze

    if backend is not None:
        backend = canonical_backend(backend)  # unknown name → ConfigError, exit code 2
    with session_scope() as session, progress(quiet or as_json) as bar:
        require_schema(session)
        summary = analyze(session, consultation, backend=backend, progress=stage_progress(bar))
    if as_json:
        print_json(summary.to_dict())
        return
    _print_summary(summary.to_dict())


def _print_summary(s: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"分析结果（征求意见任务 {s['consultation_id']}，第 {s['run_id']} 次运行）")
    table.add_column("项目")
    table.add_column("数量", justify="right")
    rows = [
        ("新读取的意见", s["comments"]),
        ("拆分出的建议", s["suggestions"]),
        ("明确引用条款", s["mapped_explicit"]),
        ("语义匹配条款", s["mapped_semantic"]),
        ("总体意见", s["general"]),
        ("其他意见（草案范围外）", s["out_of_scope"]),
        ("引用了不存在的条款", s["reference_problems"]),
        ("新的重复意见组", s["duplicate_groups"]),
        ("新的聚类", s["clusters"]),
        ("并入已有聚类", s["clusters_extended"]),
    ]
    for name, value in rows:
        table.add_row(name, str(value))
    if s["personal_data"]:
        table.add_row("遮蔽的个人信息", "、".join(f"{k} {v}" for k, v in sorted(s["personal_data"].items())))
    if s["seconds"]:
        table.add_row("用时（秒）", "、".join(f"{STAGE_ZH.get(k, k)} {v:.1f}" for k, v in s["seconds"].items()))
    Console().print(table)


# --- export ---------------------------------------------------------------------------------

EXPORT_FORMATS = ("jsonl", "csv", "xlsx")


def _flat(value: Any) -> Any:
    """Lists become "12;13" in CSV/XLSX cells."""
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    return value


def write_suggestions(rows: list[dict[str, Any]], fmt: str, out: Path | None) -> None:
    if fmt == "jsonl":
        text = "".join(dumps(r, indent=None) + "\n" for r in rows)
        _emit(text, out)
    elif fmt == "csv":
        buf = io.StringIO()
        fields = list(rows[0]) if rows else ["suggestion_id"]
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: _flat(v) for k, v in r.items()})
        # A BOM lets Excel open the CSV file as UTF-8; stdout gets none.
        _emit(buf.getvalue(), out, bom=out is not None)
    else:
        from openpyxl import Workbook

        if out is None:
            raise InputError("--format xlsx needs an output file (-o FILE.xlsx)")
        wb = Workbook()
        ws = wb.active
        ws.title = "建议"
        fields = list(rows[0]) if rows else ["suggestion_id"]
        ws.append(fields)
        for r in rows:
            ws.append([_flat(r[k]) for k in fields])
        ws.freeze_panes = "A2"
        wb.save(out)


def _emit(text: str, out: Path | None, *, bom: bool = False) -> None:
    if out is None:
        sys.stdout.write(text)
        sys.stdout.flush()
    else:
        out.write_text(("\ufeff" if bom else "") + text, encoding="utf-8")


@export_app.command("suggestions")
def export_suggestions_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv or xlsx."),
    output: Path = typer.Option(None, "--output", "-o", help="Output file (stdout for jsonl/csv when omitted)."),
) -> None:
    """Export one row per suggestion: text, masked text, articles, chapter, mapping method and
    score, type, duplicate group and count, cluster.

    Example: minyi export suggestions --consultation 1 --format csv -o suggestions.csv
    """
    from models.analysis_store import suggestion_rows
    from models.db import require_schema, session_scope

    fmt = fmt.lower().strip()
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"--format: {fmt!r} is not one of {', '.join(EXPORT_FORMATS)}")
    if output is not None and not output.parent.is_dir():
        raise InputError(f"--output: directory {output.parent} does not exist")
    with session_scope() as session:
        require_schema(session)
        rows = suggestion_rows(session, consultation)
    write_suggestions(rows, fmt, output)
    if output is not None:
        typer.echo(f"Wrote {len(rows)} suggestions to {output}", err=True)


__all__ = ["analyze_cmd", "export_suggestions_cmd", "write_suggestions"]
