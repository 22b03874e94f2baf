"""The login gate: nothing of the dashboard renders until the session is authenticated.

The password check is in auth.py and the failure counting in throttle.py; this module draws the
form, asks throttle.py before checking a password, and keeps the result in the session (a
browser tab), so each new tab logs in again and "Sair" forgets it.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import NoReturn

import psycopg
import streamlit as st
from streamlit import runtime

from allpfit.config import Settings
from allpfit.dashboard import auth, data, sidebar, texts, throttle
from allpfit.errors import AllpfitError

USER_KEY = "_allpfit_user"
log = logging.getLogger(__name__)


def authenticated(settings: Settings) -> bool:
    """True when this session may see the dashboard (always, with no login configured)."""
    return auth.login_mode(settings) is auth.LoginMode.none or USER_KEY in st.session_state


def forget_exports() -> None:
    """Delete the files generated for download buttons from Streamlit's media store.

    Streamlit serves a generated CSV at `/media/<id>.csv` to anyone holding the link, with no
    session, and keeps it until two clean-up passes after no session refers to it. Two passes
    now delete every generated download nobody refers to, this session's included: its old
    link answers 404 from here on. (The passes are Streamlit's own; they would run anyway at
    the end of the next two page runs of any session.)
    """
    if not runtime.exists():
        return
    manager = runtime.get_instance().media_file_mgr
    manager.remove_orphaned_files()
    manager.remove_orphaned_files()


def _logout() -> None:
    st.session_state.pop(USER_KEY, None)
    forget_exports()


def wait_text(wait: timedelta) -> str:
    """'30 segundos', '1 minuto', '15 minutos': a wait as the login message says it."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} segundo" + ("s" if seconds > 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minuto" + ("s" if minutes > 1 else "")


def _client_address() -> str | None:
    """The browser's address as the server sees it (None on the server's own machine)."""
    try:
        return st.context.ip_address
    except Exception:  # no client connection (tests, bare mode): one shared "local" address
        return None


def _unavailable(exc: Exception) -> NoReturn:
    """The failure counter cannot be read or written: refuse, say so in Portuguese.

    Failing closed is deliberate: a login that cannot be counted is not checked. The details
    (which may name the database) go to the server log, not to a visitor who is not logged in.
    """
    log.error("login refused: the failure counter is unavailable: %s", exc)
    sidebar.stop_with_error(texts.LOGIN_UNAVAILABLE, None, texts.LOGIN_UNAVAILABLE_HINT)


def require(settings: Settings, url: str) -> str | None:
    """Return the logged-in user ("" for the shared password, None with no login configured).

    Shows the form and stops the run until the credentials are accepted. `url` is the local
    database, where failed attempts are counted.
    """
    mode = auth.login_mode(settings)
    if mode is auth.LoginMode.none:
        return None
    if USER_KEY in st.session_state:
        with st.sidebar:
            st.button(texts.LOGOUT, key="logout", on_click=_logout, icon=":material/logout:")
        return str(st.session_state[USER_KEY])

    st.title(texts.LOGIN_TITLE)
    with st.form("login"):
        user = st.text_input(texts.LOGIN_USER, key="login_user") if mode == "users" else ""
        password = st.text_input(texts.LOGIN_PASSWORD, type="password", key="login_password")
        submitted = st.form_submit_button(texts.LOGIN_BUTTON, type="primary")
    if submitted:
        _attempt(settings, mode, url, sidebar.clean_text(user), str(password or ""))
    st.stop()


def _attempt(settings: Settings, mode: auth.LoginMode, url: str, user: str, password: str) -> None:
    """One login attempt: counted first, refused while waiting, then the password check."""
    name = user if mode is auth.LoginMode.users else ""
    account = throttle.account(name)
    address = throttle.address(_client_address())
    try:
        with data.connect(url) as conn:
            verdict = throttle.begin(conn, [account, address])
    except (AllpfitError, psycopg.Error) as exc:
        _unavailable(exc)
    if not verdict.allowed:
        st.error(texts.LOGIN_THROTTLED.format(wait=wait_text(verdict.wait)))
        return
    try:
        accepted = auth.check(settings, name, password)
    except AllpfitError as exc:
        sidebar.stop_with_error(texts.CONFIG_INVALID, exc)
    if accepted is not None:
        try:
            with data.connect(url) as conn:
                throttle.succeeded(conn, account, [address])
        except (AllpfitError, psycopg.Error) as exc:
            _unavailable(exc)
        st.session_state[USER_KEY] = accepted
        st.rerun()
    st.error(texts.LOGIN_FAILED if mode is auth.LoginMode.users else texts.LOGIN_FAILED_PASSWORD)
    if verdict.wait:
        st.warning(texts.LOGIN_THROTTLED.format(wait=wait_text(verdict.wait)))
