"""`allpfit demo`: the whole product on the embedded database with generated data."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from datetime import datetime
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from allpfit import db, embedded
from allpfit.cli.dashboard import streamlit_command
from allpfit.cli.ops import print_pipeline
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, state
from allpfit.config import child_env, mask_url
from allpfit.dashboard.opener import open_when_ready

if TYPE_CHECKING:
    from allpfit.demo.run import DemoLogin

app = typer.Typer(help="Run the demo on the embedded database.", invoke_without_command=True)

DEMO_SOURCE_DB = "chatwoot_demo"


@app.callback()
def demo(
    ctx: typer.Context,
    conversations: int = typer.Option(
        500, "--conversations", "-n", min=1, help="Conversations to generate the first time."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed of the generated data."),
    regenerate: bool = typer.Option(
        False, "--regenerate", help="Generate new demo data even if some exists."
    ),
    llm: bool = typer.Option(
        False, "--llm", help="Analyse with the configured LLM instead of the offline analyzer."
    ),
    dashboard: bool = typer.Option(
        True, "--dashboard/--no-dashboard", help="Open the dashboard at the end."
    ),
    port: int = typer.Option(8501, "--port", help="Dashboard port."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser tab."),
) -> None:
    """Generate a demo Chatwoot of two businesses (a gym and a pilates studio, one tenant
    each), sync it, analyse the leads, match CRM sales, create one dashboard login of each
    role and open the dashboard: the whole product on the embedded database, nothing else
    touched."""
    if ctx.invoked_subcommand is not None:
        return
    from allpfit.demo.run import run_demo

    settings = state(ctx).settings()
    with progress_bar() as progress:
        result = run_demo(
            settings,
            conversations=conversations,
            seed=seed,
            regenerate=regenerate,
            use_llm=llm,
            progress=progress,
        )
    names = ", ".join(f"{t.name} ({t.slug}, account {t.account_id})" for t in result.tenants)
    console.print(
        f"Demo Chatwoot: {result.conversations:,} conversations "
        f"({'generated now' if result.generated else 'reused; --regenerate for new data'}) "
        f"of {len(result.tenants)} businesses, each a tenant: {names}."
    )
    for crm in result.crm:
        rejected = ""
        if crm.rejected:
            rejected = f", {crm.rejected:,} rows rejected"
            if crm.rejects_file is not None:
                rejected += f" (listed in {crm.rejects_file})"
        console.print(f"CRM export of {crm.tenant} {crm.file}: {crm.imported:,} members{rejected}.")
    print_pipeline(result.pipeline)
    if result.source_record is not None:
        console.print(
            f"The demo Chatwoot is now this folder's source ({result.source_record}): "
            "`allpfit etl run`, `pipeline` and `schedule` use it with nothing configured. "
            "A SOURCE_DATABASE_URL or SOURCE_DB_HOST you set always wins."
        )
    print_logins(result.logins)
    if not result.pipeline.ok:
        raise typer.Exit(1)
    if not dashboard:
        console.print("Dashboard skipped (--no-dashboard); `allpfit demo` opens it on this data.")
        return
    console.print(
        f"Dashboard at [bold]http://127.0.0.1:{port}[/]: log in with one of the logins above. "
        "Ctrl+C stops the demo."
    )
    command = streamlit_command(port, "127.0.0.1")
    env = child_env(database_url=result.local_url, data_dir=str(settings.data_dir))
    child = subprocess.Popen(command, env=env)
    if not no_browser:
        open_when_ready("127.0.0.1", port)
    # A service manager's SIGTERM must not leave Streamlit running without its database.
    signal.signal(signal.SIGTERM, lambda *_: child.terminate())
    with contextlib.suppress(KeyboardInterrupt):
        child.wait()
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=10)
    if child.poll() is None:
        child.kill()


def print_logins(logins: list[DemoLogin]) -> None:
    """The demo's dashboard logins, with their passwords: shown this once (a later demo run
    gives them new ones)."""
    table = Table(title="Dashboard logins (passwords shown once)")
    for column in ("role", "tenant", "e-mail", "password"):
        table.add_column(column, no_wrap=True)
    for login in logins:
        table.add_row(login.role.value, login.tenant or "every tenant", login.email, login.password)
    console.print(table)


@app.command("generate")
def generate_command(
    ctx: typer.Context,
    conversations: int = typer.Option(
        500, "--conversations", "-n", min=1, help="How many conversations (up to 1,000,000)."
    ),
    seed: int = typer.Option(42, "--seed", help="Random seed: the same seed gives the same data."),
    days: int = typer.Option(60, "--days", min=1, help="Spread conversations over this many days."),
    end: datetime | None = typer.Option(
        None, "--end", help="Last moment of the period, UTC (default: now)."
    ),
    replace: bool = typer.Option(
        False, "--replace", help="Delete previously generated demo data first."
    ),
    accounts: int = typer.Option(
        2,
        "--accounts",
        min=1,
        help="Chatwoot accounts (businesses) sharing the conversations: 1 AllpFit, 2 a "
        "pilates studio, further ones numbered copies (up to 50).",
    ),
    database_url: str | None = typer.Option(
        None,
        "--database-url",
        help=f"Chatwoot-shaped database to fill (default: the embedded `{DEMO_SOURCE_DB}`).",
    ),
) -> None:
    """Generate realistic Chatwoot data (a gym's and a pilates studio's leads, bots, agents)
    into a database."""
    from allpfit.demo.generator import generate

    url = database_url
    if url is None:
        settings = state(ctx).settings()
        admin = embedded.server_url(settings.data_dir)
        db.ensure_database(admin, DEMO_SOURCE_DB)
        url = embedded.with_database(admin, DEMO_SOURCE_DB)
    with progress_bar() as progress:
        stats = generate(
            url,
            conversations=conversations,
            seed=seed,
            end=end,
            days=days,
            replace=replace,
            accounts=accounts,
            progress=progress,
        )
    table = Table(title="Generated Chatwoot data", show_header=False)
    for name, value in (
        ("conversations", stats.conversations),
        ("contacts", stats.contacts),
        ("messages", stats.messages),
        ("attachments", stats.attachments),
        ("CSAT answers", stats.csat_responses),
        ("reporting events", stats.reporting_events),
        ("labels applied", stats.taggings),
        ("accounts", stats.accounts),
        ("agents", stats.agents),
        ("inboxes", stats.inboxes),
    ):
        table.add_row(name, f"{value:,}")
    table.add_row("seconds", f"{stats.seconds:.1f}")
    console.print(table)
    console.print(f"Demo Chatwoot data written to {mask_url(url)}")
