"""What every page shares: settings, the database, the sidebar filters, the error screen.

app.py calls `settings_or_stop`, `database_or_stop` and `render`; the pages call `view()` to
read the result. Filters live in `st.query_params` as well as in widget state, so a link
to the dashboard carries its view (`?de=2026-11-01&ate=2026-11-25`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NoReturn
from zoneinfo import ZoneInfo

import streamlit as st

from allpfit.config import Settings, load_settings
from allpfit.dashboard import data, texts
from allpfit.errors import AllpfitError

DEFAULT_DAYS = 30
VIEW_KEY = "_allpfit_view"


@dataclass(frozen=True)
class View:
    """The state a page renders: where the data is, which period, how to show it."""

    url: str
    tz: str
    start: date
    end: date
    today: date
    mask_phones: bool


def stop_with_error(
    message: str, exc: Exception | None = None, hint: str | None = None
) -> NoReturn:
    """Portuguese error + hint + technical detail in an expander; never a traceback."""
    st.error(message, icon=":material/error:")
    if hint is None and isinstance(exc, AllpfitError):
        hint = exc.hint
    if hint:
        st.info(hint)
    if exc is not None:
        with st.expander(texts.DB_DETAILS):
            st.code(getattr(exc, "message", str(exc)), language=None)
    st.stop()


def settings_or_stop() -> Settings:
    try:
        return load_settings()
    except AllpfitError as exc:
        stop_with_error(texts.CONFIG_INVALID, exc)


def database_or_stop(settings: Settings) -> str:
    try:
        return data.database_url(data.settings_key(settings), settings)
    except AllpfitError as exc:
        stop_with_error(texts.DB_UNREACHABLE, exc, texts.DB_UNREACHABLE_HINT)


def business_today(tz: str) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _parse_date(value: object, default: date) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return default


def _refresh() -> None:
    data.clear()


def render(settings: Settings, url: str, user: str | None) -> View:
    """Draw the shared sidebar and store the View the pages read."""
    today = business_today(settings.timezone)
    if "f_periodo" not in st.session_state:
        default_start = today - timedelta(days=DEFAULT_DAYS - 1)
        start = _parse_date(st.query_params.get("de"), default_start)
        end = _parse_date(st.query_params.get("ate"), today)
        st.session_state["f_periodo"] = (min(start, end), max(start, end))
    if "mask_phones" not in st.session_state:
        st.session_state["mask_phones"] = settings.dashboard_mask_phones

    with st.sidebar:
        st.header(texts.FILTERS)
        chosen = st.date_input(
            texts.PERIOD, key="f_periodo", format="DD/MM/YYYY", help=texts.PERIOD_HELP
        )
        st.toggle(texts.MASK_PHONES, key="mask_phones", help=texts.MASK_PHONES_HELP)
        st.button(
            texts.REFRESH,
            key="refresh",
            on_click=_refresh,
            icon=":material/refresh:",
            help=texts.REFRESH_HELP,
            width="stretch",
        )
        if user:
            st.caption(texts.LOGGED_AS.format(user=user))

    # While picking a range the widget returns one date: show that single day meanwhile.
    picked = [d for d in (chosen if isinstance(chosen, tuple | list) else (chosen,)) if d]
    start = picked[0] if picked else today
    end = picked[-1] if picked else today
    st.query_params["de"] = start.isoformat()
    st.query_params["ate"] = end.isoformat()
    current = View(
        url=url,
        tz=settings.timezone,
        start=start,
        end=end,
        today=today,
        mask_phones=bool(st.session_state["mask_phones"]),
    )
    st.session_state[VIEW_KEY] = current
    return current


def view() -> View:
    """The View that app.py stored for this run."""
    current = st.session_state.get(VIEW_KEY)
    if not isinstance(current, View):
        st.stop()
    return current
