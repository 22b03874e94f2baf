"""Fixtures for demo-data tests: empty databases and one generated Chatwoot per module."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import datetime

import psycopg
import pytest
from psycopg import sql

from allpfit.demo.generator import GenerationStats, generate
from allpfit.embedded import with_database

END = datetime(2026, 6, 10, 15, 0, 0)  # noon in São Paulo
SIZE = 300


@pytest.fixture(scope="module")
def empty_db(pg_admin_url: str) -> Iterator[Callable[[], str]]:
    """Factory of brand-new empty databases (no Chatwoot schema), dropped afterwards."""
    names: list[str] = []

    def make() -> str:
        name = f"test_demo_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        names.append(name)
        return with_database(pg_admin_url, name)

    yield make
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        for name in names:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


@pytest.fixture(scope="module")
def generated(empty_db: Callable[[], str]) -> tuple[str, GenerationStats]:
    """A database holding SIZE generated conversations (seed 42), shared by a module."""
    url = empty_db()
    return url, generate(url, conversations=SIZE, seed=42, end=END)


def query(url: str, text: str, params: object = None) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(text, params).fetchall()  # type: ignore[arg-type]


def scalar(url: str, text: str, params: object = None) -> object:
    return query(url, text, params)[0][0]
