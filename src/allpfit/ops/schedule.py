"""The hourly scheduler: run the pipeline at minute `SCHEDULE_MINUTE` of every hour.

A plain loop rather than a scheduling library: one job, one cadence, and the next start is
computed from the wall clock so a long run never shifts the timetable. SIGTERM/Ctrl-C stop it
between cycles (and cut a wait short).

It never stops on its own: a cycle whose steps fail (for one tenant or several) is reported
and the next one runs on time, and anything a cycle raises (the local database down, a bug)
is caught at the loop's edge, logged once (traceback in the log file only) and retried after
a back-off that doubles from `FIRST_BACKOFF` up to the cadence; the first good cycle resets
it and the timetable resumes.
Only KeyboardInterrupt/SystemExit end the loop. The clock is injectable so tests drive the
timetable and the back-off without waiting.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from allpfit.config import Settings
from allpfit.errors import AllpfitError
from allpfit.ops.logs import secrets_of
from allpfit.ops.pipeline import PipelineResult, run_pipeline
from allpfit.ops.tenant_jobs import describe_failure

log = logging.getLogger(__name__)

FIRST_BACKOFF = 30.0  # seconds before retrying a cycle that raised; doubles up to the cadence


def backoff(failures: int, every_hours: int, first: float = FIRST_BACKOFF) -> float:
    """Seconds to wait after `failures` consecutive failed cycles (1, 2, ...): `first`,
    doubling, never more than the cadence (a retry is never later than the next slot)."""
    cadence = every_hours * 3600.0
    return min(cadence, first * 2 ** min(max(failures - 1, 0), 20))


def next_run(now: datetime, minute: int, every_hours: int = 1) -> datetime:
    """The first time strictly after `now` at `minute` past an hour divisible by
    `every_hours` (counted from midnight)."""
    candidate = now.replace(minute=minute, second=0, microsecond=0)
    if candidate <= now:
        candidate += timedelta(hours=1)
    while candidate.hour % every_hours:
        candidate += timedelta(hours=1)
    return candidate


def run_schedule(
    settings: Settings,
    *,
    cycles: int | None = None,
    run_now: bool = False,
    clock: Callable[[], datetime] = datetime.now,
    stop: threading.Event | None = None,
    on_cycle: Callable[[PipelineResult], None] | None = None,
    on_error: Callable[[str, float], None] | None = None,
    tenant: str | None = None,
) -> int:
    """Loop until stopped (or `cycles` runs, failed ones included); return the number of
    cycles run. `on_error(message, retry_in_seconds)` hears of each cycle that raised. Each
    cycle runs the pipeline for every enabled tenant (read again each cycle, so a tenant added
    or disabled meanwhile is followed), or only for `tenant` (a slug)."""
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return _loop(settings, cycles, run_now, clock, stop, on_cycle, on_error, tenant)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _loop(
    settings: Settings,
    cycles: int | None,
    run_now: bool,
    clock: Callable[[], datetime],
    stop: threading.Event,
    on_cycle: Callable[[PipelineResult], None] | None,
    on_error: Callable[[str, float], None] | None,
    tenant: str | None = None,
) -> int:
    done = failures = 0
    while not stop.is_set() and (cycles is None or done < cycles):
        if failures:
            wait = backoff(failures, settings.schedule_every_hours)
            _wait_until(clock() + timedelta(seconds=wait), clock, stop)
        elif not (run_now and done == 0):
            when = next_run(clock(), settings.schedule_minute, settings.schedule_every_hours)
            log.info("next pipeline run at %s", when.isoformat(timespec="minutes"))
            _wait_until(when, clock, stop)
        if stop.is_set():
            break
        started = time.perf_counter()
        result: PipelineResult | None = None
        try:
            result = run_pipeline(settings, triggered_by="scheduler", tenant=tenant)
        except Exception as exc:  # noqa: BLE001 - the loop's edge: nothing one cycle throws ends it
            failures += 1
            message = _one_line(exc, settings)
            retry = backoff(failures, settings.schedule_every_hours)
            log.error(
                "pipeline cycle failed (%d in a row), retrying in %.0f s: %s",
                failures,
                retry,
                message,
                exc_info=not isinstance(exc, AllpfitError),
            )
            if on_error is not None:
                on_error(message, retry)
        else:
            failures = 0
        done += 1
        log.info("pipeline cycle %d finished in %.1f s", done, time.perf_counter() - started)
        if result is not None and on_cycle is not None:
            on_cycle(result)
    return done


def _wait_until(when: datetime, clock: Callable[[], datetime], stop: threading.Event) -> None:
    """Sleep until `clock()` reaches `when` or `stop` is set, in slices of at most 30 s so a
    changed wall clock (or a test's clock) is noticed."""
    while not stop.is_set() and clock() < when:
        stop.wait(min(30.0, max(0.0, (when - clock()).total_seconds())))


def _one_line(exc: Exception, settings: Settings) -> str:
    return describe_failure(exc, secrets_of(settings))
