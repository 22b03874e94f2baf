"""The webhook receiver: an ASGI app (Starlette, served by uvicorn), one endpoint per tenant.

- `POST /webhooks/{slug}`: a signed delivery (Chatwoot v4.11.2+), checked against the tenant's
  webhook secret (`tenants.webhook_secret_ref`) with `signature.verify`, deduplicated by
  `X-Chatwoot-Delivery`;
- `POST /webhooks/{slug}/{token}`: for Chatwoot versions that sign nothing, the secret token in
  the URL is the only proof (weaker: URLs end up in proxy logs). A signature, when sent, is
  still checked.

Every refusal is a bare status (401 for any authentication failure, unknown tenants included,
so the endpoint does not reveal which tenants exist; 413 for a body over `MAX_BODY`; 400 for
non-JSON) and the reason goes to the log only. An accepted event is stored and answered 200 at
once: the processing happens in the worker, started next to the app by `make_app(worker=...)`.
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from psycopg_pool import ConnectionPool
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from allpfit.config import Settings
from allpfit.errors import AllpfitError
from allpfit.tenant_secrets import resolve
from allpfit.webhooks import inbox
from allpfit.webhooks.signature import BadSignature, token_matches, verify

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # 1 MiB: Chatwoot's payloads are a few kB
POOL_SIZE = 4


class _TooLarge(Exception):
    pass


async def _read_body(request: Request) -> bytes:
    """The raw body, refused as soon as it passes MAX_BODY (whatever Content-Length says)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise _TooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise _TooLarge
        chunks.append(chunk)
    return b"".join(chunks)


def _delivery(request: Request) -> uuid.UUID | None:
    value = request.headers.get("x-chatwoot-delivery")
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def make_app(
    local_url: str,
    settings: Settings,
    *,
    worker: Callable[[threading.Event, threading.Event], None] | None = None,
) -> Starlette:
    """The receiver for the local database at `local_url`. `worker(stop, wake)`, if given,
    runs in a background thread for the app's lifetime; `wake` is set after each stored event
    so the worker starts at once (event to dashboard in seconds)."""
    pool = ConnectionPool(local_url, min_size=1, max_size=POOL_SIZE, open=False)
    stop, wake = threading.Event(), threading.Event()

    def lookup(slug: str) -> inbox.Hook | None:
        with pool.connection() as conn:
            return inbox.find_hook(conn, slug)

    def save(tenant_id: int, delivery: uuid.UUID | None, body: dict[str, Any]) -> bool:
        with pool.connection() as conn:
            return inbox.store(conn, tenant_id, delivery, body)

    def secret_of(hook: inbox.Hook) -> str | None:
        if not hook.secret_ref:
            return None
        try:
            return resolve(hook.secret_ref, settings, what=f"webhook secret of {hook.slug}")
        except AllpfitError as exc:
            log.error("webhook secret of tenant %s unusable: %s", hook.slug, exc.message)
            return None

    async def receive(request: Request) -> Response:
        slug = request.path_params["slug"]
        token = request.path_params.get("token")
        try:
            body = await _read_body(request)
        except _TooLarge:
            return JSONResponse({"error": "body too large"}, status_code=413)
        hook = await run_in_threadpool(lookup, slug)
        if hook is None:
            log.warning("webhook for unknown or disabled tenant %r refused", slug[:64])
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        headers = request.headers
        signature = headers.get("x-chatwoot-signature")
        try:
            if token is not None:
                if not token_matches(token, hook.token_sha256):
                    raise BadSignature("wrong URL token")
                secret = secret_of(hook) if signature else None
            else:
                secret = secret_of(hook)
                if secret is None:
                    raise BadSignature("the tenant has no webhook secret")
            if secret is not None:
                verify(
                    secret,
                    timestamp=headers.get("x-chatwoot-timestamp"),
                    signature=signature,
                    body=body,
                )
        except BadSignature as exc:
            log.warning("webhook for tenant %s refused: %s", hook.slug, exc)
            return JSONResponse({"error": "unauthorized"}, status_code=401)
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, ValueError):
            return JSONResponse({"error": "body is not JSON"}, status_code=400)
        if not isinstance(payload, dict):
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        new = await run_in_threadpool(save, hook.tenant_id, _delivery(request), payload)
        wake.set()
        return JSONResponse({"stored": new})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool.open()
        thread = None
        if worker is not None:
            thread = threading.Thread(
                target=worker, args=(stop, wake), name="webhook-worker", daemon=True
            )
            thread.start()
        try:
            yield
        finally:
            stop.set()
            wake.set()
            if thread is not None:
                thread.join(timeout=60)
            pool.close()

    return Starlette(
        routes=[
            Route("/webhooks/{slug}", receive, methods=["POST"]),
            Route("/webhooks/{slug}/{token}", receive, methods=["POST"]),
            Route("/healthz", health, methods=["GET"]),
        ],
        lifespan=lifespan,
    )
