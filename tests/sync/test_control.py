"""Audit, locking and crash safety of sync runs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import psycopg
import pytest

from allpfit.errors import AlreadyRunningError
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot

KILLER = textwrap.dedent(
    """
    import os, signal, sys
    from allpfit.sync.run import run_sync

    def progress(phase, done, total):
        if phase == sys.argv[3]:
            os.kill(os.getpid(), signal.SIGKILL)

    run_sync(sys.argv[1], sys.argv[2], mode="full", progress=progress)
    """
)


def wait_for_lock_release(local: psycopg.Connection, seconds: float = 10) -> None:
    """The server ends a killed client's session (and frees its lock) when it notices the
    closed socket, a moment after the process is gone."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        held = local.execute(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = 7300002"
        ).fetchone()
        if held == (0,):
            return
        time.sleep(0.05)
    raise AssertionError("the killed run's lock was never released")


@pytest.mark.parametrize("phase", ["extract", "load"])
def test_killed_run_changes_nothing_and_the_next_run_finishes_the_job(
    phase: str, cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(3)
    first = run_sync(local_url, source_url)
    cw.leads(2)
    killed = subprocess.run(
        [sys.executable, "-c", KILLER, local_url, source_url, phase], capture_output=True
    )
    assert killed.returncode == -9
    wait_for_lock_release(local)
    status = local.execute("SELECT status FROM etl_control ORDER BY id").fetchall()
    assert status == [("success",), ("running",)]
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (3,)
    assert local.execute(
        "SELECT watermark_end FROM etl_control WHERE status = 'success'"
    ).fetchone() == (first.watermark_end,)

    rerun = run_sync(local_url, source_url)
    assert rerun.rows_inserted == 2
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (5,)
    status = local.execute("SELECT status FROM etl_control ORDER BY id").fetchall()
    assert status == [("success",), ("interrupted",), ("success",)]


def test_a_second_concurrent_run_is_refused_with_a_clear_message(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(2)
    inside, release = threading.Event(), threading.Event()
    outcome: list[object] = []

    def slow_progress(phase: str, done: int, total: int | None) -> None:
        inside.set()
        release.wait(10)

    def first_run() -> None:
        outcome.append(run_sync(local_url, source_url, progress=slow_progress))

    thread = threading.Thread(target=first_run)
    thread.start()
    try:
        assert inside.wait(10)
        with pytest.raises(AlreadyRunningError, match="Another sync is already running"):
            run_sync(local_url, source_url, triggered_by="scheduler")
    finally:
        release.set()
        thread.join(10)
    assert len(outcome) == 1
    runs = local.execute("SELECT triggered_by, status FROM etl_control").fetchall()
    assert runs == [("manual", "success")]  # the refused run wrote nothing


def test_source_missing_a_column_fails_naming_it_and_is_recorded(
    cw: Chatwoot, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    cw.leads(1)
    cw.execute("ALTER TABLE conversations DROP COLUMN cached_label_list")
    cw.execute("ALTER TABLE messages DROP COLUMN private")
    from allpfit.errors import SourceError

    with pytest.raises(SourceError) as info:
        run_sync(local_url, source_url)
    assert "conversations.cached_label_list" in info.value.message
    assert "messages.private" in info.value.message
    row = local.execute("SELECT status, error_message FROM etl_control").fetchone()
    assert row is not None and row[0] == "failed"
    assert "conversations.cached_label_list" in row[1]
    assert local.execute("SELECT count(*) FROM conversas_analytics").fetchone() == (0,)


def test_the_source_session_refuses_writes(source_url: str) -> None:
    from allpfit.source import chatwoot

    with chatwoot.connect(source_url) as conn, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        conn.execute("DELETE FROM conversations")
