"""Leads: the lead table with filters, 50 per page, and a CSV of everything filtered."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import data, pager, sidebar, tables, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.users import can_export

view = sidebar.view()
st.title(texts.LEADS_TITLE)

params = st.query_params
defaults = {
    "f_nome": sidebar.clean_text(params.get("nome", "")),
    "f_prob": [int(p) for p in params.get("prob", "").split(",") if p.isdigit() and int(p) <= 5],
    "f_cond": [c for c in params.get("cond", "").split(",") if c in texts.CONDITIONS],
    "f_obj": sidebar.clean_text(params.get("obj", "")),
}
for key, value in defaults.items():
    st.session_state.setdefault(key, value)

name_col, prob_col, cond_col, goal_col = st.columns([3, 2, 3, 2])
name = name_col.text_input(texts.FILTER_NAME, key="f_nome", help=texts.FILTER_NAME_HELP)
probabilities = prob_col.multiselect(
    texts.FILTER_PROBABILITY, options=list(range(6)), key="f_prob", placeholder=texts.FILTER_ANY
)
conditions = cond_col.multiselect(
    texts.FILTER_CONDITION,
    options=list(texts.CONDITIONS),
    key="f_cond",
    placeholder=texts.FILTER_ANY,
)
goal = goal_col.text_input(texts.FILTER_GOAL, key="f_obj")

filters = LeadFilters(
    start=view.start,
    end=view.end,
    name=sidebar.clean_text(name),
    probabilities=tuple(sorted(probabilities)),
    conditions=tuple(sorted(conditions)),
    goal=sidebar.clean_text(goal),
)
for param, value in (
    ("nome", filters.name),
    ("prob", ",".join(map(str, filters.probabilities))),
    ("cond", ",".join(filters.conditions)),
    ("obj", filters.goal),
):
    if value:
        params[param] = value
    elif param in params:
        del params[param]

number = pager.current("lead_page", reset_when=(view.tenant_id, filters))
page = data.leads_page(view.url, view.tenant_id, filters, number)
if page.total == 0:
    st.info(texts.LEADS_EMPTY)
    st.stop()

st.caption(texts.leads_count(page.total, page.page, page.pages))
st.dataframe(
    tables.lead_display(
        page.rows, tz=view.tz, mask_phones=view.mask_phones, truncate=texts.CONVERSATION_TRUNCATE
    ),
    hide_index=True,
    width="stretch",
    key="leads_table",
    column_config={
        "Probabilidade": st.column_config.TextColumn(width="small"),
        "Data da Visita": st.column_config.TextColumn(width="small"),
        "Conversa": st.column_config.TextColumn(width="large"),
        "Análise IA": st.column_config.TextColumn(width="medium"),
        "Sugestão de Disparo": st.column_config.TextColumn(width="medium"),
    },
)
pager.controls("lead_page", page)
if can_export(view.user):  # viewers get no button; data.leads_csv refuses them anyway
    st.download_button(
        texts.DOWNLOAD_CSV,
        data=lambda: data.leads_csv(
            view.url,
            view.user,
            view.tenant_id,
            filters,
            tz=view.tz,
            mask_phones=view.mask_phones,
        ),
        file_name=texts.CSV_FILE.format(start=view.start.isoformat(), end=view.end.isoformat()),
        mime="text/csv",
        icon=":material/download:",
        key="download_csv",
        on_click="ignore",
    )
