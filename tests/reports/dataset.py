"""The hand-made Chatwoot dataset of the report tests: six conversations, described (and
every figure they give worked out by hand) in tests/reports/test_metrics_conformance.py."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from tests.factories import T0, Chatwoot

START, END = date(2026, 6, 10), date(2026, 6, 11)
TZ = "America/Sao_Paulo"
S = timedelta(seconds=1)
DAY = timedelta(days=1)


def build(cw: Chatwoot) -> dict[str, int]:
    ana = cw.user("ana", display_name="Ana Paula")
    bruno = cw.user("bruno")
    vendas, suporte = cw.team("Vendas"), cw.team("Suporte")
    whatsapp, instagram = cw.inbox_id, cw.inbox("Instagram AllpFit", "Channel::Instagram")
    bot = cw.agent_bot()
    contact = cw.contact()

    def conv(at: datetime, **extra: Any) -> int:
        return cw.conversation(contact, created_at=at, updated_at=at, **extra)

    def incoming(c: int, at: datetime) -> None:
        cw.message(c, "oi", at=at, sender_type="Contact", sender_id=contact)

    def agent(c: int, user: int, at: datetime, **extra: Any) -> None:
        cw.message(c, "olá", message_type=1, at=at, sender_type="User", sender_id=user, **extra)

    c1 = conv(T0, assignee_id=ana, team_id=vendas, cached_label_list="lead-quente, crossfit")
    incoming(c1, T0)
    agent(c1, ana, T0 + 120 * S)
    incoming(c1, T0 + 200 * S)
    agent(c1, ana, T0 + 300 * S)
    agent(c1, ana, T0 + 310 * S, private=True)
    cw.message(c1, "Conversa resolvida por Ana", message_type=2, at=T0 + 600 * S)
    cw.event(c1, "first_response", 120, business=60, at=T0 + 120 * S, user_id=ana)
    cw.event(c1, "reply_time", 100, business=40, at=T0 + 300 * S, user_id=ana)
    cw.event(c1, "conversation_resolved", 600, business=300, at=T0 + 600 * S, user_id=ana)

    t2 = T0 + timedelta(hours=1)
    c2 = conv(t2, assignee_id=ana, team_id=vendas, inbox_id=instagram, cached_label_list="crossfit")
    incoming(c2, t2)
    cw.message(c2, "bot", message_type=1, at=t2 + 10 * S, sender_type="AgentBot", sender_id=bot)
    agent(c2, ana, t2 + 400 * S)
    cw.message(c2, "Avalie", message_type=3, content_type=9, at=t2 + 500 * S)
    for name, value, business in (
        ("first_response", 400, 200),
        ("conversation_resolved", 1000, 500),
        ("conversation_resolved", 3000, 900),
    ):
        cw.event(
            c2, name, value, business=business, at=t2 + value * S, user_id=ana, inbox_id=instagram
        )

    t3 = T0 + DAY
    c3 = conv(t3, assignee_id=bruno, team_id=suporte, cached_label_list="crossfit")
    incoming(c3, t3)
    agent(c3, bruno, t3 + 60 * S)
    incoming(c3, t3 + 100 * S)
    agent(c3, bruno, t3 + 400 * S)
    cw.event(c3, "first_response", 60, business=60, at=t3 + 60 * S, user_id=bruno)
    cw.event(c3, "reply_time", 300, business=0, at=t3 + 400 * S, user_id=bruno)

    t4 = T0 - DAY
    c4 = conv(t4, assignee_id=ana, team_id=vendas, cached_label_list="lead-quente")
    incoming(c4, t4)
    agent(c4, ana, t4 + 30 * S)
    incoming(c4, T0 + 7000 * S)
    cw.event(c4, "first_response", 30, business=30, at=t4 + 30 * S, user_id=ana)
    resolved = T0 + timedelta(hours=2)
    cw.event(c4, "conversation_resolved", 93600, business=30000, at=resolved, user_id=ana)

    for at in (datetime(2026, 6, 12, 2, 30), datetime(2026, 6, 10, 2, 30)):  # C5, C6
        incoming(conv(at), at)
    return {
        "ana": ana, "bruno": bruno, "vendas": vendas, "suporte": suporte,
        "whatsapp": whatsapp, "instagram": instagram,
    }  # fmt: skip
