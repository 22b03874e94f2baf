"""The webhook inbox (`webhook_events`, migration 0061): what a delivery names, storing it once,
and the lag the worker runs behind.

Chatwoot's payloads name a conversation by its display_id (`Conversations::EventDataPresenter`
puts `id: display_id`): at the top level for conversation events, under `conversation` for
message events. `contact_updated` names a contact (its real id), whose conversations are then
refreshed. Only these fields are read; the body is stored for diagnosis, never used as data.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

# Events whose conversations are refreshed; every other event is stored and marked done.
CONVERSATION_EVENTS = frozenset(
    {"conversation_created", "conversation_updated", "conversation_status_changed"}
)
MESSAGE_EVENTS = frozenset({"message_created", "message_updated"})
CONTACT_EVENTS = frozenset({"contact_updated"})
HANDLED = CONVERSATION_EVENTS | MESSAGE_EVENTS | CONTACT_EVENTS
MAX_INT = 2**31 - 1


@dataclass(frozen=True)
class Hook:
    """A tenant as the receiver sees it: its webhook credentials (references / hashes)."""

    tenant_id: int
    slug: str
    secret_ref: str | None
    token_sha256: str | None


@dataclass(frozen=True)
class Named:
    """What an event names: conversations (display ids), a contact, the account."""

    event: str
    display_ids: tuple[int, ...] = ()
    contact_id: int | None = None
    account_id: int | None = None


def find_hook(conn: psycopg.Connection, slug: str) -> Hook | None:
    """The enabled tenant `slug` (owner connection: the receiver serves every tenant)."""
    row = conn.execute(
        """SELECT id, slug, webhook_secret_ref, webhook_token_sha256 FROM tenants
           WHERE slug = %s AND enabled""",
        (slug,),
    ).fetchone()
    return Hook(*row) if row else None


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value <= MAX_INT:
        return value
    if isinstance(value, str) and value.isdigit() and 0 < int(value) <= MAX_INT:
        return int(value)
    return None


def _account(body: dict[str, Any]) -> int | None:
    account = body.get("account")
    if isinstance(account, dict):
        return _int(account.get("id"))
    return _int(body.get("account_id"))


def named(body: dict[str, Any]) -> Named:
    """What a Chatwoot webhook payload names (see the module docstring)."""
    event = body.get("event")
    event = event[:100] if isinstance(event, str) and event else "unknown"
    account = _account(body)
    if event in CONVERSATION_EVENTS:
        found = _int(body.get("id"))
        return Named(event, (found,) if found else (), account_id=account)
    if event in MESSAGE_EVENTS:
        conversation = body.get("conversation")
        found = _int(conversation.get("id")) if isinstance(conversation, dict) else None
        return Named(event, (found,) if found else (), account_id=account)
    if event in CONTACT_EVENTS:
        return Named(event, contact_id=_int(body.get("id")), account_id=account)
    return Named(event, account_id=account)


def store(
    conn: psycopg.Connection, tenant_id: int, delivery: uuid.UUID | None, body: dict[str, Any]
) -> bool:
    """Insert the event unless its delivery id is already stored; True if it was new. An event
    naming nothing to refresh is stored already processed."""
    what = named(body)
    pending = bool(what.display_ids or what.contact_id)
    row = conn.execute(
        """INSERT INTO webhook_events
               (tenant_id, delivery_id, event, account_id, conversation_display_ids, contact_id,
                processed_at, body)
           VALUES (%s, %s, %s, %s, %s, %s, CASE WHEN %s THEN NULL ELSE now() END, %s)
           ON CONFLICT (tenant_id, delivery_id) DO NOTHING
           RETURNING id""",
        (
            tenant_id,
            delivery,
            what.event,
            what.account_id,
            list(what.display_ids),
            what.contact_id,
            pending,
            Jsonb(body),
        ),
    ).fetchone()
    return row is not None


@dataclass(frozen=True)
class Backlog:
    """One tenant's webhook figures for `allpfit status`."""

    pending: int
    oldest_pending_at: datetime | None
    last_event_at: datetime | None
    last_event: str | None


def backlog(conn: psycopg.Connection) -> Backlog:
    """The webhook figures of the tenant `conn` is scoped to (or of all, as the owner)."""
    row = conn.execute(
        """SELECT (SELECT count(*) FROM webhook_events WHERE processed_at IS NULL),
                  (SELECT min(received_at) FROM webhook_events WHERE processed_at IS NULL),
                  last.received_at, last.event
           FROM (SELECT 1) one
           LEFT JOIN LATERAL (SELECT received_at, event FROM webhook_events
                              ORDER BY received_at DESC, id DESC LIMIT 1) last ON true"""
    ).fetchone()
    assert row is not None
    return Backlog(int(row[0]), row[1], row[2], row[3])
