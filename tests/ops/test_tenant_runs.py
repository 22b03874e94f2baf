"""Every job runs tenant by tenant: one tenant's failure (a bad EVO token, its LLM budget
reached) is recorded for it and reported, the others run to the end, the exit code says so."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import psycopg
import pytest
from pydantic import SecretStr
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.crm.evo_client import EvoAuthError
from allpfit.errors import AnalysisError, CrmError
from allpfit.ops.pipeline import run_pipeline
from allpfit.tenants import TenantChanges, add_tenant, disable_tenant
from tests.factories import Chatwoot
from tests.fakes.evo_server import FakeEvo, member, serve
from tests.fakes.llm_server import FakeLLM
from tests.fakes.llm_server import serve as serve_llm

runner = CliRunner()
WRONG_TOKEN = "wrong-tok-91X-SECRET"


@pytest.fixture
def accounts(source_url: str) -> dict[str, int]:
    """One Chatwoot, two businesses: 'b' (3 leads, account created first) and 'a' (2 leads)."""
    with psycopg.connect(source_url, autocommit=True) as conn:
        b = Chatwoot(conn)
        b.leads(3, "Oi! Quanto custa a aula de pilates?")
        a = Chatwoot(conn)
        for i in range(2):
            conv = a.conversation(a.contact(f"Aluno {i}", f"+55219880000{i:02d}"))
            a.message(conv, "Oi! Quero agendar uma visita na academia")
    return {"b": b.account_id, "a": a.account_id}


@pytest.fixture
def evo() -> Iterator[FakeEvo]:
    fake = FakeEvo(members=[member(1, "Ana", "Souza", cellphone="21988000000")])
    with serve(fake) as running:
        yield running


@pytest.fixture
def two_tenants(
    local_url: str,
    accounts: dict[str, int],
    evo: FakeEvo,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tenant b (id 2, runs first) has a wrong EVO token; tenant a (id 3) the right one. The
    default tenant, which would read every account, is disabled."""
    monkeypatch.setenv("A_EVO_TOKEN", evo.token)
    monkeypatch.setenv("B_EVO_TOKEN", WRONG_TOKEN)
    with psycopg.connect(local_url, autocommit=True) as conn:
        for slug in ("b", "a"):
            add_tenant(
                conn,
                slug,
                TenantChanges(
                    name=f"Business {slug.upper()}",
                    account_id=accounts[slug],
                    evo_dns=evo.dns,
                    evo_token_ref=f"env:{slug.upper()}_EVO_TOKEN",
                ),
            )
        disable_tenant(conn, "default")


@pytest.fixture
def evo_settings(settings: Settings, evo: FakeEvo) -> Settings:
    return settings.model_copy(
        update={"evo_base_url": evo.url, "evo_requests_per_minute": 10_000, "evo_max_retries": 1}
    )


def by_tenant(local_url: str, query: str) -> list[tuple[object, ...]]:
    with psycopg.connect(local_url) as conn:
        return conn.execute(query).fetchall()


def test_a_bad_evo_token_fails_only_its_tenant_in_the_pipeline(
    two_tenants: None, evo_settings: Settings, local_url: str
) -> None:
    result = run_pipeline(evo_settings, triggered_by="manual")
    steps = {(s.tenant, s.name): s for s in result.steps}
    assert [k for k in steps if k[0] == "b"] == [
        ("b", "sync"), ("b", "analysis"), ("b", "crm sync"), ("b", "crm match")
    ]  # fmt: skip
    failed = [k for k, s in steps.items() if not s.ok]
    assert failed == [("b", "crm sync")]
    assert isinstance(steps["b", "crm sync"].result, CrmError)
    assert WRONG_TOKEN not in steps["b", "crm sync"].detail
    assert all(steps["a", name].ok for name in ("sync", "analysis", "crm sync", "crm match"))
    assert not result.ok and result.failed_tenants == ["b"]

    # each tenant's rows, and its runs in the ledger: b's failed EVO sync is recorded
    assert by_tenant(
        local_url,
        """SELECT t.slug, count(*) FROM conversas_analytics c JOIN tenants t ON t.id = c.tenant_id
           GROUP BY t.slug ORDER BY t.slug""",
    ) == [("a", 2), ("b", 3)]
    assert by_tenant(
        local_url,
        """SELECT t.slug, r.status FROM crm_sync_runs r JOIN tenants t ON t.id = r.tenant_id
           WHERE r.kind = 'evo' ORDER BY r.id""",
    ) == [("b", "failed"), ("a", "success")]
    assert by_tenant(
        local_url,
        """SELECT t.slug, count(*) FROM crm_customers c JOIN tenants t ON t.id = c.tenant_id
           GROUP BY t.slug""",
    ) == [("a", 1)]
    assert by_tenant(
        local_url,
        "SELECT t.slug FROM etl_control e JOIN tenants t ON t.id = e.tenant_id ORDER BY e.id",
    ) == [("b",), ("a",)]


def test_crm_sync_command_reports_the_failing_tenant_and_exits_non_zero(
    two_tenants: None, evo: FakeEvo, cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVO_BASE_URL", evo.url)
    monkeypatch.setenv("EVO_REQUESTS_PER_MINUTE", "10000")
    monkeypatch.setenv("EVO_MAX_RETRIES", "1")
    result = runner.invoke(app, ["crm", "sync"])
    assert result.exit_code == EvoAuthError.exit_code, result.output  # b's error's code
    assert "Tenant b (Business B)" in result.output and "Tenant a (Business A)" in result.output
    assert "Failed: tenant b:" in result.output
    assert "members read" in result.output  # a's summary table
    assert "The CRM sync failed for 1 of 2 tenants (b: " in result.output
    assert WRONG_TOKEN not in result.output

    one = runner.invoke(app, ["crm", "sync", "--tenant", "a"])
    assert one.exit_code == 0, one.output
    assert "Tenant a (Business A)" in one.output and "Tenant b" not in one.output


def test_tenant_option_runs_one_tenant(
    two_tenants: None, cli_env: dict[str, str], local_url: str
) -> None:
    result = runner.invoke(app, ["etl", "run", "--tenant", "a", "--no-analyze"])
    assert result.exit_code == 0, result.output
    assert "Tenant a (Business A)" in result.output and "Tenant b" not in result.output
    assert by_tenant(
        local_url, "SELECT t.slug FROM etl_control e JOIN tenants t ON t.id = e.tenant_id"
    ) == [("a",)]
    assert by_tenant(local_url, "SELECT DISTINCT tenant_id FROM conversas_analytics") == [(3,)]
    unknown = runner.invoke(app, ["pipeline", "--tenant", "zzz"])
    assert unknown.exit_code == 2 and "There is no tenant 'zzz'" in unknown.output

    pipeline = runner.invoke(app, ["pipeline", "--tenant", "b", "--no-crm", "--no-analyze"])
    assert pipeline.exit_code == 0, pipeline.output
    assert by_tenant(
        local_url,
        "SELECT t.slug FROM etl_control e JOIN tenants t ON t.id = e.tenant_id ORDER BY e.id",
    ) == [("a",), ("b",)]


def test_crm_import_needs_a_tenant_once_there_are_several(
    two_tenants: None, cli_env: dict[str, str], tmp_path: object
) -> None:
    result = runner.invoke(app, ["crm", "import", "missing.csv"])
    assert result.exit_code == 2
    assert "say which with --tenant SLUG" in result.output and "a, b" in result.output.replace(
        "b, a", "a, b"
    )


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with serve_llm(FakeLLM()) as fake:
        yield fake


@pytest.fixture
def llm_tenants(
    local_url: str,
    accounts: dict[str, int],
    fake_llm: FakeLLM,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Tenants b (budget R$ 5, already spent this month) and a (no cap), both analysed by
    the OpenAI-compatible fake with their own keys; the conversations synced. USD_BRL_RATE 5."""
    for name, value in {
        "OPENAI_BASE_URL": fake_llm.url,
        "ANALYSIS_BACKOFF_SECONDS": "0.01",
        "ANALYSIS_CONCURRENCY": "1",
        "A_LLM_KEY": "sk-a-test",
        "B_LLM_KEY": "sk-b-test",
        "USD_BRL_RATE": "5.00",
    }.items():
        monkeypatch.setenv(name, value)
    with psycopg.connect(local_url, autocommit=True) as conn:
        for slug, budget in (("b", Decimal(5)), ("a", None)):
            add_tenant(
                conn,
                slug,
                TenantChanges(
                    name=f"Business {slug.upper()}",
                    account_id=accounts[slug],
                    analysis_provider="openai",
                    llm_api_key_ref=f"env:{slug.upper()}_LLM_KEY",
                    llm_monthly_budget_brl=budget,
                ),
            )
        disable_tenant(conn, "default")
    synced = runner.invoke(app, ["etl", "run", "--no-analyze"])
    assert synced.exit_code == 0, synced.output


def test_a_tenant_over_its_llm_budget_stops_alone(
    llm_tenants: None, fake_llm: FakeLLM, local_url: str
) -> None:
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute(  # b spent US$ 1.20 (R$ 6.00) earlier this month
            """INSERT INTO analysis_runs (tenant_id, provider, model, status, cost_usd, started_at)
               VALUES (2, 'openai', 'gpt-4o-mini', 'success', 1.20, now())"""
        )
        conn.execute(  # last month's spending does not count
            """INSERT INTO analysis_runs (tenant_id, provider, model, status, cost_usd, started_at)
               VALUES (3, 'openai', 'gpt-4o-mini', 'success', 99, now() - interval '40 days')"""
        )
    result = runner.invoke(app, ["analyze"])
    assert result.exit_code == AnalysisError.exit_code, result.output
    assert "Tenant 'b' reached its monthly LLM budget: R$ 6.00 spent since" in result.output
    assert "of R$ 5.00 (US$ 1.2000 at USD_BRL_RATE 5)" in result.output
    assert "its analysis is paused until next month" in result.output
    assert "The analysis failed for 1 of 2 tenants" in result.output
    assert by_tenant(
        local_url,
        """SELECT t.slug, count(*) FROM conversas_analytics_ai x
           JOIN tenants t ON t.id = x.tenant_id GROUP BY t.slug""",
    ) == [("a", 2)]
    runs = by_tenant(
        local_url,
        """SELECT tenant_id, status, error_message FROM analysis_runs
           WHERE cost_usd < 1 ORDER BY id""",
    )
    assert [(r[0], r[1]) for r in runs] == [(2, "failed"), (3, "success")]
    assert "reached its monthly LLM budget" in str(runs[0][2])
    keys = {r["_authorization"] for r in fake_llm.requests}
    assert keys == {"Bearer sk-a-test"}  # b's service was never called


def test_the_budget_stops_a_run_once_it_is_spent(
    llm_tenants: None, local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_PRICE_INPUT_PER_MTOK", "1000000")  # ~US$ 100s a call
    result = runner.invoke(app, ["analyze", "--tenant", "b"])
    assert result.exit_code == AnalysisError.exit_code, result.output
    assert "Tenant 'b' reached its monthly LLM budget" in result.output
    with psycopg.connect(local_url) as conn:
        analysed = conn.execute("SELECT count(*) FROM conversas_analytics_ai").fetchone()
        run = conn.execute("SELECT status, conversations_analyzed FROM analysis_runs").fetchone()
    assert analysed == (1,)  # the first call spent the budget; the other two never ran
    assert run == ("failed", 1)


def test_tenant_settings_never_borrow_the_default_tenants_evo(
    two_tenants: None, evo_settings: Settings, local_url: str
) -> None:
    from allpfit.tenants import get_tenant, settings_for

    with psycopg.connect(local_url) as conn:
        default, a = get_tenant(conn, "default"), get_tenant(conn, "a")
    glob = evo_settings.model_copy(
        update={"evo_dns": "global-gym", "evo_api_token": SecretStr("global-token")}
    )
    assert settings_for(default, glob, evo=True).evo_dns == "global-gym"
    own = settings_for(a, glob, evo=True)
    assert own.evo_api_token is not None and own.evo_api_token.get_secret_value() != "global"
    assert own.evo_dns == a.evo_dns
    plain = a.__class__(id=9, slug="sheet", name="Sheet only")
    assert settings_for(plain, glob, evo=True).evo_dns is None


def test_status_shows_each_tenant(
    two_tenants: None,
    evo: FakeEvo,
    cli_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    local_url: str,
) -> None:
    for name, value in {"EVO_BASE_URL": evo.url, "EVO_REQUESTS_PER_MINUTE": "10000",
                        "EVO_MAX_RETRIES": "1", "USD_BRL_RATE": "5"}.items():  # fmt: skip
        monkeypatch.setenv(name, value)
    with psycopg.connect(local_url, autocommit=True) as conn:
        # A budget set in US dollars before migration 0082 still applies, at USD_BRL_RATE.
        conn.execute("UPDATE tenants SET llm_monthly_budget_usd = 5 WHERE slug = 'a'")
        conn.execute(
            """INSERT INTO analysis_runs (tenant_id, provider, model, status, cost_usd)
               VALUES (3, 'openai', 'gpt-4o-mini', 'success', 1.25)"""
        )
    pipeline = runner.invoke(app, ["pipeline"])
    assert pipeline.exit_code == 1, pipeline.output
    assert "Failed tenants: b" in pipeline.output

    result = runner.invoke(app, ["status"])
    assert result.exit_code == 1, result.output  # b's last CRM sync failed
    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines()
             if line.startswith("│") and line.split("│")[1].strip() in ("a", "b")}  # fmt: skip
    assert set(lines) == {"a", "b"}
    cells = {slug: [c.strip() for c in line.split("│")[1:-1]] for slug, line in lines.items()}
    assert cells["a"][2:] == ["success", "2", "2", "6.25 / 25.00"]  # R$ at 5 per US$
    assert cells["b"][2:] == ["success", "3", "3", "0.00"]
    assert "LLM projection to the month's end (R$): b 0.00 · a " in result.output
    assert "b: the last CRM sync (EVO) failed" in result.output

    one = runner.invoke(app, ["status", "--tenant", "a"])
    assert one.exit_code == 0, one.output
    assert (
        "Tenant a (Business A)" in one.output
        and "LLM spend this month: R$ 6.25" in one.output
        and "US$ 1.2500 at USD_BRL_RATE 5" in one.output
        and "LLM budget/month: R$ 25.00 (US$ 5.00, set before budgets were in" in one.output
        and "Projected by the month's end: R$ " in one.output
    )
    today = datetime.now(ZoneInfo("America/Sao_Paulo")).date()  # the tenant's day (TIMEZONE)
    days = [line for line in one.output.splitlines() if re.match(r"│ \d{4}-\d\d-\d\d │", line)]
    assert len(days) == today.day  # every day of the month so far, zeros included
    assert [c.strip() for c in days[-1].split("│")[1:-1]] == [f"{today:%Y-%m-%d}", "6.25"]


def test_an_unreadable_tenant_secret_is_recorded_for_that_tenant(
    two_tenants: None, evo_settings: Settings, local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("B_EVO_TOKEN")
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE tenants SET analysis_provider = 'openai', llm_api_key_ref = 'env:NO_KEY' "
            "WHERE slug = 'b'"
        )
    result = run_pipeline(evo_settings, triggered_by="manual")
    failed = {(s.tenant, s.name): s.detail for s in result.steps if not s.ok}
    assert set(failed) == {("b", "analysis"), ("b", "crm sync")}
    assert "environment variable B_EVO_TOKEN, which is not set" in failed["b", "crm sync"]
    assert "environment variable NO_KEY, which is not set" in failed["b", "analysis"]
    assert by_tenant(
        local_url,
        """SELECT t.slug, r.kind, r.status, coalesce(r.error_message LIKE '%B_EVO_TOKEN%', false)
           FROM crm_sync_runs r JOIN tenants t ON t.id = r.tenant_id ORDER BY r.id""",
    ) == [("b", "evo", "failed", True), ("b", "match", "success", False),
          ("a", "evo", "success", False), ("a", "match", "success", False)]  # fmt: skip
    assert by_tenant(
        local_url,
        """SELECT t.slug, r.provider, r.status FROM analysis_runs r
           JOIN tenants t ON t.id = r.tenant_id ORDER BY r.id""",
    ) == [("b", "openai", "failed"), ("a", "rules", "success")]


def test_a_tenants_own_secret_is_masked_in_its_errors(
    two_tenants: None, evo: FakeEvo, settings: Settings, local_url: str
) -> None:
    from allpfit.ops.tenant_jobs import raise_failures, run_each
    from allpfit.tenants import get_tenant

    with psycopg.connect(local_url) as conn:
        a = get_tenant(conn, "a")

    def job(_: object) -> None:
        raise CrmError(f"EVO echoed the token {evo.token}", hint=f"not {evo.token}")

    outcomes = run_each([a], job, settings, name="CRM sync")
    assert evo.token not in outcomes[0].detail and "***" in outcomes[0].detail
    with pytest.raises(CrmError) as caught:
        raise_failures(outcomes, name="CRM sync")
    assert evo.token not in caught.value.message + str(caught.value.hint)
