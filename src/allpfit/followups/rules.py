"""The rules every follow-up obeys, defined once: the tenant's settings, when a step is due
(never on a day the business is closed), who may get one (a new lead, not converted, not
opted out), and which Chatwoot message a follow-up may be (WhatsApp's 24-hour window).

The plan, the review, the sender and the dashboard all call these functions, so "may this lead
get a message?" has one answer, asked again right before a send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from allpfit.errors import ConfigError, InputError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # ISO 1..7
WINDOW = timedelta(hours=24)  # WhatsApp's customer-service window
# Channels whose provider allows free text only within 24 h of the customer's last message.
WINDOW_CHANNELS = frozenset({"Channel::Whatsapp"})
TEMPLATE_PARAM_SOURCES = ("first_name", "contact_name", "business_name")
MAX_STEPS = 10


@dataclass(frozen=True)
class FollowupSettings:
    """One tenant's follow-up settings (`followup_settings`; absent row = these defaults)."""

    step_days: tuple[int, ...] = (1, 3, 7)
    closed_weekdays: tuple[int, ...] = ()  # ISO weekdays, 1 = Monday
    daily_cap: int = 50
    send_as: str = "message"  # or "private_note": the agent sends it
    template_name: str | None = None
    template_language: str | None = None
    template_category: str = "MARKETING"
    template_body: str | None = None
    template_params: tuple[str, ...] = field(default_factory=tuple)

    @property
    def has_template(self) -> bool:
        return bool(self.template_name and self.template_language and self.template_body)


def load_settings(conn: psycopg.Connection) -> FollowupSettings:
    """The settings of the session's tenant (a tenant connection)."""
    with conn.cursor(row_factory=dict_row) as cur:
        row = cur.execute(
            """SELECT step_days, closed_weekdays, daily_cap, send_as, template_name,
                      template_language, template_category, template_body, template_params
               FROM followup_settings"""
        ).fetchone()
    if row is None:
        return FollowupSettings()
    return FollowupSettings(
        step_days=tuple(row["step_days"]),
        closed_weekdays=tuple(row["closed_weekdays"]),
        daily_cap=row["daily_cap"],
        send_as=row["send_as"],
        template_name=row["template_name"],
        template_language=row["template_language"],
        template_category=row["template_category"],
        template_body=row["template_body"],
        template_params=tuple(row["template_params"]),
    )


def save_settings(conn: psycopg.Connection, values: dict[str, Any], actor: str) -> None:
    """Insert or update the session tenant's settings with `values` (column → value)."""
    allowed = {
        "step_days", "closed_weekdays", "daily_cap", "send_as", "template_name",
        "template_language", "template_category", "template_body", "template_params",
    }  # fmt: skip
    unknown = set(values) - allowed
    if unknown:
        raise ValueError(f"unknown follow-up settings: {sorted(unknown)}")
    cols = sorted(values)
    try:
        conn.execute(
            "INSERT INTO followup_settings DEFAULT VALUES ON CONFLICT (tenant_id) DO NOTHING"
        )
        if cols:
            assignments = ", ".join(f"{c} = %({c})s" for c in cols)
            conn.execute(
                f"UPDATE followup_settings SET {assignments}, updated_at = now(), "
                "updated_by = %(actor)s",
                {**values, "actor": actor},
            )
    except psycopg.errors.CheckViolation as exc:
        raise InputError(
            f"The follow-up settings were not saved: a value breaks the rule "
            f"{exc.diag.constraint_name or 'of followup_settings'}.",
            hint="Steps are 1-90 days (at most 10), closed days mon..sun (not all seven), "
            "the cap 0-10000; a template needs --template-language and --template-body.",
        ) from None


def parse_steps(text: str) -> list[int]:
    """ "1,3,7" → [1, 3, 7]: ascending, distinct, 1..90 days, at most MAX_STEPS."""
    try:
        days = [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError:
        days = []
    if (
        not days
        or len(days) > MAX_STEPS
        or days != sorted(set(days))
        or not all(1 <= d <= 90 for d in days)
    ):
        raise InputError(
            f"Follow-up steps {text!r} are not a list of days.",
            hint="Give ascending whole days after the lead's last message, 1 to 90, at most "
            f"{MAX_STEPS}, e.g. --steps 1,3,7.",
        )
    return days


def parse_weekdays(text: str) -> list[int]:
    """ "sat,sun" → [6, 7] (ISO); "" → [] (open every day); never all seven."""
    names = [part.strip().lower()[:3] for part in text.split(",") if part.strip()]
    bad = [n for n in names if n not in WEEKDAYS]
    days = sorted({WEEKDAYS.index(n) + 1 for n in names if n in WEEKDAYS})
    if bad or len(days) == 7:
        raise InputError(
            f"Closed days {text!r} are not weekdays the business could be closed on.",
            hint="Give English weekday abbreviations (mon,tue,wed,thu,fri,sat,sun), not all "
            "seven; an empty value means open every day.",
        )
    return days


def due_date(anchor_day: date, days: int, closed: tuple[int, ...] | list[int]) -> date:
    """The day a step `days` after `anchor_day` goes out: that day, or the next day the
    business is open (a message on a closed day would invite a visit nobody can receive)."""
    due = anchor_day + timedelta(days=days)
    for _ in range(7):  # bounded: at most six days are closed
        if due.isoweekday() not in closed:
            return due
        due += timedelta(days=1)
    raise ConfigError(
        "Every weekday is marked closed in the follow-up settings.",
        hint="Run `allpfit followups configure --closed-days ...` with fewer days.",
    )


# --- Who may get a follow-up (the one eligibility check) --------------------------------------

# The state of each conversation the check needs, through a tenant session (row-level
# security limits it to the tenant). A lead (is_lead, migration 0080) whose analysis says
# new_lead; a contact with an active opt-out (contact_opt_outs_active, the one definition of
# it) or a sale (lead_sales, the one definition of a conversion) is out.
STATE_SQL = """
SELECT ca.conversation_id, ca.display_id, ca.contact_id, ca.contact_name, ca.channel_type,
       ca.is_lead, ca.last_contact_message_at AS anchor_at, ai.intent, ai.sugestao_disparo,
       EXISTS (SELECT 1 FROM contact_opt_outs_active o WHERE o.contact_id = ca.contact_id)
           AS opted_out,
       EXISTS (SELECT 1 FROM lead_sales s
               WHERE s.conversation_id = ca.conversation_id
                  OR (ca.contact_id IS NOT NULL AND s.contact_id = ca.contact_id)) AS converted
FROM conversas_analytics ca
LEFT JOIN conversas_analytics_ai ai
       ON ai.tenant_id = ca.tenant_id AND ai.conversation_id = ca.conversation_id
"""


def conversation_states(
    conn: psycopg.Connection,
    conversation_ids: list[int] | None = None,
    since: datetime | None = None,
) -> list[dict[str, Any]]:
    """The STATE_SQL rows of some conversations (by id), or of every lead whose last message
    is after `since` (the plan's candidates)."""
    with conn.cursor(row_factory=dict_row) as cur:
        if conversation_ids is not None:
            return cur.execute(
                STATE_SQL + " WHERE ca.conversation_id = ANY(%s)", (conversation_ids,)
            ).fetchall()
        return cur.execute(
            STATE_SQL + " WHERE ca.is_lead AND ca.last_contact_message_at >= %s "
            "ORDER BY ca.last_contact_message_at, ca.conversation_id",
            (since,),
        ).fetchall()


def not_eligible(state: dict[str, Any] | None) -> str | None:
    """Why this conversation may not get a follow-up (English, for the record), or None."""
    if state is None:
        return "the conversation is no longer in the analytics database"
    if state["opted_out"]:
        return "the contact asked not to be contacted"
    if state["converted"]:
        return "the lead already became a customer (CRM sale)"
    if not state["is_lead"] or state["intent"] != "new_lead":
        return f"not a new lead (intent: {state['intent'] or 'not analysed'})"
    if state["display_id"] is None or state["anchor_at"] is None:
        return "the conversation has no lead message or no Chatwoot number"
    if not (state["sugestao_disparo"] or "").strip():
        return "the analysis has no follow-up suggestion"
    return None


# --- Which message Chatwoot may carry ----------------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """How one follow-up goes into Chatwoot, or why it cannot (`mode` None, `reason`)."""

    mode: str | None  # "message", "private_note", "template"
    content: str = ""
    template_params: dict[str, Any] | None = None
    reason: str | None = None


def first_name(name: str | None) -> str:
    """The first word of a contact's name, or "" (a phone number is no name)."""
    word = (name or "").strip().split(" ")[0] if (name or "").strip() else ""
    return word if word and not any(ch.isdigit() for ch in word) else ""


def delivery(
    cfg: FollowupSettings,
    *,
    text: str,
    channel_type: str | None,
    last_incoming: datetime | None,
    now: datetime,
    contact_name: str | None,
    business_name: str,
) -> Delivery:
    """The message a follow-up becomes. A private note is for the agent (no window applies:
    nothing reaches the lead). On WhatsApp, free text only within 24 h of the lead's last
    message; outside, the tenant's approved template, or nothing (with the reason)."""
    if cfg.send_as == "private_note":
        return Delivery("private_note", text)
    if channel_type not in WINDOW_CHANNELS:
        return Delivery("message", text)
    if last_incoming is not None and now - last_incoming < WINDOW:
        return Delivery("message", text)
    if not cfg.has_template:
        return Delivery(
            None,
            reason="outside WhatsApp's 24-hour window and no approved template is configured",
        )
    values = {
        "first_name": first_name(contact_name) or "tudo bem",
        "contact_name": (contact_name or "").strip() or "tudo bem",
        "business_name": business_name,
    }
    params = [values[source] for source in cfg.template_params]
    body = cfg.template_body or ""
    for number, value in enumerate(params, start=1):
        body = body.replace("{{" + str(number) + "}}", value)
    return Delivery(
        "template",
        body,
        {
            "name": cfg.template_name,
            "category": cfg.template_category,
            "language": cfg.template_language,
            "processed_params": {"body": {str(i): v for i, v in enumerate(params, start=1)}},
        },
    )
