"""Conversões (CRM): the CRM customers who came from a conversation, signed up in the period."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import data, pager, sidebar, tables, texts

view = sidebar.view()
st.title(texts.CONVERSIONS_TITLE)
st.caption(texts.CONVERSIONS_CAPTION)

period = (view.url, view.tenant_id, view.start, view.end)
total, mean_days, median_days = data.conversions_summary(*period)
first, second, third = st.columns(3)
first.metric(texts.CONVERSIONS_TOTAL, texts.fmt_int(total), border=True)
second.metric(texts.CONVERSIONS_AVG_DAYS, texts.fmt_decimal(mean_days), border=True)
third.metric(texts.CONVERSIONS_MEDIAN_DAYS, texts.fmt_decimal(median_days), border=True)

if total == 0:
    st.info(texts.CONVERSIONS_EMPTY)
else:
    number = pager.current("conv_page", reset_when=(view.tenant_id, view.start, view.end))
    page = data.conversions_page(*period, number)
    st.dataframe(
        tables.conversion_display(page.rows, mask_phones=view.mask_phones),
        hide_index=True,
        width="stretch",
        key="conversions_table",
    )
    pager.controls("conv_page", page)
