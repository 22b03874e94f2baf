"""Loading extracted rows: COPY into a staging table, then one merge into conversas_analytics.

The merge is `INSERT ... ON CONFLICT DO UPDATE ... WHERE row IS DISTINCT FROM`, so a row is
rewritten (and `etl_updated_at` moved) only when a value really changed, `etl_inserted_at`
never changes, and loading the same rows twice is a no-op.

A conversation gone from Chatwoot is marked (`deleted_in_source_at`), never deleted: its paid
AI profile and its CRM match stay, and the mark is cleared if Chatwoot lists it again. Only
`allpfit etl purge-deleted` removes marked rows, on purpose (sync/purge.py).

Every statement runs on a tenant session (`db.tenant_connection`): new rows get the session's
tenant_id by default, and the marks touch only the tenant's rows (row-level security).
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql
from psycopg.abc import Query

from allpfit.progress import Progress

TARGET = "conversas_analytics"
LOCAL_ONLY = ("etl_inserted_at", "etl_updated_at", "deleted_in_source_at")


@dataclass
class MergeCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0  # marked deleted in this run
    restored: int = 0  # mark cleared: Chatwoot lists the conversation again


def create_staging(conn: psycopg.Connection) -> None:
    """A temp table shaped like the target; its generated columns (e.g. `is_lead`) are
    generated there too, so the NOT NULL they carry never rejects a copied row."""
    conn.execute(
        f"CREATE TEMP TABLE staging (LIKE {TARGET} INCLUDING DEFAULTS INCLUDING GENERATED) "
        "ON COMMIT DROP"
    )


def pipe_copy(
    source: psycopg.Connection,
    query: str,
    params: dict[str, object],
    target: psycopg.Connection,
    copy_in: Query,
    *,
    progress: Progress | None = None,
    phase: str = "extract",
    total: int | None = None,
) -> int:
    """Stream `query` from the source into the local `copy_in` COPY, in text format (portable
    across server versions and integer widths); return the number of rows moved."""
    rows = 0
    with source.cursor() as scur, target.cursor() as tcur:
        copy_out = sql.SQL("COPY ({}) TO STDOUT").format(sql.SQL(query))
        with scur.copy(copy_out, params) as out, tcur.copy(copy_in) as into:
            for chunk in out:
                into.write(chunk)
                rows += bytes(chunk).count(b"\n")
                if progress is not None:
                    progress(phase, rows, total)
    return rows


def merge(conn: psycopg.Connection, columns: list[str]) -> MergeCounts:
    """Upsert staging into the target; count inserted, updated and unchanged rows."""
    cols = [c for c in columns if c not in LOCAL_ONLY]
    ident = [sql.Identifier(c) for c in cols]
    updatable = [c for c in ident if c.as_string(None) != '"conversation_id"']
    query = sql.SQL(
        """WITH merged AS (
            INSERT INTO {target} AS t ({cols}) SELECT {cols} FROM staging
            ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET {sets}, etl_updated_at = now()
            WHERE ({old}) IS DISTINCT FROM ({new})
            RETURNING (xmax = 0) AS inserted)
        SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted),
               (SELECT count(*) FROM staging)
        FROM merged"""
    ).format(
        target=sql.Identifier(TARGET),
        cols=sql.SQL(", ").join(ident),
        sets=sql.SQL(", ").join(sql.SQL("{0} = EXCLUDED.{0}").format(c) for c in updatable),
        old=sql.SQL(", ").join(sql.SQL("t.{}").format(c) for c in updatable),
        new=sql.SQL(", ").join(sql.SQL("EXCLUDED.{}").format(c) for c in updatable),
    )
    inserted, updated, staged = conn.execute(query).fetchone()  # type: ignore[misc]
    return MergeCounts(inserted, updated, staged - inserted - updated)


def mark_missing(conn: psycopg.Connection, present: str) -> int:
    """Mark deleted (now) the local rows whose conversation Chatwoot no longer has; return
    how many were newly marked. `present` is a temp table whose `conversation_id` column lists
    every conversation the source still has. Nothing is deleted: profiles and matches stay."""
    cur = conn.execute(
        sql.SQL(
            "UPDATE {target} t SET deleted_in_source_at = now() "
            "WHERE t.deleted_in_source_at IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM {present} p WHERE p.conversation_id = t.conversation_id)"
        ).format(target=sql.Identifier(TARGET), present=sql.Identifier(present))
    )
    return cur.rowcount


def restore_present(conn: psycopg.Connection, present: str) -> int:
    """Clear the mark of rows Chatwoot lists again (a conversation restored, or a wrong source
    corrected); return how many."""
    cur = conn.execute(
        sql.SQL(
            "UPDATE {target} t SET deleted_in_source_at = NULL "
            "WHERE t.deleted_in_source_at IS NOT NULL AND EXISTS "
            "(SELECT 1 FROM {present} p WHERE p.conversation_id = t.conversation_id)"
        ).format(target=sql.Identifier(TARGET), present=sql.Identifier(present))
    )
    return cur.rowcount


def removal_counts(conn: psycopg.Connection, present: str) -> tuple[int, int, int]:
    """(live local rows, live local rows missing from `present`, rows in `present`): what
    `mark_missing` would do, for the guards to judge before anything is written."""
    row = conn.execute(
        sql.SQL(
            # An outer join, not `FILTER (WHERE NOT EXISTS ...)`: a correlated subquery inside
            # an aggregate's filter is re-run per local row (quadratic: 238 s at 100k rows),
            # where the join is one hash join. Ids in `present` are unique (Chatwoot's key).
            """SELECT count(*), count(*) FILTER (WHERE p.conversation_id IS NULL),
                      (SELECT count(*) FROM {present})
               FROM {target} t LEFT JOIN {present} p ON p.conversation_id = t.conversation_id
               WHERE t.deleted_in_source_at IS NULL"""
        ).format(target=sql.Identifier(TARGET), present=sql.Identifier(present))
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1]), int(row[2])
