"""Writing customers and run records: crm_customers and crm_sync_runs.

Customers are upserted by (source, external_id), so importing the same file or syncing the same
API twice leaves the same rows (only `updated_at` moves, and only when a value changed). Each
`crm sync` / `crm import` / `crm match` run is one crm_sync_runs row: inserted as 'running' on
its own autocommit connection, finished by the data transaction on success (both commit or
neither), or marked 'failed' with the error otherwise. The status screen reads that table.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg

from allpfit import db
from allpfit.crm.members import Member, Source
from allpfit.errors import AlreadyRunningError

CRM_LOCK = 7_300_020  # pg_advisory_lock key held by every crm run

COLUMNS = (
    "source",
    "external_id",
    "name",
    "email",
    "phone_raw",
    "phone_normalized",
    "register_date",
    "conversion_date",
    "sale_date",
    "status",
)


@contextmanager
def locked_run(local_url: str, kind: str) -> Iterator[tuple[psycopg.Connection, int]]:
    """Hold the CRM lock and a 'running' crm_sync_runs row for the duration of a run.

    Yields (autocommit control connection, run id). An exception marks the run 'failed' with
    its message and propagates; success must be recorded by the caller with `finish_success`
    inside its data transaction.
    """
    with db.connect(local_url, autocommit=True) as conn:
        got = conn.execute("SELECT pg_try_advisory_lock(%s)", (CRM_LOCK,)).fetchone()
        if not got or not got[0]:
            raise AlreadyRunningError(
                "Another CRM job (sync, import or match) is running on this database.",
                hint="Wait for it to finish; this run was not started and changed nothing.",
            )
        try:
            conn.execute(
                """UPDATE crm_sync_runs SET status = 'interrupted', finished_at = now(),
                       error_message = 'the process stopped before the run finished'
                   WHERE status = 'running'"""
            )
            row = conn.execute(
                "INSERT INTO crm_sync_runs (kind, status) VALUES (%s, 'running') RETURNING id",
                (kind,),
            ).fetchone()
            assert row is not None
            run_id = int(row[0])
            try:
                yield conn, run_id
            except BaseException as exc:
                message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
                conn.execute(
                    """UPDATE crm_sync_runs SET status = 'failed', finished_at = now(),
                           error_message = %s WHERE id = %s AND status = 'running'""",
                    (message[:2000], run_id),
                )
                raise
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (CRM_LOCK,))


def finish_success(
    conn: psycopg.Connection,
    run_id: int,
    *,
    rows_read: int,
    rows_written: int,
    rows_rejected: int,
    detail: str,
) -> None:
    """Record a successful run; call inside the data transaction so both commit together."""
    conn.execute(
        """UPDATE crm_sync_runs SET status = 'success', finished_at = now(), rows_read = %s,
               rows_written = %s, rows_rejected = %s, detail = %s WHERE id = %s""",
        (rows_read, rows_written, rows_rejected, detail, run_id),
    )


def upsert_members(conn: psycopg.Connection, members: Iterable[Member]) -> tuple[int, int]:
    """Insert or update `members`; return (inserted, updated). Unchanged rows are not touched.

    A member listed twice (EVO pages shifting while new members arrive) counts once: the last
    occurrence wins.
    """
    cols = ", ".join(COLUMNS)
    conn.execute(
        f"""CREATE TEMP TABLE crm_staging ON COMMIT DROP AS
            SELECT 0::bigint AS seq, {cols} FROM crm_customers WITH NO DATA"""
    )
    with conn.cursor().copy(f"COPY crm_staging (seq, {cols}) FROM STDIN") as copy:
        for seq, m in enumerate(members):
            copy.write_row(
                (
                    seq,
                    m.source,
                    m.external_id,
                    m.name,
                    m.email,
                    m.phone.raw,
                    m.phone.e164,
                    m.register_date,
                    m.conversion_date,
                    m.sale_date,
                    m.status,
                )
            )
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in COLUMNS[2:])
    changed = " OR ".join(f"crm_customers.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in COLUMNS[2:])
    rows = conn.execute(
        f"""INSERT INTO crm_customers ({cols})
            SELECT DISTINCT ON (source, external_id) {cols} FROM crm_staging
            ORDER BY source, external_id, seq DESC
            ON CONFLICT (source, external_id) DO UPDATE SET {updates}, updated_at = now()
            WHERE {changed}
            RETURNING (xmax = 0) AS inserted"""
    ).fetchall()
    conn.execute("DROP TABLE crm_staging")
    inserted = sum(1 for (flag,) in rows if flag)
    return inserted, len(rows) - inserted


def delete_missing(conn: psycopg.Connection, source: Source, keep: set[str]) -> int:
    """Delete `source` customers whose external id is not in `keep` (a full replacement)."""
    cur = conn.execute(
        "DELETE FROM crm_customers WHERE source = %s AND NOT (external_id = ANY(%s))",
        (source, list(keep)),
    )
    return cur.rowcount
