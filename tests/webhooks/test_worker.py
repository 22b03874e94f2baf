"""The worker: events refresh exactly the conversations they name through the sync's own
extraction (rows identical to a full sync's), in any order, replayed or not; a burst of 1,000
events; and the ledger and status it leaves."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import psycopg

from allpfit.config import Settings
from allpfit.ops.status import collect
from allpfit.sync import control
from allpfit.sync.run import run_sync
from allpfit.webhooks.signature import sign
from allpfit.webhooks.worker import process_batch
from tests.factories import T0, Chatwoot
from tests.webhooks.conftest import (
    SECRET,
    Receiver,
    contact_event,
    conversation_event,
    message_event,
)

COMPARED = "conversation_id, contact_name, status, message_compiled, contact_messages, csat_rating"


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def rows(local: psycopg.Connection) -> list[tuple[Any, ...]]:
    return local.execute(f"SELECT {COMPARED} FROM conversas_analytics ORDER BY 1").fetchall()


def drain(local_url: str, settings: Settings) -> int:
    total = 0
    for _ in range(100):
        done = process_batch(local_url, settings.source_url(), settings).events
        total += done
        if not done:
            return total
    raise AssertionError("the worker never emptied the inbox")


def conversations(cw: Chatwoot, n: int, *, at: datetime = T0) -> dict[int, int]:
    """`n` lead conversations: {display_id: id}. Chatwoot's own trigger numbers display ids
    per account (1, 2, ...), as webhooks name them."""
    out = {}
    for _ in range(n):
        seq = cw.conn.execute("SELECT count(*) FROM contacts").fetchone()[0]  # type: ignore[index]
        contact = cw.contact(f"Lead {seq}", f"+55119{seq:08d}")
        conv = cw.conversation(contact, created_at=at)
        cw.message(conv, "oi, quanto custa a mensalidade?", at=at)
        display = cw.conn.execute(
            "SELECT display_id FROM conversations WHERE id = %s", (conv,)
        ).fetchone()[0]  # type: ignore[index]
        out[int(display)] = conv
    return out


def test_event_refreshes_only_its_conversation_then_analyses_it(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 3)
    assert receiver.post(message_event(2, cw.account_id)).status_code == 200
    assert drain(local_url, settings) == 1
    assert [r[0] for r in rows(local)] == [convs[2]]
    ledger = local.execute(
        "SELECT load_type, triggered_by, status, rows_extracted FROM etl_control"
    ).fetchall()
    assert ledger == [("webhook", "webhook", "success", 1)]
    profiles = local.execute("SELECT conversation_id FROM conversas_analytics_ai").fetchall()
    assert profiles == [(convs[2],)]  # the changed lead was analysed
    pending = local.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL")
    assert pending.fetchone() == (0,)
    # a webhook refresh is never the periodic sync's watermark: the next run is still full
    with psycopg.connect(local_url) as conn:
        assert control.last_watermark(conn) is None
    assert run_sync(local_url, settings.source_url()).load_type == "full"


def test_out_of_order_and_replayed_events_give_the_rows_of_a_full_sync(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 2)
    contact = cw.conn.execute(
        "SELECT contact_id FROM conversations WHERE id = %s", (convs[1],)
    ).fetchone()[0]  # type: ignore[index]
    run_sync(local_url, settings.source_url())  # the periodic sync ran once
    # Chatwoot changes: a reply, a resolution, a renamed contact...
    cw.message(convs[1], "fechado, vou amanhã", at=now_utc())
    cw.execute("UPDATE conversations SET status = 1, updated_at = now() WHERE id = %s", (convs[1],))
    cw.execute("UPDATE contacts SET name = 'Maria Nova' WHERE id = %s", (contact,))
    events = [
        message_event(1, cw.account_id, "fechado, vou amanhã"),
        conversation_event("conversation_status_changed", 1, "resolved"),
        contact_event(contact, cw.account_id, "Maria Nova"),
        conversation_event("conversation_updated", 2),
    ]
    # ...whose events arrive newest first, one of them twice under new delivery ids
    for event in [*reversed(events), events[0]]:
        assert receiver.post(event).status_code == 200
    drain(local_url, settings)
    after_events = rows(local)
    changed = {r[0]: r for r in after_events}[convs[1]]
    assert changed[1:3] == ("Maria Nova", "resolved")
    assert changed[3][-1]["text"] == "fechado, vou amanhã"
    # replaying every event again changes nothing
    for event in events:
        receiver.post(event)
    drain(local_url, settings)
    assert rows(local) == after_events
    # and the rows are exactly what the periodic sync reads
    full = run_sync(local_url, settings.source_url(), mode="full")
    assert (full.rows_updated, full.rows_unchanged) == (0, 2)
    assert rows(local) == after_events


def test_a_burst_of_1000_events_is_stored_and_processed(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 200)
    bodies = [message_event(1 + i % 200, cw.account_id, f"m{i}") for i in range(1000)]

    async def send_all() -> list[int]:
        limit = asyncio.Semaphore(32)
        async with httpx.AsyncClient(timeout=30) as client:

            async def one(body: dict[str, Any]) -> int:
                raw = httpx.Request("POST", "/", json=body).content
                ts = str(int(time.time()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Chatwoot-Timestamp": ts,
                    "X-Chatwoot-Signature": sign(SECRET, ts, raw),
                    "X-Chatwoot-Delivery": str(uuid.uuid4()),
                }
                async with limit:
                    answer = await client.post(
                        receiver.url + "/webhooks/default", content=raw, headers=headers
                    )
                return answer.status_code

            return await asyncio.gather(*(one(b) for b in bodies))

    started = time.monotonic()
    codes = asyncio.run(send_all())
    received = time.monotonic() - started
    assert codes == [200] * 1000
    assert local.execute("SELECT count(*) FROM webhook_events").fetchone() == (1000,)
    started = time.monotonic()
    assert drain(local_url, settings) == 1000
    processed = time.monotonic() - started
    assert sorted(r[0] for r in rows(local)) == sorted(convs.values())
    # bounded time (generous for a shared 2-core machine): the refresh is one batched sync
    # per 500 events, not one per event
    assert received < 60 and processed < 60, (received, processed)
    runs = local.execute("SELECT count(*) FROM etl_control WHERE load_type = 'webhook'")
    assert runs.fetchone() == (2,)


def test_status_shows_webhook_lag_and_last_event(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    conversations(cw, 1)
    receiver.post(message_event(1, cw.account_id))
    local.execute("UPDATE webhook_events SET received_at = now() - interval '3 minutes'")
    figures = collect(local_url, source_url=None, max_age=_hour()).figures()
    assert figures["webhook_pending"] == 1
    assert figures["last_webhook_event"] == "message_created"
    assert figures["webhook_lag"].total_seconds() >= 180
    drain(local_url, settings)
    figures = collect(local_url, source_url=None, max_age=_hour()).figures()
    assert (figures["webhook_pending"], figures["webhook_lag"]) == (0, None)
    assert figures["last_webhook_at"] is not None


def _hour() -> Any:
    from datetime import timedelta

    return timedelta(hours=1)


def test_failed_refresh_is_retried_later_not_lost(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    conversations(cw, 1)
    receiver.post(message_event(1, cw.account_id))
    # Chatwoot unreachable: the refresh fails, the event stays for a later attempt
    result = process_batch(local_url, "postgresql://nobody@127.0.0.1:1/none", settings)
    assert (result.events, result.postponed) == (0, 1)
    row = local.execute(
        "SELECT processed_at IS NULL, attempts, error IS NOT NULL, next_attempt_at > now() "
        "FROM webhook_events"
    ).fetchone()
    assert row == (True, 1, True, True)
    local.execute("UPDATE webhook_events SET next_attempt_at = now()")
    assert drain(local_url, settings) == 1
    assert len(rows(local)) == 1


def test_the_receivers_own_worker_brings_an_event_to_the_table_in_seconds(
    cw: Chatwoot, hooked: Any, local_url: str, settings: Settings, local: psycopg.Connection
) -> None:
    import threading

    import uvicorn

    from allpfit.webhooks.app import make_app
    from allpfit.webhooks.worker import work
    from tests.webhooks.conftest import free_port

    convs = conversations(cw, 1)

    def worker(stop: threading.Event, wake: threading.Event) -> None:
        work(local_url, settings.source_url(), settings, stop=stop, wake=wake, idle_wait=30)

    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(local_url, settings, worker=worker),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.02)
        with httpx.Client(timeout=10) as client:
            sender = Receiver(f"http://127.0.0.1:{port}", client)
            sent = time.monotonic()
            assert sender.post(message_event(1, cw.account_id)).status_code == 200
            # woken by the event (its idle wait is 30 s): the row appears within seconds
            while not rows(local):
                assert time.monotonic() - sent < 15, "the worker did not refresh in time"
                time.sleep(0.05)
        assert rows(local)[0][0] == convs[1]
    finally:
        server.should_exit = True
        thread.join(timeout=60)
    assert not thread.is_alive()  # the worker thread stopped with the server
