"""CRM test helpers: a fake EVO server, a client pointed at it, and conversation rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import psycopg
import pytest

from allpfit.config import Settings
from allpfit.crm.evo_client import EvoClient
from tests.fakes.evo_server import FakeEvo, serve

BRT = timezone(timedelta(hours=-3))


@pytest.fixture
def evo() -> Iterator[FakeEvo]:
    with serve(FakeEvo()) as fake:
        yield fake


class Sleeps(list[float]):
    """An (async) `sleep` that records instead of waiting, so backoff is asserted, not endured."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client_for(fake: FakeEvo, sleeps: Sleeps, **overrides: Any) -> EvoClient:
    options: dict[str, Any] = {
        "base_url": fake.url,
        "requests_per_minute": 10_000,
        "max_retries": 3,
        "timeout": 5.0,
        "sleep": sleeps,
    }
    options.update(overrides)
    return EvoClient(fake.dns, fake.token, **options)


def add_conversation(
    conn: psycopg.Connection, conversation_id: int, phone: str | None, at: datetime
) -> None:
    """A minimal lead conversation (the columns the crossmatch reads, plus NOT NULLs; one
    contact message, so it `is_lead`)."""
    local = at.astimezone(BRT)
    conn.execute(
        """INSERT INTO conversas_analytics (conversation_id, account_id, status, contact_phone,
               conversation_created_at, conversation_updated_at, conversation_date,
               conversation_hour, conversation_weekday, is_weekend, period_of_day,
               contact_messages)
           VALUES (%s, 1, 'resolved', %s, %s, %s, %s, %s, %s, %s, 'manha', 1)""",
        (
            conversation_id,
            phone,
            at,
            at,
            local.date(),
            local.hour,
            local.isoweekday() % 7,
            local.isoweekday() >= 6,
        ),
    )


@pytest.fixture
def crm_settings(tmp_path: Path, local_url: str) -> Settings:
    """Settings for this test's local database only (no Chatwoot clone: CRM never reads it)."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=local_url,
        data_dir=tmp_path / "data",
    )
