"""Chatwoot's API copied into a local, Chatwoot-shaped mirror, so the ordinary sync can read it.

Why a mirror: the sync's extraction SQL (`source/sql/`) is the one definition of the 120
columns of `conversas_analytics`. Rather than compute them a second time from JSON, an API
tenant's refresh writes what the API returns into Chatwoot's own tables (the schema the package
ships, `demo/chatwoot_schema.sql`) in a schema of the LOCAL database, `chatwoot_mirror_t<id>`,
and `run_sync` then reads that schema as its source, read-only as ever (`mirror_url`). Rows get
the same columns and meaning by construction; what the API cannot give is listed in
docs/data-model.md ("Columns from the API source").

Ids: the API names a conversation by its `display_id` (its `id` field is the display id; the
database id is not exposed). The mirror stores it as both `conversations.id` and `display_id`,
and every reference to a conversation (messages, CSAT, reporting events, taggings) uses it, so
an API tenant's `conversation_id` is Chatwoot's display id: unique within the account, which is
all one tenant reads. Contacts, inboxes, users, teams and messages keep their real ids.
`contact_inboxes` rows are the mirror's own (one per contact and inbox, from the contact's
`contact_inboxes`); only their `source_id` is read.

Refreshes (`refresh_mirror`), each bounded by the client's page cap and deadlines:

- **backfill** (first run, or `full`): the conversation listing oldest first
  (`sort_by=created_at_asc`, an order in which new conversations only add pages at the end),
  page by page; each page's conversations, their contacts (fetched when new), messages, labels
  and synthesised reporting events are written and the page number committed in ONE
  transaction (`api_sync_state`), so a run killed at any moment resumes at the next page. A
  conversation whose last activity and update time match the mirror's is not asked for its
  messages again. A finished `full` listing also removes from the mirror the conversations
  Chatwoot no longer lists (the sync then marks them deleted, with its guards).
- **incremental**: the conversations whose last activity is at or after the previous refresh's
  start minus SYNC_OVERLAP_MINUTES (the API lists newest activity first and the client stops
  there), each with all its messages, plus CSAT answers since then.

The mirror schemas are owned by the configured user and granted to no tenant role: only the
sync (as that user) reads them. Tenant-visible data stays in the RLS-guarded tables.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import AlreadyRunningError, SourceError
from allpfit.progress import Progress
from allpfit.source import api_events
from allpfit.source.api_client import CONVERSATIONS_PER_PAGE, ChatwootApi
from allpfit.tenants import Tenant

log = logging.getLogger(__name__)

Mode = Literal["incremental", "full"]
MIRROR_LOCK = 7300004  # pg_try_advisory_lock(MIRROR_LOCK, tenant_id): one refresh per tenant
SCHEMA_PREFIX = "chatwoot_mirror_t"
PHASE = "api_conversations"  # cli/progress.py LABELS
BACKFILL_SORT = "created_at_asc"
MAX_MESSAGES_PER_CONVERSATION = 100_000  # far beyond any chat; bounds one conversation's rows
# Chatwoot's integer enums (app/models/conversation.rb, message.rb), from the API's names.
STATUS = {"open": 0, "resolved": 1, "pending": 2, "snoozed": 3}
PRIORITY = {"low": 0, "medium": 1, "high": 2, "urgent": 3}
MESSAGE_TYPE = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
MESSAGE_STATUS = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}
CONTENT_TYPE = {
    "text": 0, "input_text": 1, "input_textarea": 2, "input_email": 3, "input_select": 4,
    "cards": 5, "form": 6, "article": 7, "incoming_email": 8, "input_csat": 9,
    "integrations": 10, "sticker": 11, "voice_call": 12,
}  # fmt: skip
CONTACT_TYPE = {"visitor": 0, "lead": 1, "customer": 2}
SENDER_TYPE = {
    "contact": "Contact",
    "user": "User",
    "agent_bot": "AgentBot",
    "captain_assistant": "Captain::Assistant",
}


@dataclass
class MirrorResult:
    """What one refresh did (for the log and the tests)."""

    mode: str  # "backfill" or "incremental"
    previous_refresh: datetime | None = None  # when the refresh before this one started
    pages: int = 0  # listing pages written by this run
    conversations: int = 0  # conversations written by this run
    messages_fetched: int = 0  # conversations whose messages were asked for
    removed: int = 0  # conversations no longer listed, removed from the mirror (full only)
    requests: int = 0


# --- Where the mirror lives ------------------------------------------------------------------


def mirror_schema(tenant_id: int) -> str:
    return f"{SCHEMA_PREFIX}{int(tenant_id)}"


def mirror_url(local_url: str, tenant_id: int) -> str:
    """A connection URL to the local database whose search path is the tenant's mirror: the
    `source_url` the sync reads (source/chatwoot.py keeps the session read-only)."""
    params = conninfo_to_dict(local_url)
    options = str(params.get("options") or "")
    params["options"] = f"{options} -c search_path={mirror_schema(tenant_id)}".strip()
    return make_conninfo("", **params)


def ensure_mirror(conn: psycopg.Connection, tenant_id: int) -> None:
    """Create the tenant's mirror schema with Chatwoot's tables, unless it exists. No tenant
    role may use it; the display_id trigger is dropped (the mirror keeps the API's ids)."""
    schema = sql.Identifier(mirror_schema(tenant_id))
    with conn.transaction():
        found = conn.execute(
            "SELECT to_regclass(format('%%I.conversations', %s::text)) IS NOT NULL",
            (mirror_schema(tenant_id),),
        ).fetchone()
        if found and found[0]:
            return
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        conn.execute(sql.SQL("REVOKE ALL ON SCHEMA {} FROM PUBLIC").format(schema))
        conn.execute(sql.SQL("SET LOCAL search_path = {}").format(schema))
        conn.execute(_mirror_ddl().encode())
        conn.execute("DROP TRIGGER conversations_before_insert_row_tr ON conversations")
        # The mirror's own bookkeeping: which conversations a `full` listing saw.
        conn.execute("CREATE TABLE allpfit_listed (id integer PRIMARY KEY)")


def _mirror_ddl() -> str:
    """Chatwoot's schema without its trigram indexes: they serve Chatwoot's search box, and
    the extension they need is database-wide (it would land in the first mirror's schema)."""
    from allpfit.demo.schema import schema_sql

    text = schema_sql()
    start = text.index("-- Trigram indexes")
    start = text.rindex("-- ----", 0, start)
    end = text.index("-- Triggers from schema.rb")
    end = text.rindex("-- ----", 0, end)
    return text[:start] + text[end:]


# --- The state of a tenant's refreshes (api_sync_state) --------------------------------------


@dataclass
class State:
    backfill_page: int = 0
    conversations_done: int = 0
    backfill_started_at: datetime | None = None
    backfill_done_at: datetime | None = None
    refresh_started_at: datetime | None = None


def read_state(conn: psycopg.Connection, tenant_id: int) -> State:
    row = conn.execute(
        "SELECT backfill_page, conversations_done, backfill_started_at, backfill_done_at, "
        "refresh_started_at FROM api_sync_state WHERE tenant_id = %s",
        (tenant_id,),
    ).fetchone()
    return State(*row) if row else State()


def _save_state(conn: psycopg.Connection, tenant_id: int, **values: object) -> None:
    columns = list(values)
    conn.execute(
        sql.SQL(
            "INSERT INTO api_sync_state (tenant_id, {cols}) VALUES (%(tenant_id)s, {vals}) "
            "ON CONFLICT (tenant_id) DO UPDATE SET {sets}, updated_at = now()"
        ).format(
            cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
            vals=sql.SQL(", ").join(map(sql.Placeholder, columns)),
            sets=sql.SQL(", ").join(
                sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in columns
            ),
        ),
        {"tenant_id": tenant_id, **values},
    )


# --- Refreshing ------------------------------------------------------------------------------


def refresh_mirror(
    local_url: str,
    tenant: Tenant,
    api: ChatwootApi,
    *,
    mode: Mode = "incremental",
    overlap: timedelta = timedelta(minutes=10),
    progress: Progress | None = None,
) -> MirrorResult:
    """Bring tenant `tenant`'s mirror up to date through `api`: resume or start the backfill
    when it is not finished (or `mode` is "full"), else the incremental refresh."""
    started = datetime.now(UTC)
    # Autocommit: each `transaction()` block below is a real transaction (a page and its
    # progress commit together), never a savepoint of an implicit outer one.
    with db.connect(local_url, autocommit=True) as conn:
        conn.execute("SET lock_timeout = '30s'")
        locked = conn.execute(
            "SELECT pg_try_advisory_lock(%s, %s)", (MIRROR_LOCK, tenant.id)
        ).fetchone()
        if not (locked and locked[0]):
            raise AlreadyRunningError(
                f"Another refresh of tenant {tenant.slug}'s Chatwoot API mirror is running.",
                hint="Wait for it to finish; this run was not started and changed nothing.",
            )
        ensure_mirror(conn, tenant.id)
        home = conn.execute("SELECT current_schema()").fetchone()[0]  # type: ignore[index]
        conn.execute(
            sql.SQL("SET search_path = {}, {}").format(
                sql.Identifier(mirror_schema(tenant.id)), sql.Identifier(home)
            )
        )
        mirror = _Mirror(conn, tenant, api)
        with conn.transaction():
            mirror.dimensions()
        state = read_state(conn, tenant.id)
        previous = state.refresh_started_at
        if mode == "full" and state.backfill_done_at is not None:
            with conn.transaction():
                _save_state(
                    conn,
                    tenant.id,
                    backfill_page=0,
                    conversations_done=0,
                    backfill_started_at=started,
                    backfill_done_at=None,
                )
                conn.execute("TRUNCATE allpfit_listed")
            state = read_state(conn, tenant.id)
        if state.backfill_done_at is None:
            result = mirror.backfill(state, started, progress, prune=mode == "full")
        else:
            since = (state.refresh_started_at or started) - overlap
            result = mirror.incremental(since, progress)
        with conn.transaction():
            _save_state(conn, tenant.id, refresh_started_at=started)
    result.requests = api.requests_made
    result.previous_refresh = previous
    log.info("API mirror of tenant %s: %s", tenant.slug, result)
    return result


class _Mirror:
    """Writes one tenant's API answers into its mirror schema (`conn`'s search path)."""

    def __init__(self, conn: psycopg.Connection, tenant: Tenant, api: ChatwootApi) -> None:
        self.conn = conn
        self.tenant = tenant
        self.api = api
        self.account_id = api.account_id
        self.inboxes: dict[int, dict[str, Any]] = {}

    # --- account, inboxes, agents, teams, labels: a few requests, every run ---------------
    def dimensions(self) -> None:
        now = _naive(datetime.now(UTC))
        _upsert(
            self.conn,
            "accounts",
            [{"id": self.account_id, "name": self.tenant.name, "created_at": now,
              "updated_at": now}],
        )  # fmt: skip
        self.inboxes = {int(i["id"]): i for i in self.api.inboxes()}
        _upsert(self.conn, "inboxes", [self._inbox(i, now) for i in self.inboxes.values()])
        _upsert(self.conn, "users", [_user(a, now) for a in self.api.agents()])
        _upsert(self.conn, "teams", [_team(t, self.account_id, now) for t in self.api.teams()])
        _upsert(self.conn, "labels", [_label(x, self.account_id, now) for x in self.api.labels()])

    def _inbox(self, inbox: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        return {
            "id": int(inbox["id"]),
            "channel_id": _int(inbox.get("channel_id")) or 0,
            "account_id": _int(inbox.get("account_id")) or self.account_id,
            "name": str(inbox.get("name") or ""),
            "channel_type": inbox.get("channel_type"),
            "working_hours_enabled": bool(inbox.get("working_hours_enabled")),
            "timezone": inbox.get("timezone") or "UTC",
            "csat_survey_enabled": bool(inbox.get("csat_survey_enabled")),
            "created_at": _ts(inbox.get("created_at")) or now,
            "updated_at": _ts(inbox.get("updated_at")) or now,
        }

    # --- backfill --------------------------------------------------------------------------
    def backfill(
        self, state: State, started: datetime, progress: Progress | None, *, prune: bool
    ) -> MirrorResult:
        result = MirrorResult(mode="backfill")
        if state.backfill_started_at is None:
            with self.conn.transaction():
                _save_state(self.conn, self.tenant.id, backfill_started_at=started)
        done = state.conversations_done
        total: int | None = None
        for page in range(state.backfill_page + 1, self.api.max_pages + 1):
            body = self.api.get_json(
                "/conversations",
                {"status": "all", "assignee_type": "all", "sort_by": BACKFILL_SORT, "page": page},
            )
            data = body.get("data") if isinstance(body, dict) else None
            records = data.get("payload") if isinstance(data, dict) else None
            if not isinstance(records, list):
                raise _unexpected(self.api, "/conversations")
            meta = data.get("meta") if isinstance(data, dict) else None
            if isinstance(meta, dict) and isinstance(meta.get("all_count"), int):
                total = meta["all_count"]
            if not records:
                break
            with self.conn.transaction():
                written = self.conversations(records, result)
                if prune:
                    self.conn.execute(
                        "INSERT INTO allpfit_listed SELECT unnest(%s::integer[]) "
                        "ON CONFLICT DO NOTHING",
                        (written,),
                    )
                done += len(written)
                _save_state(self.conn, self.tenant.id, backfill_page=page, conversations_done=done)
            result.pages += 1
            if progress is not None:
                progress(PHASE, done, total)
            if len(records) < CONVERSATIONS_PER_PAGE:
                break
        else:
            raise SourceError(
                f"The Chatwoot API listed more than {self.api.max_pages} pages of conversations "
                "without reaching the end; stopped (the pages read are kept).",
                hint="Check the tenant's Chatwoot base URL. If the listing is real, raise "
                "CHATWOOT_API_MAX_PAGES; the next run resumes where this one stopped.",
            )
        with self.conn.transaction():
            self.csat()
            if prune:
                result.removed = self.prune()
            _save_state(self.conn, self.tenant.id, backfill_done_at=datetime.now(UTC))
        return result

    def prune(self) -> int:
        """Remove the conversations a complete `full` listing did not return (deleted in
        Chatwoot), with their rows; the sync then marks them deleted, under its guards."""
        gone = [
            r[0]
            for r in self.conn.execute(
                "SELECT id FROM conversations c WHERE NOT EXISTS "
                "(SELECT 1 FROM allpfit_listed l WHERE l.id = c.id)"
            )
        ]
        if gone:
            for table, column in (
                ("messages", "conversation_id"),
                ("reporting_events", "conversation_id"),
                ("csat_survey_responses", "conversation_id"),
                ("taggings", "taggable_id"),
            ):
                extra = " AND taggable_type = 'Conversation'" if table == "taggings" else ""
                self.conn.execute(
                    sql.SQL("DELETE FROM {} WHERE {} = ANY(%s)" + extra).format(
                        sql.Identifier(table), sql.Identifier(column)
                    ),
                    (gone,),
                )
            self.conn.execute("DELETE FROM conversations WHERE id = ANY(%s)", (gone,))
        self.conn.execute("TRUNCATE allpfit_listed")
        return len(gone)

    # --- incremental -----------------------------------------------------------------------
    def incremental(self, since: datetime, progress: Progress | None) -> MirrorResult:
        result = MirrorResult(mode="incremental")
        batch: list[dict[str, Any]] = []
        done = 0
        for record in self.api.conversations(since=int(since.timestamp())):
            batch.append(record)
            if len(batch) >= CONVERSATIONS_PER_PAGE:
                with self.conn.transaction():
                    done += len(self.conversations(batch, result, force=True))
                result.pages += 1
                batch = []
                if progress is not None:
                    progress(PHASE, done, None)
        if batch:
            with self.conn.transaction():
                done += len(self.conversations(batch, result, force=True))
            result.pages += 1
        if progress is not None:
            progress(PHASE, done, done)
        with self.conn.transaction():
            self.csat(since=int(since.timestamp()))
        return result

    # --- one page of conversations ---------------------------------------------------------
    def conversations(
        self, records: Sequence[Mapping[str, Any]], result: MirrorResult, *, force: bool = False
    ) -> list[int]:
        """Write `records` (the API's conversation objects) with their contacts, messages,
        labels and reporting events; the ids written. Messages are fetched when `force` or
        when the conversation is new or its activity or update time moved."""
        rows = [self._conversation(r) for r in records]
        ids = [r["id"] for r in rows]
        known = {
            r[0]: (r[1], r[2])
            for r in self.conn.execute(
                "SELECT id, last_activity_at, updated_at FROM conversations WHERE id = ANY(%s)",
                (ids,),
            )
        }
        self.contacts([_obj(r.get("meta")).get("sender") for r in records])
        self.assignees([_obj(r.get("meta")).get("assignee") for r in records])
        _upsert(self.conn, "conversations", rows)
        self.conn.execute(
            """UPDATE conversations c SET contact_inbox_id = ci.id
               FROM contact_inboxes ci
               WHERE c.id = ANY(%s) AND ci.contact_id = c.contact_id AND ci.inbox_id = c.inbox_id
                 AND c.contact_inbox_id IS DISTINCT FROM ci.id""",
            (ids,),
        )
        self.labels(records)
        for row in rows:
            if not force and known.get(row["id"]) == (row["last_activity_at"], row["updated_at"]):
                continue
            self.messages(row["id"], row["inbox_id"])
            self.events(row["id"])
            result.messages_fetched += 1
        result.conversations += len(rows)
        return ids

    def _conversation(self, r: Mapping[str, Any]) -> dict[str, Any]:
        meta = _obj(r.get("meta"))
        sender = _obj(meta.get("sender"))
        assignee = meta.get("assignee") if isinstance(meta.get("assignee"), dict) else None
        team = meta.get("team") if isinstance(meta.get("team"), dict) else None
        created = _ts(r.get("created_at")) or _naive(datetime.now(UTC))
        labels = [str(x) for x in r.get("labels") or []]
        bot_assignee = assignee is not None and assignee.get("type") == "agent_bot"
        display_id = int(r["id"])
        return {
            "id": display_id,
            "display_id": display_id,
            "account_id": _int(r.get("account_id")) or self.account_id,
            "inbox_id": int(r["inbox_id"]),
            "status": _enum(r.get("status"), STATUS, 0),
            "priority": _enum(r.get("priority"), PRIORITY, None),
            "assignee_id": _int(assignee.get("id")) if assignee and not bot_assignee else None,
            "assignee_agent_bot_id": _int(r.get("assignee_agent_bot_id"))
            or (_int(assignee.get("id")) if assignee and bot_assignee else None),
            "team_id": _int(team.get("id")) if team else None,
            "contact_id": _int(sender.get("id")),
            "campaign_id": _int(r.get("campaign_id")),
            "cached_label_list": ",".join(labels) if labels else None,
            "custom_attributes": Jsonb(_obj(r.get("custom_attributes"))),
            "additional_attributes": Jsonb(_obj(r.get("additional_attributes"))),
            "created_at": created,
            "updated_at": _ts(r.get("updated_at")) or created,
            "last_activity_at": _ts(r.get("last_activity_at") or r.get("timestamp")) or created,
            "first_reply_created_at": _ts(r.get("first_reply_created_at")),
            "waiting_since": _ts(r.get("waiting_since")),
            "snoozed_until": _ts(r.get("snoozed_until")),
            "contact_last_seen_at": _ts(r.get("contact_last_seen_at")),
            "agent_last_seen_at": _ts(r.get("agent_last_seen_at")),
            "assignee_last_seen_at": _ts(r.get("assignee_last_seen_at")),
            **({"uuid": r["uuid"]} if r.get("uuid") else {}),
        }

    def assignees(self, agents: Iterable[Any]) -> None:
        """Users named as assignees: their names as the conversation shows them, so a user
        missing from /agents (removed from the account since) still has one."""
        now = _naive(datetime.now(UTC))
        rows = {
            int(a["id"]): {**_user(a, now), "email": None}
            for a in agents
            if isinstance(a, dict) and a.get("type", "user") == "user" and _int(a.get("id"))
        }
        for row in rows.values():
            self.conn.execute(
                """INSERT INTO users (id, uid, name, display_name, created_at, updated_at)
                   VALUES (%(id)s, %(uid)s, %(name)s, %(display_name)s, %(created_at)s,
                           %(updated_at)s)
                   ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
                       display_name = EXCLUDED.display_name""",
                row,
            )

    # --- contacts --------------------------------------------------------------------------
    def contacts(self, senders: Iterable[Any]) -> None:
        """Contacts of a page: a new one is read whole (`GET /contacts/{id}`: creation time,
        blocked, its inboxes' source ids); a known one takes the conversation's copy of its
        name, e-mail, phone and identifier."""
        by_id = {int(s["id"]): s for s in senders if isinstance(s, dict) and _int(s.get("id"))}
        if not by_id:
            return
        known = {
            r[0]
            for r in self.conn.execute("SELECT id FROM contacts WHERE id = ANY(%s)", (list(by_id),))
        }
        for contact_id, sender in by_id.items():
            if contact_id in known:
                self.conn.execute(
                    """UPDATE contacts SET name = %s, email = %s, phone_number = %s,
                       identifier = %s WHERE id = %s""",
                    (
                        sender.get("name") or "",
                        sender.get("email"),
                        sender.get("phone_number"),
                        sender.get("identifier"),
                        contact_id,
                    ),
                )
                continue
            try:
                body = self.api.get_json(f"/contacts/{contact_id}")
            except SourceError as exc:
                if type(exc) is not SourceError:  # refused token, Chatwoot down: the run fails
                    raise
                # 404 and the like: the contact went away since the listing (or this
                # Chatwoot has no such endpoint); the conversation's copy is all there is.
                log.warning("contact %d not readable through the API: %s", contact_id, exc)
                body = None
            full = body.get("payload") if isinstance(body, dict) else None
            self.contact(full if isinstance(full, dict) else sender)

    def contact(self, c: Mapping[str, Any]) -> None:
        now = _naive(datetime.now(UTC))
        created = _ts(c.get("created_at")) or now
        _upsert(
            self.conn,
            "contacts",
            [
                {
                    "id": int(c["id"]),
                    "account_id": self.account_id,
                    "name": c.get("name") or "",
                    "email": c.get("email"),
                    "phone_number": c.get("phone_number"),
                    "identifier": c.get("identifier"),
                    "additional_attributes": Jsonb(_obj(c.get("additional_attributes"))),
                    "custom_attributes": Jsonb(_obj(c.get("custom_attributes"))),
                    "last_activity_at": _ts(c.get("last_activity_at")),
                    "contact_type": _contact_type(c),
                    "blocked": bool(c.get("blocked")),
                    "created_at": created,
                    "updated_at": _ts(c.get("updated_at")) or created,
                }
            ],
        )
        for ci in c.get("contact_inboxes") or []:
            inbox = ci.get("inbox") if isinstance(ci, dict) else None
            inbox_id = _int(inbox.get("id")) if isinstance(inbox, dict) else None
            source_id = ci.get("source_id") if isinstance(ci, dict) else None
            if inbox_id is None or not source_id:
                continue
            updated = self.conn.execute(
                "UPDATE contact_inboxes SET source_id = %s, updated_at = %s "
                "WHERE contact_id = %s AND inbox_id = %s",
                (str(source_id), now, int(c["id"]), inbox_id),
            )
            if updated.rowcount == 0:
                self.conn.execute(
                    "INSERT INTO contact_inboxes (contact_id, inbox_id, source_id, created_at, "
                    "updated_at) VALUES (%s, %s, %s, %s, %s)",
                    (int(c["id"]), inbox_id, str(source_id), now, now),
                )

    # --- messages, labels, events, CSAT ----------------------------------------------------
    def messages(self, display_id: int, inbox_id: int) -> None:
        """Every message of one conversation; the mirror's copy becomes exactly the API's."""
        records = self.api.messages(display_id)[:MAX_MESSAGES_PER_CONVERSATION]
        rows = [self._message(m, display_id, inbox_id) for m in records]
        self.conn.execute(
            "DELETE FROM messages WHERE conversation_id = %s AND NOT id = ANY(%s)",
            (display_id, [r["id"] for r in rows]),
        )
        _upsert(self.conn, "messages", rows)

    def _message(self, m: Mapping[str, Any], display_id: int, inbox_id: int) -> dict[str, Any]:
        sender = m.get("sender") if isinstance(m.get("sender"), dict) else None
        sender_type = m.get("sender_type")
        if sender_type is None and sender is not None:
            sender_type = SENDER_TYPE.get(str(sender.get("type")))
        created = _ts(m.get("created_at")) or _naive(datetime.now(UTC))
        return {
            "id": int(m["id"]),
            "content": m.get("content"),
            "account_id": _int(m.get("account_id")) or self.account_id,
            "inbox_id": _int(m.get("inbox_id")) or inbox_id,
            "conversation_id": display_id,
            "message_type": _enum(m.get("message_type"), MESSAGE_TYPE, 0),
            "content_type": _enum(m.get("content_type"), CONTENT_TYPE, 0),
            "status": _enum(m.get("status"), MESSAGE_STATUS, 0),
            "private": bool(m.get("private")),
            "source_id": m.get("source_id"),
            "content_attributes": Json(_obj(m.get("content_attributes"))),
            "additional_attributes": Jsonb(_obj(m.get("additional_attributes"))),
            "sender_type": sender_type,
            "sender_id": _int(m.get("sender_id"))
            or (_int(sender.get("id")) if sender is not None else None),
            "created_at": created,
            "updated_at": _ts(m.get("updated_at")) or created,
        }

    def labels(self, records: Sequence[Mapping[str, Any]]) -> None:
        """tags / taggings as acts_as_taggable_on keeps them for conversation labels. A new
        tagging gets the conversation's update time: Chatwoot's own is not in the API (it
        serves change detection only), and applying a label updates the conversation."""
        for r in records:
            when = _ts(r.get("updated_at")) or _ts(r.get("created_at"))
            names = sorted({str(x) for x in r.get("labels") or []})
            for name in names:
                self.conn.execute(
                    "INSERT INTO tags (name) SELECT %s WHERE NOT EXISTS "
                    "(SELECT 1 FROM tags WHERE name = %s)",
                    (name, name),
                )
            display_id = int(r["id"])
            self.conn.execute(
                """DELETE FROM taggings tg USING tags t
                   WHERE tg.tag_id = t.id AND tg.taggable_type = 'Conversation'
                     AND tg.context = 'labels' AND tg.taggable_id = %s
                     AND NOT t.name = ANY(%s)""",
                (display_id, names),
            )
            self.conn.execute(
                """INSERT INTO taggings (tag_id, taggable_type, taggable_id, context, created_at)
                   SELECT t.id, 'Conversation', %s, 'labels', %s FROM tags t
                   WHERE t.name = ANY(%s) AND NOT EXISTS (
                       SELECT 1 FROM taggings tg WHERE tg.tag_id = t.id
                         AND tg.taggable_type = 'Conversation' AND tg.context = 'labels'
                         AND tg.taggable_id = %s)""",
                (display_id, when, names, display_id),
            )

    def events(self, display_id: int) -> None:
        """The conversation's reporting_events, rebuilt from its mirrored timeline by
        `api_events` as Chatwoot's listeners would have written them."""
        with self.conn.cursor(row_factory=dict_row) as cur:
            conversation = cur.execute(
                "SELECT id, account_id, inbox_id, assignee_id, status, created_at, updated_at "
                "FROM conversations WHERE id = %s",
                (display_id,),
            ).fetchone()
            assert conversation is not None  # written just before, in this transaction
            messages = cur.execute(
                "SELECT id, message_type, private, sender_type, sender_id, content, "
                "content_attributes, created_at FROM messages WHERE conversation_id = %s",
                (display_id,),
            ).fetchall()
            bot_inbox = cur.execute(
                "SELECT EXISTS (SELECT 1 FROM messages WHERE inbox_id = %s "
                "AND sender_type = ANY(%s))",
                (conversation["inbox_id"], list(api_events.BOT_SENDERS)),
            ).fetchone()
        assert bot_inbox is not None
        inbox = self.inboxes.get(int(conversation["inbox_id"]), {})
        rows = api_events.derive_events(
            conversation,
            messages,
            bot_inbox=bool(bot_inbox["exists"]),
            hours=api_events.WorkingHours.from_api(inbox),
        )
        self.conn.execute("DELETE FROM reporting_events WHERE conversation_id = %s", (display_id,))
        if rows:
            _insert(self.conn, "reporting_events", [e.row() for e in rows])

    def csat(self, *, since: int | None = None) -> None:
        """CSAT answers (the reports' endpoint), for the conversations in the mirror."""
        rows = []
        for r in self.api.csat_responses(since=since):
            contact = _obj(r.get("contact"))
            agent = _obj(r.get("assigned_agent"))
            created = _ts(r.get("created_at")) or _naive(datetime.now(UTC))
            rows.append(
                {
                    "id": int(r["id"]),
                    "account_id": self.account_id,
                    "conversation_id": int(r["conversation_id"]),
                    "message_id": _int(r.get("message_id")) or 0,
                    "rating": int(r["rating"]),
                    "feedback_message": r.get("feedback_message"),
                    "contact_id": _int(contact.get("id")) or 0,
                    "assigned_agent_id": _int(agent.get("id")),
                    "created_at": created,
                    "updated_at": _ts(r.get("updated_at")) or created,
                }
            )
        _upsert(self.conn, "csat_survey_responses", rows)


# --- Row helpers -----------------------------------------------------------------------------


def _contact_type(c: Mapping[str, Any]) -> int | None:
    """The API's `contact_type` when it gives one; else Chatwoot's own rule for contacts it
    has not marked a customer: a lead once it has an e-mail, phone number or identifier, a
    visitor before (`Contact.resolved_contacts`). A customer cannot be told apart."""
    if c.get("contact_type") is not None:
        return _enum(c.get("contact_type"), CONTACT_TYPE, None)
    known = any(str(c.get(k) or "").strip() for k in ("email", "phone_number", "identifier"))
    return CONTACT_TYPE["lead"] if known else CONTACT_TYPE["visitor"]


def _user(a: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    name = str(a.get("name") or "")
    available = a.get("display_name") or a.get("available_name")
    return {
        "id": int(a["id"]),
        "uid": f"api:{int(a['id'])}",  # users (uid, provider) is unique; the API has no uid
        "name": name,
        "display_name": available if available and available != name else None,
        "email": a.get("email"),
        "created_at": now,
        "updated_at": now,
    }


def _team(t: Mapping[str, Any], account_id: int, now: datetime) -> dict[str, Any]:
    return {
        "id": int(t["id"]),
        "name": str(t.get("name") or ""),
        "description": t.get("description"),
        "account_id": _int(t.get("account_id")) or account_id,
        "created_at": now,
        "updated_at": now,
    }


def _label(x: Mapping[str, Any], account_id: int, now: datetime) -> dict[str, Any]:
    return {
        "id": int(x["id"]),
        "title": x.get("title"),
        "description": x.get("description"),
        "color": x.get("color") or "#1f93ff",
        "show_on_sidebar": x.get("show_on_sidebar"),
        "account_id": account_id,
        "created_at": now,
        "updated_at": now,
    }


def _upsert(
    conn: psycopg.Connection,
    table: str,
    rows: Sequence[Mapping[str, Any]],
    *,
    keep: tuple[str, ...] = ("created_at",),
) -> None:
    """INSERT ... ON CONFLICT (id) DO UPDATE of every column but `keep` (the mirror's first
    sight of a row whose creation the API does not give stays put)."""
    if not rows:
        return
    columns = list(rows[0])
    updates = [c for c in columns if c != "id" and c not in keep]
    query = sql.SQL("INSERT INTO {t} ({cols}) VALUES ({vals}) ON CONFLICT (id) DO UPDATE SET {s}")
    statement = query.format(
        t=sql.Identifier(table),
        cols=sql.SQL(", ").join(map(sql.Identifier, columns)),
        vals=sql.SQL(", ").join(map(sql.Placeholder, columns)),
        s=sql.SQL(", ").join(
            sql.SQL("{0} = EXCLUDED.{0}").format(sql.Identifier(c)) for c in updates
        ),
    )
    with conn.cursor() as cur:
        cur.executemany(statement, rows)


def _insert(conn: psycopg.Connection, table: str, rows: Sequence[Mapping[str, Any]]) -> None:
    columns = list(rows[0])
    statement = sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table),
        sql.SQL(", ").join(map(sql.Identifier, columns)),
        sql.SQL(", ").join(map(sql.Placeholder, columns)),
    )
    with conn.cursor() as cur:
        cur.executemany(statement, rows)


def _ts(value: Any) -> datetime | None:
    """Naive UTC (Chatwoot's storage) from the API's Unix seconds or ISO text; Chatwoot's
    `nil.to_i` (0) and blanks are NULL."""
    if value is None or value == "" or value == 0:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(float(value), UTC).replace(tzinfo=None)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            try:
                return _ts(float(value))
            except ValueError:
                return None
        return _naive(parsed) if parsed.tzinfo else parsed
    return None


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _enum(value: Any, names: Mapping[str, int], default: int | None) -> int | None:
    """Chatwoot's integer for an enum the API gives by name (or already as a number)."""
    if value is None:
        return default
    if isinstance(value, str) and not value.isdigit():
        return names.get(value.lower(), default)
    return _int(value)


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _unexpected(api: ChatwootApi, path: str) -> Exception:
    return SourceError(
        f"The Chatwoot API answered {api.prefix}{path} with JSON without data.payload, the "
        "list of conversations.",
        hint=f"Check the tenant's Chatwoot base URL (now {api.base_url}): it must be the "
        "address of Chatwoot itself, without /app or /api.",
    )


# --- What the sync of an API tenant runs with ------------------------------------------------


def open_api(tenant: Tenant, settings: Settings) -> ChatwootApi:
    """The tenant's API client, its token resolved from its reference only now."""
    from allpfit.errors import ConfigError
    from allpfit.tenant_secrets import resolve

    if not (tenant.chatwoot_url and tenant.chatwoot_token_ref and tenant.account_id):
        raise ConfigError(
            f"Tenant {tenant.slug!r} reads Chatwoot through its API but lacks its address, "
            "token or account.",
            hint=f"Set them with `allpfit tenant edit {tenant.slug} --chatwoot-url URL "
            "--chatwoot-token-env VAR --account-id N`.",
        )
    token = resolve(tenant.chatwoot_token_ref, settings, what=f"Chatwoot token of {tenant.slug}")
    return ChatwootApi.from_settings(settings, tenant.chatwoot_url, tenant.account_id, token)


def refresh_for_sync(
    local_url: str,
    tenant: Tenant,
    settings: Settings,
    *,
    mode: Mode = "incremental",
    progress: Progress | None = None,
    api: ChatwootApi | None = None,
) -> tuple[str, timedelta]:
    """Refresh the tenant's mirror, then say what the sync reads: the mirror's URL and the
    overlap of its change detection.

    The sync looks for changes since its last watermark (the local clock when the last sync
    started) minus the overlap; this refresh asked the API for changes since the previous
    refresh's start minus the same overlap, and that refresh started before that sync. The
    sync's overlap is widened by the gap between the two, so everything this refresh wrote
    is also looked at by the sync (a long refresh would otherwise leave a window)."""
    from allpfit.sync import control

    overlap = timedelta(minutes=settings.sync_overlap_minutes)
    client = api or open_api(tenant, settings)
    try:
        result = refresh_mirror(
            local_url, tenant, client, mode=mode, overlap=overlap, progress=progress
        )
    finally:
        if api is None:
            client.close()
    with db.tenant_connection(local_url, tenant.id) as conn:
        watermark = control.last_watermark(conn)
    if watermark is not None and result.previous_refresh is not None:
        overlap += max(timedelta(0), watermark - result.previous_refresh)
    return mirror_url(local_url, tenant.id), overlap
