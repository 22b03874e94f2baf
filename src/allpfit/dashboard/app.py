"""Streamlit entry point: page config, login gate, shared sidebar, navigation.

Run with `allpfit dashboard` (or `streamlit run src/allpfit/dashboard/app.py` from the repo).
Every rerun goes through here first: settings and the database are checked, the login is
enforced, the sidebar filters are drawn, then the selected page runs. A database that fails
while a page runs becomes a Portuguese error screen, not a traceback.

While logged out, navigation is declared before the login gate (hidden) so that Streamlit
keeps the page and the query string a link asked for (`/leads?nome=ana`) through the login
form; the page itself only runs after the gate. Once logged in it is declared after the gate,
when the role is known: only an admin's menu lists the admin page.
"""

from __future__ import annotations

import logging
from pathlib import Path

import psycopg
import streamlit as st
from streamlit.navigation.page import StreamlitPage

from allpfit.dashboard import login, sidebar, texts
from allpfit.errors import AllpfitError
from allpfit.users import can_admin

PAGES = Path(__file__).parent / "app_pages"
log = logging.getLogger("allpfit.dashboard")

st.set_page_config(page_title=texts.APP_TITLE, page_icon=str(sidebar.FAVICON), layout="wide")
# However the app is started: an unexpected error shows no traceback, file paths or values.
st.set_option("client.showErrorDetails", "none")


def declare_pages(*, listed: bool, admin: bool) -> StreamlitPage:
    """Declare the pages. `listed`: the menu shows (logged in); `admin`: the admin page is in
    it. The admin page is declared for everybody, so that a link to it survives the login like
    any other, but listed only for admins: anybody else opening its URL gets its refusal."""
    return st.navigation(
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
            st.Page(
                PAGES / "retencao.py", title=texts.PAGE_RETENTION, icon=":material/person_remove:"
            ),
            st.Page(
                PAGES / "followups.py",
                title=texts.PAGE_FOLLOWUPS,
                icon=":material/send:",
                url_path="followups",
            ),
            st.Page(PAGES / "satisfacao.py", title=texts.PAGE_CSAT, icon=":material/mood:"),
            st.Page(PAGES / "bot.py", title=texts.PAGE_BOT, icon=":material/smart_toy:"),
            st.Page(PAGES / "trafego.py", title=texts.PAGE_TRAFFIC, icon=":material/schedule:"),
            st.Page(PAGES / "score.py", title=texts.PAGE_SCORE, icon=":material/insights:"),
            # Chatwoot's agent, team, inbox and label reports (dashboard/dimension_report.py).
            st.Page(PAGES / "agentes.py", title=texts.PAGE_AGENTS, icon=":material/support_agent:"),
            st.Page(PAGES / "equipes.py", title=texts.PAGE_TEAMS, icon=":material/diversity_3:"),
            st.Page(PAGES / "caixas.py", title=texts.PAGE_INBOXES, icon=":material/inbox:"),
            st.Page(PAGES / "etiquetas.py", title=texts.PAGE_LABELS, icon=":material/label:"),
            st.Page(PAGES / "exportar.py", title=texts.PAGE_EXPORT, icon=":material/download:"),
            # One lead (/lead?conversa=ID), opened from the lead table: never in the menu.
            st.Page(
                PAGES / "lead.py",
                title=texts.PAGE_LEAD,
                icon=":material/person:",
                url_path="lead",
                visibility="hidden",
            ),
            st.Page(
                PAGES / "admin.py",
                title=texts.PAGE_ADMIN,
                icon=":material/admin_panel_settings:",
                url_path="admin",
                visibility="visible" if admin else "hidden",
            ),
        ],
        position="sidebar" if listed else "hidden",
    )


settings = sidebar.settings_or_stop()
# Logged out, the pages are declared (hidden) before the login gate, so that Streamlit keeps
# the page and the query string a link asked for; logged in, after it, once the role is known.
navigation = None if login.authenticated(settings) else declare_pages(listed=False, admin=False)
url = sidebar.database_or_stop(settings, details=navigation is None)
user = login.require(settings, url)
if navigation is None:
    navigation = declare_pages(listed=True, admin=can_admin(user))

try:
    sidebar.render(settings, url, user)
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
