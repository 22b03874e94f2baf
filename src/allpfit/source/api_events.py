"""Chatwoot's `reporting_events` rebuilt from one conversation's messages, for the API source.

Chatwoot's Application API does not expose `reporting_events`, yet the extraction SQL
(`source/sql/events.sql`) reads its first response, reply, resolution, handoff and reopen
metrics from that table. Chatwoot writes those rows from listeners
(`app/listeners/reporting_event_listener.rb`) as each change happens; this module replays the
same rules over the conversation's timeline as the API shows it, the messages in time order,
so the mirror (`source/api_mirror.py`) can hold the rows Chatwoot would have written and the
same SQL serves both sources. It is pure: rows in, rows out, no I/O.

The input is the mirror's Chatwoot-shaped rows: a `conversations` row, its `messages` rows
(`message_type`, `private`, `sender_type`, `sender_id`, `content`, `content_attributes`,
`created_at` as naive UTC), and the inbox's bot and business-hours settings. What the timeline
cannot show is a status change without a trace; docs/data-model.md ("Columns from the API
source") lists every such case and what is done about it.

Rules, from Chatwoot's listeners and shared/chatwoot/README.md:

- `first_response`: the first human outgoing, non-private reply; value = reply − the last
  non-human activity (latest handoff or opening, else latest bot resolution, else creation).
- `reply_time`: each later human reply while the contact is waiting; value = reply −
  `waiting_since` (set by creation, an incoming message or a handoff; cleared by any bot or
  human reply and by resolution).
- `conversation_resolved`: each transition to resolved; value = resolution − creation.
  `conversation_bot_resolved`: its copy when the inbox has a bot and no `User` has ever sent an
  outgoing message (notes included).
- `conversation_bot_handoff`: the first pending → open in a bot inbox; value = handoff −
  creation. It also writes `conversation_opened`.
- `conversation_opened`: each transition to open; value = seconds since the latest
  resolution, 0 if none.
- `value_in_business_hours`: the same interval counted inside the inbox's working hours, in
  its time zone; 0 when working hours are off (`ReportingEventHelper#business_hours`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# conversations.status
OPEN, RESOLVED, PENDING, SNOOZED = 0, 1, 2, 3
# messages.message_type
INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3
BOT_SENDERS = ("AgentBot", "Captain::Assistant")

# Status changes written as activity lines (message_type 2), in Chatwoot's English and
# Brazilian Portuguese texts (config/locales/*.yml conversations.activity.status) and close
# variants. Assignment and team lines match none of them; label and priority lines are ruled
# out first, since a label may well be called "pendente" or "resolvido".
_NOT_STATUS = re.compile(
    r"\b(added|removed|adicionou|removeu|priority|prioridade)\b", re.IGNORECASE
)
_STATUS_LINES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (RESOLVED, re.compile(r"\bresolved\b|\bresolvid[ao]\b", re.IGNORECASE)),
    (
        OPEN,
        re.compile(
            r"\breopened\b|\bmarked open\b|\breabert[ao]\b|\bmarcad[ao] como abert[ao]\b",
            re.IGNORECASE,
        ),
    ),
    (SNOOZED, re.compile(r"\bsnoozed\b|\badiou\b|\badiad[ao]\b|\bsonec", re.IGNORECASE)),
    (PENDING, re.compile(r"\bpending\b|\bpendente\b", re.IGNORECASE)),
)


@dataclass(frozen=True)
class WorkingHours:
    """An inbox's business hours, as the API's inbox object gives them (`working_hours`,
    `timezone`): per weekday (0 = Sunday, Chatwoot's numbering) a list of open intervals in
    minutes since local midnight."""

    timezone: str = "UTC"
    days: Mapping[int, tuple[tuple[int, int], ...]] = field(default_factory=dict)

    @classmethod
    def from_api(cls, inbox: Mapping[str, Any]) -> WorkingHours | None:
        """None when the inbox has working hours off (then Chatwoot writes 0)."""
        if not inbox.get("working_hours_enabled"):
            return None
        days: dict[int, tuple[tuple[int, int], ...]] = {}
        for wh in inbox.get("working_hours") or []:
            if wh.get("closed_all_day"):
                continue
            if wh.get("open_all_day"):
                days[int(wh["day_of_week"])] = ((0, 24 * 60),)
                continue
            start = int(wh.get("open_hour") or 0) * 60 + int(wh.get("open_minutes") or 0)
            end = int(wh.get("close_hour") or 0) * 60 + int(wh.get("close_minutes") or 0)
            if end > start:
                days[int(wh["day_of_week"])] = ((start, end),)
        return cls(timezone=inbox.get("timezone") or "UTC", days=days)

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) (naive UTC) inside working hours, counted on the inbox's
        local wall clock as the business_time gem does (one step per day of the interval)."""
        if end <= start or not self.days:
            return 0.0
        zone = ZoneInfo(self.timezone)
        lo = start.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        hi = end.replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None)
        total = 0.0
        day = lo.replace(hour=0, minute=0, second=0, microsecond=0)
        while day < hi:
            weekday = (day.weekday() + 1) % 7  # Python: Monday = 0; Chatwoot: Sunday = 0
            for open_min, close_min in self.days.get(weekday, ()):
                a = max(lo, day + timedelta(minutes=open_min))
                b = min(hi, day + timedelta(minutes=close_min))
                if b > a:
                    total += (b - a).total_seconds()
            day += timedelta(days=1)
        return total


@dataclass(frozen=True)
class ReportingEvent:
    """One `reporting_events` row (naive UTC timestamps, as Chatwoot stores them)."""

    name: str
    value: float
    value_in_business_hours: float
    account_id: int | None
    inbox_id: int | None
    user_id: int | None
    conversation_id: int
    event_start_time: datetime
    event_end_time: datetime
    created_at: datetime
    updated_at: datetime

    def row(self) -> dict[str, Any]:
        return asdict(self)


def status_change(content: str | None) -> int | None:
    """The status an activity line announces (OPEN, RESOLVED, SNOOZED, PENDING), or None."""
    if not content or _NOT_STATUS.search(content):
        return None
    for status, pattern in _STATUS_LINES:
        if pattern.search(content):
            return status
    return None


def _attrs(value: Any) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, Mapping) else {}


def _is_human(m: Mapping[str, Any]) -> bool:
    """Chatwoot's `human_response?`: an outgoing message from a User, or echoed from the
    native WhatsApp app."""
    if m.get("sender_type") == "User":
        return True
    return m.get("sender_type") is None and _attrs(m.get("content_attributes")).get(
        "external_echo"
    ) in (True, "true")


def _status(value: Any) -> int:
    names = {"open": OPEN, "resolved": RESOLVED, "pending": PENDING, "snoozed": SNOOZED}
    return names[value] if isinstance(value, str) else int(value)


class _Replay:
    """Chatwoot's per-conversation state while the timeline is replayed."""

    def __init__(
        self, conversation: Mapping[str, Any], bot_inbox: bool, hours: WorkingHours | None
    ) -> None:
        self.c = conversation
        self.created: datetime = conversation["created_at"]
        self.bot_inbox, self.hours = bot_inbox, hours
        self.status = PENDING if bot_inbox else OPEN
        self.waiting_since: datetime | None = self.created
        self.first_reply = False
        self.user_spoke = False  # any outgoing message from a User, notes included
        self.handed_off = False
        self.last_resolved: datetime | None = None
        self.last_opened: datetime | None = None  # latest handoff or opening
        self.last_bot_resolved: datetime | None = None
        self.last_bot_at: datetime | None = None  # the bot's latest message
        self.events: list[ReportingEvent] = []

    def emit(
        self, name: str, start: datetime, end: datetime, value: float, user_id: int | None = None
    ) -> None:
        business = self.hours.seconds_between(start, end) if self.hours else 0.0
        if user_id is None:
            user_id = self.c.get("assignee_id")
        self.events.append(
            ReportingEvent(
                name=name,
                value=float(value),
                value_in_business_hours=float(business),
                account_id=self.c.get("account_id"),
                inbox_id=self.c.get("inbox_id"),
                user_id=user_id,
                conversation_id=int(self.c["id"]),
                event_start_time=start,
                event_end_time=end,
                created_at=end,
                updated_at=end,
            )
        )

    # --- transitions ----------------------------------------------------------------
    def open(self, at: datetime) -> None:
        if self.status == OPEN:
            return
        if self.status == PENDING and self.bot_inbox and not self.handed_off:
            self.handed_off = True
            seconds = (at - self.created).total_seconds()
            self.emit("conversation_bot_handoff", self.created, at, seconds)
        if self.status == PENDING and self.bot_inbox and self.waiting_since is None:
            self.waiting_since = at  # Conversation#bot_handoff! starts the wait
        since = self.last_resolved
        value = (at - since).total_seconds() if since is not None else 0.0
        self.emit("conversation_opened", since or at, at, value)
        self.status, self.last_opened = OPEN, at

    def resolve(self, at: datetime) -> None:
        if self.status == RESOLVED:
            return
        seconds = (at - self.created).total_seconds()
        self.emit("conversation_resolved", self.created, at, seconds)
        if self.bot_inbox and not self.user_spoke:
            self.emit("conversation_bot_resolved", self.created, at, seconds)
            self.last_bot_resolved = at
        self.status, self.waiting_since, self.last_resolved = RESOLVED, None, at

    # --- messages -------------------------------------------------------------------
    def message(self, m: Mapping[str, Any]) -> None:
        at: datetime = m["created_at"]
        kind = int(m["message_type"])
        if kind == ACTIVITY:
            self.activity(at, status_change(m.get("content")))
        elif kind == INCOMING:
            if self.status == RESOLVED:
                # Message#reopen_conversation: pending again while a bot is connected
                if self.bot_inbox:
                    self.status = PENDING
                else:
                    self.open(at)
            elif self.status == SNOOZED:
                self.open(at)
            if self.waiting_since is None:
                self.waiting_since = at
        elif kind == OUTGOING:  # templates (greeting, CSAT prompt) change nothing here
            self.outgoing(m, at)

    def activity(self, at: datetime, change: int | None) -> None:
        if change == RESOLVED:
            self.resolve(at)
        elif change == OPEN:
            self.open(at)
        elif change in (SNOOZED, PENDING) and self.status != RESOLVED:
            self.status = change
        elif change is None and self.status == PENDING and self.last_bot_at is not None:
            # an assignment line while the bot holds the conversation: the handoff
            self.open(at)

    def outgoing(self, m: Mapping[str, Any], at: datetime) -> None:
        if m.get("sender_type") == "User":
            self.user_spoke = True
        if m.get("private"):
            return
        if m.get("sender_type") in BOT_SENDERS:
            self.last_bot_at = at
            self.waiting_since = None
            return
        if not _is_human(m):
            return
        if self.status == PENDING and self.bot_inbox:
            # handed off with no trace: the bot gave up at its last message
            self.open(self.last_bot_at or at)
        if not self.first_reply:
            self.first_reply = True
            start = self.last_opened or self.last_bot_resolved or self.created
            seconds = (at - start).total_seconds()
            self.emit("first_response", start, at, seconds, user_id=m.get("sender_id"))
        elif self.waiting_since is not None:
            since = self.waiting_since
            self.emit("reply_time", since, at, (at - since).total_seconds())
        self.waiting_since = None


def derive_events(
    conversation: Mapping[str, Any],
    messages: Sequence[Mapping[str, Any]],
    *,
    bot_inbox: bool,
    hours: WorkingHours | None = None,
) -> list[ReportingEvent]:
    """The `reporting_events` rows Chatwoot would hold for `conversation`.

    `conversation` needs `id`, `account_id`, `inbox_id`, `assignee_id`, `status` (int or
    Chatwoot's name), `created_at` and `updated_at`; `messages` are its rows in any order.
    `bot_inbox` says whether the inbox has an active agent bot (conversations start pending
    and bot resolutions are counted); `hours` the inbox's working hours (None = off).
    """
    replay = _Replay(conversation, bot_inbox, hours)
    for m in sorted(messages, key=lambda m: (m["created_at"], m["id"])):
        replay.message(m)
    # The final status is known even when its change left no trace in the timeline: the
    # change is placed at the conversation's last update (see docs/data-model.md).
    final = _status(conversation["status"])
    updated: datetime = conversation.get("updated_at") or conversation["created_at"]
    if final == RESOLVED and replay.status != RESOLVED:
        replay.resolve(updated)
    elif final == OPEN and replay.status != OPEN:
        replay.open(updated)
    return replay.events
