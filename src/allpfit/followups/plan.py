"""`allpfit followups plan`: one row per lead conversation and step, due after the lead's
last message, for the manager to review.

Rules (docs/followups.md): a candidate is a conversation passing `rules.not_eligible` (a new
lead, not converted, not opted out, with the analysis' suggestion), the latest one of its
contact. Step k is due `step_days[k]` days after the local date of the lead's last message,
moved to the next open day when the business is closed. Only steps due from yesterday up to
LOOKAHEAD_DAYS ahead are written (a lead from last month gets no "1 day later" now).

Re-planning never deletes: a proposed or approved row whose lead wrote again is moved to the
new dates (approval withdrawn: the context changed; an edited text is kept); one whose lead is
no longer eligible is cancelled with the reason. Sent, skipped and other final rows stay as
they are, and a step is never planned twice for a conversation (unique key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from psycopg.rows import dict_row

from allpfit import db
from allpfit.config import Settings
from allpfit.followups import compose, rules
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant

GRACE_DAYS = 1
LOOKAHEAD_DAYS = 7
OPEN = ("proposed", "approved")


@dataclass
class PlanResult:
    created: int = 0
    replanned: int = 0
    cancelled: int = 0
    candidates: int = 0


def business_texts(tenant: Tenant, settings: Settings) -> tuple[str, str]:
    """(business name, description) the messages speak of: the tenant's own, else the
    install's BUSINESS_NAME / BUSINESS_DESCRIPTION (as the analysis prompt does)."""
    name = tenant.name if tenant.id != DEFAULT_TENANT_ID else settings.business_name
    return name, tenant.business_description or settings.business_description


def local_day(moment: datetime, tz: str) -> date:
    return moment.astimezone(ZoneInfo(tz)).date()


def plan(
    url: str, tenant: Tenant, settings: Settings, *, now: datetime | None = None
) -> PlanResult:
    """Plan (or re-plan) the tenant's follow-ups; one transaction."""
    now = now or datetime.now(UTC)
    tz = tenant.tz(settings)
    today = local_day(now, tz)
    result = PlanResult()
    _, description = business_texts(tenant, settings)
    line = compose.business_line(description)
    with db.tenant_transaction(url, tenant.id) as conn:
        cfg = rules.load_settings(conn)
        since = now - timedelta(days=max(cfg.step_days) + LOOKAHEAD_DAYS + GRACE_DAYS + 1)
        latest: dict[Any, dict[str, Any]] = {}
        for state in rules.conversation_states(conn, since=since):
            if rules.not_eligible(state) is not None:
                continue
            key = state["contact_id"] if state["contact_id"] is not None else (
                "conversation", state["conversation_id"])  # fmt: skip
            latest[key] = state  # ordered by anchor: the last one wins
        candidates = {s["conversation_id"]: s for s in latest.values()}
        result.candidates = len(candidates)
        existing = _existing(conn)
        for conversation_id, state in candidates.items():
            rows = existing.get(conversation_id, {})
            variant = compose.variant_for(tenant.id, conversation_id, bool(line))
            anchor_day = local_day(state["anchor_at"], tz)
            for index, days in enumerate(cfg.step_days, start=1):
                due = rules.due_date(anchor_day, days, cfg.closed_weekdays)
                text = compose.compose(
                    state["sugestao_disparo"], step=index, steps=len(cfg.step_days),
                    variant=variant, business=line,
                )  # fmt: skip
                row = rows.get(index)
                if row is None:
                    if (
                        today - timedelta(days=GRACE_DAYS)
                        <= due
                        <= today + timedelta(days=LOOKAHEAD_DAYS)
                    ):
                        _insert(conn, state, index, days, due, variant, text)
                        result.created += 1
                elif row["status"] in OPEN and row["anchor_at"] != state["anchor_at"]:
                    _replan(conn, row["id"], state, days, due, text, keep_text=row["edited"])
                    result.replanned += 1
        newer = {s["contact_id"] for s in candidates.values() if s["contact_id"] is not None}
        result.cancelled = _cancel_ineligible(conn, set(candidates), newer)
    return result


def _existing(conn: psycopg.Connection) -> dict[int, dict[int, dict[str, Any]]]:
    out: dict[int, dict[int, dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for row in cur.execute(
            "SELECT id, conversation_id, step, status, anchor_at, edited FROM followups"
        ):
            out.setdefault(row["conversation_id"], {})[row["step"]] = row
    return out


def _insert(
    conn: psycopg.Connection,
    state: dict[str, Any],
    step: int,
    days: int,
    due: date,
    variant: str,
    text: str,
) -> None:
    conn.execute(
        """INSERT INTO followups (conversation_id, display_id, contact_id, step, step_days,
                                  anchor_at, due_on, variant, message_text)
           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)
           ON CONFLICT (tenant_id, conversation_id, step) DO NOTHING""",
        (state["conversation_id"], state["display_id"], state["contact_id"], step, days,
         state["anchor_at"], due, variant, text),
    )  # fmt: skip


def _replan(
    conn: psycopg.Connection,
    followup_id: int,
    state: dict[str, Any],
    days: int,
    due: date,
    text: str,
    *,
    keep_text: bool,
) -> None:
    conn.execute(
        """UPDATE followups
           SET anchor_at = %s, due_on = %s, step_days = %s,
               message_text = CASE WHEN %s THEN message_text ELSE %s END,
               status = 'proposed', approved_by = NULL, approved_at = NULL,
               reason = 'replanned: the lead wrote again', updated_at = now()
           WHERE id = %s AND status IN ('proposed', 'approved')""",
        (state["anchor_at"], due, days, keep_text, text, followup_id),
    )


def _cancel_ineligible(
    conn: psycopg.Connection, candidates: set[int], contacts_with_candidate: set[int]
) -> int:
    """Cancel open rows of conversations that may no longer get a follow-up, with the reason
    (an older conversation of a contact who has a newer candidate counts as one)."""
    open_ids = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT conversation_id FROM followups "
            "WHERE status IN ('proposed', 'approved')"
        )
        if r[0] not in candidates
    ]
    if not open_ids:
        return 0
    states = {s["conversation_id"]: s for s in rules.conversation_states(conn, open_ids)}
    cancelled = 0
    for conversation_id in open_ids:
        state = states.get(conversation_id)
        reason = rules.not_eligible(state)
        if reason is None and state is not None:
            if state["contact_id"] not in contacts_with_candidate:
                continue  # still eligible, only older than the plan looks: left as it is
            reason = "the contact has a newer conversation"
        cur = conn.execute(
            """UPDATE followups SET status = 'cancelled', reason = %s, updated_at = now()
               WHERE conversation_id = %s AND status IN ('proposed', 'approved')""",
            (reason, conversation_id),
        )
        cancelled += cur.rowcount
    return cancelled
