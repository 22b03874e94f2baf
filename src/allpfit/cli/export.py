"""`allpfit export conversations|leads|agents`: a tenant's period as a CSV or XLSX file.

The columns, time zone, masking and streaming are `allpfit.reports.export`'s (the dashboard's
downloads use the same functions); this module reads the options, picks the tenant and the
file, and records the export in the audit log (personal data left the database).
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer

from allpfit import db
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, state
from allpfit.cli.tenant import one_tenant
from allpfit.errors import InputError
from allpfit.reports import export
from allpfit.users import audit, cli_actor

app = typer.Typer(
    help="Export one tenant's conversations, leads or agent figures for a period (CSV/XLSX).",
    no_args_is_help=True,
)

LABELS = {
    "export_conversations": "Exporting conversations",
    "export_leads": "Exporting leads",
    "export_agents": "Exporting agent figures",
}


class Format(StrEnum):
    csv = "csv"
    xlsx = "xlsx"


FROM = typer.Option(..., "--from", metavar="YYYY-MM-DD", help="First day (business time).")
TO = typer.Option(..., "--to", metavar="YYYY-MM-DD", help="Last day, included.")
FORMAT = typer.Option(
    None,
    "--format",
    case_sensitive=False,
    help="csv or xlsx (default: the --output file's extension, else csv).",
)
TENANT = typer.Option(
    None,
    "--tenant",
    metavar="SLUG",
    help="The tenant to export (required when the install has more than the default tenant).",
)
OUTPUT = typer.Option(
    None,
    "--output",
    "-o",
    help="File to write (default: DATA_DIR/reports/export_<kind>_<tenant>_<time>.<format>).",
)
MASK = typer.Option(
    None,
    "--mask-phones/--no-mask-phones",
    help="Mask phone numbers (and names that are phone numbers) as the dashboard does; "
    "default DASHBOARD_MASK_PHONES.",
)
OVERWRITE = typer.Option(False, "--overwrite", help="Replace --output if it exists.")


def choose_format(fmt: Format | None, output: Path | None) -> str:
    """The format asked, else the output's extension, else csv; a mismatch is an error."""
    suffix = output.suffix.lower().lstrip(".") if output is not None else ""
    if fmt is None:
        return suffix if suffix in export.FORMATS else "csv"
    if suffix and suffix != fmt.value:
        raise InputError(
            f"--output {output} does not end in .{fmt.value} (--format {fmt.value}).",
            hint=f"Name the file *.{fmt.value}, or leave --format out to use its extension.",
        )
    return fmt.value


def run_export(
    ctx: typer.Context,
    kind: str,
    *,
    start_text: str,
    end_text: str,
    fmt: Format | None,
    tenant_slug: str | None,
    output: Path | None,
    mask_phones: bool | None,
    overwrite: bool,
    business_hours: bool = False,
) -> None:
    """Check every option before anything is read or written, then write the file."""
    start = export.parse_day(start_text, "--from")
    end = export.parse_day(end_text, "--to")
    export.check_period(start, end)
    chosen = choose_format(fmt, output)
    if output is not None and output.exists() and not overwrite:
        raise InputError(
            f"{output} already exists.", hint="Choose another --output, or add --overwrite."
        )
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenant = one_tenant(local_url, tenant_slug, f"export {kind}")
    masked = settings.dashboard_mask_phones if mask_phones is None else mask_phones
    request = export.ExportRequest(
        kind,
        start,
        end,
        fmt=chosen,
        tz=tenant.tz(settings),
        mask_phones=masked,
        business_hours=business_hours,
    )
    path = output or export.default_path(settings.report_dir, request, tenant.slug)
    with progress_bar(LABELS) as progress:
        result = export.export_to_file(local_url, tenant.id, request, path, progress=progress)
    with db.connect(local_url, autocommit=True) as conn:
        audit(
            conn,
            cli_actor(),
            f"export.{kind}",
            f"{start.isoformat()}..{end.isoformat()} {chosen}, {result.rows} rows, phones "
            + ("masked" if masked else "shown"),
            tenant.id,
        )
    console.print(
        f"Wrote {result.rows:,} {kind} row(s), {len(result.headers)} columns, to {path}",
        highlight=False,
    )


@app.command("conversations")
def conversations(
    ctx: typer.Context,
    start: str = FROM,
    end: str = TO,
    fmt: Format | None = FORMAT,
    tenant: str | None = TENANT,
    output: Path | None = OUTPUT,
    mask_phones: bool | None = MASK,
    overwrite: bool = OVERWRITE,
) -> None:
    """Every conversation started in the period: every column of conversas_analytics (the
    messages as readable text), the AI profile and the contact's CRM sale."""
    run_export(
        ctx,
        "conversations",
        start_text=start,
        end_text=end,
        fmt=fmt,
        tenant_slug=tenant,
        output=output,
        mask_phones=mask_phones,
        overwrite=overwrite,
    )


@app.command("leads")
def leads(
    ctx: typer.Context,
    start: str = FROM,
    end: str = TO,
    fmt: Format | None = FORMAT,
    tenant: str | None = TENANT,
    output: Path | None = OUTPUT,
    mask_phones: bool | None = MASK,
    overwrite: bool = OVERWRITE,
) -> None:
    """The lead table's rows for the period (lead conversations, latest first): contact,
    conversation, every AI profile field and the CRM sale."""
    run_export(
        ctx,
        "leads",
        start_text=start,
        end_text=end,
        fmt=fmt,
        tenant_slug=tenant,
        output=output,
        mask_phones=mask_phones,
        overwrite=overwrite,
    )


@app.command("agents")
def agents(
    ctx: typer.Context,
    start: str = FROM,
    end: str = TO,
    fmt: Format | None = FORMAT,
    tenant: str | None = TENANT,
    output: Path | None = OUTPUT,
    business_hours: bool = typer.Option(
        False, "--business-hours", help="Durations counted in the inboxes' business hours."
    ),
    overwrite: bool = OVERWRITE,
) -> None:
    """One row per agent with Chatwoot's report figures for the period and the previous
    period of the same length (the agents page's numbers)."""
    run_export(
        ctx,
        "agents",
        start_text=start,
        end_text=end,
        fmt=fmt,
        tenant_slug=tenant,
        output=output,
        mask_phones=False,
        overwrite=overwrite,
        business_hours=business_hours,
    )
