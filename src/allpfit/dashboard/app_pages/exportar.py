"""Exportar: the period's conversations, leads or agent figures as CSV or Excel.

The same files as `allpfit export` (dashboard/downloads.py), for the tenant and period of the
sidebar. Only roles that may export see the buttons; a viewer reads why not.
"""

from __future__ import annotations

import streamlit as st

from allpfit.dashboard import downloads, sidebar, texts
from allpfit.reports import export
from allpfit.reports.export import ExportRequest
from allpfit.users import can_export

view = sidebar.view()
st.title(texts.EXPORT_TITLE)
if not can_export(view.user):
    st.info(texts.EXPORT_REFUSED)
    st.stop()

st.write(texts.EXPORT_INTRO.format(start=texts.fmt_date(view.start), end=texts.fmt_date(view.end)))
kind = st.radio(
    texts.EXPORT_KIND,
    options=list(export.KINDS),
    format_func=lambda k: texts.EXPORT_KINDS[k],
    horizontal=True,
    key="exp_kind",
)
st.caption(texts.EXPORT_KIND_HELP[kind])
fmt = st.radio(
    texts.EXPORT_FORMAT,
    options=list(export.FORMATS),
    format_func=lambda f: texts.EXPORT_FORMATS[f],
    horizontal=True,
    key="exp_fmt",
)
request = ExportRequest(
    kind, view.start, view.end, fmt=fmt, tz=view.tz, mask_phones=view.mask_phones
)
downloads.button(
    texts.EXPORT_BUTTON.format(kind=texts.EXPORT_KINDS[kind], fmt=texts.EXPORT_FORMATS[fmt]),
    url=view.url,
    user=view.user,
    tenant_id=view.tenant_id,
    request=request,
    key="exp_download",
)
if kind != "agents":
    st.caption(texts.EXPORT_MASKED if view.mask_phones else texts.EXPORT_SHOWN)
