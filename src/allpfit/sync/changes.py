"""Which conversations an incremental run must re-read.

Two sources of change. In Chatwoot: every row that feeds a column and moved since the
watermark (source/sql/changed_conversations.sql), read with a closed lower bound minus an
overlap window, so rows committed late with slightly older timestamps are still seen. Against
the local table: conversations Chatwoot has and we lack (whatever their timestamps), and
agents, inboxes and teams renamed in Chatwoot (their `updated_at` also moves on every sign-in,
so comparing names is both exact and cheap).

Everything is per tenant: the Chatwoot side reads only the tenant's scope (`scope` holds the
parameters of `queries.SCOPE`), and the local side runs on a tenant session, whose row-level
security shows only the tenant's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import psycopg

from allpfit.source import queries
from allpfit.sync.load import pipe_copy

_DRIFT = """
SELECT a.conversation_id FROM conversas_analytics a
LEFT JOIN source_names i ON i.kind = 'inbox' AND i.id = a.inbox_id
LEFT JOIN source_names u ON u.kind = 'user' AND u.id = a.assignee_id
LEFT JOIN source_names t ON t.kind = 'team' AND t.id = a.team_id
WHERE (a.inbox_id IS NOT NULL AND a.inbox_name IS DISTINCT FROM i.name)
   OR (a.assignee_id IS NOT NULL AND a.assignee_name IS DISTINCT FROM u.name)
   OR (a.team_id IS NOT NULL AND a.team_name IS DISTINCT FROM t.name)
"""


def changed_ids(source: psycopg.Connection, since: datetime, scope: dict[str, object]) -> set[int]:
    """The tenant's conversations with any source row changed at or after `since` (naive UTC)."""
    rows = source.execute(queries.changed_since(), {**scope, "since": since}).fetchall()
    return {int(r[0]) for r in rows if r[0] is not None}


def renamed_ids(
    source: psycopg.Connection, local: psycopg.Connection, scope: dict[str, object]
) -> set[int]:
    """Conversations whose stored inbox, agent or team name differs from Chatwoot's now."""
    local.execute("CREATE TEMP TABLE source_names (kind text, id bigint, name text) ON COMMIT DROP")
    pipe_copy(source, queries.NAMES, scope, local, "COPY source_names FROM STDIN")
    return {int(r[0]) for r in local.execute(_DRIFT)}


def unseen_ids(local: psycopg.Connection) -> set[int]:
    """Conversations Chatwoot has and the local table lacks, whatever their timestamps (an
    import, or a row committed long after its timestamp). Needs `copy_present_ids` first."""
    rows = local.execute(
        """SELECT s.conversation_id FROM source_ids s
           WHERE NOT EXISTS (SELECT 1 FROM conversas_analytics a
                             WHERE a.conversation_id = s.conversation_id)"""
    )
    return {int(r[0]) for r in rows}


def reappeared_ids(local: psycopg.Connection) -> set[int]:
    """Conversations marked deleted locally that Chatwoot lists again: re-read them whole,
    since changes made while they were missing (e.g. a wrong source) may be older than the
    watermark. Needs `copy_present_ids` first."""
    rows = local.execute(
        """SELECT a.conversation_id FROM conversas_analytics a
           JOIN source_ids s ON s.conversation_id = a.conversation_id
           WHERE a.deleted_in_source_at IS NOT NULL"""
    )
    return {int(r[0]) for r in rows}


def copy_present_ids(
    source: psycopg.Connection, local: psycopg.Connection, scope: dict[str, object]
) -> None:
    """Every conversation id Chatwoot still has in the tenant's scope, into temp table
    `source_ids`: a conversation of another account or inbox is never missing from it in a
    way that marks this tenant's rows deleted, nor does it count as this tenant's."""
    local.execute("CREATE TEMP TABLE source_ids (conversation_id integer) ON COMMIT DROP")
    pipe_copy(source, queries.ALL_IDS, scope, local, "COPY source_ids FROM STDIN")
    local.execute("ANALYZE source_ids")  # the anti-joins against it get real row counts


# The tenant's conversations named by webhook events: Chatwoot's payloads name a conversation
# by its display_id (unique per account: narrowed to the event's account when the payload
# carries one, else to the tenant's scope) and a contact event by the contact's id.
_TARGETED = f"""
SELECT c.id FROM conversations c
WHERE (c.display_id = ANY(%(display_ids)s::integer[])
       OR c.contact_id = ANY(%(contact_ids)s::integer[]))
  AND (%(event_account_id)s::integer IS NULL OR c.account_id = %(event_account_id)s::integer)
  AND {queries.SCOPE}
"""


def targeted_ids(
    source: psycopg.Connection,
    scope: dict[str, object],
    *,
    display_ids: Sequence[int],
    contact_ids: Sequence[int],
    account_id: int | None,
) -> set[int]:
    """The conversation ids (conversations.id) of the tenant that webhook events named."""
    if not display_ids and not contact_ids:
        return set()
    rows = source.execute(
        _TARGETED,
        {
            **scope,
            "display_ids": list(display_ids),
            "contact_ids": list(contact_ids),
            "event_account_id": account_id,
        },
    ).fetchall()
    return {int(r[0]) for r in rows}
