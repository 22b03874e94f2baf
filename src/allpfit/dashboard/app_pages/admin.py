"""Administração (admins only): tenants and their numbers, a pipeline run on demand, users per
tenant and the audit log.

Everything here spans tenants, so it reads on the owner connection and names tenant_id; every
action goes through `allpfit.users` (or `sidebar.start_pipeline`), which writes the audit log.
A non-admin never gets a link to this page; opening its URL shows the refusal and nothing else.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from allpfit import users
from allpfit.dashboard import admin_queries, budget_chart, data, login, pager, sidebar, texts
from allpfit.dashboard.access import AccessDenied, require_admin
from allpfit.dashboard.queries import PAGE_SIZE, Page
from allpfit.errors import AllpfitError
from allpfit.tenants import Tenant, list_tenants
from allpfit.users import Role

view = sidebar.view(period=False)
try:
    require_admin(view.user)
except AccessDenied:
    sidebar.stop_with_error(texts.ADMIN_REFUSED, None, texts.ADMIN_REFUSED_HINT)

settings = sidebar.settings_or_stop()
actor = view.user.label or view.user.via
address = login.client_address()
st.title(texts.PAGE_ADMIN)


def _yes_no(flag: bool) -> str:
    return texts.YES_NO[0] if flag else texts.YES_NO[1]


def _money(value: object) -> str:
    return texts.EMPTY if value is None else texts.fmt_decimal(float(str(value)), 2)


def _show_password(message: str, password: str) -> None:
    """A generated password, shown on this run only (the next run forgets it)."""
    st.success(message)
    st.code(password, language=None)


def _failed(exc: AllpfitError) -> None:
    """An action `allpfit.users` refused: pt-BR message, its own (English) reason below."""
    st.error(texts.ADMIN_ACTION_FAILED)
    with st.expander(texts.DB_DETAILS):
        st.code(sidebar.masked_detail(exc), language=None)


def _add_user(email: str, role: str, tenant_id: int | None) -> None:
    """Create the user and show the generated password once; the usual mistakes in pt-BR."""
    try:
        clean_email = users.normalize_email(email)
    except AllpfitError:
        st.error(texts.ADMIN_EMAIL_INVALID)
        return
    try:
        with data.connect_owner(view.url) as conn:
            if users.find_user(conn, clean_email) is not None:
                st.error(texts.ADMIN_EMAIL_EXISTS.format(email=clean_email))
                return
            created, generated = users.add_user(
                conn, clean_email, role, tenant_id, actor=actor, address=address
            )
    except AllpfitError as exc:
        _failed(exc)
        return
    if generated:
        _show_password(texts.ADMIN_USER_ADDED.format(email=created.email), generated)


# --- Tenants ---------------------------------------------------------------------------------
now = datetime.now(UTC)
with data.connect_owner(view.url) as conn:
    tenants = list_tenants(conn, include_disabled=True)
    summaries = admin_queries.tenant_summaries(conn, tenants, settings, now)
names = {t.id: t.name for t in tenants}

st.header(texts.ADMIN_TENANTS)
st.caption(texts.ADMIN_TENANTS_CAPTION)
columns = texts.ADMIN_TENANT_COLUMNS
tenant_rows = []
for tenant in tenants:
    summary = summaries[tenant.id]
    last = summary.sync_finished_at or summary.sync_started_at
    tenant_rows.append(
        {
            columns["empresa"]: tenant.name,
            columns["slug"]: tenant.slug,
            columns["ativa"]: _yes_no(tenant.enabled),
            columns["ultima_sync"]: texts.fmt_datetime(last, tenant.tz(settings)),
            columns["situacao"]: texts.RUN_STATUSES.get(summary.sync_status, summary.sync_status),
            columns["leads_mes"]: texts.fmt_int(summary.leads_month),
            columns["custo_mes"]: _money(summary.spend.spent_brl if summary.spend else None),
            columns["projecao_mes"]: _money(
                summary.spend.projection_brl if summary.spend else None
            ),
            columns["orcamento"]: _money(summary.spend.budget_brl if summary.spend else None),
        }
    )
st.dataframe(pd.DataFrame(tenant_rows), hide_index=True, width="stretch", key="admin_tenants")
for tenant in tenants:  # a paused analysis is said plainly, tenant by tenant
    paused = summaries[tenant.id].spend
    if tenant.enabled and paused is not None and paused.reached:
        st.warning(
            texts.BUDGET_REACHED.format(
                empresa=tenant.name, orcamento=_money(paused.budget_brl), slug=tenant.slug
            )
        )

if tenants:
    spend_of = st.selectbox(
        texts.BUDGET_TENANT,
        options=[t.id for t in tenants],
        format_func=lambda tenant_id: names.get(tenant_id, str(tenant_id)),
        key="admin_spend_tenant",
    )
    spend = summaries[spend_of].spend
    st.plotly_chart(budget_chart.spend_per_day(spend), key="admin_spend_chart")
    if spend is not None:
        st.caption(
            texts.BUDGET_SUMMARY.format(
                empresa=names[spend_of],
                gasto=_money(spend.spent_brl),
                projecao=_money(spend.projection_brl),
                orcamento=(
                    f"R$ {_money(spend.budget_brl)}"
                    if spend.budget_brl is not None
                    else texts.BUDGET_NONE
                ),
            )
        )

enabled: list[Tenant] = [t for t in tenants if t.enabled]
if enabled:
    pick, run = st.columns([3, 1], vertical_alignment="bottom")
    chosen = pick.selectbox(
        texts.ADMIN_RUN_TENANT,
        options=[t.id for t in enabled],
        format_func=lambda tenant_id: names.get(tenant_id, str(tenant_id)),
        key="admin_run_tenant",
    )
    target = next(t for t in enabled if t.id == chosen)
    if run.button(texts.ADMIN_RUN_NOW, key="admin_run_now", icon=":material/play_arrow:"):
        refused = sidebar.start_pipeline(view.url, view.user, target.id, target.slug, address)
        if refused:
            st.warning(refused)
    sidebar.sync_status(target.id, target.tz(settings))

# --- Users -----------------------------------------------------------------------------------
st.header(texts.ADMIN_USERS)
ALL = 0
shown = st.selectbox(
    texts.ADMIN_USERS_TENANT,
    options=[ALL, *(t.id for t in tenants)],
    format_func=lambda tenant_id: texts.ADMIN_USERS_ALL if tenant_id == ALL else names[tenant_id],
    key="admin_users_tenant",
)

with st.expander(texts.ADMIN_ADD_USER, icon=":material/person_add:"):
    with st.form("admin_add_user", clear_on_submit=True):
        email = st.text_input(texts.ADMIN_EMAIL, key="admin_new_email", max_chars=254)
        role = st.selectbox(
            texts.ADMIN_ROLE,
            options=[r.value for r in Role],
            format_func=lambda value: texts.ROLES[value],
            index=2,  # viewer: the least a new person gets unless chosen otherwise
            key="admin_new_role",
            help=texts.ADMIN_ROLE_HELP,
        )
        home = st.selectbox(
            texts.ADMIN_USER_TENANT,
            options=[t.id for t in enabled],
            format_func=lambda tenant_id: names[tenant_id],
            index=[t.id for t in enabled].index(shown) if shown in [t.id for t in enabled] else 0,
            key="admin_new_tenant",
        )
        submitted = st.form_submit_button(texts.ADMIN_ADD_BUTTON, type="primary")
    if submitted:
        _add_user(
            sidebar.clean_text(email, users.EMAIL_MAX),
            role,
            None if role == Role.admin.value else home,
        )

with data.connect_owner(view.url) as conn:
    people = users.list_users(conn, None if shown == ALL else shown)
if not people:
    st.info(texts.ADMIN_USERS_EMPTY)
else:
    user_columns = texts.ADMIN_USER_COLUMNS
    st.dataframe(
        pd.DataFrame(
            [
                {
                    user_columns["email"]: person.email,
                    user_columns["papel"]: texts.ROLES.get(person.role, person.role),
                    user_columns["empresa"]: (
                        texts.ADMIN_ALL_TENANTS
                        if person.tenant_id is None
                        else names.get(person.tenant_id, "")
                    ),
                    user_columns["ativo"]: _yes_no(not person.disabled),
                    user_columns["ultimo_acesso"]: texts.fmt_datetime(
                        person.last_login_at, settings.timezone
                    ),
                }
                for person in people
            ]
        ),
        hide_index=True,
        width="stretch",
        key="admin_users",
    )
    who_col, disable_col, reset_col = st.columns([3, 1, 1], vertical_alignment="bottom")
    picked = who_col.selectbox(
        texts.ADMIN_PICK_USER, options=[p.email for p in people], key="admin_pick_user"
    )
    if disable_col.button(texts.ADMIN_DISABLE, key="admin_disable", icon=":material/block:"):
        if picked.lower() == (view.user.email or "").lower():
            st.error(texts.ADMIN_NOT_YOURSELF)
        else:
            try:
                with data.connect_owner(view.url) as conn:
                    users.disable_user(conn, picked, actor=actor, address=address)
            except AllpfitError as exc:
                _failed(exc)
            else:
                st.success(texts.ADMIN_DISABLED.format(email=picked))
    if reset_col.button(texts.ADMIN_RESET, key="admin_reset", icon=":material/key:"):
        try:
            with data.connect_owner(view.url) as conn:
                new_password = users.reset_password(conn, picked, actor=actor, address=address)
        except AllpfitError as exc:
            _failed(exc)
        else:
            _show_password(texts.ADMIN_RESET_DONE.format(email=picked), new_password)

# --- Audit log -------------------------------------------------------------------------------
st.header(texts.ADMIN_AUDIT)
st.caption(texts.ADMIN_AUDIT_CAPTION.format(limit=texts.fmt_int(users.AUDIT_LIMIT)))
with data.connect_owner(view.url) as conn:
    entries = users.list_audit(conn, limit=users.AUDIT_LIMIT)
if not entries:
    st.info(texts.ADMIN_AUDIT_EMPTY)
else:
    number = pager.current("audit_page")
    number = min(number, -(-len(entries) // PAGE_SIZE))
    audit_columns = texts.ADMIN_AUDIT_COLUMNS
    rows = pd.DataFrame(
        [
            {
                audit_columns["quando"]: texts.fmt_datetime(entry.at, settings.timezone),
                audit_columns["quem"]: entry.actor,
                audit_columns["acao"]: texts.AUDIT_ACTIONS.get(entry.action, entry.action),
                audit_columns["empresa"]: names.get(entry.tenant_id, "")
                if entry.tenant_id is not None
                else "",
                audit_columns["detalhe"]: entry.detail,
                audit_columns["endereco"]: entry.address or "",
            }
            for entry in entries[(number - 1) * PAGE_SIZE : number * PAGE_SIZE]
        ]
    )
    st.dataframe(rows, hide_index=True, width="stretch", key="admin_audit")
    pager.controls("audit_page", Page(rows=rows, total=len(entries), page=number))
