"""`source/api_events.py`: reporting events rebuilt from a conversation's timeline.

Each case is a hand-built conversation; the expected events are worked out by hand from
Chatwoot's listener rules (shared/chatwoot/README.md, "reporting_events").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from allpfit.source.api_events import (
    WorkingHours,
    derive_events,
    status_change,
)

T0 = datetime(2026, 6, 10, 13, 0, 0)  # a Wednesday, 10:00 in São Paulo
AGENT, BOT = 7, 3


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


class Timeline:
    """Builds a conversation and its message rows as the mirror holds them."""

    def __init__(self, status: str = "open", updated: float = 0, **extra: Any) -> None:
        self.conversation: dict[str, Any] = {
            "id": 11,
            "account_id": 1,
            "inbox_id": 2,
            "assignee_id": AGENT,
            "status": status,
            "created_at": T0,
            "updated_at": at(updated),
            **extra,
        }
        self.messages: list[dict[str, Any]] = []

    def add(self, t: float, message_type: int, content: str = "x", **extra: Any) -> Timeline:
        row = {
            "id": len(self.messages) + 1,
            "created_at": at(t),
            "message_type": message_type,
            "content": content,
            "private": False,
            "sender_type": None,
            "sender_id": None,
            "content_attributes": {},
        }
        row.update(extra)
        self.messages.append(row)
        return self

    def lead(self, t: float) -> Timeline:
        return self.add(t, 0, sender_type="Contact", sender_id=99)

    def bot(self, t: float) -> Timeline:
        return self.add(t, 1, sender_type="AgentBot", sender_id=BOT)

    def agent(self, t: float, **extra: Any) -> Timeline:
        return self.add(t, 1, sender_type="User", sender_id=AGENT, **extra)

    def activity(self, t: float, text: str) -> Timeline:
        return self.add(t, 2, text)

    def events(self, bot_inbox: bool = False, hours: WorkingHours | None = None) -> list[tuple]:
        rows = derive_events(self.conversation, self.messages, bot_inbox=bot_inbox, hours=hours)
        return [
            (
                e.name,
                e.value,
                (e.event_start_time - T0).total_seconds(),
                (e.event_end_time - T0).total_seconds(),
            )
            for e in rows
        ]


def test_human_only_conversation_first_response_and_replies() -> None:
    # lead at 0; agent at 300 -> first_response 300 from creation; lead at 400, lead at 450
    # (still waiting since 400), agent at 1000 -> reply_time 600; agent at 1100 (nobody
    # waiting) -> nothing; resolved at 2000 -> 2000 from creation.
    t = Timeline("resolved", updated=2000)
    t.lead(0).agent(300).lead(400).lead(450).agent(1000).agent(1100)
    t.activity(2000, "Conversation was marked resolved by Ana")
    assert t.events() == [
        ("first_response", 300.0, 0.0, 300.0),
        ("reply_time", 600.0, 400.0, 1000.0),
        ("conversation_resolved", 2000.0, 0.0, 2000.0),
    ]


def test_bot_handoff_then_human_first_response_from_handoff() -> None:
    # bot inbox: pending at creation. The bot talks, an assignment line at 120 is the handoff
    # (pending -> open): handoff 120 from creation, opened with value 0 (never resolved).
    # The first human reply at 500 is measured from the handoff: 380.
    t = Timeline("open", updated=500)
    t.lead(0).bot(5).lead(60).bot(65)
    t.activity(120, "Atribuída a Ana por Bot")
    t.agent(500)
    assert t.events(bot_inbox=True) == [
        ("conversation_bot_handoff", 120.0, 0.0, 120.0),
        ("conversation_opened", 0.0, 120.0, 120.0),
        ("first_response", 380.0, 120.0, 500.0),
    ]


def test_bot_resolved_then_reopened_by_the_lead() -> None:
    # The bot resolves at 1000 (no User ever wrote): resolved + bot_resolved. The lead writes
    # at 5000: pending again (bot inbox), the bot answers at 5010, then a human at 6000 with
    # no assignment line: the handoff is placed at the bot's last message (5010); opened value
    # = 5010 - 1000 = 4010 (a reopen). The wait starts at the handoff, and the first human
    # reply is measured from it: 990.
    t = Timeline("open", updated=6000)
    t.lead(0).bot(5)
    t.activity(1000, "Conversa marcada como resolvida por Bot")
    t.lead(5000).bot(5010).agent(6000)
    assert t.events(bot_inbox=True) == [
        ("conversation_resolved", 1000.0, 0.0, 1000.0),
        ("conversation_bot_resolved", 1000.0, 0.0, 1000.0),
        ("conversation_bot_handoff", 5010.0, 0.0, 5010.0),
        ("conversation_opened", 4010.0, 1000.0, 5010.0),
        ("first_response", 990.0, 5010.0, 6000.0),
    ]


def test_reopen_without_bot_and_second_resolution() -> None:
    # Resolved at 1000, the lead writes at 3000 (no bot: open at once, opened 2000), the agent
    # answers at 3600 (reply_time 600 from the lead's message), resolved again at 4000: a
    # second, longer resolution event. A private note never counts as a reply.
    t = Timeline("resolved", updated=4000)
    t.lead(0).agent(100).activity(1000, "Conversation was marked resolved by Ana")
    t.lead(3000).agent(3300, private=True).agent(3600)
    t.activity(4000, "Conversation was marked resolved by Ana")
    assert t.events() == [
        ("first_response", 100.0, 0.0, 100.0),
        ("conversation_resolved", 1000.0, 0.0, 1000.0),
        ("conversation_opened", 2000.0, 1000.0, 3000.0),
        ("reply_time", 600.0, 3000.0, 3600.0),
        ("conversation_resolved", 4000.0, 0.0, 4000.0),
    ]


def test_untraced_status_change_is_placed_at_the_last_update() -> None:
    # Resolved in Chatwoot, but no activity line says so (e.g. in a locale we do not read):
    # the resolution is placed at conversations.updated_at.
    t = Timeline("resolved", updated=900)
    t.lead(0).agent(60)
    assert t.events()[-1] == ("conversation_resolved", 900.0, 0.0, 900.0)
    # Snoozed, then woken up by the reopen job (no line, no message): open at updated_at,
    # value 0 as it was never resolved.
    t = Timeline("open", updated=9000)
    t.lead(0).agent(60).activity(100, "Ana adiou a conversa")
    assert t.events()[-1] == ("conversation_opened", 0.0, 9000.0, 9000.0)


def test_user_note_prevents_bot_resolution_and_echo_counts_as_human() -> None:
    t = Timeline("resolved", updated=700)
    t.lead(0).bot(5).agent(50, private=True)
    t.activity(700, "Conversation was marked resolved by Ana")
    names = [e[0] for e in t.events(bot_inbox=True)]
    assert "conversation_bot_resolved" not in names
    assert names == ["conversation_resolved"]  # the bot never handed off; the note is no reply
    # A reply echoed from the WhatsApp app (no sender) is a human first response.
    t = Timeline("open", updated=80)
    t.lead(0).add(80, 1, sender_type=None, content_attributes={"external_echo": True})
    assert t.events() == [("first_response", 80.0, 0.0, 80.0)]


def test_templates_and_unknown_activity_lines_change_nothing() -> None:
    t = Timeline("open", updated=100)
    t.lead(0).add(1, 3, "Por favor, avalie nosso atendimento").activity(2, "Ana added label x")
    assert t.events() == []


def test_value_in_business_hours() -> None:
    # Working hours Mon-Fri 09:00-18:00 São Paulo (12:00-21:00 UTC). Conversation created
    # Wednesday 17:00 local (20:00 UTC), answered Thursday 10:00 local: 1 h on Wednesday +
    # 1 h on Thursday = 7200 business seconds; value = 17 h.
    hours = WorkingHours.from_api(
        {
            "working_hours_enabled": True,
            "timezone": "America/Sao_Paulo",
            "working_hours": [
                {"day_of_week": d, "closed_all_day": d in (0, 6), "open_hour": 9,
                 "open_minutes": 0, "close_hour": 18, "close_minutes": 0}
                for d in range(7)
            ],
        }
    )  # fmt: skip
    assert hours is not None
    created = T0 + timedelta(hours=7)
    t = Timeline("open", updated=0, created_at=created)
    t.messages = []
    t.lead(7 * 3600).agent(24 * 3600)
    rows = derive_events(t.conversation, t.messages, bot_inbox=False, hours=hours)
    assert [(e.name, e.value, e.value_in_business_hours) for e in rows] == [
        ("first_response", 17 * 3600.0, 7200.0)
    ]
    # Working hours off: Chatwoot writes 0 (ReportingEventHelper#business_hours).
    assert WorkingHours.from_api({"working_hours_enabled": False}) is None
    rows = derive_events(t.conversation, t.messages, bot_inbox=False)
    assert rows[0].value_in_business_hours == 0.0


def test_event_rows_carry_chatwoot_columns() -> None:
    t = Timeline("open", updated=60)
    t.lead(0).agent(60)
    (row,) = [e.row() for e in derive_events(t.conversation, t.messages, bot_inbox=False)]
    assert row == {
        "name": "first_response",
        "value": 60.0,
        "value_in_business_hours": 0.0,
        "account_id": 1,
        "inbox_id": 2,
        "user_id": AGENT,
        "conversation_id": 11,
        "event_start_time": T0,
        "event_end_time": at(60),
        "created_at": at(60),
        "updated_at": at(60),
    }


def test_status_lines() -> None:
    assert status_change("Conversation was marked resolved by Ana") == 1
    assert status_change("Conversa marcada como resolvida por Ana") == 1
    assert status_change("Conversation was reopened by Ana") == 0
    assert status_change("System reopened the conversation due to a new incoming message.") == 0
    assert status_change("Conversation was snoozed by Ana") == 3
    assert status_change("Atribuída a Ana por Bot") is None
    assert status_change(None) is None
    # a label or a priority named like a status is not a status change
    assert status_change("Ana adicionou pendente, resolvido") is None
    assert status_change("Ana added resolved") is None
    assert status_change("Ana set the priority to pending") is None


def test_replaying_the_demo_timelines_gives_the_events_the_generator_wrote(
    source_url: str,
) -> None:
    """An independent check: the demo generator (demo/dialogue.py) writes reporting events as
    it plays each conversation; replaying only the messages it wrote, as the API shows them,
    must give the same metrics per conversation. The one known gap: a later handoff with no
    trace in the timeline (a reopened bot conversation) is placed at the bot's last message,
    1-3 s before the generator's handoff, so the reply measured from it may differ by that."""
    import psycopg.rows

    from allpfit.demo.generator import generate

    generate(source_url, conversations=150, seed=7, end=datetime(2026, 6, 30, 12), days=40,
             accounts=1)  # fmt: skip
    with psycopg.connect(source_url, row_factory=psycopg.rows.dict_row) as conn:
        conversations = conn.execute(
            "SELECT c.*, EXISTS (SELECT 1 FROM agent_bot_inboxes b WHERE b.inbox_id = c.inbox_id)"
            " AS bot_inbox FROM conversations c ORDER BY id"
        ).fetchall()
        messages: dict[int, list[dict[str, Any]]] = {}
        for m in conn.execute("SELECT * FROM messages ORDER BY id"):
            messages.setdefault(m["conversation_id"], []).append(m)
        written: dict[int, list[dict[str, Any]]] = {}
        for e in conn.execute("SELECT * FROM reporting_events ORDER BY created_at, id"):
            written.setdefault(e["conversation_id"], []).append(e)
    seen = {"reopen": 0, "handoff": 0, "bot_resolved": 0, "reply_time": 0}
    for c in conversations:
        got = derive_events(c, messages.get(c["id"], []), bot_inbox=c["bot_inbox"])
        mine = _metrics([e.row() for e in got])
        theirs = _metrics(written.get(c["id"], []))
        assert mine.keys() == theirs.keys(), c["id"]
        for key, value in theirs.items():
            tolerance = 3.0 if key == "avg_reply" else 0.0
            assert abs(mine[key] - value) <= tolerance, (c["id"], key, mine, theirs)
        seen["reopen"] += theirs.get("reopens", 0) > 0
        seen["handoff"] += "handoff" in theirs
        seen["bot_resolved"] += "bot_resolved" in theirs
        seen["reply_time"] += "avg_reply" in theirs
    assert all(seen.values()), seen  # the sample covers every kind of event


def _metrics(events: list[dict[str, Any]]) -> dict[str, float]:
    """The per-conversation figures events.sql takes from reporting_events."""
    by: dict[str, list[dict[str, Any]]] = {}
    for e in sorted(events, key=lambda e: e["created_at"]):
        by.setdefault(e["name"], []).append(e)
    out: dict[str, float] = {}
    if "first_response" in by:
        out["first_response"] = by["first_response"][0]["value"]
    if "conversation_resolved" in by:
        resolved = by["conversation_resolved"]
        out["resolution"] = resolved[-1]["value"]
        out["resolutions"] = len(resolved)
        out["first_resolved"] = resolved[0]["created_at"].timestamp()
        out["last_resolved"] = resolved[-1]["created_at"].timestamp()
    if "reply_time" in by:
        out["avg_reply"] = sum(e["value"] for e in by["reply_time"]) / len(by["reply_time"])
    if "conversation_bot_handoff" in by:
        out["handoff"] = min(e["value"] for e in by["conversation_bot_handoff"])
    if "conversation_bot_resolved" in by:
        out["bot_resolved"] = len(by["conversation_bot_resolved"])
    opened = [e for e in by.get("conversation_opened", []) if e["value"] > 0]
    if opened:
        out["reopens"] = len(opened)
    return out
