"""The etl_control audit table: run rows, the watermark, and the one-run-at-a-time lock.

The watermark is the `watermark_end` of the latest successful run: the source's clock at the
start of that run's snapshot. A run's row is inserted as 'running' on its own connection, and
set to 'success' by the same transaction that writes the data (see `finish_success`), so a run
killed at any moment leaves the previous watermark in force and the next run redoes the work.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime
from typing import Any

import psycopg

from allpfit.errors import AlreadyRunningError

SYNC_LOCK = 7_300_002  # pg_advisory_lock key held for the whole of a sync run


def acquire_lock(conn: psycopg.Connection) -> None:
    """Take the sync lock on `conn` (session level), or fail naming the run that holds it."""
    if conn.execute("SELECT pg_try_advisory_lock(%s)", (SYNC_LOCK,)).fetchone()[0]:  # type: ignore[index]
        return
    row = conn.execute(
        """SELECT started_at, triggered_by, host, pid FROM etl_control
           WHERE status = 'running' ORDER BY id DESC LIMIT 1"""
    ).fetchone()
    detail = ""
    if row:
        detail = f" (started {row[0]:%Y-%m-%d %H:%M:%S %Z} by {row[1]}, pid {row[3]} on {row[2]})"
    raise AlreadyRunningError(
        f"Another sync is already running{detail}.",
        hint="Wait for it to finish; this run was not started and changed nothing.",
    )


def mark_interrupted(conn: psycopg.Connection) -> int:
    """Rows left 'running' by a killed process: with the lock held, none of them is alive."""
    cur = conn.execute(
        """UPDATE etl_control SET status = 'interrupted', finished_at = now(),
               error_message = 'the process stopped before the run finished'
           WHERE status = 'running'"""
    )
    return cur.rowcount


def last_watermark(conn: psycopg.Connection) -> datetime | None:
    row = conn.execute(
        "SELECT watermark_end FROM etl_control WHERE status = 'success' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def start_run(conn: psycopg.Connection, *, triggered_by: str, load_type: str) -> int:
    row = conn.execute(
        """INSERT INTO etl_control (triggered_by, load_type, status, host, pid)
           VALUES (%s, %s, 'running', %s, %s) RETURNING id""",
        (triggered_by, load_type, socket.gethostname(), os.getpid()),
    ).fetchone()
    assert row is not None
    return int(row[0])


def finish_success(conn: psycopg.Connection, run_id: int, **fields: Any) -> None:
    """Record the outcome; call inside the data transaction so both commit together."""
    columns = ", ".join(f"{name} = %({name})s" for name in fields)
    conn.execute(
        f"UPDATE etl_control SET status = 'success', finished_at = now(), {columns} "
        "WHERE id = %(run_id)s",
        {**fields, "run_id": run_id},
    )


def finish_failed(conn: psycopg.Connection, run_id: int, message: str, seconds: float) -> None:
    conn.execute(
        """UPDATE etl_control SET status = 'failed', finished_at = now(),
               error_message = %s, total_seconds = %s WHERE id = %s""",
        (message, seconds, run_id),
    )
