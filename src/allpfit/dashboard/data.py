"""Cached access to queries.py for the pages: one short connection per query, results cached.

Results are cached for `CACHE_SECONDS` per distinct argument set (URL, dates, filters), so the
sales team clicking around hits PostgreSQL only when something changed; the sidebar's refresh
button clears the cache. Cached values are small (a dataclass or a page of 50 rows) and are
never modified in place by the pages.

The overview's Plotly figures are cache resources too (`overview_charts`): one figure object
per tenant and period, shared read-only by every session, because building a figure (Plotly
validates every property and copies its template) cost more CPU per visit than the cached
queries under it; Streamlit copies a figure (`to_dict`) before sending it and never changes it.

The database URL is a cache resource: resolving it may start the embedded PostgreSQL (same
DATA_DIR as the CLI) and apply pending migrations, once per process.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import psycopg
import psycopg.errors
import streamlit as st

from allpfit import db
from allpfit.config import Settings, mask_url
from allpfit.dashboard import charts, queries, retention
from allpfit.dashboard.access import require_export
from allpfit.dashboard.queries import (
    DailyResults,
    Funnel,
    LeadDetail,
    LeadFilters,
    OverviewKpis,
    Page,
)
from allpfit.dashboard.tables import write_leads_csv
from allpfit.errors import LocalDatabaseError, MigrationPermissionError
from allpfit.users import User, masks_phones

CACHE_SECONDS = 300
CHART_ENTRIES = 512  # cached overview figure sets (tenant x period x day), oldest dropped
CONNECT_TIMEOUT = 10  # seconds; an unreachable host must not hang the page
STATEMENT_TIMEOUT = "-c statement_timeout=60000"  # ms; no query may hold a page forever
log = logging.getLogger(__name__)


def settings_key(settings: Settings) -> str:
    """What identifies the local database of `settings` (the cache key of its URL)."""
    return (
        settings.local_url() or f"embedded:{settings.data_dir.resolve()}:{settings.local_db_name}"
    )


@st.cache_resource(show_spinner="Conectando ao banco de dados…")
def database_url(key: str, _settings: Settings) -> str:
    """Local database URL, migrated; `key` = settings_key(settings). Failures are not cached.

    Like `db.prepare`, but a database user without DDL rights (a read-only dashboard user is a
    sensible deployment) is not an error: the jobs keep the schema up to date.
    """
    url = db.resolve_url(_settings)
    with db.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT) as conn:
        try:
            db.upgrade(conn)
        except MigrationPermissionError:
            log.warning("no right to apply migrations; the dashboard reads the schema as it is")
    return url


@contextmanager
def connect(url: str, tenant_id: int, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    """A short-lived connection that sees only `tenant_id`'s rows; a database that goes away
    becomes a LocalDatabaseError. Every page query goes through here, never through
    `connect_owner`, so a query written without a tenant filter still shows one tenant: the
    session takes the role allpfit_reader (not the tables' owner: row-level security applies)
    and names the tenant (`db.tenant_connection`)."""
    try:
        with db.tenant_connection(
            url,
            tenant_id,
            role="reader",
            autocommit=autocommit,
            connect_timeout=CONNECT_TIMEOUT,
            options=STATEMENT_TIMEOUT,
        ) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise LocalDatabaseError(
            f"Lost the local analytics database at {mask_url(url)}: {str(exc).strip()}",
            hint="Check that PostgreSQL is running, then refresh.",
        ) from None


@contextmanager
def connect_owner(url: str, *, autocommit: bool = True) -> Iterator[psycopg.Connection]:
    """A short-lived connection as the configured (owner) user, for cross-tenant work that
    names tenant_id explicitly: the tenant list, the admin page, login throttling, users,
    sessions and the audit log. Never for a page's lead data (that is `connect`)."""
    try:
        with db.connect(
            url, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT, options=STATEMENT_TIMEOUT
        ) as conn:
            yield conn
    except psycopg.OperationalError as exc:
        raise LocalDatabaseError(
            f"Lost the local analytics database at {mask_url(url)}: {str(exc).strip()}",
            hint="Check that PostgreSQL is running, then refresh.",
        ) from None


def clear() -> None:
    """Forget every cached result (the refresh button); the URL resource is kept."""
    st.cache_data.clear()
    overview_charts.clear()


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def overview_kpis(url: str, tenant_id: int, start: date, end: date) -> OverviewKpis:
    with connect(url, tenant_id) as conn:
        return queries.overview_kpis(conn, start, end)


@dataclass(frozen=True)
class OverviewCharts:
    """The overview's four figures. Shared by every session of the tenant: never modify."""

    leads_per_day: go.Figure
    by_period: go.Figure
    funnel: go.Figure
    score: go.Figure


@st.cache_resource(ttl=CACHE_SECONDS, max_entries=CHART_ENTRIES, show_spinner=False)
def overview_charts(
    url: str, tenant_id: int, start: date, end: date, today: date
) -> OverviewCharts:
    """The overview's figures of `tenant_id` and the period, built once from the cached query
    results (same key as they have, plus the business day that marks the partial bar)."""
    return OverviewCharts(
        leads_per_day=charts.leads_per_day(leads_per_day(url, tenant_id, start, end), today=today),
        by_period=charts.by_period(conversations_by_period(url, tenant_id, start, end)),
        funnel=charts.funnel(funnel(url, tenant_id, start, end)),
        score=charts.conversion_by_score(conversion_by_score(url, tenant_id, start, end)),
    )


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def daily_results(url: str, tenant_id: int, today: date) -> DailyResults:
    with connect(url, tenant_id) as conn:
        return queries.daily_results(conn, today)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def leads_per_day(url: str, tenant_id: int, start: date, end: date) -> pd.DataFrame:
    with connect(url, tenant_id) as conn:
        return queries.leads_per_day(conn, start, end)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def conversations_by_period(url: str, tenant_id: int, start: date, end: date) -> pd.DataFrame:
    with connect(url, tenant_id) as conn:
        return queries.conversations_by_period(conn, start, end)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def funnel(url: str, tenant_id: int, start: date, end: date) -> Funnel:
    with connect(url, tenant_id) as conn:
        return queries.funnel(conn, start, end)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def conversion_by_score(url: str, tenant_id: int, start: date, end: date) -> pd.DataFrame:
    with connect(url, tenant_id) as conn:
        return queries.conversion_by_score(conn, start, end)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def conversions_summary(
    url: str, tenant_id: int, start: date, end: date
) -> tuple[int, float | None, float | None]:
    with connect(url, tenant_id) as conn:
        return queries.conversions_summary(conn, start, end)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def conversions_page(url: str, tenant_id: int, start: date, end: date, page: int) -> Page:
    with connect(url, tenant_id) as conn:
        return queries.conversions_page(conn, start, end, page)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def leads_page(url: str, tenant_id: int, filters: LeadFilters, page: int) -> Page:
    with connect(url, tenant_id) as conn:
        return queries.leads_page(conn, filters, page)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def retention_page(url: str, tenant_id: int, start: date, end: date, page: int) -> Page:
    """The Retenção page's list (dashboard/retention.py)."""
    with connect(url, tenant_id) as conn:
        return retention.page(conn, start, end, page)


@st.cache_data(ttl=CACHE_SECONDS, show_spinner=False)
def lead_detail(url: str, tenant_id: int, conversation_id: int) -> LeadDetail | None:
    """One lead conversation of `tenant_id` (None: no such lead in this tenant)."""
    with connect(url, tenant_id) as conn:
        return queries.lead_detail(conn, conversation_id)


def leads_csv(
    url: str,
    user: User,
    tenant_id: int,
    filters: LeadFilters,
    *,
    tz: str,
    mask_phones: bool,
) -> bytes:
    """The filtered lead set as CSV bytes, built only when the user clicks download.

    Refused (AccessDenied) for a role that may not export or a tenant the user may not see:
    the page draws no button for them, and this check holds even if something calls it
    anyway. A role that masks phones gets them masked whatever `mask_phones` says.

    Rows stream from a server-side cursor in chunks of 2,000 and are written as they come, so
    the set never exists as one DataFrame. The finished file is held as bytes: Streamlit's
    download API needs bytes (it reads any file object it is given into memory anyway).
    """
    require_export(user, tenant_id)
    out = io.BytesIO()
    with connect(url, tenant_id, autocommit=False) as conn:
        write_leads_csv(conn, filters, out, tz=tz, mask_phones=mask_phones or masks_phones(user))
    return out.getvalue()
