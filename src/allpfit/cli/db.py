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


@app.command("upgrade-embedded")
def upgrade_embedded(ctx: typer.Context) -> None:
    """Copy the embedded database to the current PostgreSQL (once, after upgrading allpfit
    from a version that created it with PostgreSQL 16); the old folder is kept."""
    from allpfit import embedded
    from allpfit.embedded_upgrade import upgrade_embedded as run_upgrade

    settings = state(ctx).settings()
    if not settings.local_embedded:
        console.print(
            "The local database is a server of your own (DATABASE_URL / LOCAL_DB_HOST); "
            "upgrade it with its own tools. The embedded one under DATA_DIR is checked anyway."
        )
    result = run_upgrade(settings.data_dir)
    if result.old_dir is None:
        console.print(
            f"The embedded database in {embedded.pgdata_dir(settings.data_dir)} already runs "
            f"on PostgreSQL {result.to_version}; nothing to do."
        )
        return
    console.print(
        f"Copied {len(result.databases)} databases ({result.tables:,} tables, "
        f"{result.rows:,} rows, every count checked) from PostgreSQL {result.from_version} "
        f"to PostgreSQL {result.to_version}."
    )
    console.print(
        f"The old folder is kept untouched in {result.old_dir}; delete it once the product "
        "works as before."
    )
