"""Fixtures for lead analysis: the fake LLM server, settings pointing at it, lead rows."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from pydantic import SecretStr

from allpfit.config import Settings
from tests.fakes.llm_server import FakeLLM, serve

T0 = datetime(2026, 6, 10, 13, 0, tzinfo=UTC)


@pytest.fixture
def fake_llm() -> Iterator[FakeLLM]:
    with serve(FakeLLM()) as fake:
        yield fake


@pytest.fixture
def llm_settings(settings: Settings, fake_llm: FakeLLM) -> Settings:
    """Settings for the openai provider against the fake server, with fast retries."""
    return settings.model_copy(
        update={
            "analysis_provider": "openai",
            "openai_api_key": SecretStr("sk-test-not-a-real-key"),
            "openai_base_url": fake_llm.url,
            "openai_model": "gpt-4o-mini",
            "analysis_backoff_seconds": 0.01,
            "analysis_max_retries": 3,
            "analysis_timeout_seconds": 5.0,
            "analysis_concurrency": 4,
        }
    )


def add_lead(
    conn: psycopg.Connection,
    conversation_id: int,
    messages: list[tuple[str, str | None]],
    *,
    contact_name: str | None = "Maria Souza",
    minutes_ago: int = 0,
) -> None:
    """Insert one conversas_analytics row whose message_compiled holds `messages`
    ((sender, text) pairs), as the sync would have written it."""
    at = T0 - timedelta(minutes=minutes_ago)
    compiled: list[dict[str, Any]] = [
        {"id": conversation_id * 100 + i, "at": (at + timedelta(seconds=i)).isoformat(),
         "sender": sender, "text": text}
        for i, (sender, text) in enumerate(messages)
    ]  # fmt: skip
    contact = sum(1 for sender, _ in messages if sender == "contact")
    conn.execute(
        """INSERT INTO conversas_analytics (
               conversation_id, account_id, contact_name, status, conversation_created_at,
               conversation_updated_at, message_compiled, total_messages, contact_messages,
               last_message_at, conversation_date, conversation_hour, conversation_weekday,
               is_weekend, period_of_day)
           VALUES (%s, 1, %s, 'open', %s, %s, %s, %s, %s, %s, %s, 10, 3, false, 'manha')""",
        (
            conversation_id,
            contact_name,
            at,
            at,
            json.dumps(compiled),
            len(messages),
            contact,
            at + timedelta(seconds=len(messages)),
            at.date(),
        ),
    )


def edit_text(conn: psycopg.Connection, conversation_id: int, index: int, text: str) -> None:
    """Change the text of one message in message_compiled, in place (the AI row survives)."""
    conn.execute(
        """UPDATE conversas_analytics
           SET message_compiled = jsonb_set(message_compiled, %s, to_jsonb(%s::text))
           WHERE conversation_id = %s""",
        ([str(index), "text"], text, conversation_id),
    )
