"""Streamlit entry point: page config, login gate, shared sidebar, navigation.

Run with `allpfit dashboard` (or `streamlit run src/allpfit/dashboard/app.py` from the repo).
Every rerun goes through here first: settings and the database are checked, the login is
enforced, the sidebar filters are drawn, then the selected page runs. A database that fails
while a page runs becomes a Portuguese error screen, not a traceback.

Navigation is declared before the login gate (hidden while logged out) so that Streamlit keeps
the page and the query string a link asked for (`/leads?nome=ana`) through the login form; the
page itself only runs after the gate.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import streamlit as st

from allpfit.dashboard import login, sidebar, texts
from allpfit.errors import AllpfitError

PAGES = Path(__file__).parent / "app_pages"
log = logging.getLogger("allpfit.dashboard")

st.set_page_config(page_title=texts.APP_TITLE, page_icon=str(sidebar.FAVICON), layout="wide")
# However the app is started: an unexpected error shows no traceback, file paths or values.
st.set_option("client.showErrorDetails", "none")

settings = sidebar.settings_or_stop()
allowed = login.authenticated(settings)
navigation = st.navigation(
    [
        st.Page(
            PAGES / "visao_geral.py",
            title=texts.PAGE_OVERVIEW,
            icon=":material/dashboard:",
            default=True,
        ),
        st.Page(PAGES / "resultados.py", title=texts.PAGE_DAILY, icon=":material/today:"),
        st.Page(PAGES / "conversoes.py", title=texts.PAGE_CONVERSIONS, icon=":material/paid:"),
        st.Page(PAGES / "leads.py", title=texts.PAGE_LEADS, icon=":material/groups:"),
    ],
    position="sidebar" if allowed else "hidden",
)
url = sidebar.database_or_stop(settings, details=allowed)
user = login.require(settings, url)
sidebar.render(settings, url, user)

try:
    navigation.run()
except AllpfitError as exc:
    sidebar.stop_with_error(texts.DB_UNREACHABLE, exc, texts.DB_UNREACHABLE_HINT)
except psycopg.OperationalError as exc:
    sidebar.stop_with_error(texts.DB_UNREACHABLE, exc, texts.DB_UNREACHABLE_HINT)
except psycopg.Error as exc:
    # A query that failed (not a lost connection): the text may quote the data, so it goes to
    # the server log; the page says what happened in Portuguese.
    log.error("dashboard query failed: %s: %s", type(exc).__name__, exc)
    sidebar.stop_with_error(texts.DB_QUERY_FAILED, None, texts.DB_QUERY_FAILED_HINT)
