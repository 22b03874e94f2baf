"""A database dying in the middle of a sync: the error names the right database, carries the
right exit code, is recorded, and leaves the previous data in place."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest

from allpfit.errors import LocalDatabaseError, SourceError
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot


def database_of(url: str) -> str:
    name = psycopg.conninfo.conninfo_to_dict(url).get("dbname")
    assert isinstance(name, str)
    return name


def terminate(admin_url: str, url: str, *, only_busy: bool = False) -> int:
    """End the sessions open on `url`'s database (only those inside a transaction with
    `only_busy`), from another connection, as a crash or an administrator would."""
    with psycopg.connect(admin_url, autocommit=True) as admin:
        rows = admin.execute(
            """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
               WHERE datname = %s AND pid <> pg_backend_pid()
                 AND (NOT %s OR state <> 'idle')""",
            (database_of(url), only_busy),
        ).fetchall()
    return len(rows)


def status_rows(local: psycopg.Connection) -> list[tuple[str, str | None]]:
    return local.execute("SELECT status, error_message FROM etl_control ORDER BY id").fetchall()


@pytest.mark.parametrize("streaming", [False, True], ids=["before-copy", "during-copy"])
def test_the_source_dying_mid_sync_is_a_source_error_naming_chatwoot(
    streaming: bool,
    cw: Chatwoot,
    pg_admin_url: str,
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    cw.leads(3)
    cw.execute(
        "INSERT INTO messages (account_id, inbox_id, conversation_id, message_type, content, "
        "created_at, updated_at, content_type, content_attributes, additional_attributes) "
        "SELECT account_id, inbox_id, conversation_id, 0, repeat('x', 2000), created_at, "
        "updated_at, 0, '{}', '{}' FROM messages, generate_series(1, 200)"
    )  # big rows: the COPY arrives in several chunks
    killed: list[bool] = []

    def kill_source(phase: str, done: int, total: int | None) -> None:
        if phase == "extract" and not killed and (done > 0) == streaming:
            killed.append(terminate(pg_admin_url, source_url) >= 1)

    with pytest.raises(SourceError) as info:
        run_sync(local_url, source_url, progress=kill_source)
    assert killed == [True]
    assert info.value.exit_code == 3
    assert info.value.message.startswith("Reading Chatwoot at ")
    assert "Chatwoot database is reachable" in (info.value.hint or "")
    (status, message), *_ = status_rows(local)
    assert status == "failed" and message is not None and "Reading Chatwoot" in message
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (0,)


def test_the_source_going_away_once_everything_is_read_does_not_fail_the_run(
    cw: Chatwoot, pg_admin_url: str, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(3)

    def kill_source(phase: str, done: int, total: int | None) -> None:
        if phase == "load":
            terminate(pg_admin_url, source_url)

    assert run_sync(local_url, source_url, progress=kill_source).rows_inserted == 3
    assert [s for s, _ in status_rows(local)] == ["success"]


def test_the_local_data_session_dying_mid_sync_is_a_local_database_error(
    cw: Chatwoot, pg_admin_url: str, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(3)
    run_sync(local_url, source_url)
    cw.leads(1)

    def kill_local(phase: str, done: int, total: int | None) -> None:
        if phase == "load":
            assert terminate(pg_admin_url, local_url, only_busy=True) == 1

    with pytest.raises(LocalDatabaseError) as info:
        run_sync(local_url, source_url, mode="full", progress=kill_local)
    assert info.value.exit_code == 4
    assert "local analytics database failed during the sync" in info.value.message
    assert "Chatwoot" not in info.value.message
    assert "\n" not in info.value.message  # the driver's detail lines stay out
    assert [s for s, _ in status_rows(local)] == ["success", "failed"]
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (3,)


def test_the_whole_local_database_going_away_is_still_a_clean_error(
    cw: Chatwoot, pg_admin_url: str, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    """The control session dies too, so the failure cannot be recorded: the run stays
    'running' and the next run marks it interrupted."""
    cw.leads(2)

    def kill_all(phase: str, done: int, total: int | None) -> None:
        if phase == "extract":
            terminate(pg_admin_url, local_url)

    with pytest.raises(LocalDatabaseError):
        run_sync(local_url, source_url, progress=kill_all)
    with psycopg.connect(local_url, autocommit=True) as fresh:
        assert [s for s, _ in status_rows(fresh)] == ["running"]
    run_sync(local_url, source_url)
    with psycopg.connect(local_url, autocommit=True) as fresh:
        assert [s for s, _ in status_rows(fresh)] == ["interrupted", "success"]


def test_finished_at_is_when_the_run_ended_not_when_its_transaction_began(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(2)
    seen: dict[str, object] = {}

    def slow_load(phase: str, done: int, total: int | None) -> None:
        if phase == "load" and "xact_start" not in seen:
            row = local.execute(
                """SELECT xact_start FROM pg_stat_activity
                   WHERE datname = current_database() AND pid <> pg_backend_pid()
                     AND state <> 'idle'"""
            ).fetchone()
            assert row is not None
            seen["xact_start"] = row[0]
            time.sleep(0.5)

    run_sync(local_url, source_url, progress=slow_load)
    row = local.execute("SELECT started_at, finished_at FROM etl_control").fetchone()
    assert row is not None
    started_at, finished_at = row
    assert finished_at - seen["xact_start"] >= timedelta(seconds=0.5)  # type: ignore[operator]
    assert finished_at - started_at >= timedelta(seconds=0.5)
