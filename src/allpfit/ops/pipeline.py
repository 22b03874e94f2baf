"""The whole hourly job: sync Chatwoot, analyse new or changed leads, refresh CRM, match,
for each enabled tenant in turn (`allpfit.ops.tenant_jobs` gives each job its tenant's
settings). A tenant's failing steps never stop the next tenant.

Every step runs whatever an earlier one did, because none needs another's success: the
analysis and the match work on the data already in the local database (a failed sync only
means it is an hour older), and the EVO members sync reads only EVO. So a failing LLM does not
stop the CRM steps, and an unreachable Chatwoot does not stop either. The one exception: when
the sync finds another run holding its lock, the other pipeline run is doing this work and the
remaining steps are left to it.

A step that raises anything (an expected `AllpfitError` or a bug) becomes a failed step whose
detail is one line with secrets masked; the traceback of an unexpected error goes to the log
file. Each stage records its own failed run in its run table (see `allpfit.runs`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import AllpfitError, AlreadyRunningError
from allpfit.ops import tenant_jobs
from allpfit.ops.logs import secrets_of
from allpfit.ops.tenant_jobs import describe_failure
from allpfit.progress import Progress
from allpfit.redaction import secrets_in
from allpfit.tenant_secrets import known_secrets
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant, evo_configured, select_tenants

if TYPE_CHECKING:
    from allpfit.analysis.run import AnalysisSummary
    from allpfit.crm.evo import EvoSyncSummary
    from allpfit.crm.match import MatchSummary

log = logging.getLogger(__name__)


@dataclass
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str
    result: Any = None
    tenant: str | None = None  # the tenant's slug


@dataclass
class PipelineResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)

    @property
    def failed_tenants(self) -> list[str]:
        """The slugs of the tenants with a failed step, in run order."""
        failed = [step.tenant or "" for step in self.steps if not step.ok]
        return list(dict.fromkeys(failed))


def run_pipeline(
    settings: Settings,
    *,
    triggered_by: str = "scheduler",
    full: bool | None = None,
    analyze: bool = True,
    crm: bool = True,
    progress: Progress | None = None,
    source_url: str | None = None,
    allow_mass_delete: bool = False,
    tenant: str | None = None,
) -> PipelineResult:
    """Run sync → analysis → CRM sync (when the tenant has EVO) → CRM match, once for each
    enabled tenant in turn (or only `tenant`, a slug).

    A tenant's failing steps are its own: the next tenant runs all the same. `full=None` lets
    the schedule decide, per tenant: the scheduler's run in hour SCHEDULE_FULL_HOUR of the
    tenant's time zone is a full reload (see `nightly_full_due`)."""
    local_url = db.prepare(settings)
    # Empty when no Chatwoot database is configured: tenants reading the API need none (a
    # database tenant's sync then fails with the setting's name).
    source = source_url or (settings.source_url() if settings.source_configured else "")
    with db.connect(local_url) as conn:
        tenants = select_tenants(conn, tenant)
    outcome = PipelineResult()
    for one in tenants:
        _run_tenant(
            outcome,
            one,
            settings,
            local_url,
            source,
            triggered_by=triggered_by,
            full=full,
            analyze=analyze,
            crm=crm,
            progress=progress,
            allow_mass_delete=allow_mass_delete,
        )
    return outcome


def _run_tenant(
    outcome: PipelineResult,
    tenant: Tenant,
    settings: Settings,
    local_url: str,
    source: str,
    *,
    triggered_by: str,
    full: bool | None,
    analyze: bool,
    crm: bool,
    progress: Progress | None,
    allow_mass_delete: bool,
) -> None:
    """The steps of one tenant, appended to `outcome`; nothing it raises escapes."""
    secrets = secrets_of(settings) + secrets_in(source) + known_secrets(tenant, settings)

    def step(name: str, action: Callable[[], Any], describe: Callable[[Any], str]) -> bool:
        started = time.perf_counter()
        try:
            value = action()
        except Exception as exc:  # noqa: BLE001 - one step's failure must not stop the others
            seconds = time.perf_counter() - started
            detail = describe_failure(exc, secrets)
            outcome.steps.append(StepResult(name, False, seconds, detail, exc, tenant.slug))
            log.error(
                "pipeline step %s failed for tenant %s: %s",
                name,
                tenant.slug,
                detail,
                exc_info=not isinstance(exc, AllpfitError),
            )
            return False
        seconds = time.perf_counter() - started
        outcome.steps.append(StepResult(name, True, seconds, describe(value), value, tenant.slug))
        log.info("pipeline step %s of tenant %s: %s", name, tenant.slug, describe(value))
        return True

    if full is None:
        full = triggered_by == "scheduler" and nightly_full_due(local_url, settings, tenant=tenant)
    synced = step(
        "sync",
        lambda: tenant_jobs.sync_tenant(
            local_url,
            source,
            tenant,
            settings,
            mode="full" if full else "incremental",
            triggered_by=triggered_by,
            progress=progress,
            allow_mass_delete=allow_mass_delete,
        ),
        lambda r: (
            f"{r.rows_extracted} read, {r.rows_inserted} new, {r.rows_updated} updated, "
            f"{r.rows_deleted} marked deleted in Chatwoot"
        ),
    )
    if not synced and isinstance(outcome.steps[-1].result, AlreadyRunningError):
        return  # another pipeline run holds this tenant's sync lock and does the rest
    if analyze:
        step(
            "analysis",
            lambda: tenant_jobs.analyze_tenant(
                local_url, tenant, settings, triggered_by=triggered_by, progress=progress
            ),
            _describe_analysis,
        )
    if crm:
        if evo_configured(tenant, settings):
            step(
                "crm sync",
                lambda: tenant_jobs.crm_sync_tenant(local_url, tenant, settings, progress=progress),
                _describe_members,
            )
        step(
            "crm match",
            lambda: tenant_jobs.match_tenant(local_url, tenant, settings),
            _describe_match,
        )


def nightly_full_due(
    local_url: str,
    settings: Settings,
    now: datetime | None = None,
    *,
    tenant: Tenant | None = None,
) -> bool:
    """True in hour SCHEDULE_FULL_HOUR (the tenant's time zone) unless a full reload of the
    tenant (default: the default tenant) already succeeded in the last 12 hours. The nightly
    full reload catches what the incremental overlap window cannot: writes committed long
    after their timestamps."""
    if settings.schedule_full_hour < 0:
        return False
    timezone = tenant.tz(settings) if tenant is not None else settings.timezone
    local_now = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    if local_now.hour != settings.schedule_full_hour:
        return False
    with db.connect(local_url) as conn:
        row = conn.execute(
            """SELECT max(started_at) FROM etl_control
               WHERE tenant_id = %s AND load_type = 'full' AND status = 'success'""",
            (tenant.id if tenant is not None else DEFAULT_TENANT_ID,),
        ).fetchone()
    last_full = row[0] if row else None
    return last_full is None or local_now - last_full > timedelta(hours=12)


def _describe_analysis(s: AnalysisSummary) -> str:
    return (
        f"{s.analyzed} analysed, {s.failed} failed, {s.skipped_unchanged} unchanged "
        f"({s.provider}, US$ {s.cost_usd:.4f})"
    )


def _describe_members(s: EvoSyncSummary) -> str:
    return f"{s.members_read} members read, {s.inserted} new, {s.updated} updated"


def _describe_match(s: MatchSummary) -> str:
    return (
        f"{s.leads} leads, {s.matched_leads} found in the CRM, {s.conversions} conversions, "
        f"{len(s.ambiguous)} ambiguous phones"
    )
