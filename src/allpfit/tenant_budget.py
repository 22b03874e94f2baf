"""Each tenant's monthly LLM budget in reais: what its analysis spent this month, and the cap.

The LLM service bills in US dollars, so the analysis records each run's cost in USD
(`analysis_runs.cost_usd`, from OPENAI_PRICE_*_PER_MTOK) and that stays the only record of
spending. Everything the business sees or sets is in reais: the budget
(`tenants.llm_monthly_budget_brl`, migration 0082), the spend of the month, per day, and its
projection to the month's end, converted at USD_BRL_RATE (a setting the user keeps current). A
tenant whose budget was set in US dollars before 0082 keeps it (`llm_monthly_budget_usd`),
converted at the same rate, until a budget in reais replaces it. The month is the calendar
month in the tenant's time zone. No budget = no cap.

"Spend this month" has one definition, `daily_costs` (the runs started this month, failed ones
included: the service charged them); the cap, `allpfit status` and the admin page all read it.

The cap is enforced by wrapping the tenant's analyzer (`Budgeted`): before each LLM call it
compares this month's spending (the runs recorded before this one, plus what this run spent so
far) with the budget, and once it is reached raises AnalysisError, which stops the run
(recorded 'failed' in analysis_runs with the reason) for this tenant only. A run can overshoot
by the calls already in flight (at most ANALYSIS_CONCURRENCY conversations); the next run is
refused before any call. The offline rules analyzer costs nothing and is never capped.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import psycopg

from allpfit import db
from allpfit.analysis.analyzer import Analysis, Analyzer, Conversation, ConversationFailed
from allpfit.config import Settings
from allpfit.errors import AnalysisError
from allpfit.tenants import Tenant

FREE_PROVIDERS = ("rules",)  # analyzers that spend nothing
CENTS = Decimal("0.01")


def month_start(timezone: str, now: datetime | None = None) -> datetime:
    """Midnight of the first day of the current month in `timezone` (an aware datetime)."""
    local = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def to_brl(usd: Decimal, rate: float) -> Decimal:
    """US dollars in reais at `rate` (USD_BRL_RATE), to the centavo."""
    return (usd * Decimal(str(rate))).quantize(CENTS, rounding=ROUND_HALF_UP)


def budget_brl(tenant: Tenant, rate: float) -> Decimal | None:
    """The tenant's monthly budget in reais: its own, else its pre-0082 USD budget at `rate`,
    else None (no cap)."""
    if tenant.llm_monthly_budget_brl is not None:
        return tenant.llm_monthly_budget_brl
    if tenant.llm_monthly_budget_usd is not None:
        return to_brl(tenant.llm_monthly_budget_usd, rate)
    return None


def daily_costs(
    conn: psycopg.Connection, tenant_id: int, timezone: str, now: datetime | None = None
) -> dict[date, Decimal]:
    """US dollars spent by the tenant's analysis runs started this month, by local day (the
    one definition of the month's spending). `now` = as of then (tests, reports); None = every
    run recorded, so a database clock ahead of ours never hides a run from the cap. Reads on an
    owner connection, naming the tenant."""
    rows = conn.execute(
        """SELECT (started_at AT TIME ZONE %s)::date AS day, coalesce(sum(cost_usd), 0)
           FROM analysis_runs
           WHERE tenant_id = %s AND started_at >= %s
             AND started_at <= coalesce(%s::timestamptz, 'infinity')
           GROUP BY 1 ORDER BY 1""",
        (timezone, tenant_id, month_start(timezone, now), now),
    ).fetchall()
    return {day: Decimal(cost) for day, cost in rows}


def cost_this_month(
    conn: psycopg.Connection, tenant_id: int, timezone: str, now: datetime | None = None
) -> Decimal:
    """US dollars the tenant's analysis spent this month (the sum of `daily_costs`)."""
    return sum(daily_costs(conn, tenant_id, timezone, now).values(), Decimal(0))


@dataclass(frozen=True)
class MonthSpend:
    """A tenant's LLM spending this month in reais: per day, so far, and projected."""

    tenant_id: int
    since: datetime  # midnight of the 1st, tenant's time zone
    now: datetime
    rate: float  # USD_BRL_RATE used
    spent_usd: Decimal
    days: list[tuple[date, Decimal]]  # every day of the month so far, R$ (0 when nothing ran)
    budget_brl: Decimal | None
    budget_from_usd: Decimal | None  # the pre-0082 USD budget the R$ budget comes from

    @property
    def spent_brl(self) -> Decimal:
        return to_brl(self.spent_usd, self.rate)

    @property
    def days_in_month(self) -> int:
        return calendar.monthrange(self.since.year, self.since.month)[1]

    @property
    def projection_brl(self) -> Decimal:
        """The month's total at this month's average pace so far: spent / elapsed days × days
        in the month. Elapsed days count the current one fractionally, but at least one whole
        day, so a run at 00:05 on the 1st does not project thirty times its cost per hour."""
        elapsed = (self.now.astimezone(self.since.tzinfo) - self.since) / timedelta(days=1)
        pace = self.spent_brl / Decimal(str(max(elapsed, 1.0)))
        return (pace * self.days_in_month).quantize(CENTS, rounding=ROUND_HALF_UP)

    @property
    def reached(self) -> bool:
        return self.budget_brl is not None and self.spent_brl >= self.budget_brl


def month_spend(
    conn: psycopg.Connection, tenant: Tenant, settings: Settings, now: datetime | None = None
) -> MonthSpend:
    """`tenant`'s spending this month in reais (owner connection, names the tenant)."""
    now = now or datetime.now(UTC)
    timezone = tenant.tz(settings)
    since = month_start(timezone, now)
    rate = settings.usd_brl_rate
    by_day = daily_costs(conn, tenant.id, timezone, now)
    today = now.astimezone(ZoneInfo(timezone)).date()
    days = [
        (day, to_brl(by_day.get(day, Decimal(0)), rate))
        for day in (since.date() + timedelta(days=n) for n in range(today.day))
    ]
    return MonthSpend(
        tenant_id=tenant.id,
        since=since,
        now=now,
        rate=rate,
        spent_usd=sum(by_day.values(), Decimal(0)),
        days=days,
        budget_brl=budget_brl(tenant, rate),
        budget_from_usd=(
            tenant.llm_monthly_budget_usd if tenant.llm_monthly_budget_brl is None else None
        ),
    )


class Budgeted:
    """An analyzer that stops (AnalysisError) once the tenant's budget for the month is spent."""

    def __init__(
        self, inner: Analyzer, tenant: Tenant, spent_usd: Decimal, timezone: str, rate: float
    ) -> None:
        budget = budget_brl(tenant, rate)
        assert budget is not None
        self.inner = inner
        self.provider = inner.provider
        self.model = inner.model
        self.tenant = tenant
        self.budget = budget
        self.rate = rate
        self.spent_before = spent_usd
        self.spent_now = 0.0
        self.since = month_start(timezone)

    @property
    def spent_usd(self) -> Decimal:
        return self.spent_before + Decimal(str(round(self.spent_now, 6)))

    @property
    def spent(self) -> Decimal:
        """Reais spent this month, this run included."""
        return to_brl(self.spent_usd, self.rate)

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
            f"Tenant {slug!r} reached its monthly LLM budget: R$ {self.spent:.2f} spent since "
            f"{self.since:%Y-%m-%d} of R$ {self.budget:.2f} (US$ {self.spent_usd:.4f} at "
            f"USD_BRL_RATE {self.rate:g}); its analysis is paused until next month.",
            hint=f"Raise it with `allpfit tenant edit {slug} --budget N` (reais), or wait for "
            "next month; the other tenants are not affected.",
        )


def with_budget(analyzer: Analyzer, tenant: Tenant, local_url: str, settings: Settings) -> Analyzer:
    """`analyzer` capped by the tenant's monthly budget (unchanged when it has none or costs
    nothing). `settings` are the tenant's own (`tenants.settings_for`): time zone and rate."""
    rate = settings.usd_brl_rate
    if budget_brl(tenant, rate) is None or analyzer.provider in FREE_PROVIDERS:
        return analyzer
    timezone = tenant.tz(settings)
    with db.connect(local_url) as conn:
        spent = cost_this_month(conn, tenant.id, timezone)
    return Budgeted(analyzer, tenant, spent, timezone, rate)
