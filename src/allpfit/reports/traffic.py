"""The traffic report: when conversations arrive, and how long the first human answer takes.

- Heatmap: conversations created per weekday × hour, in the business time zone (Chatwoot's
  "conversation traffic" heatmap counts `conversations_count` by creation hour in the viewer's
  time zone; ours is the business's, the columns `conversation_weekday` / `conversation_hour`
  the sync computes).
- First-response-time buckets: Chatwoot's own (`V2::Reports::FirstResponseTimeDistribution
  Builder`): its `first_response` events written in the period, counted in 0-1 h, 1-4 h,
  4-8 h, 8-24 h and 24 h+ by `value` (seconds; the bounds are [lower, upper)), per channel
  type. A conversation has at most one `first_response` event (`first_response_time_seconds`),
  written when the first human reply was (`first_reply_created_at`), which places it in the
  period.

Pure SQL and Python, no Streamlit: the dashboard page and the exports use these functions.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import psycopg

from allpfit.reports.scope import IN_CHATWOOT, period_params

# Chatwoot's buckets: (label, lower bound in seconds, upper bound or None), [lower, upper).
FRT_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-1h", 0, 3600),
    ("1-4h", 3600, 14400),
    ("4-8h", 14400, 28800),
    ("8-24h", 28800, 86400),
    ("24h+", 86400, None),
)
WEEKDAYS = (1, 2, 3, 4, 5, 6, 7)  # ISO: 1 Monday ... 7 Sunday
HOURS = tuple(range(24))


def _params(start: date, end: date, tz: str, inboxes: tuple[int, ...]) -> dict[str, Any]:
    return {**period_params(start, end, tz), "inboxes": list(inboxes)}


_INBOXES = "(cardinality(%(inboxes)s::integer[]) = 0 OR inbox_id = ANY(%(inboxes)s::integer[]))"


def heatmap(
    conn: psycopg.Connection, start: date, end: date, tz: str, inboxes: tuple[int, ...] = ()
) -> pd.DataFrame:
    """Conversations created in the period: a 7 × 24 frame, index = ISO weekday (1 Monday),
    columns = hour 0-23, zeros included."""
    rows = conn.execute(
        f"""
        SELECT conversation_weekday, conversation_hour, count(*)
        FROM conversas_analytics
        WHERE {IN_CHATWOOT} AND conversation_date BETWEEN %(start)s AND %(end)s AND {_INBOXES}
        GROUP BY 1, 2
        """,
        _params(start, end, tz, inboxes),
    ).fetchall()
    grid = pd.DataFrame(0, index=list(WEEKDAYS), columns=list(HOURS), dtype=int)
    for weekday, hour, count in rows:
        grid.loc[int(weekday), int(hour)] = int(count)
    return grid


def _bucket_sql() -> str:
    parts = []
    for label, lower, upper in FRT_BUCKETS:
        cond = f"first_response_time_seconds >= {lower}"
        if upper is not None:
            cond += f" AND first_response_time_seconds < {upper}"
        parts.append(f'count(*) FILTER (WHERE {cond})::int AS "{label}"')
    return ", ".join(parts)


def first_response_buckets(
    conn: psycopg.Connection, start: date, end: date, tz: str, inboxes: tuple[int, ...] = ()
) -> pd.DataFrame:
    """First responses written in the period per channel type and bucket: columns canal and
    one per FRT_BUCKETS label, one row per channel type with any, by channel type."""
    with conn.cursor() as cur:
        cur.execute(
            f"""
            SELECT channel_type AS canal, {_bucket_sql()}
            FROM conversas_analytics
            WHERE {IN_CHATWOOT} AND first_response_time_seconds IS NOT NULL
              AND first_reply_created_at >= %(since)s AND first_reply_created_at < %(until)s
              AND {_INBOXES}
            GROUP BY channel_type ORDER BY channel_type NULLS LAST
            """,
            _params(start, end, tz, inboxes),
        )
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])


def bucket_totals(by_channel: pd.DataFrame) -> dict[str, int]:
    """The buckets over every channel: {"0-1h": n, ...} in bucket order, zeros included."""
    return {
        label: int(by_channel[label].sum()) if not by_channel.empty else 0
        for label, _, _ in FRT_BUCKETS
    }


def inbox_options(
    conn: psycopg.Connection, start: date, end: date, tz: str
) -> list[tuple[int, str]]:
    """Inboxes with a conversation created or first answered in the period, by name."""
    rows = conn.execute(
        f"""
        SELECT inbox_id, max(inbox_name) FROM conversas_analytics
        WHERE {IN_CHATWOOT} AND inbox_id IS NOT NULL
          AND (conversation_date BETWEEN %(start)s AND %(end)s
               OR (first_reply_created_at >= %(since)s AND first_reply_created_at < %(until)s))
        GROUP BY inbox_id ORDER BY 2 NULLS LAST, 1
        """,
        _params(start, end, tz, ()),
    ).fetchall()
    return [(int(i), str(n or i)) for i, n in rows]
