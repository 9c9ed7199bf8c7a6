"""Every command has help with an example (as sqlite-utils checks its commands)."""

from __future__ import annotations

import pytest
import typer

from minyi.cli import app


def _commands(group, prefix: tuple[str, ...] = ()):
    # typer vendors its own click, so groups are recognised by their sub-commands.
    for name, command in group.commands.items():
        path = (*prefix, name)
        if hasattr(command, "commands"):
            yield path, command
            yield from _commands(command, path)
        else:
            yield path, command


ROOT = typer.main.get_command(app)
ALL = sorted(_commands(ROOT))


def test_the_workflow_commands_exist():
    paths = {" ".join(p) for p, _ in ALL}
    for expected in ("db upgrade", "consultation create", "consultation list", "draft parse", "draft load", "demo"):
        assert expected in paths


@pytest.mark.parametrize("path", [p for p, _ in ALL], ids=[" ".join(p) for p, _ in ALL])
def test_command_has_help_with_an_example(run_cli, path):
    result = run_cli(*path, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.stdout
    assert "Example" in result.stdout
