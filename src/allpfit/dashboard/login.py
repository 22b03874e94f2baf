"""The login gate: nothing of the dashboard renders until the session is authenticated.

The check itself is in auth.py; this module only draws the form and keeps the result in the
session (a browser tab), so each new tab logs in again and "Sair" forgets it.
"""

from __future__ import annotations

import streamlit as st

from allpfit.config import Settings
from allpfit.dashboard import auth, sidebar, texts
from allpfit.errors import AllpfitError

USER_KEY = "_allpfit_user"


def _logout() -> None:
    st.session_state.pop(USER_KEY, None)


def require(settings: Settings) -> str | None:
    """Return the logged-in user ("" for the shared password, None with no login configured).

    Shows the form and stops the run until the credentials are accepted.
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
        try:
            accepted = auth.check(settings, user or "", password or "")
        except AllpfitError as exc:
            sidebar.stop_with_error(texts.CONFIG_INVALID, exc)
        if accepted is not None:
            st.session_state[USER_KEY] = accepted
            st.rerun()
        st.error(texts.LOGIN_FAILED if mode == "users" else texts.LOGIN_FAILED_PASSWORD)
    st.stop()
