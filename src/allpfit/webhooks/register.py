"""`allpfit webhooks register`: create the account webhook in Chatwoot and keep its secret.

Uses the Application API client (allpfit.source.api_client). Chatwoot returns the webhook's
`secret` on creation (v4.11.2+); it is stored encrypted (TENANT_SECRET_KEY) as the tenant's
`webhook_secret_ref` and never printed. An older Chatwoot returns none and signs nothing: its
deliveries are refused until the URL-token mode is set up (`allpfit webhooks token`, then the
webhook's URL changed in Chatwoot), which the command says.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import ConfigError, SourceError
from allpfit.tenant_secrets import encrypt
from allpfit.tenants import Tenant
from allpfit.webhooks.credentials import set_secret_ref


@dataclass(frozen=True)
class Registered:
    webhook_id: int | None
    url: str  # the URL registered in Chatwoot
    signed: bool  # Chatwoot returned a secret: deliveries are signed


def endpoint(public_url: str, tenant: Tenant) -> str:
    """The tenant's endpoint under the receiver's public base URL (https required: the
    payloads hold customers' messages and phone numbers)."""
    parts = urlsplit(public_url.strip())
    if parts.scheme != "https" or not parts.netloc:
        raise ConfigError(
            f"The public URL must be an https:// address, not {public_url!r}.",
            hint="Put `allpfit webhooks serve` behind a reverse proxy with HTTPS "
            "(docs/operations.md) and give its address, e.g. https://allpfit.example.com.",
        )
    return public_url.strip().rstrip("/") + f"/webhooks/{tenant.slug}"


def register(
    local_url: str,
    settings: Settings,
    tenant: Tenant,
    public_url: str,
    *,
    base_url: str,
    account_id: int,
    token: str,
) -> Registered:
    """Create the webhook in Chatwoot account `account_id` at `base_url` and store the secret
    it returns for `tenant`."""
    from allpfit.source.api_client import ChatwootApi

    url = endpoint(public_url, tenant)
    with ChatwootApi.from_settings(settings, base_url, account_id, token) as api:
        existing = [w for w in api.webhooks() if str(w.get("url", "")).startswith(url)]
        if existing:
            raise SourceError(
                f"Chatwoot account {account_id} already has a webhook to {url}.",
                hint="Delete it in Chatwoot (Settings → Integrations → Webhooks), then run "
                "this again: its secret cannot be read back.",
            )
        secret_ref = None
        created = api.create_webhook(url)
        secret = created.get("secret")
        if isinstance(secret, str) and secret:
            secret_ref = encrypt(secret, settings, what="webhook secret")
    if secret_ref is not None:
        with db.transaction(local_url) as conn:
            set_secret_ref(conn, tenant, secret_ref)
    webhook_id = created.get("id")
    return Registered(
        webhook_id if isinstance(webhook_id, int) else None, url, secret_ref is not None
    )
