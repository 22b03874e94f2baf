"""`allpfit source index` and the index report of `allpfit source check`."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.source import indexes
from tests.factories import Chatwoot

runner = CliRunner()


@pytest.fixture
def seeded(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        Chatwoot(conn).leads(2)


def test_print_shows_every_index_and_the_printed_sql_creates_them(
    cli_env: dict[str, str], seeded: None, source_url: str
) -> None:
    before = runner.invoke(app, ["source", "check"])
    assert before.exit_code == 0, before.output
    assert "index on messages(updated_at): missing" in before.output
    assert "5 optional index(es) missing" in before.output

    printed = runner.invoke(app, ["source", "index", "--print"])
    assert printed.exit_code == 0, printed.output
    statements = [line for line in printed.output.splitlines() if line.startswith("CREATE")]
    assert statements == [ix.create_sql() + ";" for ix in indexes.INDEXES]
    assert all("CONCURRENTLY" in s for s in statements)
    with psycopg.connect(source_url, autocommit=True) as dba:  # as psql runs them: one by one
        for statement in statements:
            dba.execute(statement.encode())
        assert all(indexes.present(dba).values())

    after = runner.invoke(app, ["source", "check"])
    assert after.exit_code == 0, after.output
    assert "index on messages(updated_at): present (allpfit_messages_updated_at)" in after.output
    assert "missing" not in after.output


def test_without_a_flag_it_only_prints(
    cli_env: dict[str, str], seeded: None, source_url: str
) -> None:
    result = runner.invoke(app, ["source", "index"])
    assert result.exit_code == 0, result.output
    assert "CREATE INDEX CONCURRENTLY IF NOT EXISTS allpfit_messages_updated_at" in result.output
    with psycopg.connect(source_url) as conn:
        assert not any(indexes.present(conn).values())


def test_apply_creates_the_missing_indexes_once(
    cli_env: dict[str, str], seeded: None, source_url: str
) -> None:
    first = runner.invoke(app, ["source", "index", "--apply"])
    assert first.exit_code == 0, first.output
    assert "allpfit_messages_updated_at" in first.output
    again = runner.invoke(app, ["source", "index", "--apply"])
    assert again.exit_code == 0, again.output
    assert "none, all were present" in again.output
    with psycopg.connect(source_url) as conn:
        assert all(indexes.present(conn).values())


def test_print_and_apply_together_are_refused(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["source", "index", "--print", "--apply"])
    assert result.exit_code == 2
    assert "cannot be combined" in result.output


@pytest.fixture
def reader_url(source_url: str) -> Iterator[str]:
    """SOURCE_DATABASE_URL of a read-only user who owns none of Chatwoot's tables."""
    role = f"allpfit_cw_reader_{urlsplit(source_url).path.rsplit('_', 1)[-1]}"
    with psycopg.connect(source_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
        admin.execute(
            sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA public TO {}").format(
                sql.Identifier(role)
            )
        )
    parts = urlsplit(source_url)
    yield urlunsplit(parts._replace(netloc=f"{role}@" + parts.netloc.rsplit("@", 1)[-1]))
    with psycopg.connect(source_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
        admin.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


def test_apply_as_a_reader_fails_clearly_and_creates_nothing(
    cli_env: dict[str, str], seeded: None, source_url: str, reader_url: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("SOURCE_DATABASE_URL", reader_url)
    result = runner.invoke(app, ["source", "index", "--apply"])
    assert result.exit_code == 3, result.output
    assert "must be owner of table" in result.output
    assert "allpfit source index --print" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    with psycopg.connect(source_url) as conn:
        assert not any(indexes.present(conn).values())
