"""Satisfação: Chatwoot's CSAT report (allpfit.reports.csat) for the period.

Cards (responses, satisfaction score, surveys sent, response rate), the rating distribution,
the figures per agent and per inbox, and the written comments with their own filters.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from allpfit import ptbr
from allpfit.dashboard import charts, pager, report_data, sidebar, texts
from allpfit.reports.csat import RATINGS, CsatFilters

view = sidebar.view()
st.title(texts.PAGE_CSAT)
st.caption(texts.CSAT_CAPTION)


def pick(label: str, key: str, choices: list[tuple[int, str]]) -> tuple[int, ...]:
    """A multiselect of ids shown by name; ids gone from the period are dropped first."""
    names = dict(choices)
    if key in st.session_state:
        st.session_state[key] = [i for i in st.session_state[key] if i in names]
    chosen = st.multiselect(
        label,
        options=list(names),
        format_func=lambda i: names.get(i, str(i)),
        key=key,
        placeholder=texts.REPORT_ALL,
    )
    return tuple(chosen)


options = report_data.csat_options(view.url, view.tenant_id, view.start, view.end, view.tz)
left, right = st.columns(2)
with left:
    agents = pick(texts.REPORT_AGENTS, "csat_agents", options["agent"])
with right:
    inboxes = pick(texts.REPORT_INBOXES, "csat_inboxes", options["inbox"])
base = CsatFilters(view.start, view.end, view.tz, agents=agents, inboxes=inboxes)

summary = report_data.csat_summary(view.url, view.tenant_id, base)
columns = st.columns(4)
columns[0].metric(
    texts.CSAT_RESPONSES, texts.fmt_int(summary.responses), help=texts.CSAT_RESPONSES_HELP,
    border=True,
)  # fmt: skip
columns[1].metric(
    texts.CSAT_SCORE, texts.fmt_pct(summary.satisfaction), help=texts.CSAT_SCORE_HELP,
    border=True,
)  # fmt: skip
columns[2].metric(
    texts.CSAT_SENT, texts.fmt_int(summary.surveys_sent), help=texts.CSAT_SENT_HELP, border=True
)
columns[3].metric(
    texts.CSAT_RATE, texts.fmt_pct(summary.response_rate), help=texts.CSAT_RATE_HELP,
    border=True,
)  # fmt: skip

if summary.responses == 0 and summary.surveys_sent == 0:
    st.info(texts.CSAT_EMPTY)
    st.stop()

st.plotly_chart(charts.csat_distribution(summary.by_rating), key="chart_csat")


def group_table(frame: pd.DataFrame, empty_name: str) -> pd.DataFrame:
    shown = pd.DataFrame(
        {
            "nome": [n if isinstance(n, str) and n else empty_name for n in frame["nome"]],
            "respostas": [texts.fmt_int(v) for v in frame["respostas"]],
            "satisfacao": [texts.fmt_pct(None if pd.isna(v) else v) for v in frame["satisfacao"]],
            "enviadas": [texts.fmt_int(v) for v in frame["enviadas"]],
            "taxa_resposta": [
                texts.fmt_pct(None if pd.isna(v) else v) for v in frame["taxa_resposta"]
            ],
            "nota_media": [
                texts.fmt_decimal(None if pd.isna(v) else v) for v in frame["nota_media"]
            ],
        }
    )
    return shown.rename(columns=texts.CSAT_GROUP_COLUMNS)


by_agent, by_inbox = st.tabs([texts.CSAT_BY_AGENT, texts.CSAT_BY_INBOX])
with by_agent:
    agent_rows = report_data.csat_by_group(view.url, view.tenant_id, base, "agent")
    st.dataframe(
        group_table(agent_rows, texts.REPORT_NO_AGENT), hide_index=True, key="csat_by_agent"
    )
with by_inbox:
    inbox_rows = report_data.csat_by_group(view.url, view.tenant_id, base, "inbox")
    st.dataframe(group_table(inbox_rows, texts.EMPTY), hide_index=True, key="csat_by_inbox")

st.subheader(texts.CSAT_COMMENTS)
left, right = st.columns([1, 2])
ratings = left.multiselect(
    texts.CSAT_FILTER_RATING,
    options=list(RATINGS),
    format_func=lambda r: texts.CSAT_RATING_LABELS[r],
    key="csat_ratings",
    placeholder=texts.REPORT_ALL,
    help=texts.CSAT_FILTERS_HELP,
)
text = sidebar.clean_text(right.text_input(texts.CSAT_FILTER_TEXT, key="csat_text"))
filters = CsatFilters(
    view.start, view.end, view.tz, agents=agents, inboxes=inboxes, ratings=tuple(ratings),
    text=text,
)  # fmt: skip
number = pager.current("csat_page", reset_when=(view.tenant_id, filters))
page = report_data.csat_comments(view.url, view.tenant_id, filters, number)
if page.total == 0:
    st.info(texts.CSAT_COMMENTS_EMPTY)
else:
    st.caption(ptbr.count_of(page.total, *texts.CSAT_COMMENTS_COUNT))
    rows = page.rows
    table = pd.DataFrame(
        {
            "respondida_em": [texts.fmt_datetime(t, view.tz) for t in rows["respondida_em"]],
            "nota": [texts.CSAT_RATING_LABELS[int(n)] for n in rows["nota"]],
            "comentario": list(rows["comentario"]),
            "contato": [texts.mask_name(n or "", mask=view.mask_phones) for n in rows["contato"]],
            "atendente": [n or texts.REPORT_NO_AGENT for n in rows["atendente"]],
            "caixa": [n or texts.EMPTY for n in rows["caixa"]],
        }
    ).rename(columns=texts.CSAT_COMMENT_COLUMNS)
    st.dataframe(table, hide_index=True, width="stretch", key="csat_comments")
    pager.controls("csat_page", page)
