"""The optional indexes on Chatwoot's tables that make change detection follow the change.

Change detection (source/sql/changed_conversations.sql) asks every table that feeds a column
for rows changed since the watermark. Chatwoot indexes `messages.created_at` and
`reporting_events.created_at`, but not the `updated_at` columns: without these indexes each
incremental run reads every message, conversation and contact, so its cost grows with the whole
history. With them it reads only the changed rows. They are the user's choice (their database,
their disk), so the sync never needs them and never creates them on its own: `allpfit source
index --print` prints the SQL for a DBA, `--apply` runs it on a writable connection.

One definition: the list below is what `source index` prints, what `source check` looks for
and what bench/live.py measures.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg


@dataclass(frozen=True)
class SourceIndex:
    """One optional index: `table(column)` (a plain btree), named `name`."""

    table: str
    column: str
    why: str

    @property
    def name(self) -> str:
        return f"allpfit_{self.table}_{self.column}"

    def create_sql(self) -> str:
        """`CREATE INDEX CONCURRENTLY`: Chatwoot keeps writing while it builds (slower than a
        plain build, and it cannot run inside a transaction block)."""
        return (
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {self.name} "
            f"ON {self.table} USING btree ({self.column})"
        )

    def drop_sql(self) -> str:
        return f"DROP INDEX CONCURRENTLY IF EXISTS {self.name}"


INDEXES: tuple[SourceIndex, ...] = (
    SourceIndex("messages", "updated_at", "new and edited messages (the largest table)"),
    SourceIndex("conversations", "updated_at", "status, assignment and attribute changes"),
    SourceIndex("contacts", "updated_at", "renamed contacts, new phone numbers"),
    SourceIndex("csat_survey_responses", "updated_at", "CSAT answers and edits"),
    SourceIndex("taggings", "created_at", "labels applied to conversations"),
)


def script() -> str:
    """The SQL a DBA runs, one statement per line (each outside a transaction block)."""
    lines = [
        "-- Optional indexes for AllpFit's incremental sync (allpfit source index).",
        "-- CONCURRENTLY: Chatwoot keeps working while each builds; run them one at a time,",
        "-- outside a transaction (psql runs each line on its own). A failed build leaves an",
        "-- INVALID index: drop it (DROP INDEX CONCURRENTLY name) and run the line again.",
    ]
    for index in INDEXES:
        lines.append(f"-- {index.why}")
        lines.append(index.create_sql() + ";")
    return "\n".join(lines)


def present(conn: psycopg.Connection) -> dict[SourceIndex, str | None]:
    """For each index of `INDEXES`, the name of a valid btree index on the current schema's
    table whose first column is the one we need (ours or one the DBA made under another name),
    or None. An index left INVALID by a failed concurrent build does not count."""
    rows = conn.execute(
        """SELECT t.relname, a.attname, min(i.relname)
           FROM pg_index x
           JOIN pg_class t ON t.oid = x.indrelid
           JOIN pg_class i ON i.oid = x.indexrelid
           JOIN pg_am am ON am.oid = i.relam
           JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = x.indkey[0]
           WHERE t.relnamespace = current_schema()::regnamespace
             AND x.indisvalid AND am.amname = 'btree' AND x.indpred IS NULL
           GROUP BY t.relname, a.attname"""
    ).fetchall()
    found = {(table, column): name for table, column, name in rows}
    return {index: found.get((index.table, index.column)) for index in INDEXES}


def apply(conn: psycopg.Connection) -> list[SourceIndex]:
    """Create the missing indexes on `conn` (autocommit, writable); returns those created."""
    missing = [index for index, name in present(conn).items() if name is None]
    for index in missing:
        # A build that failed earlier left our index INVALID; IF NOT EXISTS would keep it.
        conn.execute(index.drop_sql().encode())
        conn.execute(index.create_sql().encode())
    return missing
