"""The overview's freshness line: when the data was last updated and when it next will be.

"Last" is the tenant's last successful periodic sync (`sync.control.last_success_at`, the run
ledger's etl_control). "Next" is the scheduler's own timetable, `ops.schedule.next_run` with
the SCHEDULE_MINUTE / SCHEDULE_EVERY_HOURS settings, on the server's clock as the scheduler
reads it (`datetime.now()`), shown in the business time zone. No Streamlit here.
"""

from __future__ import annotations

from datetime import datetime

from allpfit.config import Settings
from allpfit.dashboard import texts
from allpfit.ops.schedule import next_run


def server_now() -> datetime:
    """The scheduler's clock (local wall time of the server), made aware. Tests replace it."""
    return datetime.now().astimezone()


def next_update(settings: Settings, now: datetime) -> datetime:
    """When the hourly (or every-N-hours) scheduled pipeline runs next after `now`."""
    return next_run(now, settings.schedule_minute, settings.schedule_every_hours)


def line(last: datetime | None, settings: Settings, tz: str, now: datetime) -> str:
    """ "Dados atualizados em 29/11/2026 14:02 · próxima atualização automática às 29/11/2026
    15:02", times in the business time zone `tz`."""
    first = (
        texts.DATA_UPDATED.format(last=texts.fmt_datetime(last, tz))
        if last is not None
        else texts.DATA_NEVER_UPDATED
    )
    upcoming = texts.DATA_NEXT_UPDATE.format(
        next=texts.fmt_datetime(next_update(settings, now), tz)
    )
    return f"{first} · {upcoming}"
