"""`allpfit etl run`: sync Chatwoot into conversas_analytics."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.table import Table

from allpfit import db
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, state
from allpfit.sync.backup import write_backup
from allpfit.sync.run import SyncOptions, SyncResult, run_sync

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
) -> None:
    """Incremental sync by watermark (the first run, or --full, reads everything), then the
    lead analysis of new or changed conversations."""
    settings = state(ctx).settings()
    source_url = settings.source_url()
    local_url = db.prepare(settings)
    with progress_bar() as progress:
        result = run_sync(
            local_url,
            source_url,
            mode="full" if full else "incremental",
            triggered_by=triggered_by.value,
            options=SyncOptions.from_settings(settings),
            progress=progress,
        )
    print_result(result)
    if backup:
        path = write_backup(local_url, settings.backup_dir)
        console.print(f"Backup written to {path}")
    if analyze:
        from allpfit.analysis.run import run_analysis
        from allpfit.cli.analyze import print_summary

        with progress_bar({"analyze": "Analysing leads"}) as progress:
            summary = run_analysis(
                local_url, settings, triggered_by=triggered_by.value, progress=progress
            )
        print_summary(summary)


def print_result(result: SyncResult) -> None:
    table = Table(title=f"Sync run {result.run_id} ({result.load_type})", show_header=False)
    table.add_row("extracted", f"{result.rows_extracted:,}")
    table.add_row("inserted", f"{result.rows_inserted:,}")
    table.add_row("updated", f"{result.rows_updated:,}")
    table.add_row("unchanged", f"{result.rows_unchanged:,}")
    table.add_row("deleted", f"{result.rows_deleted:,}")
    table.add_row("watermark", f"{result.watermark_end:%Y-%m-%d %H:%M:%S} UTC")
    table.add_row(
        "seconds",
        f"{result.total_seconds:.2f} (extract {result.extract_seconds:.2f}, "
        f"load {result.load_seconds:.2f})",
    )
    console.print(table)
