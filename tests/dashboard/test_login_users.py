"""The login of dashboard users in the app (AppTest, real PostgreSQL): "E-mail" and "Senha",
a session token (never the password) in the browser session, checked again at every page run:
expired, ended or disabled sessions go back to the login form and keep the page asked for."""

# ruff: noqa: F811  (pytest fixtures imported from test_app.py are parameters here)
from __future__ import annotations

import hashlib
from collections.abc import Iterator

import psycopg
import pytest
from argon2 import PasswordHasher
from streamlit.testing.v1 import AppTest

from allpfit import passwords, users
from allpfit.dashboard import login, texts
from allpfit.users import Role
from tests.dashboard.builder import Expected

# The app fixtures (`app_env`, `data`) and helpers of test_app.py, shared rather than copied.
from tests.dashboard.test_app import APP, app_env, data, metrics, run  # noqa: F401

EMAIL, PASSWORD = "maria@gym.com.br", "senha-forte-1"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(
        passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    yield


@pytest.fixture
def maria(data: Expected, local: psycopg.Connection) -> users.User:
    return users.add_user(local, EMAIL, Role.manager, 1, PASSWORD, actor="cli:test")[0]


def log_in(at: AppTest, email: str, password: str) -> AppTest:
    at.text_input(key="login_user").set_value(email)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_the_form_asks_for_e_mail_and_senha_and_keeps_only_a_token(
    maria: users.User,
    data: Expected,
    local: psycopg.Connection,
) -> None:
    at = run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    assert [t.label for t in at.text_input] == ["E-mail", "Senha"]
    log_in(at, EMAIL, "errada-123")
    assert at.error[0].value == texts.LOGIN_FAILED_EMAIL and not at.metric
    log_in(at, "MARIA@gym.com.br", PASSWORD)
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)
    assert any(EMAIL in c.value for c in at.sidebar.caption)

    token = at.session_state[login.TOKEN_KEY]
    assert isinstance(token, str) and len(token) >= 40
    stored = local.execute("SELECT token_hash, kind FROM dashboard_sessions").fetchall()
    assert stored == [(hashlib.sha256(token.encode()).hexdigest(), "user")]
    kept = {k: at.session_state[k] for k in at.session_state}  # what the browser session holds
    assert PASSWORD not in repr(kept)
    actions = [r[0] for r in local.execute("SELECT action FROM audit_log ORDER BY id")]
    assert actions == ["user.add", "login.failed", "login"]


def test_the_shared_password_is_ignored_once_users_exist(
    maria: users.User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    at = run()
    assert [t.label for t in at.text_input] == ["E-mail", "Senha"]
    log_in(at, "", "s3nha-forte")
    assert at.error[0].value == texts.LOGIN_FAILED_EMAIL and not at.metric


def test_an_expired_session_goes_back_to_the_login_keeping_the_page(
    maria: users.User, local: psycopg.Connection
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update({"nome": "ana"})
    at.run()
    at.switch_page("app_pages/leads.py").run()
    log_in(at, EMAIL, PASSWORD)
    assert at.title[0].value == texts.LEADS_TITLE

    local.execute("UPDATE dashboard_sessions SET expires_at = clock_timestamp()")
    at.run()  # the next click
    assert not at.exception
    assert at.title[0].value == texts.LOGIN_TITLE and not at.dataframe
    assert at.info[0].value == texts.LOGIN_SESSION_ENDED
    assert login.TOKEN_KEY not in at.session_state
    log_in(at, EMAIL, PASSWORD)
    assert at.title[0].value == texts.LEADS_TITLE
    assert list(at.dataframe[0].value["Nome"]) == ["Ana Souza", "Ana Souza"]


def test_logout_ends_the_session_in_the_database(
    maria: users.User, local: psycopg.Connection
) -> None:
    at = log_in(run(), EMAIL, PASSWORD)
    token = at.session_state[login.TOKEN_KEY]
    at.button(key="logout").click().run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    assert users.get_session(local, token) is None
    ended = local.execute("SELECT ended_at IS NOT NULL FROM dashboard_sessions").fetchone()
    assert ended == (True,)
    last = local.execute("SELECT actor, action FROM audit_log ORDER BY id DESC").fetchone()
    assert last == (EMAIL, "logout")

    # The old token, replayed in another browser session, opens nothing.
    replay = AppTest.from_file(str(APP), default_timeout=30)
    replay.session_state[login.TOKEN_KEY] = token
    replay.run()
    assert replay.title[0].value == texts.LOGIN_TITLE and not replay.metric


def test_a_disabled_user_is_logged_out_at_the_next_click(
    maria: users.User, local: psycopg.Connection
) -> None:
    at = log_in(run(), EMAIL, PASSWORD)
    assert at.metric
    users.disable_user(local, EMAIL, actor="cli:test")
    at.run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    log_in(at, EMAIL, PASSWORD)
    assert at.error[0].value == texts.LOGIN_FAILED_EMAIL and not at.metric


def test_a_forged_token_opens_nothing(maria: users.User) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.session_state[login.TOKEN_KEY] = "x" * 43
    at.run()
    assert not at.exception
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric


def test_the_shared_password_gets_an_expiring_session_too(
    data: Expected,
    local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DASHBOARD_PASSWORD", "s3nha-forte")
    monkeypatch.setenv("DASHBOARD_SESSION_HOURS", "2")
    at = run()
    assert [t.label for t in at.text_input] == ["Senha"]
    at.text_input(key="login_password").set_value("s3nha-forte")
    at.button[0].click().run()
    assert metrics(at)[texts.KPI_CONTACTS] == str(data.total_contatos)
    row = local.execute(
        "SELECT kind, login, expires_at - created_at FROM dashboard_sessions"
    ).fetchone()
    assert row is not None and row[:2] == ("password", "") and row[2].total_seconds() == 7200
    local.execute("UPDATE dashboard_sessions SET expires_at = clock_timestamp()")
    at.run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    # Adding the first user ends the shared-password sessions: the login changed.
    at.text_input(key="login_password").set_value("s3nha-forte")
    at.button[0].click().run()
    assert at.metric
    users.add_user(local, EMAIL, Role.viewer, 1, PASSWORD, actor="cli:test")
    at.run()
    assert at.title[0].value == texts.LOGIN_TITLE and not at.metric
    assert [t.label for t in at.text_input] == ["E-mail", "Senha"]
