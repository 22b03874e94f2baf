"""Chatwoot's core report figures per agent, team, inbox or label: the one definition.

Every figure is the one Chatwoot's own reports show for the same period (definitions and their
sources in docs/reports.md), computed from conversas_analytics: its per-event column
`report_events` and per-day column `report_messages` (migration 0070) rather than the
per-conversation summaries, because Chatwoot selects reporting events by when they were
written and messages by when they were sent, not by the conversation's creation.

- conversations: conversations created in the period, by their current assignee, team, inbox
  or label (Chatwoot's `conversations.where(created_at: range)`).
- incoming / outgoing messages: messages sent in the period (message_type 0 / 1, private
  notes included) in the row's conversations; for an agent, the outgoing messages they sent
  (Chatwoot's scope is `user.messages`, so an agent has no incoming messages: None here).
- first response, resolution and reply time: average (Chatwoot's figure) and median (ours,
  over the same events) of the `first_response`, `conversation_resolved` and `reply_time`
  events written in the period, in seconds, or their business-hours values when asked.
  Agent rows group events by the event's user, inbox rows by the event's inbox, team and label
  rows by the conversation's current team and labels. Label averages follow Chatwoot's
  LabelSummaryBuilder: events of conversations created in the period, whenever written.
- resolutions: `conversation_resolved` events written in the period (a conversation resolved
  twice counts twice).

Used by the report pages (dashboard/dimension_report.py) and `allpfit export agents`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

import psycopg

from allpfit.reports.periods import previous_period

Dimension = Literal["agent", "team", "inbox", "label"]
DIMENSIONS: tuple[Dimension, ...] = ("agent", "team", "inbox", "label")

# The conversation-level key of a row (what `conversations` are grouped by), per dimension.
_CONVERSATION_KEY = {
    "agent": "c.assignee_id::text",
    "team": "c.team_id::text",
    "inbox": "c.inbox_id::text",
    "label": "l.label",
}
# The key of an event: its own user (agents) or inbox (inboxes), else the conversation's.
_EVENT_KEY = {
    "agent": "ev ->> 'user_id'",
    "team": "c.team_id::text",
    "inbox": "ev ->> 'inbox_id'",
    "label": "l.label",
}
_LABELS = "CROSS JOIN LATERAL unnest(c.labels) AS l(label)"
_LIVE = "c.deleted_in_source_at IS NULL"
_TIMED = {"first_response": "first_response", "conversation_resolved": "resolution"}


@dataclass(frozen=True)
class Figures:
    """One row's figures for one period. Times are seconds; None = no event to average."""

    conversations: int = 0
    incoming_messages: int | None = 0
    outgoing_messages: int = 0
    first_response_avg: float | None = None
    first_response_median: float | None = None
    resolution_avg: float | None = None
    resolution_median: float | None = None
    reply_avg: float | None = None
    reply_median: float | None = None
    resolutions: int = 0


@dataclass(frozen=True)
class DimensionMetrics(Figures):
    """A row of a report: the agent, team, inbox or label, its figures for the period and
    (`previous`) for the previous period of the same length."""

    key: str = ""
    name: str = ""
    previous: Figures = Figures()


def period_bounds(start: date, end: date, timezone: str) -> tuple[datetime, datetime]:
    """[start 00:00, the day after end 00:00) in `timezone`: the instants of a period of
    whole days, as Chatwoot's range from the browser's time zone."""
    zone = ZoneInfo(timezone)
    return (
        datetime.combine(start, time(), zone),
        datetime.combine(end + timedelta(days=1), time(), zone),
    )


def _rows(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def _conversations(conn: psycopg.Connection, dim: Dimension, p: dict[str, Any]) -> dict[str, int]:
    key = _CONVERSATION_KEY[dim]
    labels = _LABELS if dim == "label" else ""
    query = f"""
        SELECT {key} AS key, count(*) FROM conversas_analytics c {labels}
        WHERE {_LIVE} AND c.conversation_created_at >= %(lo)s AND c.conversation_created_at < %(hi)s
          AND {key} IS NOT NULL
        GROUP BY 1"""
    return {str(k): int(n) for k, n in _rows(conn, query, p)}


def _messages(
    conn: psycopg.Connection, dim: Dimension, p: dict[str, Any]
) -> dict[str, tuple[int | None, int]]:
    """(incoming, outgoing) per key, from the per-day counts (days in the business time
    zone, so a period of whole days is exact)."""
    days = "jsonb_each(c.report_messages) AS d(day, counts)"
    in_period = "d.day::date BETWEEN %(start)s AND %(end)s"
    if dim == "agent":
        query = f"""
            SELECT u.key, sum(u.value::bigint) FROM conversas_analytics c
            CROSS JOIN LATERAL {days}
            CROSS JOIN LATERAL jsonb_each_text(d.counts -> 'users') AS u(key, value)
            WHERE {_LIVE} AND {in_period} GROUP BY 1"""
        return {str(k): (None, int(n)) for k, n in _rows(conn, query, p)}
    key = _CONVERSATION_KEY[dim]
    labels = _LABELS if dim == "label" else ""
    query = f"""
        SELECT {key} AS key, sum((d.counts ->> 'in')::bigint), sum((d.counts ->> 'out')::bigint)
        FROM conversas_analytics c {labels} CROSS JOIN LATERAL {days}
        WHERE {_LIVE} AND {in_period} AND {key} IS NOT NULL
        GROUP BY 1"""
    return {str(k): (int(i), int(o)) for k, i, o in _rows(conn, query, p)}


def _events(
    conn: psycopg.Connection, dim: Dimension, p: dict[str, Any], *, by_creation: bool
) -> dict[tuple[str, str], tuple[int, float | None, float | None]]:
    """(count, average, median) per (key, event name) of the events written in the period,
    or (`by_creation`, Chatwoot's label averages) of the conversations created in it."""
    key = _EVENT_KEY[dim]
    labels = _LABELS if dim == "label" else ""
    if by_creation:
        when = "c.conversation_created_at >= %(lo)s AND c.conversation_created_at < %(hi)s"
    else:
        # source_updated_at is at least the latest event's time: a cheap filter first.
        when = (
            "c.source_updated_at >= %(lo)s AND (ev ->> 'at')::timestamptz >= %(lo)s"
            " AND (ev ->> 'at')::timestamptz < %(hi)s"
        )
    query = f"""
        SELECT key, name, count(*), avg(v), percentile_cont(0.5) WITHIN GROUP (ORDER BY v)
        FROM (
            SELECT {key} AS key, ev ->> 'name' AS name, (ev ->> %(value)s)::double precision AS v
            FROM conversas_analytics c {labels}
            CROSS JOIN LATERAL jsonb_array_elements(c.report_events) AS ev
            WHERE {_LIVE} AND {when}
        ) e
        WHERE key IS NOT NULL
        GROUP BY 1, 2"""
    return {(str(k), str(n)): (int(c), a, m) for k, n, c, a, m in _rows(conn, query, p)}


def _names(conn: psycopg.Connection, dim: Dimension, keys: list[str]) -> dict[str, str]:
    """Display names of `keys`: labels are their own; agents by their latest name as an
    assignee, else as written with their events (an agent no conversation is assigned to any
    more)."""
    if dim == "label" or not keys:
        return {}
    column = {"agent": "assignee", "team": "team", "inbox": "inbox"}[dim]
    query = f"""
        SELECT c.{column}_id::text,
               (array_agg(c.{column}_name ORDER BY c.conversation_updated_at DESC)
                   FILTER (WHERE c.{column}_name IS NOT NULL))[1]
        FROM conversas_analytics c WHERE c.{column}_id::text = ANY(%(keys)s) GROUP BY 1"""
    names = {str(k): str(n) for k, n in _rows(conn, query, {"keys": keys}) if n}
    missing = [k for k in keys if k not in names]
    if dim == "agent" and missing:
        events = """
            SELECT ev ->> 'user_id', max(ev ->> 'user_name') FROM conversas_analytics c
            CROSS JOIN LATERAL jsonb_array_elements(c.report_events) AS ev
            WHERE ev ->> 'user_id' = ANY(%(keys)s) GROUP BY 1"""
        names |= {str(k): str(n) for k, n in _rows(conn, events, {"keys": missing}) if n}
    return names


def _figures(
    conn: psycopg.Connection,
    dim: Dimension,
    start: date,
    end: date,
    timezone: str,
    business_hours: bool,
) -> dict[str, Figures]:
    lo, hi = period_bounds(start, end, timezone)
    p = {
        "lo": lo,
        "hi": hi,
        "start": start,
        "end": end,
        "value": "business" if business_hours else "value",
    }
    conversations = _conversations(conn, dim, p)
    messages = _messages(conn, dim, p)
    events = _events(conn, dim, p, by_creation=False)
    averages = _events(conn, dim, p, by_creation=True) if dim == "label" else events
    keys = set(conversations) | set(messages) | {k for k, _ in events}
    keys |= {k for k, _ in averages}
    result = {}
    for key in keys:
        timed: dict[str, float | None] = {}
        for event, prefix in (*_TIMED.items(), ("reply_time", "reply")):
            _, avg, median = averages.get((key, event), (0, None, None))
            timed[f"{prefix}_avg"], timed[f"{prefix}_median"] = avg, median
        incoming, outgoing = messages.get(key, (None if dim == "agent" else 0, 0))
        result[key] = Figures(
            conversations=conversations.get(key, 0),
            incoming_messages=incoming,
            outgoing_messages=outgoing,
            resolutions=events.get((key, "conversation_resolved"), (0, None, None))[0],
            **timed,
        )
    return result


def dimension_metrics(
    conn: psycopg.Connection,
    dimension: Dimension,
    start: date,
    end: date,
    *,
    timezone: str,
    business_hours: bool = False,
) -> list[DimensionMetrics]:
    """Chatwoot's report figures per `dimension` for [start, end] (days in `timezone`), each
    with the previous period of the same length; rows with anything in either period, most
    conversations first. `conn` is a tenant connection (row-level security picks the
    tenant's rows)."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown report dimension {dimension!r}")
    current = _figures(conn, dimension, start, end, timezone, business_hours)
    before = _figures(conn, dimension, *previous_period(start, end), timezone, business_hours)
    names = _names(conn, dimension, sorted(set(current) | set(before)))
    empty = Figures(incoming_messages=None if dimension == "agent" else 0)
    rows = []
    for key in set(current) | set(before):
        figures = current.get(key, empty)
        rows.append(
            DimensionMetrics(
                **vars(figures),
                key=key,
                name=names.get(key, key if dimension == "label" else f"#{key}"),
                previous=before.get(key, empty),
            )
        )
    rows.sort(key=lambda r: (-r.conversations, r.name.casefold(), r.key))
    return rows
