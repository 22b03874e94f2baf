"""`allpfit db ...`: the local analytics database."""

from __future__ import annotations

import typer

from allpfit import db
from allpfit.cli.state import console, state
from allpfit.config import mask_url

app = typer.Typer(help="Manage the local analytics database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(ctx: typer.Context) -> None:
    """Create or upgrade the local schema (jobs also do this on their own)."""
    url = db.resolve_url(state(ctx).settings())
    with db.connect(url, autocommit=True) as conn:
        applied = db.upgrade(conn)
    for migration in applied:
        console.print(f"applied {migration.version:04d} {migration.name}")
    console.print(
        f"Local database {mask_url(url)} is up to date ({len(db.migrations())} migrations)."
    )
