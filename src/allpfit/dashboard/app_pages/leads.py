"""Leads: the lead table with filters and sorting, 50 per page, and a CSV of everything
filtered. Selecting a row opens that lead's page (app_pages/lead.py)."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import data, downloads, pager, sidebar, tables, texts
from allpfit.dashboard.lead_view import LEAD_PAGE, LEAD_PARAM, LEADS_LINK_KEY
from allpfit.dashboard.queries import LEAD_ORDERS, LeadFilters
from allpfit.users import can_export

UNANALYSED = "sem"  # the "Sem análise" option of the probability filter, also in the link

view = sidebar.view()
st.title(texts.LEADS_TITLE)

params = st.query_params
defaults = {
    "f_nome": sidebar.clean_text(params.get("nome", "")),
    "f_prob": [int(p) for p in params.get("prob", "").split(",") if p.isdigit() and int(p) <= 5]
    + ([UNANALYSED] if UNANALYSED in params.get("prob", "").split(",") else []),
    "f_cond": [c for c in params.get("cond", "").split(",") if c in texts.CONDITIONS],
    "f_obj": sidebar.clean_text(params.get("obj", "")),
    "f_ordem": params.get("ordem") if params.get("ordem") in LEAD_ORDERS else "recent",
}
for key, value in defaults.items():
    st.session_state.setdefault(key, value)

name_col, prob_col, cond_col, goal_col, order_col = st.columns([3, 2, 3, 2, 2])
name = name_col.text_input(texts.FILTER_NAME, key="f_nome", help=texts.FILTER_NAME_HELP)
picked = prob_col.multiselect(
    texts.FILTER_PROBABILITY,
    options=[*range(6), UNANALYSED],
    format_func=lambda p: texts.FILTER_UNANALYSED if p == UNANALYSED else str(p),
    key="f_prob",
    placeholder=texts.FILTER_ANY,
)
conditions = cond_col.multiselect(
    texts.FILTER_CONDITION,
    options=list(texts.CONDITIONS),
    key="f_cond",
    placeholder=texts.FILTER_ANY,
)
goal = goal_col.text_input(texts.FILTER_GOAL, key="f_obj", help=texts.FILTER_GOAL_HELP)
order = order_col.selectbox(
    texts.FILTER_ORDER,
    options=list(LEAD_ORDERS),
    format_func=lambda key: texts.LEAD_ORDERS[key],
    key="f_ordem",
)

filters = LeadFilters(
    start=view.start,
    end=view.end,
    name=sidebar.clean_text(name),
    probabilities=tuple(sorted(p for p in picked if isinstance(p, int))),
    conditions=tuple(sorted(conditions)),
    goal=sidebar.clean_text(goal),
    unanalysed=UNANALYSED in picked,
    order=order,
)
for param, value in (
    ("nome", filters.name),
    (
        "prob",
        ",".join([*map(str, filters.probabilities), *([UNANALYSED] if filters.unanalysed else [])]),
    ),
    ("cond", ",".join(filters.conditions)),
    ("obj", filters.goal),
    ("ordem", "" if filters.order == "recent" else filters.order),
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

st.caption(texts.leads_count(page.total, page.page, page.pages) + " · " + texts.LEADS_OPEN_HINT)
# The filters' link, for the lead page's way back (widgets of this page are gone over there).
st.session_state[LEADS_LINK_KEY] = {k: v for k, v in params.to_dict().items() if k != "pagina"}
selected = st.dataframe(
    tables.lead_display(
        page.rows, tz=view.tz, mask_phones=view.mask_phones, truncate=texts.CONVERSATION_TRUNCATE
    ),
    hide_index=True,
    width="stretch",
    key="leads_table",
    column_config={
        "Probabilidade": st.column_config.TextColumn(width=110),
        "Data da Visita": st.column_config.TextColumn(width=115),
        "Conversa": st.column_config.TextColumn(width="large"),
        "Análise IA": st.column_config.TextColumn(width="medium"),
        "Sugestão de Disparo": st.column_config.TextColumn(width="medium"),
    },
    on_select="rerun",
    selection_mode="single-row",
)
rows = selected.selection.rows if selected else []
if rows and 0 <= rows[0] < len(page.rows):
    st.switch_page(
        LEAD_PAGE,
        query_params={LEAD_PARAM: str(int(page.rows["conversation_id"].iloc[rows[0]]))},
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
    # The full export (every profile field and the CRM sale) of the same rows: downloads.py.
    downloads.lead_buttons(
        url=view.url,
        user=view.user,
        tenant_id=view.tenant_id,
        tz=view.tz,
        mask_phones=view.mask_phones,
        filters=filters,
    )
