"""Monthly LLM budgets in reais: the month's spend per day, its projection, the conversion of
budgets set in US dollars before migration 0082, and the migration itself (nothing lost)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from decimal import Decimal

import psycopg
import pytest
from psycopg import sql

from allpfit import db
from allpfit.config import Settings
from allpfit.embedded import with_database
from allpfit.tenant_budget import budget_brl, cost_this_month, month_spend
from allpfit.tenants import Tenant, TenantChanges, add_tenant, get_tenant

# 2026-11-10 12:00 in São Paulo (UTC-3): 9.5 days of November have passed.
NOW = datetime(2026, 11, 10, 15, 0, tzinfo=UTC)


def _run(conn: psycopg.Connection, tenant_id: int, usd: str, at: str) -> None:
    conn.execute(
        """INSERT INTO analysis_runs (tenant_id, provider, model, status, cost_usd, started_at)
           VALUES (%s, 'openai', 'gpt-4o-mini', 'success', %s, %s::timestamptz)""",
        (tenant_id, Decimal(usd), at),
    )


@pytest.fixture
def spending(local_url: str) -> Iterator[tuple[psycopg.Connection, Tenant, Tenant]]:
    """Two tenants in São Paulo time: 'gym' (R$ 100 a month) and 'studio' (no budget)."""
    with psycopg.connect(local_url, autocommit=True) as conn:
        for account, slug, budget in ((11, "gym", Decimal(100)), (12, "studio", None)):
            add_tenant(
                conn,
                slug,
                TenantChanges(
                    name=slug.title(),
                    account_id=account,
                    timezone="America/Sao_Paulo",
                    llm_monthly_budget_brl=budget,
                ),
            )
        gym, studio = get_tenant(conn, "gym"), get_tenant(conn, "studio")
        _run(conn, gym.id, "2.00", "2026-11-01 00:30-03")  # the 1st, local time
        _run(conn, gym.id, "1.00", "2026-11-03 10:00-03")
        _run(conn, gym.id, "0.50", "2026-11-03 20:00-03")  # 23:00 UTC: still the 3rd locally
        _run(conn, gym.id, "7.00", "2026-10-31 23:30-03")  # last month (02:30 UTC on Nov 1st)
        _run(conn, studio.id, "9.00", "2026-11-02 10:00-03")  # another tenant
        yield conn, gym, studio


def test_the_months_spend_per_day_and_its_projection_in_reais(
    spending: tuple[psycopg.Connection, Tenant, Tenant], settings: Settings
) -> None:
    conn, gym, _ = spending
    rated = settings.model_copy(update={"usd_brl_rate": 5.0})

    spend = month_spend(conn, gym, rated, NOW)

    assert spend.spent_usd == Decimal("3.50") and spend.spent_brl == Decimal("17.50")
    assert [d.day for d, _ in spend.days] == list(range(1, 11))  # every day so far, zeros too
    by_day = dict(spend.days)
    assert by_day[date(2026, 11, 1)] == Decimal("10.00")
    assert by_day[date(2026, 11, 3)] == Decimal("7.50")
    assert by_day[date(2026, 11, 2)] == Decimal("0.00")  # the studio's run is not the gym's
    assert sum(by_day.values()) == spend.spent_brl
    # R$ 17.50 in 9.5 days, over November's 30 days.
    assert spend.projection_brl == Decimal("55.26")
    assert spend.budget_brl == Decimal("100.00") and not spend.reached
    # The cap's own figure (US$) is the same spending.
    assert cost_this_month(conn, gym.id, "America/Sao_Paulo", NOW) == spend.spent_usd


def test_the_projection_of_the_first_hours_counts_a_whole_day(
    spending: tuple[psycopg.Connection, Tenant, Tenant], settings: Settings
) -> None:
    conn, gym, _ = spending
    rated = settings.model_copy(update={"usd_brl_rate": 5.0})
    early = datetime(2026, 11, 1, 4, 0, tzinfo=UTC)  # 01:00 on the 1st locally

    spend = month_spend(conn, gym, rated, early)

    assert spend.spent_brl == Decimal("10.00")
    assert spend.projection_brl == Decimal("300.00")  # R$ 10 a day, not R$ 10 an hour


def test_a_budget_reached_in_reais(
    spending: tuple[psycopg.Connection, Tenant, Tenant], settings: Settings
) -> None:
    conn, gym, studio = spending
    rated = settings.model_copy(update={"usd_brl_rate": 40.0})  # R$ 140 spent of R$ 100

    assert month_spend(conn, gym, rated, NOW).reached
    assert not month_spend(conn, studio, rated, NOW).reached  # no budget, never reached


def test_a_budget_set_in_dollars_applies_at_the_current_rate_until_one_in_reais() -> None:
    legacy = Tenant(id=5, slug="old", name="Old", llm_monthly_budget_usd=Decimal("10"))
    assert budget_brl(legacy, 5.5) == Decimal("55.00")
    assert budget_brl(legacy, 6.0) == Decimal("60.00")  # the user's rate, not a frozen one
    both = Tenant(
        id=5,
        slug="old",
        name="Old",
        llm_monthly_budget_usd=Decimal("10"),
        llm_monthly_budget_brl=Decimal("80"),
    )
    assert budget_brl(both, 5.5) == Decimal("80")
    assert budget_brl(Tenant(id=6, slug="free", name="Free"), 5.5) is None


@pytest.fixture
def before_0082(pg_admin_url: str) -> Iterator[psycopg.Connection]:
    """A database migrated up to 0081, its budgets in US dollars."""
    name = f"test_at0081_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(with_database(pg_admin_url, name), autocommit=True) as conn:
        db.upgrade(conn, [m for m in db.migrations() if m.version < 82])
        yield conn
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_migration_0082_keeps_every_budget_set_in_dollars(
    before_0082: psycopg.Connection,
) -> None:
    before_0082.execute(
        "INSERT INTO tenants (slug, name, llm_monthly_budget) VALUES ('gym', 'Gym', 12.50)"
    )

    applied = db.upgrade(before_0082)

    assert 82 in [m.version for m in applied]
    row = before_0082.execute(
        "SELECT llm_monthly_budget_usd, llm_monthly_budget_brl FROM tenants WHERE slug = 'gym'"
    ).fetchone()
    assert row == (Decimal("12.50"), None)
    gym = get_tenant(before_0082, "gym")
    assert budget_brl(gym, 5.0) == Decimal("62.50")
