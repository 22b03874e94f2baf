"""The agent, team, inbox and label report pages: one renderer, four small page files.

Each page shows Chatwoot's core figures per row (allpfit.reports.metrics, the one definition
also used by `allpfit export agents`) for the sidebar's period, with the change against the
previous period of the same length in each cell ("12 (▲ 20%)"). A business-hours switch and
an average/median choice change the times; the tenant and the cache work as in `data.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import streamlit as st

from allpfit.dashboard import data, sidebar, texts
from allpfit.reports.metrics import Dimension, DimensionMetrics, Figures, dimension_metrics
from allpfit.reports.periods import previous_period

PAGE_TITLES: dict[Dimension, str] = {
    "agent": texts.PAGE_AGENTS,
    "team": texts.PAGE_TEAMS,
    "inbox": texts.PAGE_INBOXES,
    "label": texts.PAGE_LABELS,
}
COUNTS = ("conversations", "incoming_messages", "outgoing_messages")
TIMES = ("first_response", "resolution", "reply")


@st.cache_data(ttl=data.CACHE_SECONDS, show_spinner=False)
def report_rows(
    url: str,
    tenant_id: int,
    dimension: Dimension,
    start: date,
    end: date,
    tz: str,
    business_hours: bool,
) -> list[DimensionMetrics]:
    """The report's rows, cached per tenant, period and switch (the tenant is in the key)."""
    with data.connect(url, tenant_id) as conn:
        return dimension_metrics(
            conn,
            dimension,
            start,
            end,
            timezone=tz,
            business_hours=business_hours,
        )


def cell(current: float | None, previous: float | None, shown: str) -> str:
    """A value with its change against the previous period: "12 (▲ 20%)"; the value alone
    when there is nothing to compare."""
    change = texts.delta(current, previous, "").strip()
    return shown if change == texts.EMPTY else f"{shown} ({change})"


def _time(figures: Figures, name: str, statistic: str) -> float | None:
    value = getattr(figures, f"{name}_{statistic}")
    return None if value is None else float(value)


def table(rows: Sequence[DimensionMetrics], dimension: Dimension, statistic: str) -> pd.DataFrame:
    """The report as shown: pt-BR numbers and durations, each with its ▲/▼. `statistic` is
    "avg" or "median". An agent has no incoming messages in Chatwoot's reports: no column."""
    columns = texts.DIMENSION_COLUMNS
    counts = [c for c in COUNTS if not (dimension == "agent" and c == "incoming_messages")]
    records = []
    for row in rows:
        record = {texts.DIMENSION_NAME_COLUMN[dimension]: row.name}
        for name in counts:
            now, before = getattr(row, name), getattr(row.previous, name)
            record[columns[name]] = cell(now, before, texts.fmt_int(now))
        for name in TIMES:
            now_t, before_t = _time(row, name, statistic), _time(row.previous, name, statistic)
            record[columns[name]] = cell(now_t, before_t, texts.fmt_duration(now_t))
        record[columns["resolutions"]] = cell(
            row.resolutions, row.previous.resolutions, texts.fmt_int(row.resolutions)
        )
        records.append(record)
    return pd.DataFrame.from_records(records)


def render(dimension: Dimension) -> None:
    """Draw the report page of `dimension`."""
    view = sidebar.view()
    st.title(PAGE_TITLES[dimension])
    st.caption(texts.DIMENSION_CAPTION[dimension])
    prev_start, prev_end = previous_period(view.start, view.end)
    st.caption(
        texts.DIMENSION_PERIODS.format(
            start=texts.fmt_date(view.start),
            end=texts.fmt_date(view.end),
            prev_start=texts.fmt_date(prev_start),
            prev_end=texts.fmt_date(prev_end),
        )
    )
    left, right = st.columns([1, 2])
    business = left.toggle(
        texts.BUSINESS_HOURS, key=f"rep_{dimension}_business", help=texts.BUSINESS_HOURS_HELP
    )
    statistic = right.segmented_control(
        texts.STATISTIC,
        options=list(texts.STATISTICS),
        format_func=texts.STATISTICS.__getitem__,
        default="avg",
        key=f"rep_{dimension}_statistic",
        help=texts.STATISTIC_HELP,
    )
    rows = report_rows(
        view.url, view.tenant_id, dimension, view.start, view.end, view.tz, bool(business)
    )
    if not rows:
        st.info(texts.DIMENSION_EMPTY)
        return
    st.dataframe(
        table(rows, dimension, statistic or "avg"),
        hide_index=True,
        width="stretch",
        key=f"rep_{dimension}_table",
    )
    st.caption(texts.DIMENSION_HELP)
    if dimension == "agent":
        st.caption(texts.AGENT_NO_INCOMING)
