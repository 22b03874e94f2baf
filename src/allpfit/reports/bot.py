"""The bot report: what the bot handled alone, what it handed to a person, and its rates.

Chatwoot's bot report (`V2::Reports::BotMetricsBuilder`, `ReportHelper#bot_resolutions`,
docs/reports.md) counts bot resolutions (`conversation_bot_resolved` events, leaving out
conversations that also had a handoff) and handoffs (`conversation_bot_handoff` events,
distinct conversations), and divides both by the conversations created in the period. Its
denominator is every conversation of the selected inboxes, bot or not; ours is, on purpose,
only the conversations the bot took part in (it wrote, or it handed the conversation over),
so a rate means "of what the bot saw" even when the account mixes bot and human-only inboxes.
Numerators and denominator are the same conversations (created in the period), so no rate
can pass 100%.

Per conversation, with the sync's columns (docs/data-model.md):

- bot took part: `has_bot_messages OR has_bot_handoff`;
- only the bot: `is_bot_only` (the bot wrote, no human agent did; the overview's
  "Conversas IA" count, same column);
- handed to a human: `has_bot_handoff` (a `conversation_bot_handoff` event);
- resolved by the bot: `is_bot_resolved` (resolved, bot only, never handed off).

Pure SQL and Python, no Streamlit: the dashboard page and the exports use these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd
import psycopg

from allpfit.reports.scope import IN_CHATWOOT, period_params

BOT_TOOK_PART = "(has_bot_messages OR has_bot_handoff)"


@dataclass(frozen=True)
class BotSummary:
    conversations: int  # the bot took part
    bot_only: int
    handed_off: int
    bot_resolved: int
    bot_messages: int
    avg_handoff_seconds: float | None  # creation → handoff, over handed-off conversations

    @property
    def resolution_rate(self) -> float | None:
        return self.bot_resolved / self.conversations if self.conversations else None

    @property
    def handoff_rate(self) -> float | None:
        return self.handed_off / self.conversations if self.conversations else None


def _params(start: date, end: date, tz: str, inboxes: tuple[int, ...]) -> dict[str, Any]:
    return {**period_params(start, end, tz), "inboxes": list(inboxes)}


_WHERE = f"""
    {IN_CHATWOOT} AND {BOT_TOOK_PART}
    AND conversation_date BETWEEN %(start)s AND %(end)s
    AND (cardinality(%(inboxes)s::integer[]) = 0 OR inbox_id = ANY(%(inboxes)s::integer[]))
"""
_FIGURES = """
    count(*)::int, count(*) FILTER (WHERE is_bot_only)::int,
    count(*) FILTER (WHERE has_bot_handoff)::int, count(*) FILTER (WHERE is_bot_resolved)::int
"""


def summary(
    conn: psycopg.Connection, start: date, end: date, tz: str, inboxes: tuple[int, ...] = ()
) -> BotSummary:
    """The bot's figures over the conversations created in [start, end] it took part in."""
    row = conn.execute(
        f"""
        SELECT {_FIGURES}, COALESCE(sum(bot_messages), 0)::int,
               avg(bot_handoff_seconds) FILTER (WHERE has_bot_handoff)::float8
        FROM conversas_analytics WHERE {_WHERE}
        """,
        _params(start, end, tz, inboxes),
    ).fetchone()
    assert row is not None
    return BotSummary(*row)


def per_day(
    conn: psycopg.Connection, start: date, end: date, tz: str, inboxes: tuple[int, ...] = ()
) -> pd.DataFrame:
    """Columns dia, conversas, so_bot, transferidas, resolvidas_bot: every day of the period
    (zeros included), by the day the conversation was created."""
    return _frame(
        conn,
        f"""
        SELECT d::date AS dia, COALESCE(c.conversas, 0)::int AS conversas,
               COALESCE(c.so_bot, 0)::int AS so_bot,
               COALESCE(c.transferidas, 0)::int AS transferidas,
               COALESCE(c.resolvidas_bot, 0)::int AS resolvidas_bot
        FROM generate_series(%(start)s::date, %(end)s::date, interval '1 day') AS d
        LEFT JOIN (
            SELECT conversation_date, count(*) AS conversas,
                   count(*) FILTER (WHERE is_bot_only) AS so_bot,
                   count(*) FILTER (WHERE has_bot_handoff) AS transferidas,
                   count(*) FILTER (WHERE is_bot_resolved) AS resolvidas_bot
            FROM conversas_analytics WHERE {_WHERE} GROUP BY conversation_date
        ) c ON c.conversation_date = d::date
        ORDER BY d
        """,
        _params(start, end, tz, inboxes),
    )


def by_inbox(
    conn: psycopg.Connection, start: date, end: date, tz: str, inboxes: tuple[int, ...] = ()
) -> pd.DataFrame:
    """Columns id, caixa, conversas, so_bot, transferidas, resolvidas_bot, taxa_resolucao,
    taxa_transferencia; most conversations first."""
    frame = _frame(
        conn,
        f"""
        SELECT inbox_id AS id, max(inbox_name) AS caixa, {_FIGURES}
        FROM conversas_analytics WHERE {_WHERE}
        GROUP BY inbox_id ORDER BY 3 DESC, 2
        """,
        _params(start, end, tz, inboxes),
    )
    frame.columns = ["id", "caixa", "conversas", "so_bot", "transferidas", "resolvidas_bot"]
    frame["taxa_resolucao"] = [
        r / c if c else None
        for r, c in zip(frame["resolvidas_bot"], frame["conversas"], strict=True)
    ]
    frame["taxa_transferencia"] = [
        h / c if c else None for h, c in zip(frame["transferidas"], frame["conversas"], strict=True)
    ]
    return frame


def inbox_options(
    conn: psycopg.Connection, start: date, end: date, tz: str
) -> list[tuple[int, str]]:
    """The inboxes where the bot took part in a conversation of the period, by name."""
    rows = conn.execute(
        f"""SELECT inbox_id, max(inbox_name) FROM conversas_analytics WHERE {_WHERE}
            AND inbox_id IS NOT NULL GROUP BY inbox_id ORDER BY 2 NULLS LAST, 1""",
        _params(start, end, tz, ()),
    ).fetchall()
    return [(int(i), str(n or i)) for i, n in rows]


def _frame(conn: psycopg.Connection, query: str, params: dict[str, Any]) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query, params)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])
