"""`allpfit source ...`: the Chatwoot database we read."""

from __future__ import annotations

import psycopg
import typer

from allpfit.cli.state import console, state
from allpfit.config import mask_url
from allpfit.errors import InputError, SourceError
from allpfit.source import chatwoot, indexes, queries
from allpfit.sync.run import SyncOptions

app = typer.Typer(
    help="Check the Chatwoot source; print its optional indexes; deploy the optional views.",
    no_args_is_help=True,
)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Connect read-only and verify every table and column the sync reads."""
    url = state(ctx).settings().source_url()
    with chatwoot.connect(url) as conn:
        chatwoot.check_schema(conn)
        count = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]  # type: ignore[index]
        found = indexes.present(conn)
    console.print(f"Chatwoot at {mask_url(url)} is readable: {count:,} conversations.")
    missing = [index for index, name in found.items() if name is None]
    for index, name in found.items():
        state_text = f"present ({name})" if name else "missing"
        console.print(f"  index on {index.table}({index.column}): {state_text}", markup=False)
    if missing:
        console.print(
            f"{len(missing)} optional index(es) missing: each incremental sync reads those tables "
            "whole. `allpfit source index --print` shows the SQL (docs/sync.md).",
            markup=False,
        )


@app.command("index")
def index(
    ctx: typer.Context,
    print_only: bool = typer.Option(
        False, "--print", help="Print the SQL for a DBA to run (the default)."
    ),
    apply: bool = typer.Option(
        False,
        "--apply",
        help="Create the missing indexes on the source now (CREATE INDEX CONCURRENTLY), on a "
        "separate writable session. SOURCE_DATABASE_URL must then be a user that owns "
        "Chatwoot's tables; the sync's own session stays read-only.",
    ),
) -> None:
    """The optional Chatwoot indexes that make each incremental sync read only what changed
    (docs/sync.md). Prints their SQL; creates them only with --apply."""
    if print_only and apply:
        raise InputError(
            "--print and --apply cannot be combined.",
            hint="Use --print to see the SQL, or --apply to create the indexes.",
        )
    if not apply:
        typer.echo(indexes.script())  # unwrapped, so `... --print | psql` runs as printed
        return
    url = state(ctx).settings().source_url()
    with chatwoot.ddl_connection(url) as conn:
        conn.autocommit = True  # CREATE INDEX CONCURRENTLY refuses a transaction block
        chatwoot.check_schema(conn)
        try:
            created = indexes.apply(conn)
        except psycopg.errors.InsufficientPrivilege as exc:
            raise SourceError(
                f"Cannot create the indexes on {mask_url(url)}: {str(exc).strip()}",
                hint="Only the owner of Chatwoot's tables may: run this one command with "
                "SOURCE_DATABASE_URL set to that user, or give the output of "
                "`allpfit source index --print` to your DBA.",
            ) from None
    names = ", ".join(index.name for index in created) or "none, all were present"
    console.print(f"Indexes created on {mask_url(url)}: {names}.", markup=False)


@app.command("deploy-views")
def deploy_views(
    ctx: typer.Context,
    print_only: bool = typer.Option(
        False, "--print", help="Print the SQL instead of running it (for a DBA to apply)."
    ),
) -> None:
    """Create the extraction views (vw_conversations_analytics_final and its parts) on the
    source. Needs CREATE rights; the sync itself never needs them."""
    settings = state(ctx).settings()
    statements = queries.view_statements(
        SyncOptions.from_settings(settings).params(), settings.source_db_view
    )
    if print_only:
        console.print(";\n\n".join(statements) + ";", markup=False, highlight=False)
        return
    url = settings.source_url()
    with chatwoot.ddl_connection(url) as conn, conn.transaction():
        for statement in statements:
            conn.execute(statement.encode())
    console.print(
        f"Created {len(statements)} views on {mask_url(url)}; "
        f"the final one is {settings.source_db_view}."
    )
