"""Migrations never lose paid or imported work: one that drops, blanks or deletes LLM profiles or
CRM customers without copying them is rolled back with a clear error (real PostgreSQL)."""

from __future__ import annotations

from datetime import date

import psycopg
import pytest

from allpfit import db
from allpfit.errors import LocalDatabaseError
from tests.dashboard.builder import Rows


@pytest.fixture
def paid(local: psycopg.Connection) -> psycopg.Connection:
    """Two LLM profiles and two CRM customers in a fully migrated local database."""
    rows = Rows(local)
    for conversation_id in (1, 2):
        rows.conversation(conversation_id, contact_id=conversation_id, day=date(2026, 6, 1))
        rows.profile(conversation_id, probability=4, goal="Emagrecer")
    rows.customer("Ana", phone="+5511987654321", conversion=date(2026, 6, 2))
    rows.customer("Bia", phone="+5511987654322", conversion=date(2026, 6, 3))
    return local


def _apply(conn: psycopg.Connection, body: str, version: int = 9001) -> list[db.Migration]:
    """Apply the shipped migrations plus one injected after them."""
    injected = db.Migration(version, "injected", body)
    return db.upgrade(conn, [*db.migrations(), injected])


def _applied(conn: psycopg.Connection, version: int = 9001) -> bool:
    found = conn.execute("SELECT 1 FROM schema_migrations WHERE version = %s", (version,))
    return found.fetchone() is not None


@pytest.mark.parametrize(
    ("body", "lost"),
    [
        ("ALTER TABLE conversas_analytics_ai DROP COLUMN objetivo", "objetivo 2 → 0 (column"),
        ("UPDATE conversas_analytics_ai SET objetivo = NULL", "objetivo 2 → 0"),
        ("DELETE FROM crm_customers WHERE name = 'Ana'", "crm_customers 2 → 1"),
        ("ALTER TABLE crm_customers RENAME COLUMN phone_raw TO telefone", "phone_raw 2 → 0"),
        ("DROP TABLE conversas_analytics_ai", "conversas_analytics_ai 2 → 0 (table dropped)"),
    ],
)
def test_a_migration_losing_analysis_results_is_rolled_back(
    paid: psycopg.Connection, body: str, lost: str
) -> None:
    with pytest.raises(LocalDatabaseError) as refused:
        _apply(paid, body)
    assert "Migration 9001 injected would lose analysis or CRM data" in refused.value.message
    assert lost in refused.value.message
    assert "rolled back" in refused.value.message and refused.value.hint
    assert not _applied(paid)  # recorded nowhere: the next upgrade tries again
    profiles = paid.execute("SELECT count(objetivo) FROM conversas_analytics_ai").fetchone()
    customers = paid.execute("SELECT count(phone_raw) FROM crm_customers").fetchone()
    assert (profiles, customers) == ((2,), (2,))


def test_a_migration_that_copies_before_moving_a_column_is_applied(
    paid: psycopg.Connection,
) -> None:
    body = """-- allpfit: moves conversas_analytics_ai.objetivo
        ALTER TABLE conversas_analytics_ai ADD COLUMN objetivo_principal text;
        UPDATE conversas_analytics_ai SET objetivo_principal = objetivo;
        ALTER TABLE conversas_analytics_ai DROP COLUMN objetivo;"""
    assert [m.version for m in _apply(paid, body)] == [9001]
    assert _applied(paid)
    moved = paid.execute("SELECT count(objetivo_principal) FROM conversas_analytics_ai")
    assert moved.fetchone() == (2,)


def test_adding_columns_and_rows_is_never_refused(paid: psycopg.Connection) -> None:
    body = """ALTER TABLE crm_customers ADD COLUMN nota text;
        UPDATE crm_customers SET nota = 'ok', status = coalesce(status, 'ativo')"""
    assert [m.version for m in _apply(paid, body)] == [9001]
    assert db.protected_counts(paid)["crm_customers.nota"] == 2


def test_a_declared_move_of_one_column_does_not_cover_another(paid: psycopg.Connection) -> None:
    body = """-- allpfit: moves conversas_analytics_ai.objetivo
        ALTER TABLE conversas_analytics_ai DROP COLUMN objetivo, DROP COLUMN analise_ia"""
    with pytest.raises(LocalDatabaseError, match="analise_ia 2 → 0"):
        _apply(paid, body)
    assert not _applied(paid)
