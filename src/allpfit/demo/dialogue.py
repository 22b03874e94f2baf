"""One conversation's timeline, kept consistent the way Chatwoot keeps it.

`Dialogue` is a small state machine over Chatwoot's rules (shared/chatwoot/README.md): every
message moves the clock forward, and each primitive updates what Chatwoot would update at
that moment: status, `waiting_since`, `first_reply_created_at`, the reporting events (with
their start point for the first response), assignment and labels. The scripts in
`demo/scripts.py` only say *what* happens; the bookkeeping lives here, in one place.

Times are integer epoch seconds (UTC). Nothing may happen after `end`: the primitive that
would cross it raises `Stop`, and the conversation simply keeps the state it had then (a bot
still talking stays pending, a human chat stays open).
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date
from types import ModuleType

from allpfit.demo import intents, phrases

LOCAL_OFFSET = -3 * 3600  # America/Sao_Paulo (no daylight saving since 2019)

# conversations.status
OPEN, RESOLVED, PENDING, SNOOZED = 0, 1, 2, 3
# messages.message_type
INCOMING, OUTGOING, ACTIVITY, TEMPLATE = 0, 1, 2, 3


class Stop(Exception):
    """The next step would happen after the end of the generated period."""


@dataclass(slots=True)
class Message:
    at: int
    message_type: int
    content: str | None
    sender_type: str | None
    sender_id: int | None
    private: bool = False
    content_type: int = 0
    file_type: int | None = None  # attachments.file_type when the message carries a file
    content_attributes: str = "{}"
    updated_at: int | None = None


@dataclass(slots=True)
class Event:
    name: str
    value: int
    user_id: int | None
    start: int
    end: int


@dataclass(frozen=True)
class Agent:
    id: int
    name: str
    short: str


@dataclass(frozen=True)
class Cast:
    """The account's fixed people: the bot, the agents and the teams (ids and names)."""

    bot_id: int
    bot_name: str
    agents: tuple[Agent, ...]
    teams: tuple[tuple[int, str], ...]


@dataclass
class Csat:
    message_index: int
    rating: int
    feedback: str | None
    at: int


@dataclass
class Dialogue:
    rng: random.Random
    cast: Cast
    start: int
    end: int
    has_bot: bool
    lead_name: str
    t: int = 0
    status: int = OPEN
    messages: list[Message] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)
    assignee: Agent | None = None
    team_id: int | None = None
    priority: int | None = None
    waiting_since: int | None = None
    first_reply: int | None = None
    human_spoke: bool = False
    handed_off: bool = False
    last_resolved: int | None = None
    last_opened: int | None = None
    last_bot_resolved: int | None = None
    snoozed_until: int | None = None
    agent_seen: int | None = None
    csat: Csat | None = None
    touched: int = 0
    text: ModuleType = phrases  # the business's words (demo/phrases.py, phrases_pilates.py)
    # The hidden purchase propensity of a new lead (demo/intents.py): steers the script.
    propensity: float = intents.MEAN_PROPENSITY
    visit_day: date | None = None  # the trial class's local day, when one was booked

    def __post_init__(self) -> None:
        self.t = self.touched = self.start
        self.waiting_since = self.start
        self.status = PENDING if self.has_bot else OPEN

    # --- clock -------------------------------------------------------------------------
    def _advance(self, gap: float) -> None:
        at = self.t + max(1, int(gap))
        if at > self.end:
            raise Stop
        self.t = at

    def lead_gap(self) -> float:
        if self.rng.random() < 0.05:
            return self.rng.uniform(3600, 20 * 3600)
        return min(3 * 3600, self.rng.lognormvariate(math.log(50), 1.0))

    def agent_gap(self) -> float:
        """Minutes in business hours; otherwise the next morning (São Paulo time)."""
        local = self.t + LOCAL_OFFSET
        hour = local // 3600 % 24
        weekday = (local // 86400 + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        closed = weekday == 6 or hour < 7 or hour >= 21 or (weekday == 5 and hour >= 14)
        if not closed:
            return min(4 * 3600, 15 + self.rng.lognormvariate(math.log(200), 1.1))
        if weekday == 6:
            days = 1  # Sunday -> Monday
        elif weekday == 5 and hour >= 14:
            days = 2  # Saturday afternoon -> Monday
        elif hour >= 21:
            days = 1
        else:
            days = 0  # before opening: this morning
        opening = (local // 86400 + days) * 86400 + 8 * 3600 - LOCAL_OFFSET
        return opening - self.t + self.rng.uniform(0, 5400)

    # --- messages ----------------------------------------------------------------------
    def lead(self, text: str, gap: float | None = None) -> None:
        self._advance(self.lead_gap() if gap is None else gap)
        if self.status == RESOLVED:
            self._reopen()
        elif self.status == SNOOZED:
            self._open()
        content: str | None = text
        file_type = None
        if self.rng.random() < 0.04:
            content, file_type = None, (1 if self.rng.random() < 0.7 else 0)
        self.messages.append(
            Message(self.t, INCOMING, content, "Contact", None, False, 0, file_type)
        )
        if self.waiting_since is None:
            self.waiting_since = self.t

    def bot(self, text: str, gap: float | None = None) -> None:
        self._advance(self.rng.randint(2, 12) if gap is None else gap)
        self.messages.append(Message(self.t, OUTGOING, text, "AgentBot", self.cast.bot_id))
        self.waiting_since = None

    def agent(self, text: str, gap: float | None = None) -> None:
        assert self.assignee is not None
        self._advance(self.agent_gap() if gap is None else gap)
        who = self.assignee
        self.messages.append(Message(self.t, OUTGOING, text, "User", who.id))
        if self.first_reply is None:
            self.first_reply = self.touched = self.t
            since = self.last_opened or self.last_bot_resolved or self.start
            self.events.append(Event("first_response", self.t - since, who.id, since, self.t))
        elif self.waiting_since is not None:
            value = self.t - self.waiting_since
            self.events.append(Event("reply_time", value, who.id, self.waiting_since, self.t))
        self.waiting_since = None
        self.human_spoke = True
        self.agent_seen = self.t

    def note(self, text: str) -> None:
        assert self.assignee is not None
        self._advance(self.rng.randint(10, 600))
        self.messages.append(Message(self.t, OUTGOING, text, "User", self.assignee.id, True))
        self.agent_seen = self.t

    def activity(self, text: str) -> None:
        self.messages.append(Message(self.t, ACTIVITY, text, None, None))

    def label(self, name: str) -> None:
        self.labels.setdefault(name, self.t)

    # --- status changes ----------------------------------------------------------------
    def assign(self, by: str) -> None:
        if self.assignee is None:
            self.assignee = self.rng.choice(self.cast.agents)
            self.activity(phrases.ACTIVITY_ASSIGNED.format(agent=self.assignee.short, by=by))
        if self.team_id is None:
            self.team_id, team = self.cast.teams[0 if self.rng.random() < 0.85 else -1]
            self.activity(phrases.ACTIVITY_TEAM.format(team=team, by=by))
        if self.priority is None and self.rng.random() < 0.12:
            self.priority = self.rng.choices((0, 1, 2, 3), weights=(3, 4, 3, 1))[0]
        self.touched = self.t

    def handoff(self) -> None:
        """Bot -> human: pending becomes open, with Chatwoot's handoff and opened events."""
        self._advance(self.rng.randint(1, 3))
        self.assign(self.cast.bot_name)
        user = self.assignee.id if self.assignee else None
        if not self.handed_off:
            self.handed_off = True
            self.events.append(
                Event("conversation_bot_handoff", self.t - self.start, user, self.start, self.t)
            )
        self._open()
        if self.waiting_since is None:
            self.waiting_since = self.t

    def _open(self) -> None:
        since = self.last_resolved
        value = self.t - since if since is not None else 0
        user = self.assignee.id if self.assignee else None
        self.events.append(Event("conversation_opened", value, user, since or self.t, self.t))
        self.status, self.snoozed_until = OPEN, None
        self.last_opened = self.touched = self.t

    def _reopen(self) -> None:
        """A new incoming message on a resolved conversation: pending again while a bot is
        connected (it opens at the next handoff), otherwise open at once."""
        if self.has_bot:
            self.status = PENDING
            self.touched = self.t
        else:
            self._open()

    def resolve(self, gap: float, by: str | None = None) -> None:
        self._advance(gap)
        self.status, self.snoozed_until, self.waiting_since = RESOLVED, None, None
        value, user = self.t - self.start, self.assignee.id if self.assignee else None
        self.events.append(Event("conversation_resolved", value, user, self.start, self.t))
        if self.has_bot and not self.human_spoke:
            self.events.append(Event("conversation_bot_resolved", value, user, self.start, self.t))
            self.last_bot_resolved = self.t
        self.last_resolved = self.touched = self.t
        who = by or (self.assignee.short if self.assignee else self.cast.bot_name)
        self.activity(phrases.ACTIVITY_RESOLVED.format(agent=who))

    def snooze(self) -> None:
        assert self.assignee is not None
        self._advance(self.rng.randint(10, 300))
        self.status, self.touched = SNOOZED, self.t
        self.snoozed_until = self.t + self.rng.randint(3 * 24, 21 * 24) * 3600
        self.activity(phrases.ACTIVITY_SNOOZED.format(agent=self.assignee.short))
        if self.snoozed_until <= self.end:  # the reopen job has already woken it up
            self.t = self.snoozed_until
            self._open()

    def csat_survey(self, answer_chance: float) -> None:
        """The CSAT prompt Chatwoot sends on resolution, and maybe the lead's rating."""
        self._advance(1)
        prompt = Message(self.t, TEMPLATE, phrases.CSAT_PROMPT, None, None, content_type=9)
        self.messages.append(prompt)
        if self.rng.random() >= answer_chance:
            return
        at = self.t + int(self.rng.uniform(60, 3 * 3600))
        if at > self.end:
            return
        rating = self.rng.choices((5, 4, 3, 2, 1), weights=(50, 25, 12, 7, 6))[0]
        feedback = None
        if self.rng.random() < 0.4:
            feedback = self.rng.choice(self.text.CSAT_FEEDBACK[rating])
        submitted = {"csat_survey_response": {"rating": rating, "feedback_message": feedback}}
        prompt.content_attributes = json.dumps({"submitted_values": submitted})
        prompt.updated_at = at
        self.csat = Csat(len(self.messages) - 1, rating, feedback, at)
