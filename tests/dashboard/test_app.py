"""The Streamlit app driven in-process with AppTest: every page renders, filters and paging work,
the login gate holds, and a dead database gives a Portuguese error instead of a traceback."""

from __future__ import annotations

import tomllib
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from importlib import resources
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from allpfit.cli.dashboard import streamlit_command
from allpfit.dashboard import auth, queries, sidebar, texts, throttle
from tests.dashboard.builder import Expected, Rows, standard_dataset

APP = Path(__file__).resolve().parents[2] / "src" / "allpfit" / "dashboard" / "app.py"
PAGES = [
    "app_pages/visao_geral.py",
    "app_pages/resultados.py",
    "app_pages/conversoes.py",
    "app_pages/leads.py",
]


# One business day for the whole module: the data is built for it and the app is told it is
# today, so a test running across midnight sees the same day on both sides.
TODAY = datetime.now(ZoneInfo("America/Sao_Paulo")).date()


def today() -> date:
    return TODAY


@pytest.fixture
def app_env(local_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app reads its settings from the environment, as under `allpfit dashboard`."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", local_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DASHBOARD_MASK_PHONES", "false")
    monkeypatch.setattr(sidebar, "business_today", lambda tz: TODAY)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def data(local: psycopg.Connection, app_env: None) -> Expected:
    return standard_dataset(local, today())


def run(page: str | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update(query)
    at.run()
    if page:
        at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_error(data: Expected, page: str) -> None:
    at = run(page)
    assert not at.error
    assert at.title[0].value


@pytest.mark.parametrize("page", PAGES)
def test_every_page_has_an_empty_state(app_env: None, page: str) -> None:
    at = run(page)
    assert not at.error
    if page.endswith("visao_geral.py"):
        assert metrics(at)[texts.KPI_CONTACTS] == "0"
    elif page.endswith("resultados.py"):
        assert any(i.value == texts.DAILY_EMPTY for i in at.info)
    elif page.endswith("conversoes.py"):
        assert any(i.value == texts.CONVERSIONS_EMPTY for i in at.info)
    else:
        assert any(i.value == texts.LEADS_EMPTY for i in at.info)


def test_overview_shows_the_period_kpis(data: Expected) -> None:
    shown = metrics(run())
    assert shown[texts.KPI_CONTACTS] == str(data.total_contatos)
    assert shown[texts.KPI_AI] == str(data.conversas_ia)
    assert shown[texts.KPI_HUMAN] == str(data.conversas_humanas)
    assert shown[texts.KPI_VISITS] == str(data.visitas_agendadas)
    assert shown[texts.KPI_TRAFFIC_SALES] == str(data.vendas_trafego)
    assert shown[texts.KPI_TOTAL_SALES] == str(data.vendas_totais)


def test_daily_page_shows_today(data: Expected) -> None:
    at = run("app_pages/resultados.py")
    shown = metrics(at)
    assert shown[texts.KPI_NEW_LEADS] == str(data.novos_leads)
    assert shown["Visitas para hoje"] == str(data.visitas_hoje) == "3"  # exact: no asterisk
    assert not any("*" in c.value for c in at.caption)
    assert shown[texts.KPI_SALES_TODAY] == str(data.vendas_hoje)
    assert shown[texts.KPI_CONVERSATIONS_TODAY] == str(data.conversas_hoje)
    assert shown[texts.KPI_NEW_CONVERSATIONS] == str(data.conversas_novas)
    assert shown[texts.KPI_REOPENED] == str(data.conversas_reabertas)


def test_date_range_comes_from_the_link_and_changes_the_kpis(data: Expected) -> None:
    day = today().isoformat()
    at = run(de=day, ate=day)
    assert metrics(at)[texts.KPI_CONTACTS] == "2"
    at.date_input(key="f_periodo").set_value((today() - timedelta(days=29), today())).run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)
    assert at.query_params["de"] == (today() - timedelta(days=29)).isoformat()


def test_an_unbounded_link_is_clamped_with_a_notice(data: Expected) -> None:
    at = run(de="0001-01-01", ate="9999-12-31")
    first, last = at.date_input(key="f_periodo").value
    assert last == today() and (last - first).days == queries.MAX_RANGE_DAYS - 1
    assert (at.query_params["de"], at.query_params["ate"]) == (first.isoformat(), last.isoformat())
    assert any("no máximo 366 dias" in w.value for w in at.sidebar.warning)
    # The year holds every lead of the dataset: the 30 days' 3 plus Dora (41 days ago) and
    # Fábio (30 days ago).
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos + 2)
    at = run(de="2026-02-30", ate="amanhã")  # not dates: the default period, no error
    first, last = at.date_input(key="f_periodo").value
    assert (last - first).days == 29 and not at.sidebar.warning


def test_daily_page_has_no_period_filter_and_keeps_the_others(data: Expected) -> None:
    day = today().isoformat()
    at = run(de=day, ate=day)
    assert [d.key for d in at.sidebar.date_input] == ["f_periodo"]
    at.switch_page("app_pages/resultados.py").run()
    assert not at.exception and not at.sidebar.date_input
    assert "de" not in at.query_params and "ate" not in at.query_params
    assert metrics(at)[texts.KPI_NEW_LEADS] == str(data.novos_leads)
    at.switch_page("app_pages/visao_geral.py").run()  # the period chosen before is back
    assert at.date_input(key="f_periodo").value == (today(), today())
    assert metrics(at)[texts.KPI_CONTACTS] == "2"


def test_lead_filters_narrow_the_table_and_land_in_the_link(data: Expected) -> None:
    at = run("app_pages/leads.py")
    assert len(at.dataframe[0].value) == data.lead_rows
    at.text_input(key="f_nome").set_value("ana").run()
    table = at.dataframe[0].value
    assert list(table["Nome"]) == ["Ana Souza", "Ana Souza"]
    assert at.query_params["nome"] == "ana"
    at.multiselect(key="f_prob").set_value([5]).run()
    table = at.dataframe[0].value
    assert list(table["Probabilidade"]) == ["5"] and at.query_params["prob"] == "5"
    assert list(table["Data da Visita"]) == [texts.VISIT_NO_DATE]  # c1: visit, day unknown
    at.multiselect(key="f_cond").set_value(["Avançado"]).run()
    assert any(i.value == texts.LEADS_EMPTY for i in at.info)


def test_lead_filters_open_from_a_shared_link(data: Expected) -> None:
    at = run("app_pages/leads.py", obj="massa")
    assert at.text_input(key="f_obj").value == "massa"
    assert list(at.dataframe[0].value["Nome"]) == ["Bruno Lima"]


def test_next_and_previous_page(local: psycopg.Connection, app_env: None) -> None:
    rows = Rows(local)
    for i in range(60):
        rows.conversation(i + 1, contact_id=i + 1, day=today(), hour=8, name=f"Lead {i + 1:02d}")
    at = run("app_pages/leads.py")
    assert len(at.dataframe[0].value) == 50
    assert at.button(key="lead_page_prev").disabled
    at.button(key="lead_page_next").click().run()
    assert len(at.dataframe[0].value) == 10
    assert at.query_params["pagina"] == "2" and at.button(key="lead_page_next").disabled
    at.text_input(key="f_nome").set_value("Lead").run()  # a new search goes back to page 1
    assert len(at.dataframe[0].value) == 50
    at.button(key="lead_page_next").click().run()
    at.button(key="lead_page_prev").click().run()
    assert at.query_params["pagina"] == "1"


def test_phone_masking_toggle(data: Expected) -> None:
    at = run("app_pages/leads.py")
    assert "+55 11 98765-0001" in list(at.dataframe[0].value["Celular"])
    at.toggle(key="mask_phones").set_value(True).run()
    phones = list(at.dataframe[0].value["Celular"])
    assert "+55 11 •••••-0001" in phones and "+55 11 98765-0001" not in phones


def test_password_is_required_and_a_wrong_one_refused(
    data: Expected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    at = run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    at.text_input(key="login_password").set_value("errada")
    at.button[0].click().run()
    assert at.error[0].value == texts.LOGIN_FAILED_PASSWORD and not at.metric
    at.text_input(key="login_password").set_value("s3nha-forte")
    at.button[0].click().run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)


def test_users_file_login(data: Expected, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    users = tmp_path / "users.toml"
    users.write_text(f'maria = "{auth.hash_password("abc12345", iterations=1000)}"\n')
    monkeypatch.setenv("DASHBOARD_USERS_FILE", str(users))
    at = run()
    at.text_input(key="login_user").set_value("joao")
    at.text_input(key="login_password").set_value("abc12345")
    at.button[0].click().run()
    assert at.error[0].value == texts.LOGIN_FAILED and not at.metric
    at.text_input(key="login_user").set_value("maria")
    at.button[0].click().run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)
    assert "maria" in at.sidebar.caption[0].value


def test_unreachable_database_shows_a_portuguese_error(
    app_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody:secret@127.0.0.1:1/nothing")
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value == texts.DB_UNREACHABLE
    assert "DATABASE_URL" in at.info[0].value
    assert "secret" not in at.code[0].value and "***" in at.code[0].value
    assert not at.metric


def test_read_only_database_user_can_use_the_dashboard(
    data: Expected, local: psycopg.Connection, local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    local.execute("DROP ROLE IF EXISTS allpfit_dash_ro")
    local.execute("CREATE ROLE allpfit_dash_ro LOGIN")
    local.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO allpfit_dash_ro")
    local.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    parts = urlsplit(local_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    monkeypatch.setenv("DATABASE_URL", urlunsplit(parts._replace(netloc=f"allpfit_dash_ro@{host}")))
    try:
        assert metrics(run())[texts.KPI_CONTACTS] == str(data.total_contatos)
    finally:
        local.execute("DROP OWNED BY allpfit_dash_ro")
        local.execute("DROP ROLE allpfit_dash_ro")


def test_refresh_button_shows_rows_written_after_the_first_visit(
    data: Expected, local: psycopg.Connection
) -> None:
    at = run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)
    Rows(local).conversation(50, contact_id=999, day=today(), name="Novo Lead")
    at.run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)  # cached for 5 minutes
    at.button(key="refresh").click().run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos + 1)


def log_in(at: AppTest, password: str) -> AppTest:
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_failed_logins_wait_and_the_count_holds_in_a_new_session(
    data: Expected, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    at = run()
    for _ in range(throttle.ACCOUNT_LIMIT):
        log_in(at, "errada")
    assert at.error[0].value == texts.LOGIN_FAILED_PASSWORD
    assert at.warning[0].value == texts.LOGIN_THROTTLED.format(wait="30 segundos")
    # A new browser session, even with the right password, waits too: the count is in
    # PostgreSQL, not in the session.
    fresh = log_in(run(), "s3nha-forte")
    assert at.title[0].value == texts.LOGIN_TITLE and not fresh.metric
    assert fresh.error[0].value.startswith("Muitas tentativas sem sucesso. Aguarde ")
    local.execute("UPDATE dashboard_login_throttle SET locked_until = clock_timestamp()")
    log_in(fresh, "s3nha-forte")
    assert metrics(fresh)[texts.KPI_CONTACTS] == str(data.total_contatos)
    account = throttle.account("").key  # the shared password is one account
    assert not local.execute(
        "SELECT 1 FROM dashboard_login_throttle WHERE subject = %s", (account,)
    ).fetchone()


def test_no_login_fails_closed_when_the_users_table_cannot_be_read(
    data: Expected, local: psycopg.Connection
) -> None:
    """Whether a login is needed is read from dashboard_users: unreadable, nothing opens."""
    local.execute("ALTER TABLE dashboard_users RENAME TO gone_users")
    at = run()
    assert at.error[0].value == texts.LOGIN_UNAVAILABLE and not at.metric
    assert not at.code and not at.expander


def test_login_fails_closed_when_attempts_cannot_be_counted(
    data: Expected, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    local.execute("ALTER TABLE dashboard_login_throttle RENAME TO gone")
    at = log_in(run(), "s3nha-forte")
    assert at.error[0].value == texts.LOGIN_UNAVAILABLE and not at.metric
    assert not at.code and not at.expander  # no detail for a visitor who is not logged in


def test_a_deep_link_keeps_its_page_and_filters_through_the_login(
    data: Expected, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update({"nome": "ana"})
    at.run()
    at.switch_page("app_pages/leads.py").run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.dataframe
    log_in(at, "s3nha-forte")
    assert at.title[0].value == texts.LEADS_TITLE
    assert at.text_input(key="f_nome").value == "ana"
    assert list(at.dataframe[0].value["Nome"]) == ["Ana Souza", "Ana Souza"]


def test_forged_login_fields_get_an_answer_not_a_traceback(
    data: Expected, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Values no keyboard types (NUL, other control characters, 100 kB) in the login form."""
    users = tmp_path / "users.toml"
    users.write_text(f'maria = "{auth.hash_password("abc12345", iterations=1000)}"\n')
    monkeypatch.setenv("DASHBOARD_USERS_FILE", str(users))
    at = run()
    at.text_input(key="login_user").set_value("\x00" * 100_000)
    at.text_input(key="login_password").set_value("abc\x00\x1b12345")
    at.button[0].click().run()
    assert not at.exception and at.error[0].value == texts.LOGIN_FAILED and not at.metric
    at.text_input(key="login_user").set_value("\x00ma\x00ria\x07")
    at.text_input(key="login_password").set_value("abc12345")
    at.button[0].click().run()
    assert not at.exception
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)


def test_a_nul_byte_in_a_link_or_a_search_box_is_dropped(data: Expected) -> None:
    at = run("app_pages/leads.py", nome="an\x00a", obj="\x00")
    assert not at.error
    assert at.text_input(key="f_nome").value == "ana"
    assert list(at.dataframe[0].value["Nome"]) == ["Ana Souza", "Ana Souza"]
    at.text_input(key="f_nome").set_value("\x00").run()
    assert not at.exception and not at.error
    assert len(at.dataframe[0].value) == data.lead_rows
    at.text_input(key="f_obj").set_value("mas\x00sa").run()
    assert not at.exception and list(at.dataframe[0].value["Nome"]) == ["Bruno Lima"]


def test_a_failing_query_becomes_a_portuguese_message(
    data: Expected, local: psycopg.Connection, local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database user that may read nothing: every page's query fails (not a lost
    connection), and the page says so in Portuguese, with no traceback or SQL."""
    from urllib.parse import urlsplit, urlunsplit

    local.execute("DROP ROLE IF EXISTS allpfit_dash_none")
    local.execute("CREATE ROLE allpfit_dash_none LOGIN")
    # Only what the login gate reads (is there any dashboard user?): the pages' own queries fail.
    local.execute("GRANT SELECT ON dashboard_users TO allpfit_dash_none")
    parts = urlsplit(local_url)
    host = parts.netloc.rsplit("@", 1)[-1]
    monkeypatch.setenv(
        "DATABASE_URL", urlunsplit(parts._replace(netloc=f"allpfit_dash_none@{host}"))
    )
    try:
        for page in PAGES:
            at = run(page)
            assert at.error[0].value == texts.DB_QUERY_FAILED, page
            assert at.info[0].value == texts.DB_QUERY_FAILED_HINT
            assert not at.code and not at.metric
    finally:
        local.execute("DROP OWNED BY allpfit_dash_none")
        local.execute("DROP ROLE allpfit_dash_none")


def test_errors_show_no_details_and_the_tab_icon_is_shipped(app_env: None) -> None:
    run()
    assert st.get_option("client.showErrorDetails") == "none"
    # `allpfit dashboard` passes it on the command line; a checkout's config says the same.
    assert "--client.showErrorDetails=none" in streamlit_command(8501, "127.0.0.1")
    repo_config = tomllib.loads((APP.parents[3] / ".streamlit" / "config.toml").read_text())
    assert repo_config["client"]["showErrorDetails"] == "none"
    assert sidebar.FAVICON.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    shipped = resources.files("allpfit.dashboard").joinpath("assets/favicon.png")
    assert Path(str(shipped)) == sidebar.FAVICON
    package_data = tomllib.loads((APP.parents[3] / "pyproject.toml").read_text())["tool"][
        "setuptools"
    ]["package-data"]["allpfit"]
    assert "dashboard/assets/*.png" in package_data
