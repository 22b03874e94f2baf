"""Visão geral: the six headline KPIs of the period, leads per day, periods, funnel, score."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import cards, data, freshness, report_data, sidebar, texts

view = sidebar.view()
st.title(texts.PAGE_OVERVIEW)
st.caption(f"{texts.PERIOD}: {texts.fmt_date(view.start)} a {texts.fmt_date(view.end)}")
# When the data was last updated and when the scheduler runs next (dashboard/freshness.py).
st.caption(
    freshness.line(
        report_data.last_sync(view.url, view.tenant_id),
        sidebar.settings_or_stop(),
        view.tz,
        freshness.server_now(),
    ),
    help=texts.DATA_FRESHNESS_HELP,
)

# Every query names the tenant: it is part of each cached result's key.
period = (view.url, view.tenant_id, view.start, view.end)
kpis = data.overview_kpis(*period)
kpi_cards = [
    (texts.KPI_CONTACTS, kpis.total_contatos, texts.KPI_CONTACTS_HELP),
    (texts.KPI_AI, kpis.conversas_ia, texts.KPI_AI_HELP),
    (texts.KPI_HUMAN, kpis.conversas_humanas, texts.KPI_HUMAN_HELP),
    (texts.KPI_VISITS, kpis.visitas_agendadas, texts.KPI_VISITS_HELP),
    (texts.KPI_TRAFFIC_SALES, kpis.vendas_trafego, texts.KPI_TRAFFIC_SALES_HELP),
    (texts.KPI_TOTAL_SALES, kpis.vendas_totais, texts.KPI_TOTAL_SALES_HELP),
]
cards.kpi_grid(kpi_cards)

# The figures are built once per tenant and period and shared by every session (data.py).
figures = data.overview_charts(*period, view.today)
left, right = st.columns([3, 2])
left.plotly_chart(figures.leads_per_day, key="chart_leads_per_day")
if view.start <= view.today <= view.end:
    left.caption(texts.CHART_TREND_HELP)
right.plotly_chart(figures.by_period, key="chart_period")

left, right = st.columns(2)
with left:
    st.plotly_chart(figures.funnel, key="chart_funnel")
    st.caption(texts.FUNNEL_CAPTION)
with right:
    st.plotly_chart(figures.score, key="chart_score")
    st.caption(texts.SCORE_CAPTION)
