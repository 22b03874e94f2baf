"""Chatwoot extraction SQL, assembled from the files in `source/sql/`.

The same parts serve two uses. The sync runs them inline, with `scope` bound to the
conversations it needs, so it works for a read-only user who cannot create views. An
administrator may deploy them as views (`allpfit source deploy-views`), with the settings baked
in as literals, for their own reports. Parameters use psycopg's `%(name)s` placeholders.

Tenants: one Chatwoot may serve several businesses, one account each. Every query that selects
conversations (extraction, change detection, the list of ids Chatwoot still has) reads only the
tenant's scope, `SCOPE`: its account (`%(account_id)s`, NULL = every account) and inboxes
(`%(inbox_ids)s`, empty = every inbox), so another business's conversations are never read, and
never "deleted" from this tenant's point of view. `scope_params` builds those two parameters.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from importlib import resources
from typing import Any

from psycopg import sql

PARTS = ("messages", "events", "csat", "daily")
PART_CTE = {"messages": "msgs", "events": "events", "csat": "csat", "daily": "daily"}
PART_VIEW = {
    "messages": "vw_conversation_messages",
    "events": "vw_conversation_events",
    "csat": "vw_conversation_csat",
    "daily": "vw_conversation_daily_messages",
}

# The tenant's conversations, `c` being a row of `conversations`: the one definition.
SCOPE = (
    "(%(account_id)s::integer IS NULL OR c.account_id = %(account_id)s::integer)"
    " AND (cardinality(%(inbox_ids)s::integer[]) = 0 OR c.inbox_id = ANY(%(inbox_ids)s::integer[]))"
)
ALL_CONVERSATIONS = f"SELECT c.id FROM conversations c WHERE {SCOPE}"
# Ids found by change detection, still checked against the scope: a conversation moved to
# another account or inbox is never read for this tenant.
LISTED_CONVERSATIONS = (
    f"SELECT c.id FROM conversations c WHERE c.id = ANY(%(ids)s::integer[]) AND {SCOPE}"
)
ALL_IDS = ALL_CONVERSATIONS
NAMES = """
SELECT 'inbox' AS kind, id::bigint, name FROM inboxes
WHERE %(account_id)s::integer IS NULL OR account_id = %(account_id)s::integer
UNION ALL SELECT 'user', id::bigint, COALESCE(NULLIF(btrim(display_name), ''), name) FROM users
UNION ALL SELECT 'team', id, name FROM teams
WHERE %(account_id)s::integer IS NULL OR account_id = %(account_id)s::integer
"""
NOW_UTC = "SELECT now() AT TIME ZONE 'UTC'"

# Every (table, column) the SQL reads; checked before each run for a clear error.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": (
        "id", "display_id", "account_id", "inbox_id", "status", "priority", "assignee_id",
        "assignee_agent_bot_id", "team_id", "contact_id", "contact_inbox_id", "campaign_id",
        "cached_label_list", "custom_attributes", "additional_attributes", "created_at",
        "updated_at", "last_activity_at", "first_reply_created_at", "waiting_since",
        "snoozed_until", "contact_last_seen_at", "agent_last_seen_at",
    ),
    "messages": (
        "id", "conversation_id", "message_type", "content_type", "content", "private",
        "sender_type", "sender_id", "content_attributes", "additional_attributes",
        "created_at", "updated_at",
    ),
    "contacts": (
        "id", "name", "phone_number", "email", "identifier", "contact_type", "blocked",
        "created_at", "updated_at",
    ),
    "contact_inboxes": ("id", "source_id"),
    "inboxes": ("id", "account_id", "name", "channel_type"),
    "users": ("id", "name", "display_name"),
    "teams": ("id", "account_id", "name"),
    "csat_survey_responses": (
        "id", "conversation_id", "rating", "feedback_message", "created_at", "updated_at",
    ),
    "reporting_events": (
        "id", "conversation_id", "name", "value", "value_in_business_hours",
        "event_end_time", "created_at", "user_id", "inbox_id",
    ),
    "taggings": ("taggable_id", "taggable_type", "context", "created_at"),
    "accounts": ("id",),  # the installation's identity (sync/guards.py)
}  # fmt: skip


@cache
def part(name: str) -> str:
    """The text of `source/sql/<name>.sql`, comments included."""
    return (resources.files("allpfit.source") / "sql" / f"{name}.sql").read_text()


def extraction(scope: str) -> str:
    """The full extraction query for the conversations selected by `scope` (SQL of one
    `id` column)."""
    ctes = [f"scope AS ({scope})"]
    ctes += [f"{PART_CTE[p]} AS (\n{part(p)}\n)" for p in PARTS]
    return "WITH " + ",\n".join(ctes) + "\n" + part("final")


def changed_since() -> str:
    """Ids of the tenant's conversations with a source row changed since `%(since)s`."""
    return (
        f"SELECT c.id FROM ({part('changed_conversations')}\n) changed "
        f"JOIN conversations c ON c.id = changed.id WHERE {SCOPE}"
    )


def scope_params(account_id: int | None, inbox_ids: Sequence[int]) -> dict[str, object]:
    """The parameters of `SCOPE`: a tenant's account (None = all) and inboxes ([] = all)."""
    return {"account_id": account_id, "inbox_ids": list(inbox_ids)}


def view_statements(params: dict[str, Any], final_view: str) -> list[str]:
    """`CREATE OR REPLACE VIEW` statements for the parts and the final view, with `params`
    rendered as SQL literals (views take no parameters)."""

    def render(text: str) -> str:
        for key, value in params.items():
            text = text.replace(f"%({key})s", sql.Literal(value).as_string(None))
        return text

    params = {**scope_params(None, []), **params}
    scope = f"scope AS ({render(ALL_CONVERSATIONS)})"
    statements = [
        f"CREATE OR REPLACE VIEW {PART_VIEW[p]} AS\nWITH {scope}\n{render(part(p))}" for p in PARTS
    ]
    ctes = [scope] + [f"{PART_CTE[p]} AS (SELECT * FROM {PART_VIEW[p]})" for p in PARTS]
    final = f"CREATE OR REPLACE VIEW {sql.Identifier(final_view).as_string(None)} AS\n"
    statements.append(final + "WITH " + ",\n".join(ctes) + "\n" + render(part("final")))
    return statements
