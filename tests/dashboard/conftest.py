"""Dashboard fixtures: the standard dataset loaded into this test's local database."""

from __future__ import annotations

import psycopg
import pytest

from tests.dashboard.builder import TODAY, Expected, standard_dataset


@pytest.fixture
def expected(local: psycopg.Connection) -> Expected:
    """The standard dataset (today = 2026-06-30) in `local`; returns its known answers."""
    return standard_dataset(local, TODAY)
