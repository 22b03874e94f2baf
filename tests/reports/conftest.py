"""Fixtures for the report tests: a Chatwoot builder on the test's source database."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.factories import Chatwoot


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)
