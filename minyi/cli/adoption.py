"""`minyi adoption …` (detect / set / list) and `minyi export adoption`."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import typer

from minyi.cli.apps import adoption_app, export_app
from minyi.cli.output import JSON_HELP, QUIET_HELP, dumps, print_json, progress
from minyi.errors import InputError

EXPORT_COLUMNS = (
    "suggestion_id",
    "external_id",
    "status",
    "confidence",
    "decided_by",
    "source",
    "rule",
    "draft_articles",
    "final_articles",
    "note",
    "text",
    "evidence",
)


@adoption_app.command("detect")
def detect_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    final: Path = typer.Option(..., "--final", help="The later text (公布稿 or a later reading)."),
    label: str = typer.Option("公布稿", "--label", help="Label under which the later text is stored."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
) -> None:
    """Propose 采纳/部分采纳/未采纳/无法判断 for every suggestion from the later text.

    Loads the text as a new version (idempotent), aligns it with the draft the comments
    refer to and writes automatic decisions; reviewers' decisions are never overwritten.

    Example: minyi adoption detect --consultation 1 --final 公布稿.docx
    """
    from models.adoption_store import detect_adoption
    from models.db import require_schema, session_scope

    with session_scope() as session, progress(quiet) as bar:
        require_schema(session)
        task = bar.add_task("Checking suggestions", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        summary = detect_adoption(session, consultation_id, final, label=label, on_progress=advance)
    if as_json:
        print_json(summary.to_dict())
        return
    typer.echo(
        f"Consultation {consultation_id}: {summary.suggestions} suggestions checked against {label}"
        f" ({summary.created} new, {summary.updated} updated, {summary.manual_kept} decided by reviewers)."
    )
    for status, n in summary.effective_counts.items():
        typer.echo(f"  {status}: {n}")


@adoption_app.command("set")
def set_cmd(
    status: str = typer.Option(..., "--status", help="采纳, 部分采纳, 未采纳, 无法判断, 已有规定 or 研究参考."),
    suggestion: list[int] = typer.Option(None, "--suggestion", help="Suggestion id (repeatable)."),
    cluster: int = typer.Option(None, "--cluster", help="Set every suggestion of this cluster."),
    user: str = typer.Option("cli", "--user", help="Reviewer name recorded with the decision."),
    note: str = typer.Option(None, "--note", help="Reason or remark."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Record a reviewer's decision; it wins over the detector's and survives re-detection.

    Example: minyi adoption set --suggestion 12 --status 采纳 --user 张审 --note 已在第十五条体现
    """
    from models.adoption_store import set_adoption
    from models.db import require_schema, session_scope

    if bool(suggestion) == (cluster is not None):
        raise InputError("give --suggestion ID (repeatable) or --cluster ID, not both")
    with session_scope() as session:
        require_schema(session)
        rows = set_adoption(
            session, status=status, user=user, suggestion_ids=suggestion or None, cluster_id=cluster, note=note
        )
        result = [{"suggestion_id": r.suggestion_id, "status": r.status, "decided_by": r.decided_by} for r in rows]
    if as_json:
        print_json(result)
    else:
        typer.echo(f"Set {status} on {len(result)} suggestion(s).")


@adoption_app.command("list")
def list_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """List the decision that counts for each suggestion (a reviewer's over the detector's).

    Example: minyi adoption list --consultation 1 --json
    """
    from models.adoption_store import count_statuses, effective_decisions
    from models.db import require_schema, session_scope

    with session_scope() as session:
        require_schema(session)
        rows = effective_decisions(session, consultation_id)
    if as_json:
        print_json(rows)
        return
    if not rows:
        typer.echo(f"No decisions for consultation {consultation_id}; run `minyi adoption detect` first.")
        return
    for r in rows:
        arts = "、".join(r["draft_articles"]) or "—"
        final = "、".join(r["final_articles"]) or "—"
        text = r["text"].replace("\n", " ")
        text = text if len(text) <= 40 else text[:39] + "…"
        conf = f"{r['confidence']:.2f}" if r["confidence"] is not None else "—"
        typer.echo(f"{r['suggestion_id']:>6}  {r['status']:<4}  {conf}  {r['decided_by']:<8}  {arts} → {final}  {text}")
    counts = count_statuses(rows)
    typer.echo("Total: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@export_app.command("adoption")
def export_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv or xlsx."),
    output: Path = typer.Option(None, "-o", "--output", help="Output file (default: stdout for jsonl/csv)."),
) -> None:
    """Export the decision per suggestion (evidence as a JSON string in csv/xlsx).

    Example: minyi export adoption --consultation 1 --format xlsx -o adoption.xlsx
    """
    from models.adoption_store import effective_decisions
    from models.db import require_schema, session_scope

    if fmt not in ("jsonl", "csv", "xlsx"):
        raise InputError(f"--format: {fmt!r} is not one of jsonl, csv, xlsx")
    if fmt == "xlsx" and output is None:
        raise InputError("--output: an .xlsx export needs a file name (-o adoption.xlsx)")
    with session_scope() as session:
        require_schema(session)
        rows = [export_row(r) for r in effective_decisions(session, consultation_id)]
    if fmt == "xlsx":
        write_xlsx(rows, output)
    else:
        text = to_jsonl(rows) if fmt == "jsonl" else to_csv(rows)
        if output is None:
            typer.echo(text, nl=False)
        else:
            # utf-8-sig so that Excel opens the CSV with Chinese intact.
            output.write_text(text, encoding="utf-8-sig" if fmt == "csv" else "utf-8")
    if output is not None:
        typer.echo(f"Wrote {len(rows)} rows to {output}.", err=True)


def export_row(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d.get(k) for k in EXPORT_COLUMNS}


def _flat(row: dict[str, Any]) -> dict[str, Any]:
    """A row for csv/xlsx: article lists joined, evidence as a JSON string."""
    out = dict(row)
    out["draft_articles"] = "、".join(row["draft_articles"])
    out["final_articles"] = "、".join(row["final_articles"])
    out["evidence"] = json.dumps(row["evidence"], ensure_ascii=False)
    return out


def to_jsonl(rows: list[dict[str, Any]]) -> str:
    return "".join(dumps(r, indent=None) + "\n" for r in rows)


def to_csv(rows: list[dict[str, Any]]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    for r in rows:
        writer.writerow(_flat(r))
    return buf.getvalue()


def write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "采纳情况"
    ws.append(list(EXPORT_COLUMNS))
    for r in rows:
        flat = _flat(r)
        ws.append([flat[c] for c in EXPORT_COLUMNS])
    wb.save(path)
