"""Write docs/cli.md from the `allpfit` command tree (tests/test_docs.py keeps it current).

Run: .venv/bin/python scripts/gen_cli_docs.py
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from allpfit.cli import app  # noqa: E402

HEADER = """# CLI reference

Generated from the code by `scripts/gen_cli_docs.py`; a test fails when it is out of date.
Global options go before the command: `allpfit [--debug] [--json] COMMAND ...`.
"""


def _option(param: Any) -> str:
    names = ", ".join(f"`{n}`" for n in [*param.opts, *param.secondary_opts])
    help_text = getattr(param, "help", None) or ""
    default = param.default
    shown = ""
    is_argument = param.param_type_name == "argument"
    if (
        not is_argument
        and not param.is_flag
        and default not in (None, "", ())
        and not callable(default)
    ):
        shown = f" Default: `{getattr(default, 'value', default)}`."
    if is_argument:
        names = f"`{param.name.upper() if param.name else ''}`"
        help_text = help_text or "(argument)"
    return f"| {names} | {' '.join(help_text.split())}{shown} |"


def _walk(command: Any, path: list[str], out: list[str]) -> None:
    if hasattr(command, "commands"):
        own = [p for p in command.params if p.name != "help"]
        if own:  # global options, or a group that also runs by itself (dashboard, demo)
            _section(command, path, own, out)
        for name in sorted(command.commands):
            _walk(command.commands[name], [*path, name], out)
        return
    _section(command, path, [p for p in command.params if p.name != "help"], out)


def _section(command: Any, path: list[str], params: list[Any], out: list[str]) -> None:
    out.append(f"\n## `{' '.join(path)}`\n")
    doc = " ".join((command.help or "").split())
    if doc:
        out.append(doc + "\n")
    if params:
        out.append("| Option | Meaning |\n|---|---|")
        out.extend(_option(p) for p in params)


def render() -> str:
    out = [HEADER]
    _walk(typer.main.get_command(app), ["allpfit"], out)
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    (ROOT / "docs" / "cli.md").write_text(render())
