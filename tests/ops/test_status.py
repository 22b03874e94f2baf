"""`allpfit status` / `monitor`: health from the audit tables, usable by monitoring."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.ops.status import EXIT_FAILED, EXIT_STALE, collect
from allpfit.sync.run import run_sync
from tests.factories import T0, Chatwoot

runner = CliRunner()
HOUR = timedelta(hours=1)


@pytest.fixture
def synced(source_url: str, local_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        cw = Chatwoot(conn)
        conv = cw.conversation(cw.contact())
        cw.message(conv, "oi", at=T0)
    run_sync(local_url, source_url)


def test_never_synced_is_stale(local_url: str, source_url: str) -> None:
    report = collect(local_url, source_url=source_url, max_age=HOUR)
    assert report.exit_code == EXIT_STALE
    assert report.problems == ["no sync has succeeded yet"]


def test_fresh_sync_is_healthy_with_counts(synced: None, local_url: str, source_url: str) -> None:
    report = collect(local_url, source_url=source_url, max_age=HOUR)
    assert (report.exit_code, report.problems) == (0, [])
    assert report.counts["conversas_analytics"] == 1
    assert report.runs[0]["status"] == "success"
    assert report.lag == timedelta(0)


def test_failed_last_run_exits_1(synced: None, local: psycopg.Connection, local_url: str) -> None:
    local.execute(
        "INSERT INTO etl_control (triggered_by, load_type, status, error_message) "
        "VALUES ('scheduler', 'incremental', 'failed', 'Chatwoot unreachable')"
    )
    report = collect(local_url, source_url=None, max_age=HOUR)
    assert report.exit_code == EXIT_FAILED
    assert report.problems == ["the last sync failed: Chatwoot unreachable"]


def test_old_last_success_is_stale(synced: None, local: psycopg.Connection, local_url: str) -> None:
    local.execute("UPDATE etl_control SET finished_at = now() - interval '3 hours'")
    report = collect(local_url, source_url=None, max_age=HOUR)
    assert report.exit_code == EXIT_STALE
    assert "the last successful sync finished 3 h 0 min ago (limit 1 h 0 min)" in report.problems


def test_source_changes_far_ahead_of_the_watermark_are_stale(
    synced: None, local: psycopg.Connection, local_url: str, source_url: str
) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute("UPDATE messages SET created_at = now() AT TIME ZONE 'UTC'")
    local.execute("UPDATE etl_control SET watermark_end = watermark_end - interval '5 hours'")
    report = collect(local_url, source_url=source_url, max_age=HOUR)
    assert report.exit_code == EXIT_STALE
    assert report.lag is not None and report.lag > 4 * HOUR
    assert any("Chatwoot has changes" in p for p in report.problems)


def test_unreachable_source_is_reported(synced: None, local_url: str) -> None:
    report = collect(
        local_url, source_url="postgresql://u:pw@127.0.0.1:1/x", max_age=HOUR,
        now=datetime.now(UTC),
    )  # fmt: skip
    assert report.source_error is not None and "pw" not in report.source_error
    assert any("Chatwoot could not be read" in p for p in report.problems)


def test_status_command_prints_health_and_sets_exit_code(
    cli_env: dict[str, str], synced: None, local: psycopg.Connection
) -> None:
    ok = runner.invoke(app, ["status"])
    assert ok.exit_code == 0, ok.output
    assert "Healthy" in ok.output and "rows in conversas_analytics" in ok.output
    local.execute("UPDATE etl_control SET finished_at = now() - interval '3 hours'")
    stale = runner.invoke(app, ["status", "--max-age", "30"])
    assert stale.exit_code == EXIT_STALE
    assert "Problems:" in stale.output


def test_monitor_refreshes_then_stops(cli_env: dict[str, str], synced: None) -> None:
    result = runner.invoke(app, ["monitor", "--iterations", "2", "--interval", "1"])
    assert result.exit_code == 0, result.output
    assert "Last sync runs" in result.output


def test_failed_stages_are_shown_and_fail_the_check(
    synced: None, local: psycopg.Connection, local_url: str, cli_env: dict[str, str]
) -> None:
    leaked = "postgresql://u:p%23ss%2Fw@db.example/x"
    local.execute(
        "INSERT INTO analysis_runs (provider, model, status, finished_at, error_message) "
        "VALUES ('openai', 'gpt-4o-mini', 'failed', now(), %s)",
        (f"the LLM database at {leaked} went away\nDETAIL: more",),
    )
    local.execute(
        "INSERT INTO crm_sync_runs (kind, status, finished_at, error_message) "
        "VALUES ('match', 'success', now(), NULL), ('evo', 'failed', now(), 'EVO answered 500')"
    )
    report = collect(local_url, source_url=None, max_age=HOUR)
    assert report.exit_code == EXIT_FAILED
    assert [(s.name, s.status, s.bad) for s in report.stages] == [
        ("sync", "success", False),
        ("analysis", "failed", True),
        ("CRM sync (EVO)", "failed", True),
        ("CRM match", "success", False),
    ]
    assert report.problems == [
        "the last analysis failed: the LLM database at postgresql://u:***@db.example/x went away",
        "the last CRM sync (EVO) failed: EVO answered 500",
    ]
    result = runner.invoke(app, ["status"])
    assert result.exit_code == EXIT_FAILED
    assert "Pipeline stages" in result.stdout and "FAILED" in result.stdout
    assert "p%23ss" not in result.stdout and "DETAIL" not in result.stdout
