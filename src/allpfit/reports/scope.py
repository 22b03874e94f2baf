"""What the CSAT, bot and traffic reports count, and over which instants a period runs.

Chatwoot's reports count the conversations Chatwoot has: a conversation deleted there is in
none of its figures, so `IN_CHATWOOT` leaves out the rows the sync marked deleted (they are
kept locally only for their paid AI profile). Unlike the sales pages, these reports are not
limited to lead conversations: Chatwoot's are not either.

A period is a range of business days (the tenant's time zone, like every dashboard period).
Chatwoot filters its CSAT answers, survey messages and first-response events by their
timestamp; `period_params` gives the two instants a day range covers, [start 00:00, the day
after end 00:00) in the business time zone, for the queries' `%(since)s` / `%(until)s`.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from allpfit.errors import InputError

# The longest period a report accepts (the dashboard's limit: a year of days, leap years too).
MAX_DAYS = 366
IN_CHATWOOT = "deleted_in_source_at IS NULL"


def period_params(start: date, end: date, tz: str) -> dict[str, Any]:
    """The query parameters of the business days [start, end] in `tz`: `start`/`end` (dates,
    for `conversation_date`) and `since`/`until` (aware instants, for timestamps).

    Refuses a reversed or too long period and an unknown time zone with an InputError naming
    what was given: an export's `--from`/`--to` reach here unchecked."""
    days = (end - start).days + 1
    if days < 1 or days > MAX_DAYS:
        raise InputError(
            f"Invalid report period {start.isoformat()}..{end.isoformat()}: it must run "
            f"forwards and cover at most {MAX_DAYS} days (it covers {days}).",
            hint="Choose a start on or before the end, at most a year apart.",
        )
    try:
        zone = ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(
            f"Unknown time zone {tz!r} for the report period.",
            hint="Use an IANA name such as America/Sao_Paulo (TIMEZONE or the tenant's).",
        ) from None
    since = datetime.combine(start, time(0), zone)
    until = datetime.combine(end + timedelta(days=1), time(0), zone)
    return {"start": start, "end": end, "since": since, "until": until}
