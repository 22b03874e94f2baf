"""A fake Chatwoot Application API on 127.0.0.1 that serves a real Chatwoot-shaped database.

`FakeChatwoot(database_url, account_id=...)` reads the rows of a Chatwoot-schema PostgreSQL
database (the tests' `source_url`; schema in src/allpfit/demo/chatwoot_schema.sql) at each
request and renders them the way Chatwoot's API does (field names and shapes from
`swagger/swagger.json` of chatwoot/chatwoot and the jbuilder views behind it), so the API
source and the database source can be compared on one dataset:

- `GET /api/v1/accounts/{id}/conversations`: `status` (default open; `all`), `assignee_type`,
  `inbox_id`, `sort_by` (`last_activity_at_desc` = `latest`, the default, `created_at_asc`,
  ...), `page` (25 a page); answers `{"data": {"meta": {mine_count, assigned_count,
  unassigned_count, all_count}, "payload": [conversation]}}`. A conversation's `id` is its
  display_id; times are Unix seconds (`updated_at` a float); `*_last_seen_at` are 0 when
  unset (not nullable in swagger), `first_reply_created_at`, `waiting_since` and
  `snoozed_until` null; `status`
  and `priority` are strings; `meta.sender` is the contact, `meta.assignee`, `meta.team`.
- `GET .../conversations/{display_id}`: one conversation, same shape.
- `GET .../conversations/{display_id}/messages`: the 20 latest messages (by created_at), or
  the 20 before message id `before`, oldest first, as `{"meta": {...}, "payload": [...]}`;
  `message_type` is the integer, `content_type` and `status` strings, `created_at` and
  `updated_at` Unix seconds, `sender` with its `type` (contact, user, agent_bot).
- `GET .../contacts/{id}` (`{"payload": contact}`), `GET .../contacts` (15 a page, `sort`;
  like Chatwoot, only contacts with an email, phone number or identifier), `inboxes`,
  `agents`, `teams`, `labels`, `csat_survey_responses` (25 a page, `since`/`until`; not in
  swagger.json), `reporting_events` (25 a page, `meta.count`, `total_pages`; and per
  conversation, a bare list), `GET/POST .../webhooks` (kept in memory, swagger.json's
  shapes: a bare list, the created object with its `secret`).
- `POST .../conversations/{display_id}/messages` (swagger.json `conversation_message_create`:
  `content` required, `message_type` outgoing, `private`, `template_params` {name, category,
  language, processed_params} required together): written into the served database like
  Chatwoot's MessageBuilder does (outgoing = 1; `template_params` kept in
  `additional_attributes`; `echo_id` not stored), answered with the message; each accepted
  body is recorded in `created_messages`. `fail_after_create=N`: the next N creates are
  stored and then answered 500 (Chatwoot made the message but the answer says it failed).

Answers 401 without the right `api_access_token` header, 404 for another account or an unknown
record. Test modes, each bounded: `fail_next(status, times, **headers)`; `rate_limit_every=N`
(every Nth request is answered 429 with `Retry-After`); `latency` (seconds slept before each
answer, e.g. 0.05 for the benchmark); `endless_conversations` (every conversations page is a
full page of made-up conversations, as a broken server would); `ignore_paging` (every page is
page one); `trickle` (each response sent one byte every `trickle` seconds, at most
TRICKLE_MAX_SECONDS). The server shuts itself down after `lifetime` seconds at the latest.
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC as _UTC
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import psycopg
import psycopg.rows

TRICKLE_MAX_SECONDS = 20.0
CONVERSATIONS_PER_PAGE = 25
CONTACTS_PER_PAGE = 15
MESSAGES_PER_CALL = 20
CSAT_PER_PAGE = 25
REPORTING_PER_PAGE = 25

CONVERSATION_STATUS = {0: "open", 1: "resolved", 2: "pending", 3: "snoozed"}
PRIORITY = {0: "low", 1: "medium", 2: "high", 3: "urgent"}
MESSAGE_STATUS = {0: "sent", 1: "delivered", 2: "read", 3: "failed"}
CONTENT_TYPE = {
    0: "text", 1: "input_text", 2: "input_textarea", 3: "input_email", 4: "input_select",
    5: "cards", 6: "form", 7: "article", 8: "incoming_email", 9: "input_csat",
    10: "integrations", 11: "sticker", 12: "voice_call",
}  # fmt: skip
FILE_TYPE = {
    0: "image", 1: "audio", 2: "video", 3: "file", 4: "location", 5: "fallback", 6: "share",
    7: "story_mention", 8: "contact", 9: "ig_reel", 10: "ig_post", 11: "ig_story", 12: "embed",
}  # fmt: skip
AVAILABILITY = {0: "available", 1: "offline", 2: "busy"}  # swagger's agent enum
ROLE = {0: "agent", 1: "administrator"}
SORTS = {
    "latest": "c.last_activity_at DESC, c.id DESC",
    "last_activity_at_desc": "c.last_activity_at DESC, c.id DESC",
    "last_activity_at_asc": "c.last_activity_at ASC, c.id ASC",
    "created_at_desc": "c.created_at DESC, c.id DESC",
    "created_at_asc": "c.created_at ASC, c.id ASC",
    "sort_on_created_at": "c.created_at ASC, c.id ASC",
}
STATUS_FILTER = {"open": 0, "resolved": 1, "pending": 2, "snoozed": 3}


@dataclass
class Recorded:
    method: str
    path: str
    params: dict[str, str]
    authorized: bool


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"error": "scripted failure"}'
    method: str | None = None  # only a request of this method takes it (None: any)


@dataclass
class FakeChatwoot:
    database_url: str
    account_id: int = 1
    token: str = "cw-token-7d1e-SECRET"
    latency: float = 0.0
    rate_limit_every: int = 0
    retry_after: str = "2"
    endless_conversations: bool = False
    ignore_paging: bool = False
    trickle: float = 0.0
    lifetime: float = 600.0
    script: list[Scripted] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    webhooks: list[dict[str, Any]] = field(default_factory=list)
    created_messages: list[dict[str, Any]] = field(default_factory=list)
    fail_after_create: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _db_lock: threading.Lock = field(default_factory=threading.Lock)
    _conn: psycopg.Connection[dict[str, Any]] | None = None

    def fail_next(
        self, status: int, times: int = 1, *, only: str | None = None, **headers: str
    ) -> None:
        """Answer the next `times` requests (of method `only`, e.g. "POST", when given) with
        `status` (e.g. 429 with retry_after="1")."""
        self.script += [
            Scripted(status, {k.replace("_", "-"): v for k, v in headers.items()}, method=only)
        ] * times

    def calls(self, suffix: str) -> list[Recorded]:
        """The recorded requests whose path ends with `suffix` (e.g. "/conversations")."""
        return [r for r in self.requests if r.path.endswith(suffix)]

    # --- rendering from the database ----------------------------------------------------
    def query(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        """Rows of `sql` on the served database, through one shared autocommit connection
        (opened on first use, one query at a time), so a request costs queries, not connects."""
        with self._db_lock:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.database_url, autocommit=True, row_factory=psycopg.rows.dict_row
                )
            return self._conn.execute(sql, params).fetchall()

    def close(self) -> None:
        with self._db_lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _ts(value: datetime | None) -> int | None:
    """Unix seconds of a naive-UTC Chatwoot timestamp (`.to_i`), None when unset."""
    if value is None:
        return None
    return int(value.replace(tzinfo=_UTC).timestamp())


def _ts0(value: datetime | None) -> int:
    """Chatwoot's `nil.to_i`: 0 for an unset timestamp."""
    return _ts(value) or 0


def _tsf(value: datetime | None) -> float | None:
    return None if value is None else value.replace(tzinfo=_UTC).timestamp()


def _iso(value: datetime | None) -> str | None:
    """A naive-UTC timestamp as Rails renders a datetime attribute in JSON."""
    if value is None:
        return None
    return value.replace(tzinfo=_UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _reporting_event(row: dict[str, Any]) -> dict[str, Any]:
    """A reporting event as swagger.json's `reporting_event` (the model's attributes; the
    conversation_id is the conversation's database id, as stored)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "value": row["value"],
        "value_in_business_hours": row["value_in_business_hours"],
        "event_start_time": _iso(row["event_start_time"]),
        "event_end_time": _iso(row["event_end_time"]),
        "account_id": row["account_id"],
        "conversation_id": row["conversation_id"],
        "inbox_id": row["inbox_id"],
        "user_id": row["user_id"],
        "created_at": _iso(row["created_at"]),
        "updated_at": _iso(row["updated_at"]),
    }


class _Renderer:
    """Renders rows of one account as Chatwoot's API does; reads through `fake.query`."""

    def __init__(self, fake: FakeChatwoot) -> None:
        self.fake = fake
        self.account = fake.account_id

    # contacts, users, teams -----------------------------------------------------------------
    def contact_push(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "additional_attributes": row["additional_attributes"] or {},
            "custom_attributes": row["custom_attributes"] or {},
            "email": row["email"],
            "id": row["id"],
            "identifier": row["identifier"],
            "name": row["name"],
            "phone_number": row["phone_number"],
            "thumbnail": "",
            "blocked": row["blocked"],
            "type": "contact",
        }

    def contact_full(self, row: dict[str, Any]) -> dict[str, Any]:
        data = self.contact_push(row)
        del data["type"]
        data["availability_status"] = "offline"
        if row["created_at"] is not None:
            data["created_at"] = _ts(row["created_at"])
        if row["last_activity_at"] is not None:
            data["last_activity_at"] = _ts(row["last_activity_at"])
        return data

    def user_push(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "available_name": row["display_name"] or row["name"],
            "avatar_url": "",
            "type": "user",
            "availability_status": AVAILABILITY.get(row.get("availability") or 0, "offline"),
            "thumbnail": "",
        }

    def team(self, row: dict[str, Any]) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "description": row["description"],
            "allow_auto_assign": row["allow_auto_assign"],
            "account_id": row["account_id"],
            "is_member": False,
        }

    def _by_id(self, table: str, ids: set[int]) -> dict[int, dict[str, Any]]:
        if not ids:
            return {}
        rows = self.fake.query(f"SELECT * FROM {table} WHERE id = ANY(%s)", (list(ids),))
        return {row["id"]: row for row in rows}

    # conversations --------------------------------------------------------------------------
    def conversations(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        ids = [row["id"] for row in rows]
        contacts = self._by_id("contacts", {r["contact_id"] for r in rows if r["contact_id"]})
        users = self._by_id("users", {r["assignee_id"] for r in rows if r["assignee_id"]})
        teams = self._by_id("teams", {r["team_id"] for r in rows if r["team_id"]})
        inboxes = self._by_id("inboxes", {r["inbox_id"] for r in rows})
        labels: dict[int, list[str]] = {}
        for tag in self.fake.query(
            "SELECT tg.taggable_id, t.name FROM taggings tg JOIN tags t ON t.id = tg.tag_id "
            "WHERE tg.taggable_type = 'Conversation' AND tg.context = 'labels' "
            "AND tg.taggable_id = ANY(%s) ORDER BY tg.id",
            (ids,),
        ):
            labels.setdefault(tag["taggable_id"], []).append(tag["name"])
        last: dict[int, dict[str, Any]] = {}
        for latest in self.fake.query(
            "SELECT DISTINCT ON (conversation_id) * FROM messages WHERE conversation_id = ANY(%s) "
            "ORDER BY conversation_id, created_at DESC, id DESC",
            (ids,),
        ):
            last[latest["conversation_id"]] = latest
        rendered_last = {
            cid: msg
            for cid, msg in zip(last, self.messages(list(last.values()), rows), strict=True)
        }
        out = []
        for row in rows:
            contact = contacts.get(row["contact_id"])
            assignee = users.get(row["assignee_id"])
            team = teams.get(row["team_id"])
            inbox = inboxes.get(row["inbox_id"])
            message = rendered_last.get(row["id"])
            out.append(
                {
                    "meta": {
                        "sender": self.contact_push(contact) if contact else None,
                        "channel": inbox["channel_type"] if inbox else None,
                        "assignee": self.user_push(assignee) if assignee else None,
                        "team": self.team(team) if team else None,
                        "hmac_verified": False,
                    },
                    "id": row["display_id"],
                    "messages": [message] if message else [],
                    "account_id": row["account_id"],
                    "uuid": str(row["uuid"]),
                    "additional_attributes": row["additional_attributes"] or {},
                    "agent_last_seen_at": _ts0(row["agent_last_seen_at"]),
                    "assignee_last_seen_at": _ts0(row["assignee_last_seen_at"]),
                    "can_reply": True,
                    "contact_last_seen_at": _ts0(row["contact_last_seen_at"]),
                    "custom_attributes": row["custom_attributes"] or {},
                    "inbox_id": row["inbox_id"],
                    "labels": labels.get(row["id"], []),
                    "muted": False,
                    "snoozed_until": _ts(row["snoozed_until"]),
                    "status": CONVERSATION_STATUS.get(row["status"], str(row["status"])),
                    "created_at": _ts(row["created_at"]),
                    "updated_at": _tsf(row["updated_at"]),
                    "timestamp": _ts(row["last_activity_at"]),
                    "first_reply_created_at": _ts(row["first_reply_created_at"]),
                    "unread_count": 0,
                    "last_non_activity_message": message,
                    "last_activity_at": _ts(row["last_activity_at"]),
                    "priority": PRIORITY.get(row["priority"])
                    if row["priority"] is not None
                    else None,
                    "waiting_since": _ts(row["waiting_since"]),
                    "sla_policy_id": row["sla_policy_id"],
                }
            )
        return out

    # messages -------------------------------------------------------------------------------
    def messages(
        self, rows: list[dict[str, Any]], conversations: list[dict[str, Any]]
    ) -> list[dict[str, Any]]:
        display = {c["id"]: c["display_id"] for c in conversations}
        senders: dict[tuple[str, int], dict[str, Any]] = {}
        by_type: dict[str, set[int]] = {}
        for row in rows:
            if row["sender_type"] and row["sender_id"] is not None:
                by_type.setdefault(row["sender_type"], set()).add(row["sender_id"])
        for contact in self._by_id("contacts", by_type.get("Contact", set())).values():
            senders[("Contact", contact["id"])] = self.contact_push(contact)
        for user in self._by_id("users", by_type.get("User", set())).values():
            senders[("User", user["id"])] = self.user_push(user)
        for bot in self._by_id("agent_bots", by_type.get("AgentBot", set())).values():
            senders[("AgentBot", bot["id"])] = {
                "id": bot["id"], "name": bot["name"], "avatar_url": "", "type": "agent_bot",
            }  # fmt: skip
        attachments: dict[int, list[dict[str, Any]]] = {}
        ids = [row["id"] for row in rows]
        for att in self.fake.query(
            "SELECT * FROM attachments WHERE message_id = ANY(%s) ORDER BY id", (ids,)
        ):
            attachments.setdefault(att["message_id"], []).append(
                {
                    "id": att["id"],
                    "message_id": att["message_id"],
                    "file_type": FILE_TYPE.get(att["file_type"] or 0, "file"),
                    "account_id": att["account_id"],
                    "extension": att["extension"],
                    "data_url": att["external_url"] or "",
                    "thumb_url": "",
                    "file_size": 0,
                    "coordinates_lat": att["coordinates_lat"],
                    "coordinates_long": att["coordinates_long"],
                    "fallback_title": att["fallback_title"],
                    "meta": att["meta"] or {},
                }
            )
        out = []
        for row in rows:
            sender_type = row["sender_type"]
            sender = senders.get((sender_type, row["sender_id"])) if sender_type else None
            if sender is None and sender_type and row["sender_id"] is not None:
                sender = {"id": row["sender_id"], "name": None, "type": sender_type.lower()}
            message: dict[str, Any] = {
                "id": row["id"],
                "content": row["content"],
                "account_id": row["account_id"],
                "inbox_id": row["inbox_id"],
                "conversation_id": display.get(row["conversation_id"], row["conversation_id"]),
                "message_type": row["message_type"],
                "content_type": CONTENT_TYPE.get(row["content_type"], str(row["content_type"])),
                "status": MESSAGE_STATUS.get(row["status"] or 0, "sent"),
                "content_attributes": row["content_attributes"] or {},
                "created_at": _ts(row["created_at"]),
                "updated_at": _ts(row["updated_at"]),
                "private": row["private"],
                "source_id": row["source_id"],
                "sender_type": sender_type,
                "sender_id": row["sender_id"],
                "external_source_ids": row["external_source_ids"] or {},
                "additional_attributes": row["additional_attributes"] or {},
                "processed_message_content": row["processed_message_content"],
                "sentiment": row["sentiment"] or {},
            }
            if sender is not None:
                message["sender"] = sender
            if row["id"] in attachments:
                message["attachments"] = attachments[row["id"]]
            out.append(message)
        return out


def _handler(fake: FakeChatwoot, counter: list[int]) -> type[BaseHTTPRequestHandler]:
    render = _Renderer(fake)
    prefix = "/api/v1/accounts/"

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
            data = (body if isinstance(body, str) else json.dumps(body)).encode()
            if fake.trickle:
                self._trickle(status, data, headers or {})
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            self.close_connection = True
            head = [f"HTTP/1.0 {status} {self.responses[status][0]}",
                    "Content-Type: application/json; charset=utf-8",
                    f"Content-Length: {len(data)}",
                    *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
            raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
            stop = time.monotonic() + TRICKLE_MAX_SECONDS
            try:
                for byte in raw:  # bounded: one pass over a finite response
                    if time.monotonic() > stop:
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fake.trickle)
            except OSError:  # the client gave up and closed the connection: done
                return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(min(length, 1_000_000)) if length else b""
            authorized = secrets.compare_digest(
                self.headers.get("api_access_token", ""), fake.token
            )
            with fake._lock:
                fake.requests.append(Recorded(method, parts.path, params, authorized))
                counter[0] += 1
                number = counter[0]
                scripted = (
                    fake.script.pop(0)
                    if fake.script and authorized and fake.script[0].method in (None, method)
                    else None
                )
            if fake.latency:
                time.sleep(fake.latency)
            if not authorized:
                self._send(401, {"errors": ["You need to sign in or sign up before continuing."]})
                return
            if scripted is not None:
                self._send(scripted.status, scripted.body, scripted.headers)
                return
            if fake.rate_limit_every and number % fake.rate_limit_every == 0:
                self._send(429, {"error": "Too many requests"}, {"Retry-After": fake.retry_after})
                return
            try:
                status, body = self._route(method, parts.path, params, raw)
            except (ValueError, KeyError):
                status, body = 400, {"error": "bad request"}
            self._send(status, body)

        def _route(
            self, method: str, path: str, params: dict[str, str], raw: bytes
        ) -> tuple[int, Any]:
            if not path.startswith(prefix):
                return 404, {"error": "not found"}
            account, _, rest = path[len(prefix) :].partition("/")
            if account != str(fake.account_id):
                return 404, {"error": "Resource could not be found"}
            segments = rest.strip("/").split("/")
            if method == "POST":
                if segments == ["webhooks"]:
                    return self._create_webhook(json.loads(raw or b"{}"))
                if (
                    len(segments) == 3
                    and segments[0] == "conversations"
                    and segments[2] == ("messages")
                ):
                    return self._create_message(int(segments[1]), json.loads(raw or b"{}"))
                return 404, {"error": "not found"}
            match segments:
                case ["conversations"]:
                    return 200, self._conversations(params)
                case ["conversations", display_id]:
                    row = self._conversation_row(int(display_id))
                    if row is None:
                        return 404, {"error": "Resource could not be found"}
                    return 200, render.conversations([row])[0]
                case ["conversations", display_id, "messages"]:
                    row = self._conversation_row(int(display_id))
                    if row is None:
                        return 404, {"error": "Resource could not be found"}
                    return 200, self._messages(row, params)
                case ["contacts"]:
                    return 200, self._contacts(params)
                case ["contacts", contact_id]:
                    rows = fake.query(
                        "SELECT * FROM contacts WHERE account_id = %s AND id = %s",
                        (fake.account_id, int(contact_id)),
                    )
                    if not rows:
                        return 404, {"error": "Resource could not be found"}
                    # contact_show_response: the show view renders the contact with its
                    # contact_inboxes (source_id + inbox), which the list views leave out.
                    contact = render.contact_full(rows[0])
                    contact["contact_inboxes"] = [
                        {
                            "source_id": ci["source_id"],
                            "inbox": {
                                "id": ci["inbox_id"],
                                "name": ci["name"],
                                "channel_type": ci["channel_type"],
                            },
                        }
                        for ci in fake.query(
                            """SELECT ci.source_id, ci.inbox_id, i.name, i.channel_type
                               FROM contact_inboxes ci JOIN inboxes i ON i.id = ci.inbox_id
                               WHERE ci.contact_id = %s ORDER BY ci.id""",
                            (int(contact_id),),
                        )
                    ]
                    return 200, {"payload": contact}
                case ["inboxes"]:
                    return 200, {"payload": self._inboxes()}
                case ["agents"]:
                    return 200, self._agents()
                case ["teams"]:
                    rows = fake.query(
                        "SELECT * FROM teams WHERE account_id = %s ORDER BY id", (fake.account_id,)
                    )
                    return 200, [render.team(r) for r in rows]
                case ["labels"]:
                    return 200, {"payload": self._labels()}
                case ["csat_survey_responses"]:
                    return 200, self._csat(params)
                case ["webhooks"]:
                    return 200, fake.webhooks  # swagger.json: a bare array
                case ["reporting_events"]:
                    return 200, self._reporting_events(params)
                case ["conversations", display_id, "reporting_events"]:
                    row = self._conversation_row(int(display_id))
                    if row is None:
                        return 404, {"error": "Resource could not be found"}
                    rows = fake.query(
                        "SELECT * FROM reporting_events WHERE conversation_id = %s "
                        "ORDER BY created_at, id",
                        (row["id"],),
                    )
                    return 200, [_reporting_event(r) for r in rows]
            return 404, {"error": "not found"}

        def _page(self, params: dict[str, str]) -> int:
            return 1 if fake.ignore_paging else max(1, int(params.get("page", "1")))

        def _conversation_row(self, display_id: int) -> dict[str, Any] | None:
            rows = fake.query(
                "SELECT * FROM conversations WHERE account_id = %s AND display_id = %s",
                (fake.account_id, display_id),
            )
            return rows[0] if rows else None

        def _conversations(self, params: dict[str, str]) -> dict[str, Any]:
            page = self._page(params)
            if fake.endless_conversations:
                start = (page - 1) * CONVERSATIONS_PER_PAGE
                made_up = [
                    {"id": start + i, "status": "open", "messages": [],
                     "last_activity_at": 2_000_000_000 - start - i, "meta": {"sender": None}}
                    for i in range(1, CONVERSATIONS_PER_PAGE + 1)
                ]  # fmt: skip
                return {"data": {"meta": {"all_count": 10**9}, "payload": made_up}}
            where = ["c.account_id = %s"]
            args: list[Any] = [fake.account_id]
            status = params.get("status", "open")
            if status != "all":
                where.append("c.status = %s")
                args.append(STATUS_FILTER[status])
            if "inbox_id" in params:
                where.append("c.inbox_id = %s")
                args.append(int(params["inbox_id"]))
            assignee = params.get("assignee_type", "all")
            counts = fake.query(
                f"SELECT count(*) AS all_count, count(c.assignee_id) AS assigned_count "
                f"FROM conversations c WHERE {' AND '.join(where)}",
                args,
            )[0]
            if assignee == "assigned":
                where.append("c.assignee_id IS NOT NULL")
            elif assignee == "unassigned":
                where.append("c.assignee_id IS NULL")
            order = SORTS[params.get("sort_by", "latest")]
            rows = fake.query(
                f"SELECT * FROM conversations c WHERE {' AND '.join(where)} ORDER BY {order} "
                "LIMIT %s OFFSET %s",
                [*args, CONVERSATIONS_PER_PAGE, (page - 1) * CONVERSATIONS_PER_PAGE],
            )
            meta = {
                "mine_count": 0,
                "assigned_count": counts["assigned_count"],
                "unassigned_count": counts["all_count"] - counts["assigned_count"],
                "all_count": counts["all_count"],
            }
            return {"data": {"meta": meta, "payload": render.conversations(rows)}}

        def _messages(self, conversation: dict[str, Any], params: dict[str, str]) -> Any:
            before = params.get("before")
            if fake.ignore_paging:
                before = None
            rows = fake.query(
                "SELECT * FROM messages WHERE conversation_id = %s "
                + ("AND id < %s " if before else "")
                + "ORDER BY created_at DESC, id DESC LIMIT %s",
                [conversation["id"], *([int(before)] if before else []), MESSAGES_PER_CALL],
            )
            rows.reverse()
            rendered = render.conversations([conversation])[0]
            meta = {
                "labels": rendered["labels"],
                "additional_attributes": rendered["additional_attributes"],
                "contact": rendered["meta"]["sender"],
                "assignee": rendered["meta"]["assignee"],
                "agent_last_seen_at": rendered["agent_last_seen_at"],
                "assignee_last_seen_at": rendered["assignee_last_seen_at"],
            }
            return {"meta": meta, "payload": render.messages(rows, [conversation])}

        def _contacts(self, params: dict[str, str]) -> dict[str, Any]:
            page = self._page(params)
            where = (
                "account_id = %s AND (COALESCE(email, '') <> '' OR COALESCE(phone_number, '') "
                "<> '' OR COALESCE(identifier, '') <> '')"
            )
            order = {
                "name": "name ASC, id ASC",
                "-name": "name DESC, id DESC",
                "last_activity_at": "last_activity_at ASC NULLS FIRST, id",
                "-last_activity_at": "last_activity_at DESC NULLS LAST, id",
            }
            default_order = "last_activity_at DESC NULLS LAST, id"
            total = fake.query(
                f"SELECT count(*) AS n FROM contacts WHERE {where}", (fake.account_id,)
            )
            rows = fake.query(
                f"SELECT * FROM contacts WHERE {where} "
                f"ORDER BY {order.get(params.get('sort', ''), default_order)} "
                "LIMIT %s OFFSET %s",
                (fake.account_id, CONTACTS_PER_PAGE, (page - 1) * CONTACTS_PER_PAGE),
            )
            return {
                "meta": {"count": total[0]["n"], "current_page": page},
                "payload": [render.contact_full(r) for r in rows],
            }

        def _inboxes(self) -> list[dict[str, Any]]:
            rows = fake.query(
                "SELECT * FROM inboxes WHERE account_id = %s ORDER BY id", (fake.account_id,)
            )
            keys = (
                "id", "channel_id", "name", "channel_type", "greeting_enabled", "greeting_message",
                "working_hours_enabled", "enable_email_collect", "csat_survey_enabled",
                "enable_auto_assignment", "out_of_office_message", "timezone",
                "allow_messages_after_resolved", "lock_to_single_conversation", "business_name",
            )  # fmt: skip
            return [
                {"avatar_url": "", **{k: r[k] for k in keys},
                 "sender_name_type": "professional" if r["sender_name_type"] else "friendly"}
                for r in rows
            ]  # fmt: skip

        def _agents(self) -> list[dict[str, Any]]:
            rows = fake.query(
                "SELECT u.*, au.role, au.auto_offline, au.availability AS au_availability "
                "FROM account_users au JOIN users u ON u.id = au.user_id "
                "WHERE au.account_id = %s ORDER BY u.id",
                (fake.account_id,),
            )
            return [
                {
                    "id": r["id"],
                    "account_id": fake.account_id,
                    "availability_status": AVAILABILITY.get(r["au_availability"], "offline"),
                    "auto_offline": r["auto_offline"],
                    "confirmed": r["confirmed_at"] is not None,
                    "email": r["email"],
                    "available_name": r["display_name"] or r["name"],
                    "name": r["name"],
                    "role": ROLE.get(r["role"] or 0, "agent"),
                    "thumbnail": "",
                    "custom_role_id": None,
                }
                for r in rows
            ]

        def _labels(self) -> list[dict[str, Any]]:
            rows = fake.query(
                "SELECT * FROM labels WHERE account_id = %s ORDER BY id", (fake.account_id,)
            )
            keys = ("id", "title", "description", "color", "show_on_sidebar")
            return [{k: r[k] for k in keys} for r in rows]

        def _csat(self, params: dict[str, str]) -> list[dict[str, Any]]:
            page = self._page(params)
            where = ["s.account_id = %s"]
            args: list[Any] = [fake.account_id]
            if "since" in params:
                where.append("s.created_at >= to_timestamp(%s) AT TIME ZONE 'UTC'")
                args.append(int(params["since"]))
            if "until" in params:
                where.append("s.created_at <= to_timestamp(%s) AT TIME ZONE 'UTC'")
                args.append(int(params["until"]))
            rows = fake.query(
                "SELECT s.*, c.display_id, ct.name AS contact_name, u.name AS agent_name "
                "FROM csat_survey_responses s JOIN conversations c ON c.id = s.conversation_id "
                "LEFT JOIN contacts ct ON ct.id = s.contact_id "
                "LEFT JOIN users u ON u.id = s.assigned_agent_id "
                f"WHERE {' AND '.join(where)} ORDER BY s.created_at DESC, s.id DESC "
                "LIMIT %s OFFSET %s",
                [*args, CSAT_PER_PAGE, (page - 1) * CSAT_PER_PAGE],
            )
            return [
                {
                    "id": r["id"],
                    "rating": r["rating"],
                    "feedback_message": r["feedback_message"],
                    "account_id": r["account_id"],
                    "message_id": r["message_id"],
                    "contact": {"id": r["contact_id"], "name": r["contact_name"]},
                    "conversation_id": r["display_id"],
                    "assigned_agent": (
                        {"id": r["assigned_agent_id"], "name": r["agent_name"]}
                        if r["assigned_agent_id"]
                        else None
                    ),
                    "created_at": _ts(r["created_at"]),
                }
                for r in rows
            ]

        def _reporting_events(self, params: dict[str, str]) -> dict[str, Any]:
            page = self._page(params)
            where = ["account_id = %s"]
            args: list[Any] = [fake.account_id]
            for key, column in (("since", ">="), ("until", "<=")):
                if key in params:
                    where.append(f"created_at {column} to_timestamp(%s) AT TIME ZONE 'UTC'")
                    args.append(int(params[key]))
            for key in ("inbox_id", "user_id"):
                if key in params:
                    where.append(f"{key} = %s")
                    args.append(int(params[key]))
            if "name" in params:
                where.append("name = %s")
                args.append(params["name"])
            clause = " AND ".join(where)
            count = fake.query(f"SELECT count(*) AS n FROM reporting_events WHERE {clause}", args)
            total = count[0]["n"]
            rows = fake.query(
                f"SELECT * FROM reporting_events WHERE {clause} ORDER BY created_at, id "
                "LIMIT %s OFFSET %s",
                [*args, REPORTING_PER_PAGE, (page - 1) * REPORTING_PER_PAGE],
            )
            meta = {
                "count": total,
                "current_page": page,
                "total_pages": max(1, -(-total // REPORTING_PER_PAGE)),
            }
            return {"meta": meta, "payload": [_reporting_event(r) for r in rows]}

        def _create_webhook(self, body: dict[str, Any]) -> tuple[int, Any]:
            url = body.get("url")
            if not isinstance(url, str) or not url.startswith(("http://", "https://")):
                return 422, {"message": "Url is invalid"}
            with fake._lock:
                webhook = {
                    "id": len(fake.webhooks) + 1,
                    "url": url,
                    "account_id": fake.account_id,
                    "name": body.get("name"),
                    "subscriptions": body.get("subscriptions") or [],
                    "secret": secrets.token_hex(16),
                }
                fake.webhooks.append(webhook)
            return 200, webhook  # swagger.json: the webhook object

        def _create_message(self, display_id: int, body: dict[str, Any]) -> tuple[int, Any]:
            conversation = self._conversation_row(display_id)
            if conversation is None:
                return 404, {"error": "Resource could not be found"}
            content = body.get("content")
            if not isinstance(content, str) or not content:
                return 422, {"message": "Content can't be blank"}
            kind = body.get("message_type", "outgoing")
            if kind not in ("outgoing", "incoming"):
                return 422, {"message": "Message type is not included in the list"}
            template = body.get("template_params")
            extra: dict[str, Any] = {}
            if template is not None:
                required = ("name", "category", "language", "processed_params")
                if not isinstance(template, dict) or any(k not in template for k in required):
                    return 422, {"message": "template_params needs " + ", ".join(required)}
                extra["template_params"] = template
            with fake._lock:
                row = fake.query(
                    """INSERT INTO messages (content, account_id, inbox_id, conversation_id,
                           message_type, created_at, updated_at, private, content_type,
                           content_attributes, additional_attributes)
                       VALUES (%s, %s, %s, %s, %s, now() AT TIME ZONE 'UTC',
                               now() AT TIME ZONE 'UTC', %s, 0, '{}', %s)
                       RETURNING *""",
                    (content, fake.account_id, conversation["inbox_id"], conversation["id"],
                     1 if kind == "outgoing" else 0, bool(body.get("private", False)),
                     json.dumps(extra)),
                )[0]  # fmt: skip
                fake.created_messages.append({"display_id": display_id, **body})
                failing = fake.fail_after_create > 0
                if failing:
                    fake.fail_after_create -= 1
            if failing:
                return 500, {"error": "Internal Server Error"}
            return 200, render.messages([row], [conversation])[0]

    return Handler


@contextmanager
def serve(fake: FakeChatwoot) -> Iterator[FakeChatwoot]:
    """Run `fake` on 127.0.0.1 (random free port) in a background thread; it shuts itself
    down after `fake.lifetime` seconds if the test never leaves the block."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake, [0]))
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    watchdog = threading.Timer(fake.lifetime, server.shutdown)
    watchdog.daemon = True
    watchdog.start()
    try:
        yield fake
    finally:
        watchdog.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
        fake.close()
