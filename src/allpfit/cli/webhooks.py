"""`allpfit webhooks ...`: the live-update receiver, its worker, and each tenant's webhook.

- `serve`: the receiver (uvicorn) with the worker in a background thread;
- `work`: the worker alone (another host, or more than one);
- `register`: create the account webhook in Chatwoot through its API, keep its secret;
- `secret`: store a webhook secret made by hand in Chatwoot (as `env:NAME` or encrypted);
- `token`: a URL token for Chatwoot versions that sign nothing (weaker; shown once).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import typer

from allpfit import db
from allpfit.cli.state import console, state
from allpfit.cli.tenant import one_tenant
from allpfit.config import Settings
from allpfit.errors import ConfigError
from allpfit.tenant_secrets import MAX_SECRET, encrypt, env_ref, resolve

app = typer.Typer(help="Chatwoot webhooks: live updates.", no_args_is_help=True)


def _tenant_option() -> Any:
    return typer.Option(
        None, "--tenant", metavar="SLUG", help="The tenant (default: the only enabled one)."
    )


def _source_url(settings: Settings) -> str | None:
    """Chatwoot's database URL, or None when none is configured (tenants that read the API
    need none; a database tenant's refresh then fails naming the setting)."""
    try:
        return settings.source_url()
    except ConfigError:
        return None


def _worker(
    local_url: str, source_url: str | None, settings: Settings
) -> Callable[[threading.Event, threading.Event], None]:
    from allpfit.webhooks.worker import work

    def run(stop: threading.Event, wake: threading.Event) -> None:
        work(local_url, source_url, settings, stop=stop, wake=wake)

    return run


@app.command("serve")
def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8502, "--port", min=1, max=65535, help="Port to listen on."),
    worker: bool = typer.Option(
        True, "--worker/--no-worker", help="Also run the worker in this process."
    ),
) -> None:
    """Receive Chatwoot's webhooks at /webhooks/SLUG (signed) or /webhooks/SLUG/TOKEN (old
    versions); store each event and answer at once; the worker refreshes the conversations.

    Listens on 127.0.0.1 by default: put it behind a reverse proxy with HTTPS
    (docs/operations.md)."""
    import uvicorn

    from allpfit.webhooks.app import make_app

    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    run = _worker(local_url, _source_url(settings), settings) if worker else None
    console.print(f"Receiving webhooks on http://{host}:{port}/webhooks/<tenant>")
    uvicorn.run(
        make_app(local_url, settings, worker=run),
        host=host,
        port=port,
        log_level="warning",
        proxy_headers=True,
        timeout_graceful_shutdown=30,
    )


@app.command("work")
def work(
    ctx: typer.Context,
    once: bool = typer.Option(False, "--once", help="Process what is due, then exit."),
) -> None:
    """Refresh the conversations named by stored events (also run by `serve`), until Ctrl-C."""
    from allpfit.webhooks.worker import process_batch
    from allpfit.webhooks.worker import work as loop

    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    source_url = _source_url(settings)
    if once:
        total = 0
        for _ in range(10_000):  # bounded: 10,000 batches
            result = process_batch(local_url, source_url, settings)
            total += result.events
            if not result.events:
                break
        console.print(f"Processed {total} webhook event(s).")
        return
    stop = threading.Event()
    try:
        loop(local_url, source_url, settings, stop=stop)
    except KeyboardInterrupt:
        stop.set()


@app.command("register")
def register_cmd(
    ctx: typer.Context,
    public_url: str = typer.Option(
        ..., "--url", metavar="PUBLIC_URL", help="The receiver's public https:// base URL."
    ),
    tenant: str | None = _tenant_option(),
    chatwoot_url: str | None = typer.Option(
        None, "--chatwoot-url", help="Chatwoot's base URL (default: the tenant's API source)."
    ),
    token_env: str | None = typer.Option(
        None,
        "--token-env",
        metavar="VAR",
        help="Read a Chatwoot access token (administrator) from this variable "
        "(default: the tenant's API token).",
    ),
) -> None:
    """Create the account webhook in Chatwoot through its API and store the secret it returns
    (encrypted with TENANT_SECRET_KEY; never printed)."""
    from allpfit.webhooks.register import register

    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "webhooks register")
    base = chatwoot_url or one.chatwoot_url
    ref = env_ref(token_env) if token_env else one.chatwoot_token_ref
    if not base or not ref or one.account_id is None:
        raise ConfigError(
            f"Tenant {one.slug!r} has no Chatwoot API address, access token or account id.",
            hint="Give --chatwoot-url and --token-env, and set the tenant's account with "
            "`allpfit tenant edit SLUG --account-id N`.",
        )
    token = resolve(ref, settings, what="Chatwoot access token")
    done = register(
        local_url, settings, one, public_url, base_url=base, account_id=one.account_id,
        token=token,
    )  # fmt: skip
    console.print(f"Webhook created in Chatwoot: {done.url}")
    if not done.signed:
        console.print(
            "[yellow]This Chatwoot returned no secret: it signs nothing.[/] Its deliveries are "
            "refused until you run `allpfit webhooks token` and put the URL it prints in "
            "Chatwoot's webhook (weaker: see docs/operations.md)."
        )


@app.command("secret")
def secret_cmd(
    ctx: typer.Context,
    tenant: str | None = _tenant_option(),
    env: str | None = typer.Option(
        None, "--env", metavar="VAR", help="The secret is in this environment variable."
    ),
    stdin: bool = typer.Option(False, "--stdin", help="Read it from stdin; stored encrypted."),
) -> None:
    """Store the secret of a webhook created by hand in Chatwoot (Settings → Integrations →
    Webhooks shows it), as `env:VAR` or encrypted with TENANT_SECRET_KEY."""
    from allpfit.webhooks.credentials import set_secret_ref

    if (env is None) == (not stdin):
        raise ConfigError("Give the webhook secret as either --env VAR or --stdin.")
    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "webhooks secret")
    if env is not None:
        ref = env_ref(env)
    else:
        text = typer.get_text_stream("stdin").read(MAX_SECRET + 1).strip()
        ref = encrypt(text, settings, what="webhook secret")
    with db.transaction(local_url) as conn:
        set_secret_ref(conn, one, ref)
    console.print(f"Webhook secret stored for tenant {one.slug}.")


@app.command("token")
def token_cmd(
    ctx: typer.Context,
    tenant: str | None = _tenant_option(),
    off: bool = typer.Option(False, "--off", help="Turn the URL-token mode off."),
) -> None:
    """For Chatwoot versions without signed webhooks: a new secret URL token (the previous one
    stops working). The token is printed once; only its hash is stored."""
    from allpfit.webhooks.credentials import clear_token, rotate_token

    settings = state(ctx).settings()
    local_url = db.prepare(settings)
    one = one_tenant(local_url, tenant, "webhooks token")
    with db.transaction(local_url) as conn:
        if off:
            clear_token(conn, one)
            console.print(f"URL-token mode turned off for tenant {one.slug}.")
            return
        token = rotate_token(conn, one)
    console.print(f"Webhook URL path for tenant {one.slug} (shown once):")
    console.print(f"/webhooks/{one.slug}/{token}", markup=False, highlight=False, soft_wrap=True)
