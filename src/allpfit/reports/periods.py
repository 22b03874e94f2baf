"""The previous period a report compares against ("▲ 12% vs período anterior").

Chatwoot's reports compare a range with the range of the same length just before it; the
daily cards compare today with yesterday, which is the one-day case of the same rule. Kept
here so every page and export computes the comparison window the same way.
"""

from __future__ import annotations

from datetime import date, timedelta


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length as [start, end] (both days included) ending the day
    before `start`: (2026-11-10, 2026-11-16) → (2026-11-03, 2026-11-09); one day → the day
    before."""
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    days = (end - start).days + 1
    previous_end = start - timedelta(days=1)
    return previous_end - timedelta(days=days - 1), previous_end
