"""`allpfit source ...`: the Chatwoot database we read."""

from __future__ import annotations

import typer

from allpfit.cli.state import console, state
from allpfit.config import mask_url
from allpfit.source import chatwoot, queries
from allpfit.sync.run import SyncOptions

app = typer.Typer(
    help="Check the Chatwoot source and deploy the optional views.", no_args_is_help=True
)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Connect read-only and verify every table and column the sync reads."""
    url = state(ctx).settings().source_url()
    with chatwoot.connect(url) as conn:
        chatwoot.check_schema(conn)
        count = conn.execute("SELECT count(*) FROM conversations").fetchone()[0]  # type: ignore[index]
    console.print(f"Chatwoot at {mask_url(url)} is readable: {count:,} conversations.")


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
