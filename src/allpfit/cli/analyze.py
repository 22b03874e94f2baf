"""`allpfit analyze`: turn lead conversations into profiles in conversas_analytics_ai."""

from __future__ import annotations

from enum import StrEnum

import typer
from rich.table import Table

from allpfit import db
from allpfit.analysis.run import AnalysisSummary
from allpfit.cli.progress import progress_bar
from allpfit.cli.state import console, err_console, state
from allpfit.cli.tenant import chosen_tenants, heading, print_failure, tenant_option
from allpfit.errors import AnalysisError
from allpfit.ops.tenant_jobs import analyze_tenant, raise_failures, run_each
from allpfit.tenants import Tenant


class Provider(StrEnum):
    auto = "auto"
    openai = "openai"
    rules = "rules"


class Trigger(StrEnum):
    manual = "manual"
    scheduler = "scheduler"
    api = "api"


def analyze(
    ctx: typer.Context,
    limit: int | None = typer.Option(
        None, "--limit", min=1, help="Analyse at most N conversations (most recent first)."
    ),
    reanalyze: bool = typer.Option(
        False, "--reanalyze", help="Analyse every lead again, even if its content is unchanged."
    ),
    provider: Provider | None = typer.Option(
        None,
        "--provider",
        case_sensitive=False,
        help="openai (OpenAI-compatible API) or rules (offline); default ANALYSIS_PROVIDER.",
    ),
    triggered_by: Trigger = typer.Option(
        Trigger.manual, "--triggered-by", help="Recorded in analysis_runs."
    ),
    tenant: str | None = tenant_option(),
) -> None:
    """Analyse new and changed lead conversations (conversion probability, goal, follow-up),
    tenant by tenant, each with its own provider, model, key and monthly LLM budget."""
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    tenants = chosen_tenants(local_url, tenant)

    def job(one: Tenant) -> AnalysisSummary:
        heading(one, tenants)
        with progress_bar({"analyze": "Analysing leads"}) as progress:
            summary = analyze_tenant(
                local_url,
                one,
                settings,
                provider=provider.value if provider else None,
                limit=limit,
                reanalyze=reanalyze,
                triggered_by=triggered_by.value,
                progress=progress,
            )
        print_summary(summary)
        if summary.status == "failed":
            raise AnalysisError(
                f"Every one of the {summary.failed} selected conversation(s) failed "
                f"(run {summary.run_id}).",
                hint="See the reasons above and in analysis_failures; check OPENAI_BASE_URL, "
                "OPENAI_MODEL and the service's status, or run with --provider rules.",
            )
        return summary

    outcomes = run_each(tenants, job, settings, name="analysis", on_done=print_failure(tenants))
    raise_failures(outcomes, name="analysis")


def print_summary(summary: AnalysisSummary) -> None:
    table = Table(
        title=f"Analysis run {summary.run_id} ({summary.provider}, {summary.model})",
        show_header=False,
    )
    table.add_row("leads", f"{summary.leads:,}")
    table.add_row("analysed", f"{summary.analyzed:,}")
    table.add_row("failed", f"{summary.failed:,}")
    table.add_row("skipped (unchanged)", f"{summary.skipped_unchanged:,}")
    if summary.skipped_given_up:
        table.add_row("skipped (failed 3 runs)", f"{summary.skipped_given_up:,}")
    table.add_row(
        "tokens",
        f"{summary.prompt_tokens + summary.completion_tokens:,} "
        f"(prompt {summary.prompt_tokens:,}, completion {summary.completion_tokens:,})",
    )
    table.add_row("cost", f"US$ {summary.cost_usd:.4f}")
    table.add_row("seconds", f"{summary.seconds:.2f}")
    console.print(table)
    for conversation_id, message in summary.failures[:10]:
        err_console.print(
            f"[yellow]conversation {conversation_id}:[/] {message}", highlight=False, markup=True
        )
    if summary.failed > 10:
        err_console.print(f"... and {summary.failed - 10} more (table analysis_failures)")
