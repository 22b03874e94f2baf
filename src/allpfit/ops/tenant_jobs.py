"""Every job, run tenant by tenant: the one place a job learns its tenant's settings.

The CLI (`etl run`, `analyze`, `crm ...`) and the pipeline (hence the scheduler) call these
functions, so a tenant's sync, analysis and CRM work always run with the same settings:
its Chatwoot account and inboxes and its time zone (`Tenant.scope` / `tz`), its EVO
credentials and analysis provider, model and key (`tenants.settings_for`, secrets resolved
only for the job that needs them), and its monthly LLM budget (`tenant_budget`).

`run_each` runs one job for several tenants: one tenant's failure (a bad EVO token, its budget
reached, a source error for its account) is kept as that tenant's outcome, one masked line,
and the next tenant runs. Each job records its own failed run in its run table, with the
tenant's id (see `allpfit.runs`). `raise_failures` then turns the failures into one error
whose exit code is non-zero.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from allpfit.config import Settings
from allpfit.errors import AllpfitError, AlreadyRunningError, ConfigError, TenantJobsFailed
from allpfit.ops.logs import secrets_of
from allpfit.progress import Progress
from allpfit.redaction import first_line, redact
from allpfit.runs import Ledger
from allpfit.tenant_secrets import known_secrets
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant, evo_configured, settings_for

if TYPE_CHECKING:
    from allpfit.analysis.analyzer import Analyzer
    from allpfit.analysis.run import AnalysisSummary
    from allpfit.crm.evo import EvoSyncSummary
    from allpfit.crm.excel import ImportSummary
    from allpfit.crm.match import MatchSummary
    from allpfit.sync.run import Mode, SyncResult

log = logging.getLogger(__name__)

T = TypeVar("T")


# --- The jobs of one tenant --------------------------------------------------------------


def sync_tenant(
    local_url: str,
    source_url: str | None,
    tenant: Tenant,
    settings: Settings,
    *,
    mode: Mode = "incremental",
    triggered_by: str = "manual",
    progress: Progress | None = None,
    allow_mass_delete: bool = False,
) -> SyncResult:
    """Sync the tenant's conversations (its account and inboxes only).

    A tenant whose source is Chatwoot's API first refreshes its local mirror through the API
    (`source.api_mirror`), then the same sync reads the mirror instead of `source_url`; a
    failed refresh is recorded as a failed sync run of the tenant, so `allpfit status` shows
    it. `source_url` may be None (or empty) when only API tenants run."""
    from dataclasses import replace

    from allpfit.sync.run import SyncOptions, run_sync

    own = settings_for(tenant, settings)
    options = SyncOptions.from_settings(own)
    if tenant.source_kind != "api" and not source_url:  # an install reading only APIs has none
        source_url = settings.source_url()  # ConfigError naming SOURCE_DATABASE_URL
    if tenant.source_kind == "api":
        from allpfit.source.api_mirror import refresh_for_sync
        from allpfit.sync.control import SYNC_RUNS

        try:
            source_url, overlap = refresh_for_sync(
                local_url,
                tenant,
                own,
                mode="full" if mode == "full" else "incremental",
                progress=progress,
            )
        except AllpfitError as exc:
            load_type = "full" if mode == "full" else "incremental"
            values = {"triggered_by": triggered_by, "load_type": load_type}
            record_failure(SYNC_RUNS, local_url, tenant, exc, **values)
            raise
        options = replace(options, overlap=overlap)
    assert source_url
    return run_sync(
        local_url,
        source_url,
        mode=mode,
        triggered_by=triggered_by,
        options=options,
        progress=progress,
        allow_mass_delete=allow_mass_delete,
        tenant=tenant,
    )


def analyze_tenant(
    local_url: str,
    tenant: Tenant,
    settings: Settings,
    *,
    provider: str | None = None,
    limit: int | None = None,
    reanalyze: bool = False,
    triggered_by: str = "manual",
    progress: Progress | None = None,
    analyzer: Analyzer | None = None,
    conversation_ids: Collection[int] | None = None,
) -> AnalysisSummary:
    """Analyse the tenant's leads with its provider, model and key, within its budget
    (only `conversation_ids` among them when given: see `run_analysis`)."""
    from allpfit.analysis.run import make_analyzer, run_analysis
    from allpfit.analysis.store import ANALYSIS_RUNS
    from allpfit.tenant_budget import with_budget

    values = {
        "provider": provider or tenant.analysis_provider or settings.analysis_provider,
        "model": tenant.analysis_model or settings.openai_model,
    }
    with recorded(ANALYSIS_RUNS, local_url, tenant, **values):
        own = settings_for(tenant, settings, llm=True)
        chosen = analyzer or make_analyzer(own, provider, tenant)
    return run_analysis(
        local_url,
        own,
        limit=limit,
        reanalyze=reanalyze,
        triggered_by=triggered_by,
        progress=progress,
        analyzer=with_budget(chosen, tenant, local_url, own),
        tenant=tenant,
        conversation_ids=conversation_ids,
    )


def crm_sync_tenant(
    local_url: str,
    tenant: Tenant,
    settings: Settings,
    *,
    progress: Progress | None = None,
    allow_mass_delete: bool = False,
) -> EvoSyncSummary:
    """Read the tenant's members from its EVO account."""
    from allpfit.crm import evo

    if not evo_configured(tenant, settings) and tenant.id != DEFAULT_TENANT_ID:
        raise ConfigError(
            f"Tenant {tenant.slug!r} has no EVO credentials: its customers come from "
            "spreadsheet imports.",
            hint=f"Import them with `allpfit crm import FILE --tenant {tenant.slug}`, or set "
            f"EVO with `allpfit tenant edit {tenant.slug} --evo-dns DNS --evo-token-env VAR`.",
        )
    from allpfit.crm.store import CRM_RUNS

    with recorded(CRM_RUNS, local_url, tenant, kind="evo"):
        own = settings_for(tenant, settings, evo=True)
    return evo.sync_members(
        local_url, own, progress=progress, allow_mass_delete=allow_mass_delete, tenant=tenant
    )


def import_tenant(
    local_url: str,
    tenant: Tenant,
    settings: Settings,
    path: Path,
    *,
    sheet: str | None = None,
    strict: bool = False,
    replace: bool = False,
    allow_mass_delete: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a CRM export into the tenant's customers."""
    from allpfit.crm.excel import import_file

    return import_file(
        local_url,
        path,
        settings_for(tenant, settings),
        sheet=sheet,
        strict=strict,
        replace=replace,
        allow_mass_delete=allow_mass_delete,
        progress=progress,
        tenant=tenant,
    )


def match_tenant(
    local_url: str, tenant: Tenant, settings: Settings, *, progress: Progress | None = None
) -> MatchSummary:
    """Match the tenant's conversations to its customers."""
    from allpfit.crm.match import run_match

    return run_match(local_url, settings_for(tenant, settings), progress=progress, tenant=tenant)


@contextmanager
def recorded(ledger: Ledger, local_url: str, tenant: Tenant, **values: str) -> Iterator[None]:
    """Record a ConfigError raised while a job gets ready for `tenant` (its secret cannot be
    read, its provider has no key) as a failed run of the tenant in the job's run table, as a
    failure inside the run would be, so `allpfit status` shows it; then let it go on."""
    try:
        yield
    except ConfigError as exc:
        record_failure(ledger, local_url, tenant, exc, **values)
        raise


def record_failure(
    ledger: Ledger, local_url: str, tenant: Tenant, exc: AllpfitError, **values: str
) -> None:
    """Record `exc`, which ended a job of `tenant` before its run started, as a failed run
    in the job's run table. Another run holding the lock records its own end instead."""
    if isinstance(exc, AlreadyRunningError):
        return
    try:
        with ledger.run(local_url, tenant_id=tenant.id, **values):
            raise exc
    except AllpfitError as other:
        if other is not exc:  # another run holds the lock: it will record its own end
            log.warning("could not record the failed %s of %s: %s", ledger.job, tenant.slug, other)


# --- One job over several tenants --------------------------------------------------------


@dataclass
class TenantOutcome(Generic[T]):
    """What one job did for one tenant: its result, or the error and one masked line."""

    tenant: Tenant
    result: T | None = None
    error: Exception | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None


def run_each(
    tenants: Sequence[Tenant],
    job: Callable[[Tenant], T],
    settings: Settings,
    *,
    name: str,
    on_done: Callable[[TenantOutcome[T]], None] | None = None,
) -> list[TenantOutcome[T]]:
    """Run `job` for each tenant in turn; a failure is that tenant's outcome, never the
    others'. `on_done` hears of each outcome as it comes (the CLI prints it)."""
    outcomes: list[TenantOutcome[T]] = []
    for tenant in tenants:
        try:
            outcome = TenantOutcome(tenant, result=job(tenant))
        except Exception as exc:  # noqa: BLE001 - one tenant's failure must not stop the others
            secrets = secrets_of(settings) + known_secrets(tenant, settings)
            detail = describe_failure(exc, secrets)
            if isinstance(exc, AllpfitError):  # re-raised alone: the CLI masks only settings
                exc.message = redact(exc.message, secrets)
                exc.hint = redact(exc.hint, secrets) if exc.hint else exc.hint
            log.error(
                "%s for tenant %s failed: %s",
                name,
                tenant.slug,
                detail,
                exc_info=not isinstance(exc, AllpfitError),
            )
            outcome = TenantOutcome(tenant, error=exc, detail=detail)
        outcomes.append(outcome)
        if on_done is not None:
            on_done(outcome)
    return outcomes


def raise_failures(outcomes: Sequence[TenantOutcome[T]], *, name: str) -> None:
    """Nothing when every tenant succeeded. One tenant run: its own error, unchanged (message,
    hint, exit code). Several: one error naming each failed tenant, with the exit code of the
    first failure."""
    failed = [o for o in outcomes if o.error is not None]
    if not failed:
        return
    if len(outcomes) == 1 and failed[0].error is not None:
        raise failed[0].error
    codes = [o.error.exit_code for o in failed if isinstance(o.error, AllpfitError)]
    listed = "; ".join(f"{o.tenant.slug}: {o.detail}" for o in failed)
    raise TenantJobsFailed(
        f"The {name} failed for {len(failed)} of {len(outcomes)} tenants ({listed}).",
        hint="The other tenants ran to the end. Run one tenant again with --tenant SLUG to see "
        "its error and hint; `allpfit status` shows each tenant's last runs.",
        exit_code=codes[0] if codes else 1,
    )


def describe_failure(exc: BaseException, secrets: list[str]) -> str:
    """One line for a failed job or step, secrets masked; an unexpected exception is named as
    such (its traceback goes to the log file)."""
    text = exc.message if isinstance(exc, AllpfitError) else str(exc)
    detail = first_line(redact(text, secrets)) or type(exc).__name__
    return detail if isinstance(exc, AllpfitError) else f"unexpected {type(exc).__name__}: {detail}"
