"""`minyi analyze` and `minyi export suggestions`: a thin shell over ``minyi.services.analysis`` and
``minyi.services.exports``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

from minyi.cli.apps import app, export_app
from minyi.cli.output import JSON_HELP, QUIET_HELP, as_option, print_json, progress, reporter
from minyi.core.errors import InputError

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
    "store": "保存结果",
}


@app.command("analyze")
def analyze_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    backend: str = typer.Option(
        None, "--backend", help="Embedding backend: use (default), use-onnx, sentence-transformers or tfidf."
    ),
    workers: int = typer.Option(
        None, "--workers", min=1,
        help="Embed and cluster on a local Dask cluster of N single-threaded processes.",
    ),
    scheduler: str = typer.Option(
        None, "--scheduler",
        help="Embed and cluster on an existing Dask cluster (tcp://HOST:8786; see README, Large consultations).",
    ),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", "-q", help=QUIET_HELP),
    as_user: str = as_option(),
) -> None:
    """Analyse the comments of a consultation: normalise, mask personal data, split into
    suggestions, map them to articles, find duplicates, cluster and classify.

    Only what is new since the last run is processed; reviewers' manual decisions are kept.

    Example: minyi analyze --consultation 1 --backend tfidf --json
    Example: minyi analyze --consultation 1 --workers 2
    """
    from minyi.services.analysis import analyze
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session, reporter(quiet or as_json, STAGE_ZH) as report:
        summary = analyze(session, actor_for(session, as_user), consultation, backend=backend, progress=report,
                          workers=workers, scheduler=scheduler)
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


@export_app.command("suggestions")
def export_suggestions_cmd(
    consultation: int = typer.Option(..., "--consultation", "-c", help="Consultation id."),
    fmt: str = typer.Option("jsonl", "--format", "-f", help="jsonl, csv or xlsx."),
    output: Path = typer.Option(None, "--output", "-o", help="Output file (stdout for jsonl/csv when omitted)."),
    include_personal_data: bool = typer.Option(
        False, "--include-personal-data",
        help="Keep the original text with names and numbers (staff of the contact point and admins only).",
    ),
    as_user: str = as_option(),
) -> None:
    """Export one row per suggestion: text, masked text, articles, chapter, mapping method and
    score, type, duplicate group and count, cluster. Personal data is masked unless
    --include-personal-data is given.

    Example: minyi export suggestions --consultation 1 --format csv -o suggestions.csv
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.exports import export_suggestions

    if output is not None and not output.parent.is_dir():
        raise InputError(f"--output: directory {output.parent} does not exist")
    with unit_of_work() as session:
        result = export_suggestions(session, actor_for(session, as_user), consultation, fmt, output,
                                    include_personal_data=include_personal_data)
    if result.text is not None and output is None:
        sys.stdout.write(result.text)
        sys.stdout.flush()
    if output is not None:
        typer.echo(f"Wrote {result.rows} suggestions to {output}", err=True)


__all__ = ["analyze_cmd", "export_suggestions_cmd"]
