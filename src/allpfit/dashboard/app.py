"""Streamlit entry point: page config, login gate, shared sidebar, navigation.

Run with `allpfit dashboard` (or `streamlit run src/allpfit/dashboard/app.py` from the repo).
Every rerun goes through here first: settings and the database are checked, the login is
enforced, the sidebar filters are drawn, then the selected page runs. A database that fails
while a page runs becomes a Portuguese error screen, not a traceback.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import streamlit as st

from allpfit.dashboard import login, sidebar, texts
from allpfit.errors import AllpfitError

PAGES = Path(__file__).parent / "app_pages"

st.set_page_config(page_title=texts.APP_TITLE, page_icon=":material/fitness_center:", layout="wide")

settings = sidebar.settings_or_stop()
user = login.require(settings)
url = sidebar.database_or_stop(settings)
sidebar.render(settings, url, user)

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
    ]
)
try:
    navigation.run()
except AllpfitError as exc:
    sidebar.stop_with_error(texts.DB_UNREACHABLE, exc, texts.DB_UNREACHABLE_HINT)
except psycopg.OperationalError as exc:
    sidebar.stop_with_error(texts.DB_UNREACHABLE, exc, texts.DB_UNREACHABLE_HINT)
