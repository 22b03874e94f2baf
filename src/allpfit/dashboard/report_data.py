"""Cached access to the CSAT, bot and traffic reports (allpfit.reports) for the pages.

Like `data.py`: one short tenant connection per query (row-level security, the reader role),
results cached for `data.CACHE_SECONDS` per argument set, the tenant id part of every key.
The refresh button's `data.clear()` clears these too (it clears every st.cache_data).
"""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from allpfit.dashboard import data
from allpfit.dashboard.queries import PAGE_SIZE, Page
from allpfit.reports import bot, csat, traffic
from allpfit.sync import control

TTL = data.CACHE_SECONDS


@st.cache_data(ttl=TTL, show_spinner=False)
def csat_summary(url: str, tenant_id: int, filters: csat.CsatFilters) -> csat.CsatSummary:
    with data.connect(url, tenant_id) as conn:
        return csat.summary(conn, filters)


@st.cache_data(ttl=TTL, show_spinner=False)
def csat_by_group(url: str, tenant_id: int, filters: csat.CsatFilters, group: str) -> pd.DataFrame:
    with data.connect(url, tenant_id) as conn:
        return csat.by_group(conn, filters, group)


@st.cache_data(ttl=TTL, show_spinner=False)
def csat_comments(url: str, tenant_id: int, filters: csat.CsatFilters, page: int) -> Page:
    """One page (PAGE_SIZE) of comments; a page past the end shows the last one."""
    with data.connect(url, tenant_id) as conn:
        total = csat.comments_count(conn, filters)
        page = min(max(1, page), max(1, -(-total // PAGE_SIZE)))
        rows = csat.comments(conn, filters, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return Page(rows, total, page)


@st.cache_data(ttl=TTL, show_spinner=False)
def csat_options(
    url: str, tenant_id: int, start: date, end: date, tz: str
) -> dict[str, list[tuple[int, str]]]:
    with data.connect(url, tenant_id) as conn:
        return csat.options(conn, start, end, tz)


@st.cache_data(ttl=TTL, show_spinner=False)
def bot_summary(
    url: str, tenant_id: int, start: date, end: date, tz: str, inboxes: tuple[int, ...]
) -> bot.BotSummary:
    with data.connect(url, tenant_id) as conn:
        return bot.summary(conn, start, end, tz, inboxes)


@st.cache_data(ttl=TTL, show_spinner=False)
def bot_per_day(
    url: str, tenant_id: int, start: date, end: date, tz: str, inboxes: tuple[int, ...]
) -> pd.DataFrame:
    with data.connect(url, tenant_id) as conn:
        return bot.per_day(conn, start, end, tz, inboxes)


@st.cache_data(ttl=TTL, show_spinner=False)
def bot_by_inbox(
    url: str, tenant_id: int, start: date, end: date, tz: str, inboxes: tuple[int, ...]
) -> pd.DataFrame:
    with data.connect(url, tenant_id) as conn:
        return bot.by_inbox(conn, start, end, tz, inboxes)


@st.cache_data(ttl=TTL, show_spinner=False)
def bot_inboxes(url: str, tenant_id: int, start: date, end: date, tz: str) -> list[tuple[int, str]]:
    with data.connect(url, tenant_id) as conn:
        return bot.inbox_options(conn, start, end, tz)


@st.cache_data(ttl=TTL, show_spinner=False)
def traffic_heatmap(
    url: str, tenant_id: int, start: date, end: date, tz: str, inboxes: tuple[int, ...]
) -> pd.DataFrame:
    with data.connect(url, tenant_id) as conn:
        return traffic.heatmap(conn, start, end, tz, inboxes)


@st.cache_data(ttl=TTL, show_spinner=False)
def traffic_frt(
    url: str, tenant_id: int, start: date, end: date, tz: str, inboxes: tuple[int, ...]
) -> pd.DataFrame:
    with data.connect(url, tenant_id) as conn:
        return traffic.first_response_buckets(conn, start, end, tz, inboxes)


@st.cache_data(ttl=TTL, show_spinner=False)
def traffic_inboxes(
    url: str, tenant_id: int, start: date, end: date, tz: str
) -> list[tuple[int, str]]:
    with data.connect(url, tenant_id) as conn:
        return traffic.inbox_options(conn, start, end, tz)


@st.cache_data(ttl=60, show_spinner=False)
def last_sync(url: str, tenant_id: int) -> datetime | None:
    """The tenant's last successful periodic sync (cached a minute: it is the freshness line)."""
    with data.connect(url, tenant_id) as conn:
        return control.last_success_at(conn)
