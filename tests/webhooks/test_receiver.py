"""The receiver over real HTTP (uvicorn on 127.0.0.1, httpx) into real PostgreSQL: what it
accepts, what it refuses (and that a refusal stores nothing), deduplication, URL-token mode."""

from __future__ import annotations

import time
import uuid

import psycopg

from allpfit.webhooks.signature import sign
from tests.webhooks.conftest import SECRET, Hooked, Receiver, message_event


def _events(local: psycopg.Connection) -> list[tuple[object, ...]]:
    return local.execute(
        "SELECT tenant_id, delivery_id, event, account_id, conversation_display_ids, "
        "processed_at IS NULL FROM webhook_events ORDER BY id"
    ).fetchall()


def test_signed_delivery_is_stored_and_answered_at_once(
    receiver: Receiver, local: psycopg.Connection
) -> None:
    delivery = str(uuid.uuid4())
    answer = receiver.post(message_event(7, 1), delivery=delivery)
    assert answer.status_code == 200
    assert answer.json() == {"stored": True}
    assert _events(local) == [(1, uuid.UUID(delivery), "message_created", 1, [7], True)]


def test_bad_signature_is_refused_and_nothing_stored(
    receiver: Receiver, local: psycopg.Connection
) -> None:
    assert receiver.post(message_event(7, 1), secret="not-the-secret").status_code == 401
    # the right secret over a different body: the signature covers the raw bytes
    ts = str(int(time.time()))
    other = receiver.post(
        message_event(7, 1),
        secret=None,
        headers={
            "X-Chatwoot-Timestamp": ts,
            "X-Chatwoot-Signature": sign(SECRET, ts, b'{"event": "message_created"}'),
        },
    )
    assert other.status_code == 401
    assert _events(local) == []


def test_missing_signature_is_refused(receiver: Receiver, local: psycopg.Connection) -> None:
    assert receiver.post(message_event(7, 1), secret=None).status_code == 401
    ts = str(int(time.time()))
    only_ts = receiver.post(message_event(7, 1), secret=None, headers={"X-Chatwoot-Timestamp": ts})
    assert only_ts.status_code == 401
    assert _events(local) == []


def test_stale_or_future_timestamp_is_refused(
    receiver: Receiver, local: psycopg.Connection
) -> None:
    now = int(time.time())
    assert receiver.post(message_event(7, 1), timestamp=now - 301).status_code == 401
    assert receiver.post(message_event(7, 1), timestamp=now + 301).status_code == 401
    assert receiver.post(message_event(7, 1), timestamp=now - 200).status_code == 200
    assert len(_events(local)) == 1


def test_duplicate_delivery_is_stored_once(receiver: Receiver, local: psycopg.Connection) -> None:
    delivery = str(uuid.uuid4())
    first = receiver.post(message_event(7, 1), delivery=delivery)
    retry = receiver.post(message_event(7, 1), delivery=delivery)  # Chatwoot's retry
    assert (first.status_code, retry.status_code) == (200, 200)
    assert (first.json(), retry.json()) == ({"stored": True}, {"stored": False})
    assert len(_events(local)) == 1


def test_unknown_tenant_is_refused_like_a_bad_signature(receiver: Receiver) -> None:
    assert receiver.post(message_event(7, 1), path="/webhooks/nobody").status_code == 401


def test_oversized_and_non_json_bodies_are_refused(
    receiver: Receiver, local: psycopg.Connection
) -> None:
    big = b'{"event": "message_created", "pad": "' + b"x" * (1024 * 1024) + b'"}'
    assert receiver.post(big).status_code == 413
    assert receiver.post(b"event=message_created").status_code == 400
    assert receiver.post(b"[1, 2]").status_code == 400
    assert _events(local) == []


def test_url_token_mode_for_unsigned_chatwoot(
    receiver: Receiver, hooked: Hooked, local: psycopg.Connection
) -> None:
    path = f"/webhooks/default/{hooked.token}"
    ok = receiver.post(message_event(9, 1), path=path, secret=None)
    wrong = receiver.post(message_event(9, 1), path="/webhooks/default/" + "A" * 43, secret=None)
    # a signature sent on the token path is still checked
    forged = receiver.post(message_event(9, 1), path=path, secret="forged")
    assert (ok.status_code, wrong.status_code, forged.status_code) == (200, 401, 401)
    assert len(_events(local)) == 1
    stored = local.execute("SELECT webhook_token_sha256 FROM tenants WHERE id = 1").fetchone()
    assert stored is not None and hooked.token not in stored[0]  # only its hash is kept


def test_ignored_events_are_stored_already_done(
    receiver: Receiver, local: psycopg.Connection
) -> None:
    answer = receiver.post({"event": "conversation_typing_on", "id": 7})
    assert answer.status_code == 200
    rows = local.execute("SELECT event, processed_at IS NOT NULL FROM webhook_events").fetchall()
    assert rows == [("conversation_typing_on", True)]
