"""What the lead page shows, worked out without Streamlit: chat bubbles, profile lines, CRM lines.

The page (app_pages/lead.py) only draws these. Kept apart so every rule (who a message is
from, the time zone of its time, which profile fields show and how) is tested as plain
functions. Text from the conversation is handed to the page as plain text: it is drawn with
`st.text`, never as Markdown or HTML, so a lead who writes a link or an image tag gets
neither rendered.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd

from allpfit.dashboard import texts
from allpfit.dashboard.queries import CrmStatus

LEAD_PAGE = "app_pages/lead.py"
LEAD_URL_PATH = "lead"
LEAD_PARAM = "conversa"  # ?conversa=<conversation id>
LEADS_LINK_KEY = "_allpfit_leads_link"  # the lead table's query string, for the way back
MAX_MESSAGES = 2000  # bubbles drawn for one conversation; longer ones say how many are left out
_MAX_ID = 2**31 - 1  # conversation ids are PostgreSQL integers


@dataclass(frozen=True)
class Bubble:
    """One message as the page draws it."""

    kind: str  # contact, bot, agent or system
    name: str  # "Lead", "Bot", "Atendente", "Sistema"
    avatar: str  # a Material icon shipped with Streamlit (no download)
    time: str  # dd/mm/aaaa hh:mm in the business time zone, "" when unknown
    text: str


_WHO = {
    "contact": (texts.SENDERS["contact"], ":material/person:"),
    "bot": (texts.SENDERS["bot"], ":material/smart_toy:"),
    "agent": (texts.SENDERS["agent"], ":material/support_agent:"),
    "system": (texts.LEAD_SYSTEM, ":material/info:"),
}


# Bubbles told apart at a glance: the lead's on the left in green, the gym's (bot, agent) pushed
# right in their own tints. Streamlit labels each message "Chat message from <name>"; the names
# are this module's constants, never conversation text.
_TINTS = {
    texts.SENDERS["contact"]: ("rgba(37, 211, 102, 0.12)", "right"),
    texts.SENDERS["bot"]: ("rgba(99, 132, 255, 0.12)", "left"),
    texts.SENDERS["agent"]: ("rgba(255, 171, 64, 0.14)", "left"),
}
BUBBLE_CSS = (
    "<style>\n"
    + "\n".join(
        f'[data-testid="stChatMessage"]:has([aria-label="Chat message from {name}"]) '
        f"{{ background: {tint}; width: 85% !important; margin-{side}: auto; "
        "border-radius: 0.75rem; box-sizing: border-box; }"
        for name, (tint, side) in _TINTS.items()
    )
    + "\n</style>"
)


def parse_id(value: object) -> int | None:
    """The link's conversation id, or None when it is not a plain positive integer."""
    text = str(value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    number = int(text)
    return number if 0 < number <= _MAX_ID else None


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo else None
    return None


def bubbles(messages: list[dict[str, Any]], tz: str) -> tuple[list[Bubble], int]:
    """`message_compiled` → (the first MAX_MESSAGES bubbles, how many messages there are).

    Lead, bot, agent and system messages each get their own name and avatar; a message with
    no text (an attachment) says so; times are shown in the business time zone `tz`.
    """
    shown = []
    for message in messages[:MAX_MESSAGES]:
        kind = str(message.get("sender"))
        if kind not in _WHO:
            kind = "system"
        name, avatar = _WHO[kind]
        text = message.get("text")
        body = text.strip() if isinstance(text, str) and text.strip() else texts.LEAD_ATTACHMENT
        shown.append(
            Bubble(kind, name, avatar, texts.fmt_datetime(_moment(message.get("at")), tz), body)
        )
    return shown, len(messages)


def _value(key: str, value: Any, tz: str) -> str:
    """One profile value as staff read it."""
    if value is None or value == "":
        return texts.EMPTY
    if isinstance(value, bool):
        return texts.YES_NO[0] if value else texts.YES_NO[1]
    if key == "probabilidade_conversao":
        return f"{int(value)} de 5"
    if key == "intent":
        return texts.INTENTS.get(str(value), str(value))
    if key == "provider":
        return texts.PROVIDERS.get(str(value), str(value))
    if key == "data_visita":
        try:
            return texts.fmt_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    if key == "analisado_em":
        return texts.fmt_datetime(_moment(value), tz) or str(value)
    if key == "cost_usd":
        return texts.fmt_decimal(float(Decimal(str(value))), 4)
    if isinstance(value, int):
        return texts.fmt_int(value)
    return str(value)


def profile_lines(profile: dict[str, Any], tz: str) -> list[tuple[str, str]]:
    """(label, value) of every profile field staff read, in `texts.PROFILE_FIELDS` order; a
    field the database does not have (`intent` before migration 0080) is left out. The
    analysis and the follow-up have their own places on the page."""
    lines = []
    for key, label in texts.PROFILE_FIELDS.items():
        if key not in profile:
            continue
        value = profile[key]
        if key == "data_visita" and value is None and profile.get("visita_agendada"):
            lines.append((label, texts.VISIT_NO_DATE))
            continue
        lines.append((label, _value(key, value, tz)))
    return lines


def crm_lines(customer: CrmStatus, *, mask_phones: bool) -> list[tuple[str, str]]:
    """(label, value) of one matched CRM customer; phone and a name that is a phone masked as
    everywhere else."""
    labels = texts.CRM_FIELDS
    return [
        (labels["name"], texts.mask_name(customer.name or "", mask=mask_phones) or texts.EMPTY),
        (labels["phone"], texts.format_phone(customer.phone, mask=mask_phones) or texts.EMPTY),
        (labels["status"], customer.status or texts.EMPTY),
        (labels["source"], texts.CRM_SOURCES.get(customer.source, customer.source)),
        (labels["match"], texts.MATCH_TYPES.get(customer.match_type, customer.match_type)),
    ]


def table(lines: list[tuple[str, str]]) -> pd.DataFrame:
    """(label, value) lines as a two-column table for `st.table` (labels as its index)."""
    frame = pd.DataFrame(
        {texts.LEAD_VALUE: [value for _, value in lines]},
        index=pd.Index([label for label, _ in lines], name=texts.LEAD_FIELD),
    )
    return frame


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain_markdown(text: str) -> str:
    """`text` with every Markdown character escaped: a contact's name in a title stays text
    (no link, no image fetched from the internet)."""
    return _MARKDOWN.sub(r"\\\1", " ".join(text.split()))
