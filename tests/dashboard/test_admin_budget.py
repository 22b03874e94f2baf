"""The admin page's LLM spend in reais: each tenant's month so far, projection and budget, a
warning for the tenant whose analysis is paused (and none for the other), the daily chart."""

from __future__ import annotations

import psycopg
import pytest

from allpfit.dashboard import texts
from allpfit.users import Role
from tests.dashboard.builder import Expected
from tests.dashboard.test_app import app_env  # noqa: F401 (fixture)
from tests.dashboard.test_tenants_app import (
    STUDIO_ID,
    add_user,
    logged_in,
    table,
    two_tenants,  # noqa: F401 (fixture)
)


def test_the_admin_page_shows_spend_projection_and_a_paused_tenant(
    two_tenants: Expected,  # noqa: F811
    local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("USD_BRL_RATE", "5")
    local.execute(
        "UPDATE tenants SET llm_monthly_budget_brl = 10 WHERE id = %s", (STUDIO_ID,)
    )  # the studio: R$ 10 a month, R$ 12.50 spent
    local.execute("UPDATE tenants SET llm_monthly_budget_brl = 100 WHERE id = 1")
    for tenant_id, usd in ((STUDIO_ID, "2.50"), (1, "1.00")):
        local.execute(
            """INSERT INTO analysis_runs (tenant_id, provider, model, status, cost_usd)
               VALUES (%s, 'openai', 'gpt-4o-mini', 'success', %s)""",
            (tenant_id, usd),
        )
    add_user(local, "dono@agencia.com", Role.admin, None)

    at = logged_in("dono@agencia.com", "app_pages/admin.py")

    assert not at.exception and not at.error
    columns = texts.ADMIN_TENANT_COLUMNS
    rows = {r[columns["slug"]]: r for _, r in table(at, columns["slug"]).iterrows()}
    assert rows["pilates"][columns["custo_mes"]] == "12,50"
    assert rows["pilates"][columns["orcamento"]] == "10,00"
    assert rows["default"][columns["custo_mes"]] == "5,00"
    assert rows["default"][columns["orcamento"]] == "100,00"
    projection = rows["pilates"][columns["projecao_mes"]]
    assert (
        projection != texts.EMPTY and float(projection.replace(".", "").replace(",", ".")) >= 12.5
    )
    warnings = [w.value for w in at.warning]
    assert warnings == [
        texts.BUDGET_REACHED.format(empresa="Studio Pilates", orcamento="10,00", slug="pilates")
    ]  # the gym, within its budget, gets none
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    # The chart is of the first tenant (the default one) until another is picked.
    summary = [c.value for c in at.caption if "gastos neste mês" in c.value]
    assert len(summary) == 1
    assert ": R$ 5,00 gastos neste mês" in summary[0]
    assert summary[0].endswith("orçamento: R$ 100,00.")
    at.selectbox(key="admin_spend_tenant").set_value(STUDIO_ID).run()
    summary = [c.value for c in at.caption if "gastos neste mês" in c.value]
    assert summary[0].startswith("Studio Pilates: R$ 12,50 gastos neste mês")
