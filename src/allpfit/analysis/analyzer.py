"""The seam between the analysis run and the analyzers: inputs, outputs and the protocol.

Both analyzers (`llm.LlmAnalyzer` and `rules.RuleAnalyzer`) take a `Conversation` and return an
`Analysis` or raise `ConversationFailed`. The run never needs to know which one it drives, and
one contract test runs over both.

What an analyzer sees is the *transcript*: the contact, bot and agent messages that carry text,
in order, trimmed. System templates, private notes and media-only messages are left out. The
content hash stored with each profile is computed over exactly this list (in SQL, see
`store.py`), so metadata-only changes to a conversation never trigger a paid re-analysis.
Message times travel with the transcript (to resolve visit dates) but stay out of the hash.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

from allpfit.analysis.profile import LeadProfile

Sender = Literal["contact", "bot", "agent"]
SENDERS: tuple[Sender, ...] = ("contact", "bot", "agent")


@dataclass(frozen=True)
class Message:
    """One transcript message. `at` (aware, UTC, from message_compiled) is what "amanhã" or
    "sábado" is relative to; it is not part of the content hash, and None in hand-built tests."""

    sender: Sender
    text: str
    at: datetime | None = None


@dataclass(frozen=True)
class Conversation:
    """One lead's conversation as the analyzers see it (all of it untrusted user text)."""

    conversation_id: int
    contact_name: str | None
    messages: tuple[Message, ...]
    content_hash: str = ""

    @property
    def contact_texts(self) -> list[str]:
        return [m.text for m in self.messages if m.sender == "contact"]


@dataclass
class Usage:
    """Tokens and cost spent on one conversation, invalid answers and retries included."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.calls += other.calls


@dataclass
class Analysis:
    conversation_id: int
    profile: LeadProfile
    usage: Usage = field(default_factory=Usage)


class ConversationFailed(Exception):
    """This conversation could not be analysed; the run records it and carries on."""

    def __init__(self, message: str, *, usage: Usage | None = None, attempts: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.usage = usage or Usage()
        self.attempts = attempts


class Analyzer(Protocol):
    """Turns one conversation into a LeadProfile.

    `analyze` raises `ConversationFailed` for a failure that concerns this conversation only,
    and `allpfit.errors.AnalysisError` when no conversation can succeed (bad API key, unknown
    model): the run then stops instead of failing every lead one by one.
    """

    provider: str
    model: str

    async def analyze(self, conversation: Conversation) -> Analysis: ...

    async def aclose(self) -> None: ...
