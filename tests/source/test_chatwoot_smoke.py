"""The sync on Chatwoot's own sample rows (tests/data/chatwoot/smoke_insert.sql, a copy of the
reference smoke insert kept beside the Chatwoot schema), read as-is."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import psycopg

from allpfit.sync.run import run_sync
from tests.factories import fetch_row

SMOKE = Path(__file__).resolve().parents[1] / "data" / "chatwoot" / "smoke_insert.sql"


def test_reference_conversation_is_synced_as_chatwoot_reports_it(
    source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute(SMOKE.read_text().encode())
    result = run_sync(local_url, source_url)
    assert result.rows_inserted == 1
    row = fetch_row(local, 1)
    assert (row["status"], row["channel_type"], row["inbox_name"]) == (
        "resolved", "Channel::Whatsapp", "WhatsApp Vendas",
    )  # fmt: skip
    assert (row["contact_name"], row["contact_phone"], row["contact_source_id"]) == (
        "Maria Cliente", "+5511987654321", "5511987654321",
    )  # fmt: skip
    assert row["assignee_name"] == "Ana Agente"
    assert row["labels"] == ["vendas", "whatsapp"]
    assert row["custom_attributes"] == {"pedido": "A-1001"}
    # incoming → contact; automation rule (NULL sender) → system; User → agent; CSAT prompt
    # (outgoing, content_type 9, NULL sender) → system
    assert [m["sender"] for m in row["message_compiled"]] == [
        "contact", "system", "agent", "system",
    ]  # fmt: skip
    assert (row["contact_messages"], row["bot_messages"], row["agent_messages"]) == (1, 0, 1)
    assert row["first_response_time_seconds"] == 180  # the first_response event
    assert row["resolution_time_seconds"] == 600  # the conversation_resolved event
    assert row["first_reply_created_at"] == datetime(2026, 6, 10, 10, 3, tzinfo=UTC)
    assert (row["csat_rating"], row["csat_feedback"], row["csat_nps_category"]) == (
        5, "Rápido!", "promoter",
    )  # fmt: skip
    assert row["has_human_intervention"] is True and row["is_bot_resolved"] is False
    assert (row["conversation_date"].isoformat(), row["conversation_hour"]) == ("2026-06-10", 7)
    assert row["period_of_day"] == "manhã"
