"""The receiver killed (SIGKILL) in the middle of a burst and restarted: every delivery it
acknowledged is stored once, Chatwoot's retries of the others are accepted after the restart,
and after the worker and the next periodic sync every conversation is in the table, including
those whose deliveries Chatwoot gave up on while the receiver was down."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import psycopg

from allpfit.config import Settings
from allpfit.sync.run import run_sync
from allpfit.webhooks.signature import sign
from tests.factories import Chatwoot
from tests.webhooks.conftest import SECRET, Hooked, free_port, message_event
from tests.webhooks.test_worker import conversations, drain


@contextmanager
def serving(port: int) -> Iterator[subprocess.Popen[bytes]]:
    """`allpfit webhooks serve` as its own process, ready to answer."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "allpfit", "webhooks", "serve", "--port", str(port), "--no-worker"],
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the receiver did not start"
            time.sleep(0.1)
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def deliver(client: httpx.Client, port: int, delivery: str, body: bytes) -> bool:
    """One delivery as Chatwoot makes it; True if acknowledged (200)."""
    ts = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Chatwoot-Timestamp": ts,
        "X-Chatwoot-Signature": sign(SECRET, ts, body),
        "X-Chatwoot-Delivery": delivery,
    }
    try:
        answer = client.post(f"http://127.0.0.1:{port}/webhooks/default", content=body,
                             headers=headers)  # fmt: skip
    except httpx.TransportError:
        return False
    return answer.status_code == 200


def test_receiver_killed_mid_burst_loses_nothing_after_the_next_sync(
    cw: Chatwoot, hooked: Hooked, cli_env: dict[str, str], local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    first = conversations(cw, 1)
    run_sync(local_url, settings.source_url())  # the periodic sync has run before
    convs = conversations(cw, 120, at=datetime.now(UTC).replace(tzinfo=None))
    deliveries = {
        str(uuid.uuid4()): json.dumps(message_event(d, cw.account_id)).encode() for d in convs
    }
    port = free_port()
    acked: set[str] = set()
    with httpx.Client(timeout=5) as client:
        with serving(port) as proc:
            for n, (delivery, body) in enumerate(deliveries.items()):
                if n == 50:
                    proc.send_signal(signal.SIGKILL)  # mid-burst
                    proc.wait(timeout=30)
                if deliver(client, port, delivery, body):
                    acked.add(delivery)
        assert 0 < len(acked) <= 50
        stored = {str(r[0]) for r in local.execute("SELECT delivery_id FROM webhook_events")}
        assert acked <= stored  # an acknowledged delivery was committed before the 200
        # Chatwoot retries what was not acknowledged, but gives up on the last 20
        retried = [d for d in deliveries if d not in acked][:-20]
        with serving(port):
            for delivery in [*retried, *list(acked)[:5]]:  # and re-sends a few it had sent
                assert deliver(client, port, delivery, deliveries[delivery])
    count = local.execute("SELECT count(*), count(DISTINCT delivery_id) FROM webhook_events")
    assert count.fetchone() == (len(deliveries) - 20, len(deliveries) - 20)
    drain(local_url, settings)
    present = {r[0] for r in local.execute("SELECT conversation_id FROM conversas_analytics")}
    assert len(present & set(convs.values())) == 100  # the 20 abandoned are not there yet
    run_sync(local_url, settings.source_url())  # the next periodic sync catches up
    present = {r[0] for r in local.execute("SELECT conversation_id FROM conversas_analytics")}
    assert present == {*first.values(), *convs.values()}
