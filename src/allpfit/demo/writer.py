"""Batched COPY of the generated rows, one COPY per table per batch.

Rows are collected for a few thousand conversations and then streamed with
`cursor.copy(...).write_row`, so memory stays bounded at any scale and PostgreSQL parses rows
while Python builds the next ones. Ids are explicit (sequences are moved past them at the
end), except `conversations.display_id`, which Chatwoot's own trigger fills in.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

COLUMNS: dict[str, tuple[str, ...]] = {
    "contacts": (
        "id", "name", "email", "phone_number", "account_id", "created_at", "updated_at",
        "contact_type", "last_activity_at",
    ),
    "contact_inboxes": ("id", "contact_id", "inbox_id", "source_id", "created_at", "updated_at"),
    "conversations": (
        "id", "account_id", "inbox_id", "status", "assignee_id", "created_at", "updated_at",
        "contact_id", "display_id", "contact_last_seen_at", "agent_last_seen_at",
        "additional_attributes", "contact_inbox_id", "uuid", "last_activity_at", "team_id",
        "snoozed_until", "custom_attributes", "assignee_last_seen_at", "first_reply_created_at",
        "priority", "waiting_since", "cached_label_list",
    ),
    "messages": (
        "id", "content", "account_id", "inbox_id", "conversation_id", "message_type",
        "created_at", "updated_at", "private", "status", "source_id", "content_type",
        "content_attributes", "sender_type", "sender_id",
    ),
    "attachments": (
        "id", "file_type", "message_id", "account_id", "created_at", "updated_at", "extension",
    ),
    "csat_survey_responses": (
        "id", "account_id", "conversation_id", "message_id", "rating", "feedback_message",
        "contact_id", "assigned_agent_id", "created_at", "updated_at",
    ),
    "reporting_events": (
        "id", "name", "value", "account_id", "inbox_id", "user_id", "conversation_id",
        "created_at", "updated_at", "value_in_business_hours", "event_start_time",
        "event_end_time",
    ),
    "taggings": ("id", "tag_id", "taggable_type", "taggable_id", "context", "created_at"),
    "conversation_participants": (
        "id", "account_id", "user_id", "conversation_id", "created_at", "updated_at",
    ),
}  # fmt: skip

# Tables whose `id` sequence must be moved past the explicit ids after loading.
SEQUENCED = (*COLUMNS, "accounts", "inboxes", "channel_whatsapp", "channel_web_widgets",
             "users", "account_users", "teams", "team_members", "agent_bots",
             "agent_bot_inboxes", "labels", "tags")  # fmt: skip


class Batch:
    """Rows waiting to be copied, per table, and the running totals."""

    def __init__(self) -> None:
        self.rows: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
        self.totals: dict[str, int] = dict.fromkeys(COLUMNS, 0)

    def add(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows[table].append(row)

    def flush(self, conn: psycopg.Connection) -> None:
        with conn.cursor() as cur:
            for table, rows in self.rows.items():
                if not rows:
                    continue
                statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
                    sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, COLUMNS[table]))
                )
                with cur.copy(statement) as copy:
                    for row in rows:
                        copy.write_row(row)
                self.totals[table] += len(rows)
                rows.clear()


def drop_indexes(conn: psycopg.Connection) -> list[str]:
    """Drop the secondary indexes of the bulk tables and return their definitions.

    Building an index once over loaded rows is several times faster than maintaining a dozen
    of them row by row during COPY. Primary keys stay. `restore_indexes` recreates exactly
    what was there (Chatwoot's own definitions, read back from the catalog), in the same
    transaction, so a failure leaves the schema untouched.
    """
    rows = conn.execute(
        """SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
           FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid
           WHERE t.relname = ANY(%s) AND t.relnamespace = current_schema()::regnamespace
             AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)""",
        (list(COLUMNS),),
    ).fetchall()
    for name, _ in rows:
        conn.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(name)))
    return [definition for _, definition in rows]


def restore_indexes(conn: psycopg.Connection, definitions: list[str]) -> None:
    conn.execute("SET LOCAL maintenance_work_mem = '256MB'")
    for definition in definitions:
        conn.execute(definition.encode())


def advance_sequences(conn: psycopg.Connection) -> None:
    """Point every serial sequence past the highest explicit id, as Chatwoot would have it."""
    for table in SEQUENCED:
        conn.execute(
            sql.SQL(
                "SELECT setval(pg_get_serial_sequence({name}, 'id'), "
                "COALESCE((SELECT max(id) FROM {table}), 0) + 1, false)"
            ).format(name=sql.Literal(table), table=sql.Identifier(table))
        )
