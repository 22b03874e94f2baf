"""The honest path: Chatwoot rows -> sync -> analysis."""

from __future__ import annotations

from datetime import timedelta

import psycopg

from allpfit.analysis.run import run_analysis
from allpfit.config import Settings
from allpfit.sync.run import run_sync
from tests.factories import T0, Chatwoot


def test_synced_chatwoot_conversation_becomes_a_lead_profile(
    source_url: str, local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        cw = Chatwoot(conn)
        bot = cw.agent_bot()
        contact = cw.contact("5511987654321", "+5511987654321")
        conv = cw.conversation(contact)
        cw.message(conv, "Oi! Qual é o seu nome?", message_type=1, sender_type="AgentBot",
                   sender_id=bot, at=T0)  # fmt: skip
        cw.message(conv, "Bruna", sender_type="Contact", sender_id=contact,
                   at=T0 + timedelta(minutes=1))  # fmt: skip
        text = "quero emagrecer, nunca treinei. qnto custa e qual o horário?"
        cw.message(
            conv, text, sender_type="Contact", sender_id=contact, at=T0 + timedelta(minutes=2)
        )
        cw.message(conv, "nota interna", message_type=1, private=True, at=T0 + timedelta(minutes=3))
        silent = cw.conversation(cw.contact("Sem Resposta", "+5511900000000"))
        cw.message(silent, "Olá! Como posso ajudar?", message_type=1, sender_type="AgentBot",
                   sender_id=bot, at=T0)  # fmt: skip
    run_sync(local_url, source_url)
    summary = run_analysis(local_url, settings)
    assert (summary.leads, summary.analyzed) == (1, 1)
    row = local.execute(
        "SELECT conversation_id, nome_mapeado_bot, condicao_fisica, objetivo, "
        "probabilidade_conversao, visita_agendada, sugestao_disparo FROM conversas_analytics_ai"
    ).fetchone()
    assert row is not None
    assert row[:6] == (conv, "Bruna", "Sedentário", "Perda de peso", 4, False)
    assert row[6].startswith("Oi, Bruna!")
