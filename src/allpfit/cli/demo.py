"""`allpfit demo`: the whole product on the embedded database with generated data."""

from __future__ import annotations

import typer

app = typer.Typer(help="Run the demo on the embedded database.", invoke_without_command=True)
