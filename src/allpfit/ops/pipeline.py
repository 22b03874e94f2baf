"""The whole hourly job: sync Chatwoot, analyse new or changed leads, refresh CRM, match.

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
from allpfit.ops.logs import secrets_of
from allpfit.progress import Progress
from allpfit.redaction import first_line, redact, secrets_in
from allpfit.sync.run import SyncOptions, run_sync

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


@dataclass
class PipelineResult:
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.ok for step in self.steps)


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
) -> PipelineResult:
    """Run sync → analysis → CRM sync (when EVO is configured) → CRM match, once.

    `full=None` lets the schedule decide: the scheduler's run in hour SCHEDULE_FULL_HOUR is a
    full reload (see `nightly_full_due`)."""
    local_url = db.prepare(settings)
    if full is None:
        full = triggered_by == "scheduler" and nightly_full_due(local_url, settings)
    source = source_url or settings.source_url()
    outcome = PipelineResult()

    secrets = secrets_of(settings) + secrets_in(source)

    def step(name: str, action: Callable[[], Any], describe: Callable[[Any], str]) -> bool:
        started = time.perf_counter()
        try:
            value = action()
        except Exception as exc:  # noqa: BLE001 - one step's failure must not stop the others
            seconds = time.perf_counter() - started
            expected = isinstance(exc, AllpfitError)
            text = exc.message if isinstance(exc, AllpfitError) else str(exc)
            detail = first_line(redact(text, secrets)) or type(exc).__name__
            if not expected:
                detail = f"unexpected {type(exc).__name__}: {detail}"
            outcome.steps.append(StepResult(name, False, seconds, detail, exc))
            log.error("pipeline step %s failed: %s", name, text, exc_info=not expected)
            return False
        seconds = time.perf_counter() - started
        outcome.steps.append(StepResult(name, True, seconds, describe(value), value))
        log.info("pipeline step %s: %s", name, describe(value))
        return True

    synced = step(
        "sync",
        lambda: run_sync(
            local_url,
            source,
            mode="full" if full else "incremental",
            triggered_by=triggered_by,
            options=SyncOptions.from_settings(settings),
            progress=progress,
            allow_mass_delete=allow_mass_delete,
        ),
        lambda r: (
            f"{r.rows_extracted} read, {r.rows_inserted} new, {r.rows_updated} updated, "
            f"{r.rows_deleted} marked deleted in Chatwoot"
        ),
    )
    if not synced and isinstance(outcome.steps[-1].result, AlreadyRunningError):
        return outcome  # another pipeline run holds the sync lock and does the rest
    if analyze:
        from allpfit.analysis.run import run_analysis

        step(
            "analysis",
            lambda: run_analysis(local_url, settings, triggered_by=triggered_by, progress=progress),
            _describe_analysis,
        )
    if crm:
        from allpfit.crm import evo
        from allpfit.crm.match import run_match

        if settings.evo_dns and settings.evo_api_token:
            step(
                "crm sync",
                lambda: evo.sync_members(local_url, settings, progress=progress),
                _describe_members,
            )
        step("crm match", lambda: run_match(local_url, settings), _describe_match)
    return outcome


def nightly_full_due(local_url: str, settings: Settings, now: datetime | None = None) -> bool:
    """True in hour SCHEDULE_FULL_HOUR (business time zone) unless a full reload already
    succeeded in the last 12 hours. The nightly full reload catches what the incremental
    overlap window cannot: writes committed long after their timestamps."""
    if settings.schedule_full_hour < 0:
        return False
    local_now = (now or datetime.now(UTC)).astimezone(ZoneInfo(settings.timezone))
    if local_now.hour != settings.schedule_full_hour:
        return False
    with db.connect(local_url) as conn:
        row = conn.execute(
            """SELECT max(started_at) FROM etl_control
               WHERE load_type = 'full' AND status = 'success'"""
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
