"""Each tenant's monthly LLM budget: what its analysis spent this month, and the cap.

The budget (`tenants.llm_monthly_budget`) is in the unit the analysis records its cost in:
US dollars (`analysis_runs.cost_usd`, computed from OPENAI_PRICE_*_PER_MTOK). The month is the
calendar month in the tenant's time zone. NULL = no cap.

The cap is enforced by wrapping the tenant's analyzer (`Budgeted`): before each LLM call it
compares this month's spending (the runs recorded before this one, plus what this run spent so
far) with the budget, and once it is reached raises AnalysisError, which stops the run
(recorded 'failed' in analysis_runs with the reason) for this tenant only. A run can overshoot
by the calls already in flight (at most ANALYSIS_CONCURRENCY conversations); the next run is
refused before any call. The offline rules analyzer costs nothing and is never capped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import psycopg

from allpfit import db
from allpfit.analysis.analyzer import Analysis, Analyzer, Conversation, ConversationFailed
from allpfit.errors import AnalysisError
from allpfit.tenants import Tenant

FREE_PROVIDERS = ("rules",)  # analyzers that spend nothing


def month_start(timezone: str, now: datetime | None = None) -> datetime:
    """Midnight of the first day of the current month in `timezone` (an aware datetime)."""
    from zoneinfo import ZoneInfo

    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def cost_this_month(
    conn: psycopg.Connection, tenant_id: int, timezone: str, now: datetime | None = None
) -> Decimal:
    """US dollars the tenant's analysis runs started this month spent (failed runs and failed
    conversations included: the service charged them). Reads on an owner connection, naming
    the tenant."""
    row = conn.execute(
        """SELECT coalesce(sum(cost_usd), 0) FROM analysis_runs
           WHERE tenant_id = %s AND started_at >= %s""",
        (tenant_id, month_start(timezone, now)),
    ).fetchone()
    return Decimal(row[0]) if row else Decimal(0)


class Budgeted:
    """An analyzer that stops (AnalysisError) once the tenant's budget for the month is spent."""

    def __init__(self, inner: Analyzer, tenant: Tenant, spent: Decimal, timezone: str) -> None:
        assert tenant.llm_monthly_budget is not None
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.tenant = tenant
        self.budget = tenant.llm_monthly_budget
        self.spent_before = spent
        self.spent_now = 0.0
        self.since = month_start(timezone)

    @property
    def spent(self) -> Decimal:
        return self.spent_before + Decimal(str(round(self.spent_now, 6)))

    async def analyze(self, conversation: Conversation) -> Analysis:
        if self.spent >= self.budget:
            raise self.reached()
        try:
            analysis = await self.inner.analyze(conversation)
        except ConversationFailed as exc:
            self.spent_now += exc.usage.cost_usd
            raise
        self.spent_now += analysis.usage.cost_usd
        return analysis

    async def aclose(self) -> None:
        await self.inner.aclose()

    def reached(self) -> AnalysisError:
        slug = self.tenant.slug
        return AnalysisError(
            f"Tenant {slug!r} reached its monthly LLM budget: US$ {self.spent:.4f} spent "
            f"since {self.since:%Y-%m-%d} of US$ {self.budget:.2f}; no more leads are analysed "
            "this month.",
            hint=f"Raise it with `allpfit tenant edit {slug} --budget N` (US dollars), or "
            "wait for next month; the other tenants are not affected.",
        )


def with_budget(analyzer: Analyzer, tenant: Tenant, local_url: str, timezone: str) -> Analyzer:
    """`analyzer` capped by the tenant's monthly budget (unchanged when it has none or costs
    nothing)."""
    if tenant.llm_monthly_budget is None or analyzer.provider in FREE_PROVIDERS:
        return analyzer
    with db.connect(local_url) as conn:
        spent = cost_this_month(conn, tenant.id, timezone)
    return Budgeted(analyzer, tenant, spent, timezone)
