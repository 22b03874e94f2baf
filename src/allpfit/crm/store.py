"""Writing customers and run records: crm_customers and crm_sync_runs.

Customers are upserted by (source, external_id), so importing the same file or syncing the same
API twice leaves the same rows (only `updated_at` moves, and only when a value changed);
customers absent from a later full listing are marked (`mark_missing`), never deleted. Each
`crm sync` / `crm import` / `crm match` run is one crm_sync_runs row: inserted as 'running' on
its own autocommit connection, finished by the data transaction on success (both commit or
neither), or marked 'failed' with the error otherwise, by the one run ledger (allpfit.runs).
The status screen reads that table.

Per tenant: each run holds the CRM lock of its tenant only and works on a tenant session
(row-level security, migration 0051), so customers are upserted by (tenant, source,
external_id) and a listing only ever marks its own tenant's customers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import psycopg

from allpfit.crm.members import Member, Source
from allpfit.runs import Ledger
from allpfit.safety import check_removal
from allpfit.tenants import DEFAULT_TENANT_ID

CRM_LOCK = 7_300_020  # pg_advisory_lock key held by every crm run
CRM_RUNS = Ledger(
    table="crm_sync_runs",
    lock_key=CRM_LOCK,
    job="CRM job",
    busy="Another CRM job (sync, import or match) is running on this database",
    timed=False,
)

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
def locked_run(
    local_url: str, kind: str, tenant_id: int = DEFAULT_TENANT_ID
) -> Iterator[tuple[psycopg.Connection, int]]:
    """Hold `tenant_id`'s CRM lock and a 'running' crm_sync_runs row for the duration of a run.

    Yields (autocommit control connection, run id). An exception marks the run 'failed' (or
    'interrupted', 'refused') with its message and propagates, a database error as a
    LocalDatabaseError; success must be recorded by the caller with `finish_success` inside its
    data transaction.
    """
    with CRM_RUNS.run(local_url, tenant_id=tenant_id, kind=kind) as run:
        yield run.conn, run.id


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
    CRM_RUNS.finish(
        conn,
        run_id,
        rows_read=rows_read,
        rows_written=rows_written,
        rows_rejected=rows_rejected,
        detail=detail,
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
            ON CONFLICT (tenant_id, source, external_id) DO UPDATE SET {updates}, updated_at = now()
            WHERE {changed}
            RETURNING (xmax = 0) AS inserted"""
    ).fetchall()
    conn.execute("DROP TABLE crm_staging")
    inserted = sum(1 for (flag,) in rows if flag)
    return inserted, len(rows) - inserted


def mark_missing(
    conn: psycopg.Connection,
    source: Source,
    keep: set[str],
    *,
    max_fraction: float,
    allow: bool,
    what: str,
) -> tuple[int, int]:
    """Apply a full listing of `source` (its external ids `keep`) without deleting anything.

    Customers absent from it get `missing_in_source_at` (the matcher leaves them out); listed
    customers that were marked lose the mark. A short or truncated listing must never cost
    imported data, so when the absent share exceeds `max_fraction` (or everything would go)
    `allpfit.safety.check_removal` refuses with MassRemovalRefused, before any write, unless
    `allow`. Returns (newly marked, marks cleared)."""
    listed = list(keep)
    row = conn.execute(
        """SELECT count(*) FILTER (WHERE missing_in_source_at IS NULL),
                  count(*) FILTER (WHERE missing_in_source_at IS NULL
                                   AND NOT (external_id = ANY(%s)))
           FROM crm_customers WHERE source = %s""",
        (listed, source),
    ).fetchone()
    assert row is not None
    check_removal(what, existing=row[0], removing=row[1], max_fraction=max_fraction, allow=allow)
    marked = conn.execute(
        """UPDATE crm_customers SET missing_in_source_at = now()
           WHERE source = %s AND missing_in_source_at IS NULL
             AND NOT (external_id = ANY(%s))""",
        (source, listed),
    ).rowcount
    returned = conn.execute(
        """UPDATE crm_customers SET missing_in_source_at = NULL
           WHERE source = %s AND missing_in_source_at IS NOT NULL AND external_id = ANY(%s)""",
        (source, listed),
    ).rowcount
    return marked, returned
