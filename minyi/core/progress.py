"""One progress protocol for every long task.

A long task calls ``progress(stage, done, total)``: with ``done=0`` when a stage starts,
with ``done=total`` when it ends, and in between as often as is cheap. ``total`` is None
when the size is unknown. Shells decide how to show it (a rich bar with time left on the
CLI, nothing in tests, a status line in the web application).
"""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    def __call__(self, stage: str, done: int, total: int | None) -> None: ...


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The progress callback of a task nobody watches."""
