"""Resultados do dia: what happened today, in the business time zone."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import cards, data, sidebar, texts
from allpfit.reports.periods import previous_period

view = sidebar.view(period=False)  # always today: no period filter on this page
st.title(texts.PAGE_DAILY)
st.subheader(texts.DAILY_TITLE.format(day=texts.fmt_date(view.today)))

daily = data.daily_results(view.url, view.tenant_id, view.today)
# "▲ 12% vs ontem": the same figures for the day before (periods.previous_period of one day),
# as the original system showed them; today is still going on, yesterday is complete.
yesterday = previous_period(view.today, view.today)[0]
before = data.daily_results(view.url, view.tenant_id, yesterday)
kpi_cards = [
    (texts.KPI_NEW_LEADS, daily.novos_leads, texts.KPI_NEW_LEADS_HELP),
    (texts.KPI_VISITS_TODAY, daily.visitas_hoje, texts.KPI_VISITS_TODAY_HELP),
    (texts.KPI_SALES_TODAY, daily.vendas_hoje, texts.KPI_SALES_TODAY_HELP),
    (texts.KPI_CONVERSATIONS_TODAY, daily.conversas_hoje, texts.KPI_CONVERSATIONS_TODAY_HELP),
    (texts.KPI_NEW_CONVERSATIONS, daily.conversas_novas, texts.KPI_NEW_CONVERSATIONS_HELP),
    (texts.KPI_REOPENED, daily.conversas_reabertas, texts.KPI_REOPENED_HELP),
]
previous = (
    before.novos_leads,
    before.visitas_hoje,
    before.vendas_hoje,
    before.conversas_hoje,
    before.conversas_novas,
    before.conversas_reabertas,
)
deltas = []
for (_, value, _), earlier in zip(kpi_cards, previous, strict=True):
    change = texts.delta(value, earlier, texts.VERSUS_YESTERDAY)
    deltas.append(change if change != texts.EMPTY else f"{texts.EMPTY} {texts.VERSUS_YESTERDAY}")
cards.kpi_grid(kpi_cards, deltas)
if daily.conversas_hoje == 0 and daily.vendas_hoje == 0:
    st.info(texts.DAILY_EMPTY)
