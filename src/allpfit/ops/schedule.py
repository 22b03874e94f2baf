"""The hourly scheduler: run the pipeline at minute `SCHEDULE_MINUTE` of every hour.

A plain loop rather than a scheduling library: one job, one cadence, and the next start is
computed from the wall clock so a long run never shifts the timetable. A failed cycle is
logged and the loop goes on; SIGTERM/Ctrl-C stop it between cycles. The clock and the sleep are
injectable so tests drive it without waiting.
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
from allpfit.ops.pipeline import PipelineResult, run_pipeline

log = logging.getLogger(__name__)


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
) -> int:
    """Loop until stopped (or `cycles` runs); return the number of cycles run."""
    stop = stop or threading.Event()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, lambda *_: stop.set())
    try:
        return _loop(settings, cycles, run_now, clock, stop, on_cycle)
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
) -> int:
    done = 0
    while not stop.is_set() and (cycles is None or done < cycles):
        if not (run_now and done == 0):
            when = next_run(clock(), settings.schedule_minute, settings.schedule_every_hours)
            log.info("next pipeline run at %s", when.isoformat(timespec="minutes"))
            while not stop.is_set() and clock() < when:
                stop.wait(min(30.0, max(0.0, (when - clock()).total_seconds())))
            if stop.is_set():
                break
        started = time.perf_counter()
        try:
            result = run_pipeline(settings, triggered_by="scheduler")
        except AllpfitError as exc:
            log.error("pipeline cycle failed: %s", exc.message)
            result = None
        done += 1
        log.info("pipeline cycle %d finished in %.1f s", done, time.perf_counter() - started)
        if result is not None and on_cycle is not None:
            on_cycle(result)
    return done
