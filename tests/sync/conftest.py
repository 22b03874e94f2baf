"""Fixtures for sync tests: a Chatwoot builder on the test's source database, and a second,
independent Chatwoot-shaped database (another installation, or an empty one)."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest

from tests.conftest import SOURCE_TEMPLATE, _clone
from tests.factories import Chatwoot


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


@pytest.fixture
def other_source_url(pg_admin_url: str, _templates: None) -> Iterator[str]:
    """Another fresh, empty Chatwoot-shaped database."""
    yield from _clone(pg_admin_url, SOURCE_TEMPLATE, "test_cw_other")


@pytest.fixture
def other_cw(other_source_url: str) -> Iterator[Chatwoot]:
    """A builder on `other_source_url`: its account gets id 1, like the main one's."""
    with psycopg.connect(other_source_url, autocommit=True) as conn:
        yield Chatwoot(conn)
