"""The admin page's numbers across tenants: last sync, leads and LLM cost of the month.

These are the only dashboard queries that read several tenants at once, so they run on the
owner connection (`data.connect_owner`, which row-level security does not restrict) and name
`tenant_id` in every clause; a page's own data never comes from here.
No Streamlit here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

import psycopg
from psycopg.rows import class_row

from allpfit.config import Settings
from allpfit.tenant_budget import MonthSpend, month_spend, month_start
from allpfit.tenants import Tenant


@dataclass(frozen=True)
class TenantSummary:
    """One tenant's line on the admin page."""

    tenant_id: int
    sync_started_at: datetime | None
    sync_finished_at: datetime | None
    sync_status: str | None  # etl_control.status of its latest sync; None = never synced
    leads_month: int  # distinct contacts with a lead conversation created this month
    spend: MonthSpend | None = None  # LLM spend in R$, `tenant_budget.month_spend` (one rule)


_SUMMARY = """
SELECT t.tenant_id,
       s.started_at AS sync_started_at,
       s.finished_at AS sync_finished_at,
       s.status AS sync_status,
       COALESCE(l.leads, 0)::int AS leads_month
FROM unnest(%(ids)s::int[], %(days)s::date[]) AS t (tenant_id, month_day)
LEFT JOIN LATERAL (
    SELECT e.started_at, e.finished_at, e.status
    FROM etl_control e
    WHERE e.tenant_id = t.tenant_id
    ORDER BY e.id DESC
    LIMIT 1
) s ON true
LEFT JOIN LATERAL (
    SELECT count(DISTINCT ca.contact_id) AS leads
    FROM conversas_analytics ca
    WHERE ca.tenant_id = t.tenant_id AND ca.is_lead AND ca.conversation_date >= t.month_day
) l ON true
ORDER BY t.tenant_id
"""


def tenant_summaries(
    conn: psycopg.Connection, tenants: Sequence[Tenant], settings: Settings, now: datetime
) -> dict[int, TenantSummary]:
    """Each tenant's summary by id; `conn` is an owner connection (it sees every tenant).

    The month is the calendar month in each tenant's own time zone, and its LLM spend (R$,
    per day, projection, budget) is the budget's own figure (`tenant_budget.month_spend`), so
    the admin page, `allpfit status` and the cap that pauses the analysis never disagree."""
    if not tenants:
        return {}
    days = [month_start(t.tz(settings), now).date() for t in tenants]
    params = {"ids": [t.id for t in tenants], "days": days}
    with conn.cursor(row_factory=class_row(TenantSummary)) as cur:
        rows = {row.tenant_id: row for row in cur.execute(_SUMMARY, params).fetchall()}
    return {t.id: replace(rows[t.id], spend=month_spend(conn, t, settings, now)) for t in tenants}
