"""Tráfego: when conversations arrive (weekday × hour, business time zone) and how long the
first human answer takes, in Chatwoot's buckets (allpfit.reports.traffic)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from allpfit.dashboard import charts, report_data, sidebar, texts
from allpfit.reports.traffic import FRT_BUCKETS, bucket_totals

view = sidebar.view()
st.title(texts.PAGE_TRAFFIC)
st.caption(texts.TRAFFIC_CAPTION)

choices = dict(report_data.traffic_inboxes(view.url, view.tenant_id, view.start, view.end, view.tz))
if "traffic_inboxes" in st.session_state:
    kept = [i for i in st.session_state["traffic_inboxes"] if i in choices]
    st.session_state["traffic_inboxes"] = kept
inboxes = tuple(
    st.multiselect(
        texts.REPORT_INBOXES,
        options=list(choices),
        format_func=lambda i: choices.get(i, str(i)),
        key="traffic_inboxes",
        placeholder=texts.REPORT_ALL,
    )
)
args = (view.url, view.tenant_id, view.start, view.end, view.tz, inboxes)

grid = report_data.traffic_heatmap(*args)
st.metric(texts.TRAFFIC_TOTAL, texts.fmt_int(int(grid.to_numpy().sum())), border=True)
st.plotly_chart(charts.traffic_heatmap(grid), key="chart_heatmap")

by_channel = report_data.traffic_frt(*args)
st.plotly_chart(charts.first_response_buckets(bucket_totals(by_channel)), key="chart_frt")
st.caption(texts.FRT_CAPTION)
if not by_channel.empty:
    labels = [label for label, _, _ in FRT_BUCKETS]
    table = pd.DataFrame(
        {
            texts.FRT_CHANNEL: [
                texts.CHANNEL_NAMES.get(c, c or texts.EMPTY) for c in by_channel["canal"]
            ],
            **{
                texts.FRT_BUCKET_LABELS[label]: [texts.fmt_int(v) for v in by_channel[label]]
                for label in labels
            },
        }
    )
    st.dataframe(table, hide_index=True, width="stretch", key="frt_by_channel")
