"""The typer apps for each command group. Command modules register on these."""

from __future__ import annotations

import click
import typer
from typer.core import TyperGroup

from minyi.core.errors import MinyiError


class MinyiGroup(TyperGroup):
    """Root group: turns domain errors into one line on stderr and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[no-untyped-def]
        try:
            return super().invoke(ctx)
        except MinyiError as exc:
            click.echo(f"Error: {exc}", err=True)
            ctx.exit(2)
        except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
            name = getattr(exc, "filename", None) or ""
            click.echo(f"Error: {name}: {exc.strerror or exc}", err=True)
            ctx.exit(2)
        except Exception as exc:  # a database that cannot be used: one line, not a traceback
            from minyi.services.database import database_problem

            problem = database_problem(exc)
            if problem is None:
                raise
            click.echo(f"Error: {problem}", err=True)
            ctx.exit(2)


def _group(help_text: str) -> typer.Typer:
    return typer.Typer(help=help_text, no_args_is_help=True, rich_markup_mode=None)


app = typer.Typer(
    cls=MinyiGroup,
    name="minyi",
    help=(
        "minyi (民意): gather, analyse and report public comments on draft laws.\n\n"
        "Example: minyi db upgrade && minyi demo"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    add_completion=False,
)

db_app = _group("Create or migrate the database.\n\nExample: minyi db upgrade")
consultation_app = _group(
    "Consultations (征求意见任务).\n\nExample: minyi consultation list --json"
)
draft_app = _group(
    "Draft texts: parse, load, align versions.\n\nExample: minyi draft parse draft.docx --json"
)
comments_app = _group(
    "Import comments and inspect quarantined records.\n\n"
    "Example: minyi comments import form.xlsx --consultation 1"
)
export_app = _group(
    "Export results as JSONL, CSV or XLSX.\n\n"
    "Example: minyi export suggestions --consultation 1 --format csv -o s.csv"
)
report_app = _group(
    "Write reports: the feedback document, the committee review, yearly statistics.\n\n"
    "Example: minyi report feedback --consultation 1 --format docx -o feedback.docx"
)
adoption_app = _group(
    "Adoption tracking: detect and set 采纳/部分采纳/未采纳.\n\n"
    "Example: minyi adoption detect --consultation 1 --final final.md"
)
review_app = _group(
    "Correct the analysis: move suggestions, merge and split clusters, write the 修改意见, "
    "fix duplicate groups, undo. Re-running `minyi analyze` keeps every correction.\n\n"
    "Example: minyi review move 42 --to 12.2"
)
audit_app = _group(
    "The audit log: who changed what, when, before → after.\n\n"
    "Example: minyi audit list --consultation 1 --user 王芳 --json"
)

app.add_typer(db_app, name="db")
app.add_typer(consultation_app, name="consultation")
app.add_typer(draft_app, name="draft")
app.add_typer(comments_app, name="comments")
app.add_typer(export_app, name="export")
app.add_typer(report_app, name="report")
app.add_typer(adoption_app, name="adoption")
app.add_typer(review_app, name="review")
app.add_typer(audit_app, name="audit")
