"""Every command's --help shows flags as flags: no `<bool>` metavar (typer 0.29 printed one for
every boolean option, `--help <bool>` included, which reads as if the flag took a value)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from allpfit.cli import app

runner = CliRunner()


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield path
    for name, command in getattr(group, "commands", {}).items():
        yield from _commands(command, (*path, name))


COMMANDS = list(_commands(typer.main.get_command(app)))


def test_the_command_tree_is_walked() -> None:
    assert ("demo",) in COMMANDS and ("etl", "run") in COMMANDS and len(COMMANDS) > 15


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(p) or "allpfit")
def test_help_shows_flags_without_a_value_placeholder(path: tuple[str, ...]) -> None:
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.output
    assert "<bool>" not in result.output


def test_demo_help_lists_no_browser_as_a_plain_flag() -> None:
    output = runner.invoke(app, ["demo", "--help"], env={"COLUMNS": "200"}).output
    line = next(line for line in output.splitlines() if "--no-browser" in line)
    assert "Do not open a browser tab." in line
    assert "<" not in line.split("Do not open")[0]
