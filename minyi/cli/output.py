"""Output helpers shared by commands: JSON printing, tables, progress bars."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from rich.console import Console
import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

T = TypeVar("T")
stderr = Console(stderr=True)
stdout = Console()


def _default(obj: Any) -> Any:
    if isinstance(obj, (date, datetime)):
        return obj.isoformat()
    if hasattr(obj, "to_dict"):
        return obj.to_dict()
    return str(obj)


def dumps(obj: Any, *, indent: int | None = 2) -> str:
    return json.dumps(obj, ensure_ascii=False, indent=indent, default=_default)


def print_json(obj: Any) -> None:
    """Machine-readable output: UTF-8 JSON on stdout, nothing else."""
    sys.stdout.write(dumps(obj) + "\n")
    sys.stdout.flush()


@contextmanager
def progress(quiet: bool = False) -> Iterator[Progress]:
    """A rich progress bar on stderr (disabled with --quiet or when stderr is no terminal
    that rich can draw on; rich then prints nothing)."""
    bar = Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=stderr,
        # Off when stderr is no terminal: rich would print the bar's last state there
        # when it stops, a stale line before an error message.
        disable=quiet or not stderr.is_terminal,
        transient=False,
    )
    with bar:
        yield bar


def track(items: Iterable[T], description: str, *, total: int | None = None, quiet: bool = False) -> Iterator[T]:
    with progress(quiet) as bar:
        task = bar.add_task(description, total=total)
        for item in items:
            yield item
            bar.advance(task)


@contextmanager
def reporter(quiet: bool = False, names: dict[str, str] | None = None) -> Iterator[Any]:
    """A ``minyi.core.progress.Progress`` callback drawing one rich bar per stage, with the
    time left; draws nothing with --quiet or when stderr is not a terminal."""
    quiet = quiet or not stderr.is_terminal
    with progress(quiet) as bar:
        tasks: dict[str, Any] = {}

        def report(stage: str, done: int, total: int | None) -> None:
            if quiet:
                return
            if stage not in tasks:
                tasks[stage] = bar.add_task((names or {}).get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield report


QUIET_HELP = "Do not show progress bars."
AS_HELP = "Act as this user (default: $MINYI_USER, else the operating-system user)."


def as_option() -> Any:
    """The ``--as USER`` option every command that changes data takes."""
    return typer.Option(None, "--as", help=AS_HELP, show_default=False)
JSON_HELP = "Print machine-readable JSON on stdout."
