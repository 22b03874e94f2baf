"""Fixtures for the webhook tests: a real uvicorn server on 127.0.0.1 serving the receiver,
a tenant with a webhook secret (an `env:` reference) and a URL token, and Chatwoot payloads
shaped as Chatwoot sends them (conversations named by display_id)."""

from __future__ import annotations

import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
import uvicorn

from allpfit.config import Settings
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant, get_tenant
from allpfit.webhooks.app import make_app
from allpfit.webhooks.credentials import rotate_token, set_secret_ref
from allpfit.webhooks.signature import sign
from tests.factories import Chatwoot

SECRET = "whsec-test-3f9a"
SECRET_ENV = "ALLPFIT_TEST_WEBHOOK_SECRET"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Hooked:
    tenant: Tenant
    token: str


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


@pytest.fixture
def hooked(local_url: str, monkeypatch: pytest.MonkeyPatch) -> Hooked:
    """The default tenant with a webhook secret (env:...) and a URL token."""
    monkeypatch.setenv(SECRET_ENV, SECRET)
    with psycopg.connect(local_url, autocommit=True) as conn:
        tenant = get_tenant(conn, "default")
        assert tenant.id == DEFAULT_TENANT_ID
        set_secret_ref(conn, tenant, f"env:{SECRET_ENV}")
        token = rotate_token(conn, tenant)
    return Hooked(tenant, token)


@dataclass
class Receiver:
    url: str
    client: httpx.Client

    def post(
        self,
        body: dict[str, Any] | bytes,
        *,
        path: str = "/webhooks/default",
        secret: str | None = SECRET,
        timestamp: int | None = None,
        delivery: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        sent = {"Content-Type": "application/json"}
        if secret is not None:
            ts = str(int(time.time()) if timestamp is None else timestamp)
            sent["X-Chatwoot-Timestamp"] = ts
            sent["X-Chatwoot-Signature"] = sign(secret, ts, raw)
        sent["X-Chatwoot-Delivery"] = delivery or str(uuid.uuid4())
        sent.update(headers or {})
        return self.client.post(self.url + path, content=raw, headers=sent)


@pytest.fixture
def receiver(local_url: str, settings: Settings, hooked: Hooked) -> Iterator[Receiver]:
    """The receiver (no worker: tests run it explicitly) under a real uvicorn server."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(local_url, settings), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    with httpx.Client(timeout=10) as client:
        yield Receiver(f"http://127.0.0.1:{port}", client)
    server.should_exit = True
    thread.join(timeout=20)


def message_event(display_id: int, account_id: int, text: str = "oi") -> dict[str, Any]:
    """A `message_created` payload as Chatwoot builds it (Message#webhook_data)."""
    return {
        "event": "message_created",
        "id": 987654,
        "content": text,
        "message_type": "incoming",
        "account": {"id": account_id, "name": "AllpFit"},
        "conversation": {"id": display_id, "inbox_id": 1, "status": "open"},
    }


def conversation_event(event: str, display_id: int, status: str = "open") -> dict[str, Any]:
    """A conversation event payload (Conversations::EventDataPresenter: id is display_id)."""
    return {"event": event, "id": display_id, "status": status, "inbox_id": 1, "messages": []}


def contact_event(contact_id: int, account_id: int, name: str) -> dict[str, Any]:
    return {
        "event": "contact_updated",
        "id": contact_id,
        "name": name,
        "account": {"id": account_id, "name": "AllpFit"},
    }
