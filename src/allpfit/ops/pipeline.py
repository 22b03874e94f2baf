"""The whole hourly job: sync Chatwoot, analyse new or changed leads, refresh CRM, match.

Each step after the sync is independent of the others: a failing LLM does not stop the CRM
match, and every step's outcome is reported. A failed sync stops the pipeline (the later steps
would work on stale data) and makes the pipeline fail.
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
from allpfit.errors import AllpfitError
from allpfit.sync.load import Progress
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
) -> PipelineResult:
    """Run sync → analysis → CRM sync (when EVO is configured) → CRM match, once.

    `full=None` lets the schedule decide: the scheduler's run in hour SCHEDULE_FULL_HOUR is a
    full reload (see `nightly_full_due`)."""
    local_url = db.prepare(settings)
    if full is None:
        full = triggered_by == "scheduler" and nightly_full_due(local_url, settings)
    source = source_url or settings.source_url()
    outcome = PipelineResult()

    def step(name: str, action: Callable[[], Any], describe: Callable[[Any], str]) -> bool:
        started = time.perf_counter()
        try:
            value = action()
        except AllpfitError as exc:
            seconds = time.perf_counter() - started
            outcome.steps.append(StepResult(name, False, seconds, exc.message))
            log.error("pipeline step %s failed: %s", name, exc.message)
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
        ),
        lambda r: (
            f"{r.rows_extracted} read, {r.rows_inserted} new, {r.rows_updated} updated, "
            f"{r.rows_deleted} deleted"
        ),
    )
    if not synced:
        return outcome
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
