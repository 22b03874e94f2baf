"""Retenção: members who asked to cancel or complained (analysis intent "cancellation"),
listed for the team on their own, since they are not leads (dashboard/retention.py)."""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import data, pager, retention, sidebar, texts

view = sidebar.view()
st.title(texts.RETENTION_TITLE)
st.caption(texts.RETENTION_CAPTION)

number = pager.current("retention_page", reset_when=(view.tenant_id, view.start, view.end))
page = data.retention_page(view.url, view.tenant_id, view.start, view.end, number)
st.metric(texts.RETENTION_TOTAL, texts.fmt_int(page.total), border=True)
if page.total == 0:
    st.info(texts.RETENTION_EMPTY)
else:
    st.dataframe(
        retention.display(page.rows, tz=view.tz, mask_phones=view.mask_phones),
        hide_index=True,
        width="stretch",
        key="retention_table",
    )
    pager.controls("retention_page", page)
