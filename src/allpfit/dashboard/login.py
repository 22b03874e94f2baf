"""The login gate: nothing of the dashboard renders until the session is authenticated.

Which login applies is auth.py's call (database users, the old users file, the shared
password, or none); the check, the failure counting and the audit rows are in
`allpfit.users`. This module draws the form and keeps only the session token (never the
password, never the user) in the browser session: `st.session_state[TOKEN_KEY]`. Every page
run reads the session again from PostgreSQL (`users.get_session`), so an expired session, a
"Sair" in another tab, a disabled user or a changed role takes effect at the next click; the
page and link asked for stay, as for any login (app.py declares the pages before the gate).

Each new browser tab logs in again; "Sair" ends the session in the database and forgets the
generated downloads.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import NoReturn

import psycopg
import streamlit as st
from streamlit import runtime

from allpfit import users
from allpfit.config import Settings
from allpfit.dashboard import auth, data, sidebar, texts
from allpfit.errors import AllpfitError, ConfigError

TOKEN_KEY = "_allpfit_session"  # the session token: the only login state a browser holds
CURRENT_KEY = "_allpfit_user"  # the User this page run validated (server side only)
ENDED_KEY = "_allpfit_session_ended"  # the last run found the session over: say so
log = logging.getLogger(__name__)


def authenticated(settings: Settings) -> bool:
    """True when this session may see the menu: it holds a session token (checked again by
    `require`), or nothing asks for a login.

    Called before the database URL is known (app.py hides the menu while logged out), so it
    resolves the URL itself to ask whether dashboard users exist; when that fails, the error
    screen that follows is app.py's, and `require` still refuses to open anything.
    """
    if TOKEN_KEY in st.session_state:
        return True
    if auth.login_mode(settings) is not auth.LoginMode.none:
        return False
    try:
        url = data.database_url(data.settings_key(settings), settings)
        with data.connect_owner(url) as conn:
            return not users.any_users(conn)
    except (AllpfitError, psycopg.Error):
        return True


def current_user() -> users.User:
    """The user `require` accepted in this page run (pages and their actions ask here)."""
    user = st.session_state.get(CURRENT_KEY)
    if not isinstance(user, users.User):  # a page run that did not pass the gate
        st.stop()
    return user


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


def _logout(url: str) -> None:
    token = st.session_state.pop(TOKEN_KEY, None)
    st.session_state.pop(CURRENT_KEY, None)
    if isinstance(token, str):
        try:
            with data.connect_owner(url) as conn:
                users.end_session(conn, token, address=client_address())
        except (AllpfitError, psycopg.Error) as exc:  # the token is gone from the browser anyway
            log.error("logout: could not end the session in the database: %s", exc)
    forget_exports()


def wait_text(wait: timedelta) -> str:
    """'30 segundos', '1 minuto', '15 minutos': a wait as the login message says it."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} segundo" + ("s" if seconds > 1 else "")
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minuto" + ("s" if minutes > 1 else "")


def client_address() -> str | None:
    """The browser's address as the server sees it (None on the server's own machine)."""
    try:
        found = st.context.ip_address
    except Exception:  # no client connection (tests, bare mode): one shared "local" address
        return None
    return found if isinstance(found, str) and found else None


def _unavailable(exc: Exception) -> NoReturn:
    """Users, sessions or the failure counter cannot be read or written: refuse, in Portuguese.

    Failing closed is deliberate: a login that cannot be checked or counted opens nothing. The
    details (which may name the database) go to the server log, not to a visitor who is not
    logged in.
    """
    log.error("login refused: users, sessions or the failure counter are unavailable: %s", exc)
    sidebar.stop_with_error(texts.LOGIN_UNAVAILABLE, None, texts.LOGIN_UNAVAILABLE_HINT)


def require(settings: Settings, url: str) -> users.User:
    """Return the logged-in user, or show the form and stop the run until a login succeeds.

    With no login at all (no users, no password, no users file) the answer is a manager of
    the default tenant (`users.legacy_user("none")`). `url` is the local database.
    """
    token = st.session_state.get(TOKEN_KEY)
    user: users.User | None = None
    try:
        with data.connect_owner(url) as conn:
            mode = auth.mode_of(conn, settings)
            if isinstance(token, str) and mode is not auth.LoginMode.none:
                user = users.get_session(conn, token)
                if user is not None and not auth.session_matches(user, mode, settings):
                    user = None
    except ConfigError as exc:  # a broken users file: the operator must fix it
        sidebar.stop_with_error(texts.CONFIG_INVALID, exc)
    except (AllpfitError, psycopg.Error) as exc:
        _unavailable(exc)
    if mode is auth.LoginMode.none:
        st.session_state.pop(TOKEN_KEY, None)
        user = users.legacy_user("none")
    if user is not None:
        st.session_state[CURRENT_KEY] = user
        if mode is not auth.LoginMode.none:
            with st.sidebar:
                st.button(
                    texts.LOGOUT,
                    key="logout",
                    on_click=_logout,
                    args=(url,),
                    icon=":material/logout:",
                )
        return user
    st.session_state.pop(CURRENT_KEY, None)
    if token is not None:  # expired, ended elsewhere, disabled, or the login mode changed
        st.session_state.pop(TOKEN_KEY, None)
        st.session_state[ENDED_KEY] = True
        forget_exports()
        st.rerun()  # the menu hides again; the page and link asked for are kept

    st.title(texts.LOGIN_TITLE)
    if st.session_state.pop(ENDED_KEY, False):
        st.info(texts.LOGIN_SESSION_ENDED)
    with st.form("login"):
        name = ""
        if mode is auth.LoginMode.accounts:
            name = st.text_input(texts.LOGIN_EMAIL, key="login_user", autocomplete="username")
        elif mode is auth.LoginMode.users:
            name = st.text_input(texts.LOGIN_USER, key="login_user", autocomplete="username")
        password = st.text_input(texts.LOGIN_PASSWORD, type="password", key="login_password")
        submitted = st.form_submit_button(texts.LOGIN_BUTTON, type="primary")
    if submitted:
        _attempt(
            settings, mode, url, sidebar.clean_text(name, users.EMAIL_MAX), str(password or "")
        )
    st.stop()


FAILED = {
    auth.LoginMode.accounts: texts.LOGIN_FAILED_EMAIL,
    auth.LoginMode.users: texts.LOGIN_FAILED,
    auth.LoginMode.password: texts.LOGIN_FAILED_PASSWORD,
}


def _attempt(settings: Settings, mode: auth.LoginMode, url: str, name: str, password: str) -> None:
    """One login attempt; on success the session token goes into the browser session."""
    address = client_address()
    try:
        with data.connect_owner(url) as conn:
            user = auth.login(conn, settings, mode, name, password, address)
            token = users.create_session(
                conn, user, address=address, hours=settings.dashboard_session_hours
            )
    except users.LoginThrottled as exc:
        st.error(texts.LOGIN_THROTTLED.format(wait=wait_text(exc.wait)))
        return
    except users.LoginFailed as exc:
        st.error(FAILED[mode])
        if exc.wait:
            st.warning(texts.LOGIN_THROTTLED.format(wait=wait_text(exc.wait)))
        return
    except ConfigError as exc:
        sidebar.stop_with_error(texts.CONFIG_INVALID, exc)
    except (AllpfitError, psycopg.Error) as exc:
        _unavailable(exc)
    st.session_state[TOKEN_KEY] = token
    st.session_state.pop(ENDED_KEY, None)
    st.rerun()
