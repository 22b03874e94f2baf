"""Follow-ups (managers and admins): review the planned follow-ups, edit a text, approve or
skip them one by one or in bulk, and see what worked (reply within 48 h and conversions per
step and per message variant).

Sending is not done here: `allpfit followups send` (or the scheduler) sends what is approved,
with the never-twice rules of `allpfit.followups.send`. Every change goes through
`allpfit.followups.review` (which re-checks eligibility and writes the audit log) on a tenant
session of role allpfit_reader, which migration 0081 lets update only the review columns.
A viewer opening this page's URL gets the refusal and nothing else.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from allpfit.dashboard import data, sidebar, texts
from allpfit.dashboard.access import AccessDenied, require_followups
from allpfit.errors import AllpfitError
from allpfit.followups import results, review, rules
from allpfit.followups.review import Followup

PENDING = ("proposed", "approved", "failed", "needs_review")

view = sidebar.view(period=False)
try:
    require_followups(view.user, view.tenant_id)
except AccessDenied:
    sidebar.stop_with_error(texts.FOLLOWUPS_REFUSED, None, texts.FOLLOWUPS_REFUSED_HINT)

actor = view.user.label or view.user.via
st.title(texts.PAGE_FOLLOWUPS)

with data.connect(view.url, view.tenant_id) as conn:
    cfg = rules.load_settings(conn)
    pending = review.list_followups(conn, PENDING)
    history = review.list_followups(
        conn, ["sent", "skipped", "cancelled", "unsendable", "sending"], limit=200
    )
    by_step = results.results(conn, view.tz, "step")
    by_variant = results.results(conn, view.tz, "variant")

st.caption(
    texts.FOLLOWUPS_CAPTION.format(
        etapas=texts.followup_days(cfg.step_days), limite=texts.fmt_int(cfg.daily_cap)
    )
)


def _lead(row: Followup) -> str:
    name = rules.first_name(row.contact_name) or texts.EMPTY
    return texts.mask_name(name, mask=view.mask_phones) if name != texts.EMPTY else name


def _frame(rows: list[Followup], *, mode: bool = False) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            texts.FOLLOWUPS_COL_ID: [r.id for r in rows],
            texts.FOLLOWUPS_COL_DUE: [texts.fmt_date(r.due_on) for r in rows],
            texts.FOLLOWUPS_COL_STEP: [
                texts.FOLLOWUPS_STEP_LABEL.format(etapa=r.step, dias=r.step_days) for r in rows
            ],
            texts.FOLLOWUPS_COL_VARIANT: [
                texts.FOLLOWUPS_VARIANT.get(r.variant, r.variant) for r in rows
            ],
            texts.FOLLOWUPS_COL_LEAD: [_lead(r) for r in rows],
            texts.FOLLOWUPS_COL_CONVERSATION: [f"#{r.display_id}" for r in rows],
            texts.FOLLOWUPS_COL_STATUS: [
                texts.FOLLOWUPS_STATUS.get(r.status, r.status) for r in rows
            ],
            texts.FOLLOWUPS_COL_TEXT: [r.message_text for r in rows],
        }
    )
    if mode:
        frame[texts.FOLLOWUPS_COL_MODE] = [
            texts.FOLLOWUPS_MODE.get(r.send_mode or "", texts.EMPTY) for r in rows
        ]
    return frame


def _changed(done: review.ReviewResult, words: tuple[str, str]) -> None:
    if done.changed:
        st.success(texts.followups_changed(len(done.changed), words))
    if done.refused:
        detail = "; ".join(f"#{fid}: {why}" for fid, why in list(done.refused.items())[:10])
        st.warning(texts.followups_refused(len(done.refused), detail))
    data.clear()


def _act(kind: str, ids: list[int]) -> None:
    """Approve or skip `ids`; the role is checked again at the moment of the action."""
    require_followups(view.user, view.tenant_id)
    if not ids:
        st.warning(texts.FOLLOWUPS_NONE_SELECTED)
        return
    try:
        if kind == "approve":
            done = review.approve(view.url, view.tenant_id, ids, actor, role="reader")
            _changed(done, texts.FOLLOWUPS_APPROVED)
        else:
            done = review.skip(view.url, view.tenant_id, ids, actor, role="reader")
            _changed(done, texts.FOLLOWUPS_SKIPPED)
    except AllpfitError as exc:
        st.error(texts.FOLLOWUPS_ACTION_FAILED)
        with st.expander(texts.DB_DETAILS):
            st.code(sidebar.masked_detail(exc), language=None)


# --- Review ----------------------------------------------------------------------------------
st.subheader(texts.FOLLOWUPS_PENDING)
if not pending:
    st.info(texts.FOLLOWUPS_EMPTY)
else:
    st.dataframe(_frame(pending), hide_index=True, width="stretch")
    labels = {
        r.id: texts.FOLLOWUPS_OPTION.format(
            id=r.id, lead=_lead(r), etapa=r.step, data=texts.fmt_date(r.due_on)
        )
        for r in pending
    }
    everything = st.checkbox(texts.FOLLOWUPS_SELECT_ALL, key="fu_all")
    chosen = st.multiselect(
        texts.FOLLOWUPS_SELECT,
        options=list(labels),
        format_func=lambda fid: labels.get(fid, str(fid)),
        key="fu_sel",
        disabled=everything,
    )
    ids = list(labels) if everything else list(chosen)
    left, right = st.columns(2)
    if left.button(texts.FOLLOWUPS_APPROVE, key="fu_approve", type="primary"):
        _act("approve", ids)
    if right.button(texts.FOLLOWUPS_SKIP, key="fu_skip"):
        _act("skip", ids)

    with st.expander(texts.FOLLOWUPS_EDIT):
        editable = [r for r in pending if r.status in review.EDITABLE]
        if editable:
            texts_by_id = {r.id: r.message_text for r in editable}
            pick = st.selectbox(
                texts.FOLLOWUPS_EDIT_PICK,
                options=list(texts_by_id),
                format_func=lambda fid: labels.get(fid, str(fid)),
                key="fu_edit_id",
            )
            new_text = st.text_area(
                texts.FOLLOWUPS_EDIT_TEXT,
                value=texts_by_id.get(pick, ""),
                max_chars=4000,
                key=f"fu_edit_text_{pick}",
            )
            if st.button(texts.FOLLOWUPS_EDIT_SAVE, key="fu_edit_save") and pick is not None:
                require_followups(view.user, view.tenant_id)
                try:
                    review.edit(view.url, view.tenant_id, int(pick), new_text, actor, role="reader")
                    st.success(texts.FOLLOWUPS_EDITED)
                    data.clear()
                except AllpfitError as exc:
                    st.error(texts.FOLLOWUPS_ACTION_FAILED)
                    with st.expander(texts.DB_DETAILS):
                        st.code(sidebar.masked_detail(exc), language=None)

# --- Results ---------------------------------------------------------------------------------
st.subheader(texts.FOLLOWUPS_RESULTS)
if by_step.empty:
    st.info(texts.FOLLOWUPS_RESULTS_EMPTY)
else:
    st.caption(texts.FOLLOWUPS_RESULTS_CAPTION)

    def _results(frame: pd.DataFrame, labels: dict[str, str] | None = None) -> pd.DataFrame:
        return pd.DataFrame(
            {
                texts.FOLLOWUPS_COL_GROUP: [
                    (labels or {}).get(g, g) if labels else f"{g}ª" for g in frame["grupo"]
                ],
                texts.FOLLOWUPS_COL_SENT: frame["enviados"].map(texts.fmt_int),
                texts.FOLLOWUPS_COL_REPLIED: frame["responderam"].map(texts.fmt_int),
                texts.FOLLOWUPS_COL_REPLY_RATE: [
                    texts.EMPTY if pd.isna(v) else texts.fmt_pct(float(v))
                    for v in frame["taxa_resposta"]
                ],
                texts.FOLLOWUPS_COL_CONVERSIONS: frame["conversoes"].map(texts.fmt_int),
                texts.FOLLOWUPS_COL_CONVERSION_RATE: [
                    texts.EMPTY if pd.isna(v) else texts.fmt_pct(float(v))
                    for v in frame["taxa_conversao"]
                ],
            }
        )

    left, right = st.columns(2)
    left.markdown(f"**{texts.FOLLOWUPS_BY_STEP}**")
    left.dataframe(_results(by_step), hide_index=True, width="stretch")
    right.markdown(f"**{texts.FOLLOWUPS_BY_VARIANT}**")
    right.dataframe(_results(by_variant, texts.FOLLOWUPS_VARIANT), hide_index=True, width="stretch")

if history:
    with st.expander(texts.FOLLOWUPS_HISTORY):
        st.dataframe(_frame(history, mode=True), hide_index=True, width="stretch")
