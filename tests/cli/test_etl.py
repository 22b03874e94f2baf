"""`allpfit etl run`, `allpfit source ...` and `allpfit db upgrade` as a user runs them."""

from __future__ import annotations

import gzip
import socket
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from tests.conftest import SOURCE_TEMPLATE, _clone
from tests.factories import Chatwoot

runner = CliRunner()


@pytest.fixture
def seeded(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        Chatwoot(conn).leads(3)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_etl_run_syncs_and_prints_a_summary(cli_env: dict[str, str], seeded: None) -> None:
    result = runner.invoke(app, ["etl", "run"])
    assert result.exit_code == 0, result.output
    assert "Sync run 1 (full)" in result.output
    assert "inserted" in result.output
    again = runner.invoke(app, ["etl", "run", "--triggered-by", "scheduler"])
    assert again.exit_code == 0, again.output
    assert "Sync run 2 (incremental)" in again.output


def test_etl_run_backup_writes_a_complete_gzip_csv(cli_env: dict[str, str], seeded: None) -> None:
    result = runner.invoke(app, ["etl", "run", "--backup"])
    assert result.exit_code == 0, result.output
    backups = list((Path(cli_env["DATA_DIR"]) / "backups").glob("*.csv.gz"))
    assert len(backups) == 1
    lines = gzip.decompress(backups[0].read_bytes()).decode().splitlines()
    assert lines[0].startswith("conversation_id,display_id,")
    assert len(lines) == 4


def test_missing_source_configuration_is_a_clear_error(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATABASE_URL")
    result = runner.invoke(app, ["etl", "run"])
    assert result.exit_code == 2
    assert "The Chatwoot source database is not configured." in result.output
    assert "SOURCE_DATABASE_URL" in result.output
    assert "Traceback" not in result.output


def test_invalid_setting_is_named(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    result = runner.invoke(app, ["etl", "run"])
    assert result.exit_code == 2
    assert "TIMEZONE" in result.output and "unknown time zone" in result.output


def test_unreachable_source_fails_with_masked_url_and_is_recorded(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, local: psycopg.Connection
) -> None:
    port = free_port()
    monkeypatch.setenv("SOURCE_DATABASE_URL", f"postgresql://reader:s3cr3t@127.0.0.1:{port}/cw")
    result = runner.invoke(app, ["etl", "run"])
    assert result.exit_code == 3, result.output
    assert f"reader:***@127.0.0.1:{port}/cw" in result.output
    assert "s3cr3t" not in result.output
    assert "Traceback" not in result.output
    row = local.execute("SELECT status, error_message FROM etl_control").fetchone()
    assert row is not None and row[0] == "failed"
    assert "s3cr3t" not in row[1] and "Cannot connect to the Chatwoot database" in row[1]
    log = (Path(cli_env["DATA_DIR"]) / "logs" / "allpfit.log").read_text()
    assert "s3cr3t" not in log


def test_concurrent_run_exits_with_code_5(
    cli_env: dict[str, str], seeded: None, local_url: str
) -> None:
    with psycopg.connect(local_url, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(7300002, 1)")  # the default tenant's sync
        result = runner.invoke(app, ["etl", "run"])
    assert result.exit_code == 5
    assert "Another sync is already running" in result.output


def test_source_check_reports_conversations(cli_env: dict[str, str], seeded: None) -> None:
    result = runner.invoke(app, ["source", "check"])
    assert result.exit_code == 0, result.output
    assert "is readable: 3 conversations" in result.output


def test_deployed_views_return_the_same_rows_as_the_inline_sync(
    cli_env: dict[str, str], seeded: None, source_url: str, local: psycopg.Connection
) -> None:
    printed = runner.invoke(app, ["source", "deploy-views", "--print"])
    assert printed.exit_code == 0
    assert "CREATE OR REPLACE VIEW vw_conversation_messages" in printed.output
    deployed = runner.invoke(app, ["source", "deploy-views"])
    assert deployed.exit_code == 0, deployed.output
    assert runner.invoke(app, ["etl", "run"]).exit_code == 0
    with psycopg.connect(source_url) as conn:
        from_view = conn.execute(
            "SELECT conversation_id, contact_name, message_compiled::text, period_of_day, "
            "conversation_date FROM vw_conversations_analytics_final ORDER BY 1"
        ).fetchall()
    synced = local.execute(
        "SELECT conversation_id, contact_name, message_compiled::text, period_of_day, "
        "conversation_date FROM conversas_analytics ORDER BY 1"
    ).fetchall()
    assert len(from_view) == 3
    assert from_view == synced


def test_db_upgrade_is_idempotent(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "is up to date" in result.output
    assert "applied" not in result.output  # the test database is already migrated


def test_db_upgrade_without_create_rights_names_the_migration(
    pg_admin_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from urllib.parse import urlsplit, urlunsplit

    from psycopg import sql

    from allpfit.embedded import with_database

    name = f"test_limited_{tmp_path.name[-8:].lower()}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute("DROP ROLE IF EXISTS allpfit_limited")
        admin.execute("CREATE ROLE allpfit_limited LOGIN")
    with psycopg.connect(with_database(pg_admin_url, name), autocommit=True) as owner:
        owner.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    parts = urlsplit(with_database(pg_admin_url, name))
    url = urlunsplit(parts._replace(netloc="allpfit_limited@" + parts.netloc.rsplit("@", 1)[-1]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        result = runner.invoke(app, ["db", "upgrade"])
        assert result.exit_code == 4, result.output
        assert "Could not apply the migration table" in result.output
        assert "permission denied" in result.output and "Traceback" not in result.output
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute("DROP ROLE allpfit_limited")


@pytest.fixture
def empty_source_url(pg_admin_url: str, _templates: None) -> Iterator[str]:
    """A Chatwoot of the same installation shape (account 1) with no conversation at all."""
    for url in _clone(pg_admin_url, SOURCE_TEMPLATE, "test_cw_empty"):
        with psycopg.connect(url, autocommit=True) as conn:
            Chatwoot(conn)
        yield url


def test_an_empty_source_is_refused_with_exit_8_and_profiles_survive(
    cli_env: dict[str, str],
    seeded: None,
    empty_source_url: str,
    monkeypatch: pytest.MonkeyPatch,
    local: psycopg.Connection,
) -> None:
    assert runner.invoke(app, ["etl", "run"]).exit_code == 0  # sync + rules analysis
    counts = "SELECT (SELECT count(*) FROM conversas_analytics), "
    counts += "(SELECT count(*) FROM conversas_analytics_ai)"
    assert local.execute(counts).fetchone() == (3, 3)

    monkeypatch.setenv("SOURCE_DATABASE_URL", empty_source_url)
    refused = runner.invoke(app, ["etl", "run"])
    assert refused.exit_code == 8, refused.output
    assert "has no conversation at all" in refused.output
    assert "--allow-mass-delete" in refused.output and "Traceback" not in refused.output
    assert local.execute(counts).fetchone() == (3, 3)
    row = local.execute(
        "SELECT status, error_message FROM etl_control ORDER BY id DESC LIMIT 1"
    ).fetchone()
    assert row is not None and row[0] == "refused" and "no conversation at all" in row[1]

    allowed = runner.invoke(app, ["etl", "run", "--allow-mass-delete"])
    assert allowed.exit_code == 0, allowed.output
    assert "marked deleted" in allowed.output
    assert local.execute(counts).fetchone() == (3, 3)
    gone = "SELECT count(*) FROM conversas_analytics WHERE deleted_in_source_at IS NOT NULL"
    assert local.execute(gone).fetchone() == (3,)

    # back to the real Chatwoot: every row is listed again; then the pipeline's own flag
    monkeypatch.setenv("SOURCE_DATABASE_URL", cli_env["SOURCE_DATABASE_URL"])
    assert runner.invoke(app, ["etl", "run", "--no-analyze"]).exit_code == 0
    assert local.execute(gone).fetchone() == (0,)
    monkeypatch.setenv("SOURCE_DATABASE_URL", empty_source_url)
    pipeline = runner.invoke(app, ["pipeline", "--no-analyze", "--no-crm"])
    assert pipeline.exit_code == 1 and "Refused" in pipeline.output
    assert local.execute(gone).fetchone() == (0,)
    forced = runner.invoke(app, ["pipeline", "--no-analyze", "--no-crm", "--allow-mass-delete"])
    assert forced.exit_code == 0, forced.output
    assert local.execute(gone).fetchone() == (3,)
    assert local.execute(counts).fetchone() == (3, 3)


def test_purge_deleted_from_the_command_line(
    cli_env: dict[str, str], seeded: None, local: psycopg.Connection
) -> None:
    assert runner.invoke(app, ["etl", "run", "--no-analyze"]).exit_code == 0
    local.execute(
        "UPDATE conversas_analytics SET deleted_in_source_at = now() - interval '100 days' "
        "WHERE conversation_id = (SELECT min(conversation_id) FROM conversas_analytics)"
    )
    bad = runner.invoke(app, ["etl", "purge-deleted", "--older-than", "90x"])
    assert bad.exit_code == 2 and "Cannot read the age '90x'" in bad.output
    assert "e.g. 90d, 12h or 30m" in bad.output

    dry = runner.invoke(app, ["etl", "purge-deleted", "--older-than", "90d", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would delete" in dry.output and "nothing was changed" in dry.output
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (3,)

    done = runner.invoke(app, ["etl", "purge-deleted", "--older-than", "90d"])
    assert done.exit_code == 0, done.output
    assert "Deleted the conversations marked deleted in Chatwoot more than 90d ago" in done.output
    assert "conversas_analytics               1" in done.output
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (2,)
