"""The one run ledger: how every job (sync, lead analysis, CRM) locks, records and ends a run.

Each job keeps its own table, because users' SQL reads them (`etl_control`, `analysis_runs`,
`crm_sync_runs`), but the mechanism is this one:

- one run at a time per job AND tenant: a session-level PostgreSQL advisory lock (the two-int
  form: the job's key and the tenant id), held on an autocommit "control" connection for the
  whole run; a second run of the same tenant fails with AlreadyRunningError and changes
  nothing, while other tenants run in parallel;
- the control connection is a tenant session (`db.tenant_connection`): it sees, marks and
  inserts only its tenant's run rows (row-level security, migration 0051);
- rows left 'running' by a killed process are marked 'interrupted' (with the lock held, none
  of them is alive);
- the run's row is inserted as 'running' on the control connection, so it survives the data
  transaction rolling back; success is recorded by the job (`Run.finish`), ideally inside its
  data transaction so both commit or neither;
- ANY exception escaping a run (BaseException: Ctrl-C and task cancellation too) is recorded:
  'interrupted' for Ctrl-C / cancellation, 'refused' for MassRemovalRefused, 'failed' otherwise,
  with a one-line message in which passwords are masked;
- a psycopg error escaping a run becomes the product's LocalDatabaseError with a hint, so no
  job shows a driver traceback (a job that talks to another database, as the sync does with
  Chatwoot, turns that database's errors into its own error type before they get here);
- `finished_at` is `clock_timestamp()`, the moment the run ended: `now()` is frozen at the
  start of the transaction, which for a sync is the start of the data transaction.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from allpfit import db
from allpfit.config import mask_url
from allpfit.errors import AllpfitError, AlreadyRunningError, LocalDatabaseError, MassRemovalRefused
from allpfit.progress import Progress
from allpfit.redaction import redact, secrets_in
from allpfit.tenants import DEFAULT_TENANT_ID

__all__ = ["Ledger", "Progress", "Run", "describe", "scrub"]

log = logging.getLogger(__name__)

INTERRUPTED = "the process stopped before the run finished"
MAX_MESSAGE = 2000


@dataclass(frozen=True)
class Ledger:
    """The runs of one job: its table, its advisory-lock key and how to name it.

    `timed`: the table has `total_seconds` (filled in for failed runs too). `holder_detail`:
    the table has `triggered_by`, `host` and `pid`, filled in at start and named when another
    run holds the lock."""

    table: str
    lock_key: int
    job: str  # "sync", "lead analysis", "CRM job": used in messages
    busy: str  # the sentence when another run holds the lock
    timed: bool = True
    holder_detail: bool = False

    # --- the pieces -------------------------------------------------------------------------

    def acquire(self, conn: psycopg.Connection, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        """Take the job's lock for `tenant_id` on `conn` (session level), or fail naming the
        run that holds it."""
        row = conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (self.lock_key, tenant_id)
        ).fetchone()
        if row and row[0]:
            return
        raise AlreadyRunningError(
            f"{self.busy}{self._holder(conn)}.",
            hint="Wait for it to finish; this run was not started and changed nothing.",
        )

    def release(self, conn: psycopg.Connection, tenant_id: int = DEFAULT_TENANT_ID) -> None:
        """Give the lock back; a dead connection has already released it."""
        if conn.closed:
            return
        try:
            conn.execute("SELECT pg_advisory_unlock(%s, %s)", (self.lock_key, tenant_id))
        except psycopg.Error as exc:
            log.debug("could not release the %s lock: %s", self.job, exc)

    def mark_interrupted(self, conn: psycopg.Connection) -> int:
        """Rows left 'running' by a killed process: with the lock held, none of them is alive."""
        query = sql.SQL(
            """UPDATE {} SET status = 'interrupted', finished_at = clock_timestamp(),
                   error_message = %s
               WHERE status = 'running'"""
        ).format(sql.Identifier(self.table))
        return conn.execute(query, (INTERRUPTED,)).rowcount

    def start(self, conn: psycopg.Connection, **values: Any) -> int:
        """Insert the run's row as 'running'; return its id."""
        if self.holder_detail:
            values = {**values, "host": socket.gethostname(), "pid": os.getpid()}
        values["status"] = "running"
        query = sql.SQL("INSERT INTO {} ({}) VALUES ({}) RETURNING id").format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(map(sql.Identifier, values)),
            sql.SQL(", ").join(map(sql.Placeholder, values)),
        )
        row = conn.execute(query, values).fetchone()
        assert row is not None
        return int(row[0])

    def finish(
        self, conn: psycopg.Connection, run_id: int, *, status: str = "success", **fields: Any
    ) -> None:
        """Record the run's outcome and end time. Call it inside the data transaction so the
        data and the outcome commit together."""
        fields = {**fields, "status": status}
        query = sql.SQL(
            "UPDATE {} SET finished_at = clock_timestamp(), {} WHERE id = %(run_id)s"
        ).format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
                for name in fields
            ),
        )
        conn.execute(query, {**fields, "run_id": run_id})

    def fail(
        self,
        conn: psycopg.Connection,
        run_id: int,
        message: str,
        *,
        status: str = "failed",
        seconds: float | None = None,
    ) -> None:
        """Record a run that ended without success; a run already finished is left alone."""
        fields: dict[str, Any] = {"status": status, "error_message": message[:MAX_MESSAGE]}
        if self.timed and seconds is not None:
            fields["total_seconds"] = round(seconds, 3)
        query = sql.SQL(
            """UPDATE {} SET finished_at = clock_timestamp(), {}
               WHERE id = %(run_id)s AND status = 'running'"""
        ).format(
            sql.Identifier(self.table),
            sql.SQL(", ").join(
                sql.SQL("{} = {}").format(sql.Identifier(name), sql.Placeholder(name))
                for name in fields
            ),
        )
        conn.execute(query, {**fields, "run_id": run_id})

    # --- the whole ---------------------------------------------------------------------------

    @contextmanager
    def locked(
        self,
        local_url: str,
        *,
        urls: Iterable[str] = (),
        tenant_id: int = DEFAULT_TENANT_ID,
    ) -> Iterator[psycopg.Connection]:
        """An autocommit control connection, scoped to `tenant_id`, holding the job's lock for
        that tenant, its earlier dead runs marked 'interrupted'. A psycopg error escaping the
        block becomes a LocalDatabaseError."""
        secrets = (local_url, *urls)
        with db.tenant_connection(local_url, tenant_id, autocommit=True) as conn:
            try:
                self.acquire(conn, tenant_id)
            except psycopg.Error as exc:
                raise self.translate(exc, secrets) from exc
            try:
                stale = self.mark_interrupted(conn)
                if stale:
                    log.warning("marked %d earlier %s run(s) interrupted", stale, self.job)
                yield conn
            except psycopg.Error as exc:
                raise self.translate(exc, secrets) from exc
            finally:
                self.release(conn, tenant_id)

    @contextmanager
    def recording(
        self, conn: psycopg.Connection, *, urls: Iterable[str] = (), **values: Any
    ) -> Iterator[Run]:
        """Start a run (row 'running' with `values`) on the control connection `conn` and
        record whatever escapes the block; the block records success with `Run.finish`."""
        secrets = tuple(urls)
        run = Run(self, conn, self.start(conn, **values), time.perf_counter())
        try:
            yield run
        except BaseException as exc:
            message = scrub(describe(exc), secrets)
            status = status_of(exc)
            try:
                self.fail(conn, run.id, message, status=status, seconds=run.seconds)
            except psycopg.Error as record_error:  # the local database itself is gone
                why = scrub(describe(record_error), secrets)
                log.error("could not record the end of %s run %d: %s", self.job, run.id, why)
            log.error("%s run %d %s: %s", self.job, run.id, status, message)
            if isinstance(exc, psycopg.Error):
                raise self.translate(exc, secrets) from exc
            raise

    @contextmanager
    def run(
        self,
        local_url: str,
        *,
        urls: Iterable[str] = (),
        tenant_id: int = DEFAULT_TENANT_ID,
        **values: Any,
    ) -> Iterator[Run]:
        """`locked` and `recording` together, for jobs with nothing to do in between."""
        secrets = tuple(urls)
        with (
            self.locked(local_url, urls=secrets, tenant_id=tenant_id) as conn,
            self.recording(conn, urls=(local_url, *secrets), **values) as run,
        ):
            yield run

    def translate(self, exc: psycopg.Error, secrets: Iterable[str] = ()) -> LocalDatabaseError:
        """A driver error of the local database as the product's error, with a hint."""
        message = f"The local analytics database failed during the {self.job}: {describe(exc)}"
        return LocalDatabaseError(scrub(message, secrets), hint=_hint(exc))

    def _holder(self, conn: psycopg.Connection) -> str:
        if not self.holder_detail:
            return ""
        query = sql.SQL(
            """SELECT started_at, triggered_by, host, pid FROM {}
               WHERE status = 'running' ORDER BY id DESC LIMIT 1"""
        ).format(sql.Identifier(self.table))
        row = conn.execute(query).fetchone()
        if not row:
            return ""
        return f" (started {row[0]:%Y-%m-%d %H:%M:%S %Z} by {row[1]}, pid {row[3]} on {row[2]})"


@dataclass
class Run:
    """A started run: its ledger, control connection, id and start time."""

    ledger: Ledger
    conn: psycopg.Connection
    id: int
    started: float

    @property
    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def finish(
        self, conn: psycopg.Connection | None = None, *, status: str = "success", **fields: Any
    ) -> None:
        """Record the outcome on `conn` (the data transaction; default: the control one)."""
        self.ledger.finish(conn or self.conn, self.id, status=status, **fields)


def status_of(exc: BaseException) -> str:
    """The status a run ends with when `exc` escapes it."""
    if isinstance(exc, MassRemovalRefused):
        return "refused"
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError | SystemExit):
        return "interrupted"
    return "failed"


def describe(exc: BaseException) -> str:
    """One line saying what went wrong (a driver's second and later lines are left out)."""
    if isinstance(exc, AllpfitError):
        return exc.message
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the user"
    if isinstance(exc, asyncio.CancelledError):
        return "cancelled"
    text = str(exc).strip()
    first = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def scrub(text: str, urls: Iterable[str]) -> str:
    """`text` with each of `urls` shown masked, and every password (theirs or any other in a
    connection string) replaced by `***`, for messages stored in a run table."""
    secrets: list[str] = []
    for url in urls:
        if url:
            text = text.replace(url, mask_url(url))
            secrets += [s for s in secrets_in(url) if s != url]
    return redact(text, secrets)


def _hint(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return (
            "Grant the local database user rights on the analytics tables, or run as their owner."
        )
    if isinstance(exc, psycopg.OperationalError):
        return (
            "Check that the local database (DATABASE_URL, or the embedded one under DATA_DIR) "
            "is running and reachable, then run again; work not committed was rolled back."
        )
    return "Run again with --debug for details; work not committed was rolled back."
