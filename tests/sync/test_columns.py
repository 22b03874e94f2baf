"""Every conversas_analytics column derived from hand-built Chatwoot rows (docs/data-model.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from allpfit.sync.run import SyncOptions, run_sync
from tests.factories import T0, Chatwoot, fetch_row


def utc(dt: datetime) -> datetime:
    return dt.replace(tzinfo=UTC)


@pytest.fixture
def full_case(cw: Chatwoot) -> dict[str, int]:
    """A human-handled, resolved, rated conversation with every kind of message."""
    agent = cw.user("ana", display_name="Ana Paula")
    team = cw.team("Vendas")
    bot = cw.agent_bot()
    contact = cw.contact("  Maria Silva ", "+5511987654321", email="maria@x.test", contact_type=1)
    conv = cw.conversation(
        contact, status=1, priority=2, assignee_id=agent, team_id=team,
        cached_label_list="lead-quente, crossfit ,", custom_attributes='{"origem": "instagram"}',
        first_reply_created_at=T0 + timedelta(seconds=120),
        last_activity_at=T0 + timedelta(seconds=600), updated_at=T0 + timedelta(seconds=600),
    )  # fmt: skip
    s = timedelta(seconds=1)
    cw.message(conv, "Oi, quanto custa?", at=T0, sender_type="Contact", sender_id=contact)
    cw.message(
        conv,
        "Planos a partir de R$ 199",
        message_type=1,
        at=T0 + 5 * s,
        sender_type="AgentBot",
        sender_id=bot,
    )
    cw.message(conv, "Conversa atribuída a Ana", message_type=2, at=T0 + 10 * s)
    cw.message(
        conv,
        "lead parece quente",
        message_type=1,
        private=True,
        at=T0 + 60 * s,
        sender_type="User",
        sender_id=agent,
    )
    cw.message(
        conv,
        "Oi Maria, sou a Ana",
        message_type=1,
        at=T0 + 120 * s,
        sender_type="User",
        sender_id=agent,
    )
    cw.message(
        conv,
        "Recebemos sua mensagem",
        message_type=1,
        at=T0 + 130 * s,
        content_attributes={"automation_rule_id": 7},
    )
    cw.message(conv, "Resposta do Dialogflow", message_type=1, at=T0 + 140 * s)
    cw.message(
        conv,
        "Enviado do celular",
        message_type=1,
        at=T0 + 150 * s,
        content_attributes={"external_echo": True},
    )
    cw.message(
        conv,
        "Promoção de verão",
        message_type=1,
        at=T0 + 155 * s,
        additional_attributes={"campaign_id": 3},
    )
    cw.message(conv, "Bem-vindo à AllpFit!", message_type=3, at=T0 + 160 * s)
    cw.message(conv, "Vou pensar", at=T0 + 300 * s, sender_type="Contact", sender_id=contact)
    cw.csat(conv, contact, 4, "Bom atendimento", at=T0 + 700 * s)
    cw.event(conv, "first_response", 120, business=60, at=T0 + 120 * s, start=T0)
    cw.event(conv, "reply_time", 30, at=T0 + 200 * s)
    cw.event(conv, "reply_time", 50, at=T0 + 400 * s)
    cw.event(conv, "conversation_resolved", 600, at=T0 + 600 * s, start=T0)
    return {"conv": conv, "contact": contact, "agent": agent, "team": team}  # fmt: skip


def test_identity_contact_and_assignment_columns(
    full_case: dict[str, int], cw: Chatwoot, source_url: str, local_url: str,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    run_sync(local_url, source_url)
    row = fetch_row(local, full_case["conv"])
    assert row["display_id"] >= 1
    assert row["account_id"] == cw.account_id
    assert row["inbox_id"] == cw.inbox_id
    assert row["inbox_name"] == "WhatsApp AllpFit"
    assert row["channel_type"] == "Channel::Whatsapp"
    assert row["contact_id"] == full_case["contact"]
    assert row["contact_name"] == "Maria Silva"
    assert row["contact_phone"] == "+5511987654321"
    assert row["contact_email"] == "maria@x.test"
    assert row["contact_type"] == "lead"
    assert row["contact_blocked"] is False
    assert row["contact_source_id"].startswith("src-")
    assert row["status"] == "resolved"
    assert row["priority"] == "high"
    assert row["assignee_id"] == full_case["agent"]
    assert row["assignee_name"] == "Ana Paula"  # display name wins, as Chatwoot shows it
    assert row["team_id"] == full_case["team"]
    assert row["team_name"] == "Vendas"
    assert row["labels"] == ["lead-quente", "crossfit"]
    assert row["custom_attributes"] == {"origem": "instagram"}
    assert row["is_assigned"] is True
    assert row["conversation_created_at"] == utc(T0)
    assert row["last_activity_at"] == utc(T0 + timedelta(seconds=600))
    assert row["first_reply_created_at"] == utc(T0 + timedelta(seconds=120))


def test_messages_are_compiled_by_sender_kind_without_notes_or_activity(
    full_case: dict[str, int], source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    run_sync(local_url, source_url)
    row = fetch_row(local, full_case["conv"])
    senders = [(m["sender"], m["text"]) for m in row["message_compiled"]]
    assert senders == [
        ("contact", "Oi, quanto custa?"),
        ("bot", "Planos a partir de R$ 199"),
        ("agent", "Oi Maria, sou a Ana"),
        ("system", "Recebemos sua mensagem"),
        ("bot", "Resposta do Dialogflow"),
        ("agent", "Enviado do celular"),
        ("system", "Promoção de verão"),
        ("system", "Bem-vindo à AllpFit!"),
        ("contact", "Vou pensar"),
        ("system", "Como você avalia?"),
    ]
    first = row["message_compiled"][0]
    assert first["at"] == "2026-06-10T13:00:00+00:00"
    assert isinstance(first["id"], int)
    assert row["total_messages"] == 10
    assert row["contact_messages"] == 2
    assert row["bot_messages"] == 2
    assert row["agent_messages"] == 2
    assert row["system_messages"] == 4
    assert row["private_notes"] == 1
    assert row["activity_messages"] == 1
    assert row["has_private_notes"] is True
    assert row["first_message_at"] == utc(T0)
    assert row["last_message_at"] == utc(T0 + timedelta(seconds=700))
    assert row["first_contact_message_at"] == utc(T0)
    assert row["last_contact_message_at"] == utc(T0 + timedelta(seconds=300))
    assert row["first_bot_message_at"] == utc(T0 + timedelta(seconds=5))
    assert row["first_agent_message_at"] == utc(T0 + timedelta(seconds=120))
    assert row["last_agent_message_at"] == utc(T0 + timedelta(seconds=150))
    assert row["bot_first_response_seconds"] == 5
    assert row["conversation_duration_seconds"] == 700


def test_csat_times_and_flags_follow_chatwoot_reports(
    full_case: dict[str, int], source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    run_sync(local_url, source_url)
    row = fetch_row(local, full_case["conv"])
    assert row["csat_rating"] == 4
    assert row["csat_feedback"] == "Bom atendimento"
    assert row["csat_nps_category"] == "passive"
    assert row["csat_responded_at"] == utc(T0 + timedelta(seconds=700))
    assert row["csat_survey_sent_at"] == utc(T0 + timedelta(seconds=700))  # the input_csat prompt
    assert row["has_csat"] is True
    assert row["first_response_time_seconds"] == 120
    assert row["first_response_time_business_seconds"] == 60
    assert row["resolution_time_seconds"] == 600
    assert row["avg_reply_time_seconds"] == 40
    assert row["resolutions_count"] == 1
    assert row["last_resolved_at"] == utc(T0 + timedelta(seconds=600))
    assert row["has_human_intervention"] is True
    assert row["has_bot_messages"] is True
    assert row["is_bot_only"] is False
    assert row["is_bot_resolved"] is False
    assert row["has_bot_handoff"] is False
    assert row["is_reopened"] is False
    assert row["is_unanswered"] is False
    assert row["source_updated_at"] == utc(T0 + timedelta(seconds=700))


@pytest.mark.parametrize(
    ("created_utc", "tz", "day", "hour", "weekday", "period"),
    [
        (datetime(2026, 6, 10, 13, 0), "America/Sao_Paulo", date(2026, 6, 10), 10, 3, "manhã"),
        (datetime(2026, 6, 10, 2, 30), "America/Sao_Paulo", date(2026, 6, 9), 23, 2, "noite"),
        (datetime(2026, 6, 13, 8, 59), "America/Sao_Paulo", date(2026, 6, 13), 5, 6, "madrugada"),
        (datetime(2026, 6, 14, 15, 0), "America/Sao_Paulo", date(2026, 6, 14), 12, 7, "tarde"),
        (datetime(2026, 6, 10, 2, 30), "UTC", date(2026, 6, 10), 2, 3, "madrugada"),
    ],
)
def test_day_hour_weekday_and_period_are_in_the_business_time_zone(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection,
    created_utc: datetime, tz: str, day: date, hour: int, weekday: int, period: str,
) -> None:  # fmt: skip
    conv = cw.conversation(cw.contact(), created_at=created_utc, last_activity_at=created_utc)
    run_sync(local_url, source_url, options=SyncOptions(timezone=tz))
    row = fetch_row(local, conv)
    assert row["conversation_date"] == day
    assert row["conversation_hour"] == hour
    assert row["conversation_weekday"] == weekday
    assert row["is_weekend"] is (weekday >= 6)
    assert row["period_of_day"] == period
    assert row["last_activity_date"] == day


def test_configured_bot_users_and_null_senders(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    api_bot = cw.user("whatsapp-bot")
    human = cw.user("joao")
    conv = cw.conversation(cw.contact())
    cw.message(conv, "oi", at=T0)
    cw.message(conv, "do bot via API", message_type=1, sender_type="User", sender_id=api_bot,
               at=T0 + timedelta(seconds=1))  # fmt: skip
    cw.message(conv, "do humano", message_type=1, sender_type="User", sender_id=human,
               at=T0 + timedelta(seconds=2))  # fmt: skip
    cw.message(conv, "integração", message_type=1, at=T0 + timedelta(seconds=3))
    run_sync(local_url, source_url,
             options=SyncOptions(bot_user_ids=(api_bot,), null_sender_is_bot=False))  # fmt: skip
    kinds = [m["sender"] for m in fetch_row(local, conv)["message_compiled"]]
    assert kinds == ["contact", "bot", "agent", "system"]


def test_bot_resolved_handoff_unanswered_and_empty_conversations(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    bot = cw.agent_bot()
    bot_only = cw.conversation(cw.contact("A", "+5511900000001"), status=1)
    cw.message(bot_only, "oi", at=T0)
    cw.message(bot_only, "olá", message_type=1, sender_type="AgentBot", sender_id=bot, at=T0)
    handed = cw.conversation(cw.contact("B", "+5511900000002"), status=1)
    cw.message(handed, "oi", at=T0)
    cw.message(handed, "olá", message_type=1, sender_type="AgentBot", sender_id=bot, at=T0)
    cw.event(handed, "conversation_bot_handoff", 45)
    unanswered = cw.conversation(cw.contact("C", "+5511900000003"), status=0)
    cw.message(unanswered, "alguém aí?", at=T0)
    empty = cw.conversation(cw.contact("", None), status=2)
    run_sync(local_url, source_url)

    row = fetch_row(local, bot_only)
    assert (row["is_bot_only"], row["is_bot_resolved"], row["has_bot_handoff"]) == (
        True,
        True,
        False,
    )
    row = fetch_row(local, handed)
    assert (row["is_bot_resolved"], row["has_bot_handoff"], row["bot_handoff_seconds"]) == (
        False, True, 45,
    )  # fmt: skip
    row = fetch_row(local, unanswered)
    assert (row["is_unanswered"], row["status"], row["has_human_intervention"]) == (
        True, "open", False,
    )  # fmt: skip
    row = fetch_row(local, empty)
    assert row["message_compiled"] == []
    assert (row["total_messages"], row["contact_messages"]) == (0, 0)
    assert row["contact_name"] is None
    assert row["contact_phone"] is None
    assert row["status"] == "pending"
    assert row["labels"] == []
    assert row["first_message_at"] is None


def test_reopen_detected_by_event_or_by_message_after_resolution(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    by_event = cw.conversation(cw.contact("A", "+5511900000001"))
    cw.event(by_event, "conversation_resolved", 100, at=T0 + timedelta(minutes=2))
    cw.event(by_event, "conversation_opened", 3600, at=T0 + timedelta(hours=1))
    cw.event(by_event, "conversation_resolved", 4000, at=T0 + timedelta(hours=2))
    by_message = cw.conversation(cw.contact("B", "+5511900000002"), status=2)
    cw.message(by_message, "oi", at=T0)
    cw.event(by_message, "conversation_resolved", 60, at=T0 + timedelta(minutes=1))
    cw.message(by_message, "voltei!", at=T0 + timedelta(days=1))
    pending_opened = cw.conversation(cw.contact("C", "+5511900000003"))
    cw.event(pending_opened, "conversation_opened", 0)
    run_sync(local_url, source_url)

    row = fetch_row(local, by_event)
    assert (row["is_reopened"], row["reopen_count"], row["resolutions_count"]) == (True, 1, 2)
    assert row["resolution_time_seconds"] == 4000  # the latest resolution
    assert row["last_resolved_at"] == utc(T0 + timedelta(hours=2))
    row = fetch_row(local, by_message)
    assert (row["is_reopened"], row["reopen_count"]) == (True, 0)
    row = fetch_row(local, pending_opened)
    assert row["is_reopened"] is False


@pytest.mark.parametrize(
    ("ratings", "rating", "category"),
    [([5], 5, "promoter"), ([4], 4, "passive"), ([3], 3, "detractor"), ([1, 5], 5, "promoter")],
)
def test_latest_csat_answer_and_its_category(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection,
    ratings: list[int], rating: int, category: str,
) -> None:  # fmt: skip
    contact = cw.contact()
    conv = cw.conversation(contact)
    for i, value in enumerate(ratings):
        cw.csat(conv, contact, value, at=T0 + timedelta(hours=i))
    run_sync(local_url, source_url)
    row = fetch_row(local, conv)
    assert (row["csat_rating"], row["csat_nps_category"], row["has_csat"]) == (
        rating, category, True,
    )  # fmt: skip
