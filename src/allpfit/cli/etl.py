"""`allpfit etl run`: sync Chatwoot into conversas_analytics; `allpfit etl purge-deleted`."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.table import Table

from allpfit import db
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, state
from allpfit.cli.tenant import chosen_tenants, heading, print_failure, tenant_option
from allpfit.ops.tenant_jobs import analyze_tenant, raise_failures, run_each, sync_tenant
from allpfit.sync.backup import write_backup
from allpfit.sync.purge import PurgeResult, parse_age, purge_deleted
from allpfit.sync.run import SyncResult
from allpfit.tenants import Tenant

app = typer.Typer(help="Sync Chatwoot into the local analytics table.", no_args_is_help=True)


class Trigger(StrEnum):
    manual = "manual"
    scheduler = "scheduler"
    api = "api"


@app.command("run")
def run(
    ctx: typer.Context,
    full: bool = typer.Option(False, "--full", help="Re-read every conversation (full reload)."),
    triggered_by: Trigger = typer.Option(
        Trigger.manual, "--triggered-by", help="Recorded in etl_control."
    ),
    backup: bool = typer.Option(
        False, "--backup", help="Write a CSV backup of the table after the run."
    ),
    analyze: bool = typer.Option(
        True, "--analyze/--no-analyze", help="Analyse new or changed leads after the sync."
    ),
    allow_mass_delete: bool = typer.Option(
        False,
        "--allow-mass-delete",
        help="Run even if Chatwoot looks empty or different, or more than "
        "SYNC_MAX_DELETED_FRACTION of the conversations would be marked deleted (and record "
        "this Chatwoot as the one to follow).",
    ),
    tenant: str | None = tenant_option(),
) -> None:
    """Incremental sync by watermark (the first run, or --full, reads everything), then the
    lead analysis of new or changed conversations, tenant by tenant.

    Conversations gone from Chatwoot are marked deleted, never removed. A run that would mark
    too many, finds none at all, or meets another Chatwoot installation is refused (exit 8).
    One tenant's failure does not stop the others; the exit code is non-zero if any failed."""
    settings = state(ctx).settings()
    # None when no Chatwoot database is configured: tenants reading the API need none.
    source_url = settings.source_url() if settings.source_configured else None
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)

    def job(one: Tenant) -> None:
        heading(one, tenants)
        with progress_bar() as progress:
            result = sync_tenant(
                local_url,
                source_url,
                one,
                settings,
                mode="full" if full else "incremental",
                triggered_by=triggered_by.value,
                progress=progress,
                allow_mass_delete=allow_mass_delete,
            )
        print_result(result)
        if analyze:
            from allpfit.cli.analyze import print_summary

            with progress_bar({"analyze": "Analysing leads"}) as progress:
                summary = analyze_tenant(
                    local_url, one, settings, triggered_by=triggered_by.value, progress=progress
                )
            print_summary(summary)

    outcomes = run_each(tenants, job, settings, name="sync", on_done=print_failure(tenants))
    if backup:
        path = write_backup(local_url, settings.backup_dir)
        console.print(f"Backup written to {path}")
    raise_failures(outcomes, name="sync")


def print_result(result: SyncResult) -> None:
    table = Table(title=f"Sync run {result.run_id} ({result.load_type})", show_header=False)
    table.add_row("extracted", f"{result.rows_extracted:,}")
    table.add_row("inserted", f"{result.rows_inserted:,}")
    table.add_row("updated", f"{result.rows_updated:,}")
    table.add_row("unchanged", f"{result.rows_unchanged:,}")
    table.add_row("marked deleted", f"{result.rows_deleted:,}")
    if result.rows_restored:
        table.add_row("listed again", f"{result.rows_restored:,}")
    table.add_row("watermark", f"{result.watermark_end:%Y-%m-%d %H:%M:%S} UTC")
    table.add_row(
        "seconds",
        f"{result.total_seconds:.2f} (extract {result.extract_seconds:.2f}, "
        f"load {result.load_seconds:.2f})",
    )
    console.print(table)


@app.command("purge-deleted")
def purge(
    ctx: typer.Context,
    older_than: str = typer.Option(
        ...,
        "--older-than",
        help="Age of the deletion mark: a whole number of days, hours or minutes (90d, 12h, 30m).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; change nothing."),
) -> None:
    """Delete for good the conversations marked deleted in Chatwoot longer ago than
    --older-than, with their AI profiles, analysis failures and CRM matches (one transaction)."""
    age = parse_age(older_than)
    settings = state(ctx).settings()
    result = purge_deleted(db.prepare(settings), age, dry_run=dry_run)
    print_purge(result, older_than.strip())


def print_purge(result: PurgeResult, age: str) -> None:
    """One line per table: how many rows went (or would go)."""
    verb = "Would delete" if result.dry_run else "Deleted"
    console.print(f"{verb} the conversations marked deleted in Chatwoot more than {age} ago:")
    rows = {"conversas_analytics": result.conversations, **result.dependants}
    for name, count in rows.items():
        console.print(f"  {name:<26} {count:>8,}", highlight=False)
    if result.dry_run:
        console.print("Dry run: nothing was changed.")
