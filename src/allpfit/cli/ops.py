"""Operations commands: `pipeline`, `schedule`, `status`, `monitor`, `deploy`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import typer
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from allpfit import db
from allpfit.cli.etl import Trigger
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, err_console, state
from allpfit.cli.tenant import chosen_tenants, tenant_option
from allpfit.config import Settings
from allpfit.errors import LocalDatabaseError
from allpfit.ops import deploy as deploy_files
from allpfit.ops.pipeline import PipelineResult, run_pipeline
from allpfit.ops.schedule import run_schedule
from allpfit.ops.status import Status, collect_tenants, exit_code_of
from allpfit.redaction import first_line
from allpfit.tenant_budget import MonthSpend

STATUS_COLOUR = {"success": "green", "failed": "red", "refused": "red"}

deploy_app = typer.Typer(help="Generate systemd units or a cron line.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.command("pipeline")(pipeline)
    app.command("schedule")(schedule)
    app.command("status")(status)
    app.command("monitor")(monitor)
    app.add_typer(deploy_app, name="deploy")


def pipeline(
    ctx: typer.Context,
    triggered_by: Trigger = typer.Option(Trigger.manual, "--triggered-by"),
    full: bool | None = typer.Option(
        None,
        "--full/--incremental",
        help="Force a full or an incremental sync (default: full only in the scheduler's "
        "SCHEDULE_FULL_HOUR run).",
    ),
    analyze: bool = typer.Option(True, "--analyze/--no-analyze", help="Run lead analysis."),
    crm: bool = typer.Option(True, "--crm/--no-crm", help="Run CRM sync (if configured) + match."),
    allow_mass_delete: bool = typer.Option(
        False, "--allow-mass-delete", help="Let the sync mark many conversations deleted."
    ),
    tenant: str | None = tenant_option(),
) -> None:
    """Run the whole job once: sync, analysis, CRM sync and match (what the scheduler runs),
    for each enabled tenant in turn. Exit 1 when any step of any tenant failed."""
    settings = state(ctx).settings()
    with progress_bar() as progress:
        result = run_pipeline(
            settings,
            triggered_by=triggered_by.value,
            full=full,
            analyze=analyze,
            crm=crm,
            progress=progress,
            allow_mass_delete=allow_mass_delete,
            tenant=tenant,
        )
    print_pipeline(result)
    if not result.ok:
        raise typer.Exit(1)


def print_pipeline(result: PipelineResult) -> None:
    """One row per step of each tenant; then which tenants failed, if any."""
    table = Table(title="Pipeline")
    for column in ("tenant", "step", "result", "seconds", "detail"):
        table.add_column(column)
    for step in result.steps:
        mark = "[green]ok[/]" if step.ok else "[red]failed[/]"
        table.add_row(step.tenant or "-", step.name, mark, f"{step.seconds:.2f}", Text(step.detail))
    console.print(table)
    if not result.steps:
        console.print("No enabled tenant: nothing ran (`allpfit tenant list`).")
    failed = result.failed_tenants
    if failed:
        err_console.print(
            Text.assemble(("Failed tenants:", "bold red"), " " + ", ".join(failed)),
            soft_wrap=True,
        )


def schedule(
    ctx: typer.Context,
    now: bool = typer.Option(
        False, "--now", help="Run one cycle immediately, then follow the timetable."
    ),
    cycles: int | None = typer.Option(None, "--cycles", min=1, help="Stop after N cycles."),
    tenant: str | None = tenant_option(),
) -> None:
    """Run the pipeline every hour at SCHEDULE_MINUTE (default :02) until stopped.

    It never stops by itself: a cycle that fails is retried with a back-off."""
    settings = state(ctx).settings()
    settings.source_url()  # fail now, not in an hour, when the source is not configured
    try:
        local_url = db.prepare(settings)
    except LocalDatabaseError as exc:  # a server still booting: the cycles retry it
        err_console.print(
            Text.assemble(("Warning:", "yellow"), f" {first_line(exc.message)}"), soft_wrap=True
        )
    else:
        if tenant is not None:
            chosen_tenants(local_url, tenant)  # an unknown or disabled tenant fails now
    scope = f" for tenant {tenant}" if tenant else " for every enabled tenant"
    console.print(
        f"Scheduler started: pipeline{scope} at minute {settings.schedule_minute:02d} every "
        f"{settings.schedule_every_hours} h. Logs: {state(ctx).log_file}. Ctrl-C to stop."
    )
    done = run_schedule(
        settings,
        cycles=cycles,
        run_now=now,
        on_cycle=print_pipeline,
        on_error=_cycle_failed,
        tenant=tenant,
    )
    console.print(f"Scheduler stopped after {done} cycle(s).")


def _cycle_failed(message: str, retry_in: float) -> None:
    """One line per cycle that raised; the traceback, if any, is in the log file."""
    err_console.print(
        Text.assemble(("Cycle failed:", "bold red"), f" {message} (retrying in {retry_in:.0f} s)"),
        soft_wrap=True,
    )


@dataclass
class Report:
    """`allpfit status` / `monitor`: each selected tenant's status and month's LLM spend
    (`Status.spend`, in reais)."""

    statuses: list[Status]
    settings: Settings

    @property
    def exit_code(self) -> int:
        return exit_code_of(self.statuses)


def _collect(ctx: typer.Context, max_age: int | None, tenant: str | None = None) -> Report:
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    source_url = settings.source_url() if settings.source_configured else None
    minutes = max_age or settings.status_max_age_minutes
    statuses = collect_tenants(
        local_url,
        settings,
        source_url=source_url,
        max_age=timedelta(minutes=minutes),
        slug=tenant,
    )
    return Report(statuses, settings)


def status(
    ctx: typer.Context,
    max_age: int | None = typer.Option(
        None,
        "--max-age",
        help="Minutes before data counts as stale (default STATUS_MAX_AGE_MINUTES).",
    ),
    tenant: str | None = typer.Option(
        None,
        "--tenant",
        metavar="SLUG",
        help="Show this tenant in detail (default: every enabled tenant; with several, one "
        "summary line each).",
    ),
) -> None:
    """Each tenant's last sync, status, lead counts and LLM cost this month; with one tenant,
    its last runs, freshness, table counts, analysis and CRM health.

    Exit 1 when the last run of a stage (sync, analysis, CRM) of any tenant failed or was
    refused, 6 when any tenant's data is stale: usable by monitoring."""
    report = _collect(ctx, max_age, tenant)
    console.print(render_report(report))
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def monitor(
    ctx: typer.Context,
    interval: float = typer.Option(30.0, "--interval", min=1.0, help="Seconds between refreshes."),
    iterations: int | None = typer.Option(
        None, "--iterations", min=1, help="Stop after N refreshes."
    ),
    max_age: int | None = typer.Option(None, "--max-age"),
    tenant: str | None = typer.Option(
        None, "--tenant", metavar="SLUG", help="Show this tenant in detail."
    ),
) -> None:
    """The status screen, refreshed every --interval seconds until Ctrl-C."""
    report = _collect(ctx, max_age, tenant)
    count = 1
    with Live(render_report(report), console=console, auto_refresh=False) as live:
        try:
            while iterations is None or count < iterations:
                time.sleep(interval)
                report = _collect(ctx, max_age, tenant)
                live.update(render_report(report), refresh=True)
                count += 1
        except KeyboardInterrupt:
            pass
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def render_report(report: Report) -> Group:
    """One tenant: the detailed screen (`render`), with its month's LLM cost. Several: the
    tenants table, then each tenant's problems."""
    if len(report.statuses) == 1:
        one = report.statuses[0]
        detail = render(one)
        if one.tenant is None:
            return detail
        return Group(
            Text(f"Tenant {one.tenant.slug} ({one.tenant.name})", style="bold"),
            detail,
            *_spend_detail(one.spend),
        )
    table = Table(
        title="Tenants",
        caption=f"LLM: reais spent this month / budget, at USD_BRL_RATE "
        f"{report.settings.usd_brl_rate:g}",
    )
    for column in ("tenant", "last sync", "status", "conversations", "analysed", "LLM R$"):
        table.add_column(
            column, justify="right" if column in ("conversations", "analysed") else "left"
        )
    problems: list[Text] = []
    for one in report.statuses:
        figures = one.figures()
        at, run_status = figures["last_sync_at"], figures["last_sync_status"] or "never"
        counts = figures["counts"]
        table.add_row(
            Text(figures["tenant"], style="red" if one.problems else "green"),
            f"{at:%m-%d %H:%M}" if at else "-",
            Text(run_status, style=STATUS_COLOUR.get(run_status, "yellow")),
            f"{counts.get('conversas_analytics', 0):,}",
            f"{counts.get('conversas_analytics_ai', 0):,}",
            _cost(one.spend) if one.spend is not None else "-",
        )
        problems += [
            Text.assemble((f"{figures['tenant']}:", "red"), f" {problem}")
            for problem in one.problems
        ]
    if not report.statuses:
        return Group(Text("No enabled tenant (`allpfit tenant list`).", style="yellow"))
    verdict = (
        Text("Healthy", style="green")
        if not problems
        else Text.assemble(("Problems:", "red"), *(Text.assemble("\n- ", p) for p in problems))
    )
    hint = Text("Details of one tenant: allpfit status --tenant SLUG", style="dim")
    hooks = _webhooks_table(report.statuses)
    return Group(
        table, _projections(report.statuses), *([hooks] if hooks is not None else []), verdict, hint
    )


def _webhooks_table(statuses: list[Status]) -> Table | None:
    """Per tenant: the last webhook event and the webhook lag (oldest event waiting), for the
    tenants that have received any (none: no table)."""
    rows = [s.figures() for s in statuses if s.webhooks and s.webhooks.last_event_at]
    if not rows:
        return None
    table = Table(title="Webhooks")
    for column in ("tenant", "last event", "at", "waiting", "lag"):
        table.add_column(column)
    for f in rows:
        lag = f["webhook_lag"]
        table.add_row(
            f["tenant"],
            f["last_webhook_event"] or "-",
            f"{f['last_webhook_at']:%m-%d %H:%M:%S}",
            f"{f['webhook_pending']:,}",
            Text(str(lag).split(".")[0], style="yellow") if lag is not None else "-",
        )
    return table


def _cost(spend: MonthSpend) -> str:
    """Reais spent this month, `/ budget` when the tenant has one, and the projection."""
    text = f"{spend.spent_brl:.2f}"
    if spend.budget_brl is not None:
        text += f" / {spend.budget_brl:.2f}"
    return text


def _projections(statuses: list[Status]) -> Text:
    """Each tenant's LLM spend projected to its month's end (the pace of the month so far)."""
    parts = [
        f"{s.tenant.slug} {s.spend.projection_brl:.2f}"
        for s in statuses
        if s.tenant is not None and s.spend is not None
    ]
    return Text("LLM projection to the month's end (R$): " + " · ".join(parts or ["-"]))


def _spend_detail(spend: MonthSpend | None) -> list[Table | Text]:
    """One tenant's LLM spend: the month so far, budget, projection, and each day's spend."""
    if spend is None:
        return []
    budget = f"R$ {spend.budget_brl:.2f}" if spend.budget_brl is not None else "none"
    if spend.budget_from_usd is not None:
        budget += f" (US$ {spend.budget_from_usd:.2f}, set before budgets were in reais)"
    lines = [
        Text(f"LLM spend this month: R$ {spend.spent_brl:.2f}"),
        Text(f"  US$ {spend.spent_usd:.4f} at USD_BRL_RATE {spend.rate:g}", style="dim"),
        Text(f"LLM budget/month: {budget}"),
        Text(f"Projected by the month's end: R$ {spend.projection_brl:.2f}"),
    ]
    if spend.reached:
        lines.append(Text("Budget reached: this tenant's analysis is paused.", style="red"))
    table = Table(title="LLM spend per day (R$)")
    table.add_column("day")
    table.add_column("R$", justify="right")
    for day, brl in spend.days:
        table.add_row(f"{day:%Y-%m-%d}", f"{brl:.2f}")
    return [*lines, table]


def render(report: Status) -> Group:
    runs = Table(title="Last sync runs (etl_control)")
    for column in ("id", "started", "by", "type", "status", "read", "new", "upd", "del", "seconds"):
        runs.add_column(column)
    for run in report.runs:
        colour = STATUS_COLOUR.get(run["status"], "yellow")
        runs.add_row(
            str(run["id"]),
            f"{run['started_at']:%Y-%m-%d %H:%M}",
            run["triggered_by"],
            run["load_type"],
            f"[{colour}]{run['status']}[/]",
            f"{run['rows_extracted']:,}",
            f"{run['rows_inserted']:,}",
            f"{run['rows_updated']:,}",
            f"{run['rows_deleted']:,}",
            f"{run['total_seconds'] or 0:.2f}",
        )
    stages = Table(title="Pipeline stages (last run of each)")
    for column in ("stage", "status", "at", "error"):
        stages.add_column(column)
    for stage in report.stages:
        colour = STATUS_COLOUR.get(stage.status, "yellow")
        stages.add_row(
            stage.name,
            Text(stage.status.upper() if stage.bad else stage.status, style=f"bold {colour}"),
            f"{stage.at:%Y-%m-%d %H:%M}" if stage.at else "-",
            Text(stage.error or ""),
        )
    facts = Table(title="Health", show_header=False)
    last = report.last_success
    facts.add_row(
        "last successful sync", f"{last['finished_at']:%Y-%m-%d %H:%M:%S %Z}" if last else "never"
    )
    facts.add_row(
        "watermark (Chatwoot clock)",
        f"{last['watermark_end']:%Y-%m-%d %H:%M:%S} UTC" if last else "-",
    )
    if report.source_latest is not None:
        facts.add_row("latest change in Chatwoot", f"{report.source_latest:%Y-%m-%d %H:%M:%S} UTC")
        facts.add_row(
            "lag behind Chatwoot", str(report.lag).split(".")[0] if report.lag is not None else "-"
        )
    elif report.source_error:
        facts.add_row("Chatwoot", Text(report.source_error, style="red"))
    hooks = report.webhooks
    if hooks is not None and hooks.last_event_at is not None:
        facts.add_row(
            "last webhook event",
            f"{hooks.last_event} at {hooks.last_event_at:%Y-%m-%d %H:%M:%S %Z}",
        )
        lag = report.webhook_lag
        facts.add_row(
            "webhook lag (oldest waiting)",
            f"{str(lag).split('.')[0]} ({hooks.pending:,} waiting)" if lag is not None else "none",
        )
    for table, count in report.counts.items():
        facts.add_row(f"rows in {table}", f"{count:,}")
    a = report.analysis
    analyzed, failed = int(a.get("analyzed") or 0), int(a.get("failed") or 0)
    rate = f"{analyzed / (analyzed + failed):.1%}" if analyzed + failed else "-"
    facts.add_row("analysis, 30 days", f"{analyzed:,} analysed, {failed:,} failed ({rate} success)")
    facts.add_row(
        "analysis cost, 30 days",
        f"US$ {float(a.get('cost_usd') or 0):.4f}, {int(a.get('tokens') or 0):,} tokens",
    )
    facts.add_row("conversations failing analysis now", f"{int(a.get('failing_now') or 0):,}")
    for run in report.crm:
        when = f"{run['finished_at']:%Y-%m-%d %H:%M}" if run["finished_at"] else "-"
        facts.add_row(
            f"CRM last {run['kind']}",
            f"{run['status']} at {when}, {run['rows_written']:,} written, "
            f"{run['rows_rejected']:,} rejected",
        )
    if not report.crm:
        facts.add_row("CRM", "never synced")
    verdict = (
        Text("Healthy", style="green")
        if not report.problems
        else Text.assemble(("Problems:", "red"), *(f"\n- {p}" for p in report.problems))
    )
    return Group(runs, stages, facts, verdict)


@deploy_app.command("systemd")
def deploy_systemd(
    ctx: typer.Context,
    output: Path | None = typer.Option(
        None, "--output", help="Write the unit files to this folder."
    ),
    user: str | None = typer.Option(None, "--user", help="User= line for the services."),
) -> None:
    """Print (or write) systemd units: an hourly timer for the pipeline, the dashboard, and
    the scheduler as a service (instead of the timer). Each restarts on failure."""
    settings = state(ctx).settings()
    units = deploy_files.systemd_units(settings, Path.cwd(), user)
    if output is None:
        for name, text in units.items():
            console.print(f"# {name}\n{text}", markup=False, highlight=False)
        return
    output.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        (output / name).write_text(text)
    console.print(
        f"Wrote {', '.join(units)} to {output}. Install: copy them to /etc/systemd/system, then "
        "`systemctl daemon-reload && systemctl enable --now allpfit-pipeline.timer "
        "allpfit-dashboard.service`."
    )


@deploy_app.command("cron")
def deploy_cron(ctx: typer.Context) -> None:
    """Print the crontab line that runs the pipeline hourly."""
    console.print(
        deploy_files.cron_line(state(ctx).settings(), Path.cwd()), markup=False, highlight=False
    )
