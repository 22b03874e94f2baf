"""`allpfit crm ...`: customers from EVO or a CRM export, and the crossmatch with the leads."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import typer
from rich.table import Table

from allpfit import db
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, err_console, state
from allpfit.cli.tenant import (
    chosen_tenants,
    heading,
    one_tenant,
    print_failure,
    tenant_option,
)
from allpfit.crm.match import MatchSummary
from allpfit.crm.members import Reject
from allpfit.ops.tenant_jobs import (
    crm_sync_tenant,
    import_tenant,
    match_tenant,
    raise_failures,
    run_each,
)
from allpfit.tenants import Tenant, evo_configured

app = typer.Typer(
    help="CRM customers (EVO API or Excel export) and the lead → customer crossmatch.",
    no_args_is_help=True,
)

LABELS = {
    "sales": "Reading EVO sales",
    "members": "Reading EVO members",
    "store": "Saving customers",
    "read": "Reading rows",
    "leads": "Reading leads",
    "customers": "Reading customers",
    "write": "Writing matches",
}
SHOWN_REJECTS = 20


@app.command("sync")
def sync(
    ctx: typer.Context,
    allow_mass_delete: bool = typer.Option(
        False,
        "--allow-mass-delete",
        help="Mark customers missing from the EVO listing even when they are more than "
        "SYNC_MAX_DELETED_FRACTION of them (otherwise refused, exit 8).",
    ),
    tenant: str | None = tenant_option(),
) -> None:
    """Read every member and sale from the EVO API into crm_customers, tenant by tenant.

    Without --tenant, tenants whose customers come from spreadsheet imports (no EVO
    credentials) are skipped."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)
    if tenant is None:
        tenants = [t for t in tenants if evo_configured(t, settings)] or tenants[:1]

    def job(one: Tenant) -> None:
        heading(one, tenants)
        with progress_bar(LABELS) as progress:
            result = crm_sync_tenant(
                local_url, one, settings, progress=progress, allow_mass_delete=allow_mass_delete
            )
        table = Table(title=f"EVO sync (run {result.run_id})", show_header=False)
        table.add_row("members read", f"{result.members_read:,}")
        table.add_row("inserted", f"{result.inserted:,}")
        table.add_row("updated", f"{result.updated:,}")
        table.add_row("unchanged", f"{result.unchanged:,}")
        table.add_row("marked missing (gone from EVO)", f"{result.marked_missing:,}")
        table.add_row("back in EVO (mark cleared)", f"{result.returned:,}")
        table.add_row("without a usable phone", f"{result.without_phone:,}")
        table.add_row("sales read", f"{result.sales_read:,}")
        table.add_row("API requests", f"{result.requests:,}")
        table.add_row("seconds", f"{result.seconds:.1f}")
        console.print(table)
        _print_rejects(result.rejected, None)

    outcomes = run_each(tenants, job, settings, name="CRM sync", on_done=print_failure(tenants))
    raise_failures(outcomes, name="CRM sync")


@app.command("import")
def import_(
    ctx: typer.Context,
    file: Path = typer.Argument(..., help="CRM export: .xlsx (e.g. base_evo.xlsx) or .csv."),
    sheet: str | None = typer.Option(None, "--sheet", help="Worksheet name (default: first)."),
    strict: bool = typer.Option(
        False, "--strict", help="Import nothing if any row is rejected (exit code 2)."
    ),
    replace: bool = typer.Option(
        False,
        "--replace",
        help="The file is a full snapshot: mark imported customers absent from it as missing "
        "(never deleted).",
    ),
    allow_mass_delete: bool = typer.Option(
        False,
        "--allow-mass-delete",
        help="With --replace: mark them even when they are more than SYNC_MAX_DELETED_FRACTION "
        "of the imported customers (otherwise refused, exit 8).",
    ),
    tenant: str | None = typer.Option(
        None,
        "--tenant",
        metavar="SLUG",
        help="The tenant whose customers these are (required when the install has more "
        "than the default tenant).",
    ),
) -> None:
    """Import a CRM export; bad rows are listed and saved to a rejects CSV, never dropped."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "crm import")
    heading(one, [one])
    with progress_bar(LABELS) as progress:
        result = import_tenant(
            local_url,
            one,
            settings,
            file,
            sheet=sheet,
            strict=strict,
            replace=replace,
            allow_mass_delete=allow_mass_delete,
            progress=progress,
        )
    table = Table(title=f"Import of {result.path.name} (run {result.run_id})", show_header=False)
    table.add_row("file", result.file_format)
    table.add_row("columns", result.columns)
    table.add_row("rows read", f"{result.rows_read:,}")
    table.add_row("inserted", f"{result.inserted:,}")
    table.add_row("updated", f"{result.updated:,}")
    table.add_row("unchanged", f"{result.unchanged:,}")
    if replace:
        table.add_row("marked missing (absent from file)", f"{result.marked_missing:,}")
    table.add_row("rejected", f"{len(result.rejected):,}")
    table.add_row("phones without DDD", f"{result.without_ddd:,}")
    table.add_row("seconds", f"{result.seconds:.1f}")
    console.print(table)
    _print_rejects(result.rejected, result.rejects_file)


def _print_rejects(rejects: list[Reject], path: Path | None) -> None:
    if not rejects:
        return
    err_console.print(f"[yellow]{len(rejects)} row(s) rejected[/] (not imported):")
    for reject in rejects[:SHOWN_REJECTS]:
        err_console.print(f"  row {reject.row}: {reject.reason}", soft_wrap=True, highlight=False)
    if len(rejects) > SHOWN_REJECTS:
        reasons = Counter(r.reason.split(":")[0] for r in rejects)
        summary = ", ".join(f"{reason} ×{n}" for reason, n in reasons.most_common(5))
        err_console.print(f"  ... and {len(rejects) - SHOWN_REJECTS} more ({summary})")
    if path is not None:
        err_console.print(f"Rejected rows with reasons: {path}", soft_wrap=True, highlight=False)


@app.command("match")
def match(ctx: typer.Context, tenant: str | None = tenant_option()) -> None:
    """Match conversations to customers by phone; rebuild conversas_crm_match_real, tenant by
    tenant (a tenant's conversations only ever match its own customers)."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)

    def job(one: Tenant) -> None:
        heading(one, tenants)
        with progress_bar(LABELS) as progress:
            result = match_tenant(local_url, one, settings, progress=progress)
        print_match(result)

    outcomes = run_each(tenants, job, settings, name="CRM match", on_done=print_failure(tenants))
    raise_failures(outcomes, name="CRM match")


@app.command("score-check")
def score_check(ctx: typer.Context, tenant: str | None = tenant_option()) -> None:
    """Does the lead score predict sales? Conversion by score with intervals, AUC, and a
    calibrated probability per score checked on the latest month (docs/score.md)."""
    from allpfit.cli.score_report import render
    from allpfit.crm.score_check import score_check as check

    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)
    for one in tenants:
        console.print(render(check(local_url, settings, one)))


def print_match(result: MatchSummary) -> None:
    table = Table(title=f"CRM crossmatch (run {result.run_id})", show_header=False)
    table.add_row("customers", f"{result.customers:,} ({result.customers_with_phone:,} with phone)")
    table.add_row("conversations", f"{result.conversations:,}")
    table.add_row("lead phones", f"{result.leads:,} ({result.invalid_contact_phones:,} unusable)")
    table.add_row("leads found in the CRM", f"{result.matched_leads:,}")
    for kind, count in result.by_type.items():
        table.add_row(f"  conversions by {kind}", f"{count:,}")
    table.add_row("conversions", f"{result.conversions:,}")
    table.add_row("already customers", f"{result.already_customers:,}")
    table.add_row("no signup date", f"{result.no_signup_date:,}")
    table.add_row("ambiguous phones (excluded)", f"{len(result.ambiguous):,}")
    table.add_row("seconds", f"{result.seconds:.1f}")
    console.print(table)
    console.print(f"Report: {result.report_csv}", soft_wrap=True, highlight=False)
    console.print(f"Report: {result.report_xlsx}", soft_wrap=True, highlight=False)
