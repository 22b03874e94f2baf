"""Lead: one lead conversation (`/lead?conversa=123`): the whole conversation as chat bubbles,
the AI profile and analysis, the follow-up to copy, the CRM status and a link to the
conversation in Chatwoot.

Opened by selecting a row of the lead table, or from a link (which survives the login, like
every page). Read through the tenant's connection: an id of another tenant's conversation is
"not found", never that conversation.
"""

from __future__ import annotations

import streamlit as st

from allpfit.chatwoot_links import conversation_url
from allpfit.dashboard import data, lead_view, sidebar, texts

view = sidebar.view(period=False)  # one conversation: the period does not apply

st.page_link(
    "app_pages/leads.py",
    label=texts.LEAD_BACK,
    icon=":material/arrow_back:",
    query_params=st.session_state.get(lead_view.LEADS_LINK_KEY) or None,
)

conversation_id = lead_view.parse_id(st.query_params.get(lead_view.LEAD_PARAM))
detail = (
    None if conversation_id is None else data.lead_detail(view.url, view.tenant_id, conversation_id)
)
if detail is None:
    st.title(texts.PAGE_LEAD)
    if conversation_id is None:
        st.info(texts.LEAD_MISSING_ID)
    else:
        st.warning(texts.LEAD_NOT_FOUND, icon=":material/search_off:")
        st.info(texts.LEAD_NOT_FOUND_HINT)
    st.stop()

mask = view.mask_phones
name = texts.mask_name(detail.contact_name or "", mask=mask) or texts.LEAD_NO_NAME
st.title(texts.LEAD_TITLE.format(name=lead_view.plain_markdown(name)))

link = conversation_url(
    sidebar.settings_or_stop(),
    view.tenant_id,
    detail.tenant_chatwoot_url,
    detail.account_id,
    detail.display_id,
)
if link:
    st.link_button(texts.LEAD_OPEN_CHATWOOT, link, icon=":material/open_in_new:")
else:
    st.caption(texts.LEAD_NO_CHATWOOT)

facts = texts.LEAD_FACTS
st.table(
    lead_view.table(
        [
            (facts["phone"], texts.format_phone(detail.contact_phone, mask=mask) or texts.EMPTY),
            (facts["inbox"], detail.inbox_name or texts.EMPTY),
            (facts["assignee"], detail.assignee_name or texts.EMPTY),
            (facts["status"], texts.CONVERSATION_STATUSES.get(detail.status or "", texts.EMPTY)),
            (facts["first"], texts.fmt_datetime(detail.first_contact, view.tz) or texts.EMPTY),
            (facts["last"], texts.fmt_datetime(detail.last_contact, view.tz) or texts.EMPTY),
        ]
    )
)

conversation_col, profile_col = st.columns([3, 2], gap="large")

with conversation_col:
    st.subheader(texts.LEAD_CONVERSATION)
    shown, total = lead_view.bubbles(detail.messages, view.tz)
    st.html(lead_view.BUBBLE_CSS)
    if not shown:
        st.info(texts.LEAD_NO_MESSAGES)
    for bubble in shown:
        with st.chat_message(bubble.name, avatar=bubble.avatar):
            st.caption(f"{bubble.name} · {bubble.time}" if bubble.time else bubble.name)
            st.text(bubble.text)
    if total > len(shown):
        st.caption(texts.LEAD_MESSAGES_CUT.format(shown=len(shown), total=total))

with profile_col:
    st.subheader(texts.LEAD_PROFILE)
    profile = detail.profile
    if profile is None:
        st.info(texts.LEAD_NOT_ANALYSED)
    else:
        st.table(lead_view.table(lead_view.profile_lines(profile, view.tz)))
        st.markdown(f"**{texts.LEAD_FOLLOW_UP}**", help=texts.LEAD_FOLLOW_UP_HELP)
        if detail.opted_out:  # never a message to them (analysis.intent, migration 0080)
            st.warning(texts.OPTED_OUT, icon=":material/do_not_disturb_on:")
        else:
            st.code(profile.get("sugestao_disparo") or texts.EMPTY, language=None, wrap_lines=True)
        with st.expander(texts.LEAD_ANALYSIS, expanded=True):
            st.text(profile.get("analise_ia") or texts.EMPTY)

    st.subheader(texts.LEAD_CRM)
    if not detail.crm:
        st.info(texts.LEAD_NOT_CUSTOMER)
    for customer in detail.crm:
        since = texts.LEAD_CUSTOMER_SINCE.format(day=texts.fmt_date(customer.signup_date))
        st.success(since, icon=":material/verified:")
        if customer.traffic_sale:
            st.caption(texts.LEAD_TRAFFIC_SALE)
        st.table(lead_view.table(lead_view.crm_lines(customer, mask_phones=mask)))
