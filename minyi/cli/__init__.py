"""The ``minyi`` command line: a thin shell over the library."""

from __future__ import annotations

import sys

from minyi.cli.apps import app

# Importing a module registers its commands on the group apps.
from minyi.cli import (  # noqa: E402,F401
    adoption,
    align,
    analyze,
    audit,
    comments,
    consultation,
    crawl,
    db,
    demo,
    draft,
    report,
    review,
    rollup,
    serve,
    stats,
    user,
)


def main(argv: list[str] | None = None) -> None:
    # Make sure Chinese output survives a non-UTF-8 locale.
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            try:
                stream.reconfigure(encoding="utf-8")
            except Exception:  # pragma: no cover - exotic streams
                pass
    app(args=argv, prog_name="minyi")


__all__ = ["app", "main"]
