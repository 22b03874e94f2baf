"""A large Chatwoot-shaped database in minutes: the demo generator's rows, copied set-based.

The demo generator (allpfit.demo.generator) writes realistic conversations from Python, about
2,000 a second on this machine (500,000 took 3-5 minutes): 1,000,000 would take ten. The
benchmarks need the size and the shape (messages per conversation, CSAT answers, reporting
events, labels, contacts and their inboxes), not a million different dialogues. So
`bulk_generate` makes a template of `template` conversations with the demo generator, then
copies it inside PostgreSQL, one set-based `INSERT ... SELECT` per table and copy (each copy a
contiguous stretch, laid out as the template), every id shifted past the template's (and every
reference with it), unique texts suffixed, new uuids, and `display_id` numbered by Chatwoot's
own trigger. The secondary indexes are dropped for the copy and rebuilt once after
(writer.drop_indexes / restore_indexes), sequences moved past the new ids, then the database
is VACUUMed and ANALYZEd as a live one is.

Every copy keeps the template's timestamps (a busier business over the same days), so change
detection, which reads ranges of recent timestamps, sees the same "old" history it would see in
a longer one. Only for benchmarks: the demo and the tests use the generator itself.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import datetime

import psycopg
from psycopg import sql

from allpfit.demo.generator import generate
from allpfit.demo.writer import COLUMNS, advance_sequences, drop_indexes, restore_indexes

# Per table, the columns that change from copy to copy (`k` is the copy, 1..copies; `{T}` is
# the template's max id of table T, so copy k's ids are the template's plus k * that). Every
# other column of writer.COLUMNS is copied as is.
SHIFTED: dict[str, dict[str, str]] = {
    "contacts": {
        "id": "id + k * {contacts}",
        "email": "CASE WHEN email IS NULL THEN NULL ELSE k || '.' || email END",
    },
    "contact_inboxes": {
        "id": "id + k * {contact_inboxes}",
        "contact_id": "contact_id + k * {contacts}",
        "source_id": "source_id || '.' || k",
    },
    "conversations": {
        "id": "id + k * {conversations}",
        "contact_id": "contact_id + k * {contacts}",
        "contact_inbox_id": "contact_inbox_id + k * {contact_inboxes}",
        "uuid": "gen_random_uuid()",
        "display_id": "NULL",  # Chatwoot's trigger numbers it (conv_dpid_seq_<account>)
    },
    "messages": {
        "id": "id + k * {messages}",
        "conversation_id": "conversation_id + k * {conversations}",
        "sender_id": "CASE WHEN sender_type = 'Contact' THEN sender_id + k * {contacts} "
        "ELSE sender_id END",
        "source_id": "CASE WHEN source_id IS NULL THEN NULL ELSE source_id || '.' || k END",
    },
    "attachments": {
        "id": "id + k * {attachments}",
        "message_id": "message_id + k * {messages}",
    },
    "csat_survey_responses": {
        "id": "id + k * {csat_survey_responses}",
        "conversation_id": "conversation_id + k * {conversations}",
        "message_id": "message_id + k * {messages}",
        "contact_id": "contact_id + k * {contacts}",
    },
    "reporting_events": {
        "id": "id + k * {reporting_events}",
        "conversation_id": "conversation_id + k * {conversations}",
    },
    "taggings": {
        "id": "id + k * {taggings}",
        "taggable_id": "CASE WHEN taggable_type = 'Conversation' "
        "THEN taggable_id + k * {conversations} ELSE taggable_id + k * {contacts} END",
    },
    "conversation_participants": {
        "id": "id + k * {conversation_participants}",
        "conversation_id": "conversation_id + k * {conversations}",
    },
}


@dataclass
class BulkStats:
    conversations: int
    messages: int
    template_s: float
    copy_s: float
    index_s: float
    vacuum_s: float

    @property
    def seconds(self) -> float:
        return self.template_s + self.copy_s + self.index_s + self.vacuum_s


def bulk_generate(
    url: str, conversations: int, *, seed: int, end: datetime, template: int = 5_000
) -> BulkStats:
    """At least `conversations` conversations (a whole number of template copies) in the
    empty Chatwoot-shaped database at `url` (see the module docstring)."""
    size = min(template, conversations)
    copies = math.ceil(conversations / size) - 1
    started = time.perf_counter()
    generate(url, conversations=size, seed=seed, end=end, accounts=1)
    template_s = time.perf_counter() - started
    copy_s = index_s = 0.0
    if copies:
        with psycopg.connect(url) as conn, conn.transaction():
            conn.execute("SET LOCAL work_mem = '256MB'")
            tops = {
                table: int(
                    conn.execute(
                        sql.SQL("SELECT coalesce(max(id), 0) FROM {}").format(sql.Identifier(table))
                    ).fetchone()[0]  # type: ignore[index]
                )
                for table in COLUMNS
            }
            definitions = drop_indexes(conn)
            started = time.perf_counter()
            for table, columns in COLUMNS.items():
                shifted = SHIFTED.get(table, {})
                values = [sql.SQL(shifted[c].format(**tops)) if c in shifted
                          else sql.Identifier(c) for c in columns]  # fmt: skip
                # Each copy reads the template from a temp table: reading it from the table
                # itself would scan every copy made so far (quadratic in the copies).
                template_table = sql.Identifier(f"template_{table}")
                conn.execute(
                    sql.SQL("CREATE TEMP TABLE {} ON COMMIT DROP AS SELECT * FROM {}").format(
                        template_table, sql.Identifier(table)
                    )
                )
                statement = sql.SQL(
                    "INSERT INTO {t} ({cols}) SELECT {values} "
                    "FROM {template}, (SELECT %(k)s::bigint AS k) copy"
                ).format(
                    t=sql.Identifier(table),
                    template=template_table,
                    cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
                    values=sql.SQL(", ").join(values),
                )
                # One statement per copy, so each copy is one contiguous stretch of the table
                # laid out as the template is: a conversation's messages sit as close together
                # at 1,000,000 conversations as at 100,000 (a longer history appends, it does
                # not interleave). One statement for all copies would interleave them, and
                # scatter each conversation's messages more the more copies there are.
                for k in range(1, copies + 1):
                    conn.execute(statement, {"k": k})
            copy_s = time.perf_counter() - started
            started = time.perf_counter()
            restore_indexes(conn, definitions)
            advance_sequences(conn)
            index_s = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")
        n, m = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM messages)"
        ).fetchone()  # type: ignore[misc]
    vacuum_s = time.perf_counter() - started
    return BulkStats(int(n), int(m), template_s, copy_s, index_s, vacuum_s)
