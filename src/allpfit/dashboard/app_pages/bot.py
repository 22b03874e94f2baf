"""Bot: what the bot handled alone and what it handed to a person (allpfit.reports.bot).

Every figure is over the conversations created in the period that the bot took part in.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from allpfit.dashboard import charts, report_data, sidebar, texts

view = sidebar.view()
st.title(texts.PAGE_BOT)
st.caption(texts.BOT_CAPTION)

choices = dict(report_data.bot_inboxes(view.url, view.tenant_id, view.start, view.end, view.tz))
if "bot_inboxes" in st.session_state:
    st.session_state["bot_inboxes"] = [i for i in st.session_state["bot_inboxes"] if i in choices]
inboxes = tuple(
    st.multiselect(
        texts.REPORT_INBOXES,
        options=list(choices),
        format_func=lambda i: choices.get(i, str(i)),
        key="bot_inboxes",
        placeholder=texts.REPORT_ALL,
    )
)
args = (view.url, view.tenant_id, view.start, view.end, view.tz, inboxes)
summary = report_data.bot_summary(*args)

cards = [
    (texts.BOT_CONVERSATIONS, texts.fmt_int(summary.conversations), texts.BOT_CONVERSATIONS_HELP),
    (texts.BOT_ONLY, texts.fmt_int(summary.bot_only), texts.BOT_ONLY_HELP),
    (texts.BOT_HANDOFFS, texts.fmt_int(summary.handed_off), texts.BOT_HANDOFFS_HELP),
    (texts.BOT_RESOLVED, texts.fmt_int(summary.bot_resolved), texts.BOT_RESOLVED_HELP),
    (
        texts.BOT_RESOLUTION_RATE,
        texts.fmt_pct(summary.resolution_rate),
        texts.BOT_RESOLUTION_RATE_HELP,
    ),
    (texts.BOT_HANDOFF_RATE, texts.fmt_pct(summary.handoff_rate), texts.BOT_HANDOFF_RATE_HELP),
]
for row in (cards[:3], cards[3:]):
    for column, (label, value, help_text) in zip(st.columns(3), row, strict=True):
        column.metric(label, value, help=help_text, border=True)
left, right = st.columns(2)
left.metric(texts.BOT_MESSAGES, texts.fmt_int(summary.bot_messages), border=True)
right.metric(texts.BOT_HANDOFF_TIME, texts.fmt_duration(summary.avg_handoff_seconds), border=True)

if summary.conversations == 0:
    st.info(texts.BOT_EMPTY)
    st.stop()

st.plotly_chart(charts.bot_per_day(report_data.bot_per_day(*args)), key="chart_bot_days")

rows = report_data.bot_by_inbox(*args)
table = pd.DataFrame(
    {
        "caixa": [n or texts.EMPTY for n in rows["caixa"]],
        **{c: [texts.fmt_int(v) for v in rows[c]] for c in ("conversas", "so_bot")},
        **{c: [texts.fmt_int(v) for v in rows[c]] for c in ("transferidas", "resolvidas_bot")},
        **{
            c: [texts.fmt_pct(None if pd.isna(v) else v) for v in rows[c]]
            for c in ("taxa_resolucao", "taxa_transferencia")
        },
    }
).rename(columns=texts.BOT_INBOX_COLUMNS)
st.subheader(texts.REPORT_INBOXES)
st.dataframe(table, hide_index=True, width="stretch", key="bot_by_inbox")
