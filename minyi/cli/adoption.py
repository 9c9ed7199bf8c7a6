"""`minyi adoption …` (detect / set / list) and `minyi export adoption`."""

from __future__ import annotations

from pathlib import Path

import typer

from minyi.cli.apps import adoption_app, export_app
from minyi.cli.output import AS_HELP, JSON_HELP, QUIET_HELP, as_option, print_json, reporter
from minyi.core.errors import InputError


@adoption_app.command("detect")
def detect_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    final: Path = typer.Option(..., "--final", help="The later text (公布稿 or a later reading)."),
    label: str = typer.Option("公布稿", "--label", help="Label under which the later text is stored."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    quiet: bool = typer.Option(False, "--quiet", help=QUIET_HELP),
    as_user: str = as_option(),
) -> None:
    """Propose 采纳/部分采纳/未采纳/无法判断 for every suggestion from the later text.

    Loads the text as a new version (idempotent), aligns it with the draft the comments
    refer to and writes automatic decisions; reviewers' decisions are never overwritten.

    Example: minyi adoption detect --consultation 1 --final 公布稿.docx
    """
    from minyi.services.adoption import detect_adoption
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session, reporter(quiet or as_json, {"adoption": "核对建议"}) as report:
        summary = detect_adoption(session, actor_for(session, as_user), consultation_id, final,
                                  label=label, progress=report)
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
    as_user: str = typer.Option(None, "--as", "--user", help=AS_HELP, show_default=False),
    note: str = typer.Option(None, "--note", help="Reason or remark."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    """Record a reviewer's decision; it wins over the detector's and survives re-detection.

    Example: minyi adoption set --suggestion 12 --status 采纳 --as 张审 --note 已在第十五条体现
    """
    from minyi.services.adoption import set_adoption
    from minyi.services.context import actor_for, unit_of_work

    if bool(suggestion) == (cluster is not None):
        raise InputError("give --suggestion ID (repeatable) or --cluster ID, not both")
    with unit_of_work() as session:
        rows = set_adoption(
            session, actor_for(session, as_user), status=status,
            suggestion_ids=suggestion or None, cluster_id=cluster, note=note,
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
    as_user: str = as_option(),
) -> None:
    """List the decision that counts for each suggestion (a reviewer's over the detector's).

    Example: minyi adoption list --consultation 1 --json
    """
    from minyi.services.adoption import adoption_decisions, count_statuses
    from minyi.services.context import actor_for, unit_of_work

    with unit_of_work() as session:
        rows = adoption_decisions(session, actor_for(session, as_user), consultation_id)
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
    counts = count_statuses(r["status"] for r in rows)
    typer.echo("Total: " + ", ".join(f"{k} {v}" for k, v in counts.items()))


@export_app.command("adoption")
def export_cmd(
    consultation_id: int = typer.Option(..., "--consultation", help="Consultation id."),
    fmt: str = typer.Option("jsonl", "--format", help="jsonl, csv or xlsx."),
    output: Path = typer.Option(None, "-o", "--output", help="Output file (default: stdout for jsonl/csv)."),
    as_user: str = as_option(),
) -> None:
    """Export the decision per suggestion (evidence as a JSON string in csv/xlsx; texts masked).

    Example: minyi export adoption --consultation 1 --format xlsx -o adoption.xlsx
    """
    from minyi.services.context import actor_for, unit_of_work
    from minyi.services.exports import export_adoption

    with unit_of_work() as session:
        result = export_adoption(session, actor_for(session, as_user), consultation_id, fmt, output)
    if result.text is not None and output is None:
        typer.echo(result.text, nl=False)
    if output is not None:
        typer.echo(f"Wrote {result.rows} rows to {output}.", err=True)
