"""Each tenant's webhook credentials: the HMAC secret (as a secret reference) and the hash of
its URL token. Written as the owner (the CLI), read by the receiver (`inbox.find_hook`)."""

from __future__ import annotations

import psycopg

from allpfit.tenants import Tenant
from allpfit.webhooks.signature import new_token, token_hash


def set_secret_ref(conn: psycopg.Connection, tenant: Tenant, ref: str) -> None:
    """Store the webhook secret's reference (`env:NAME` or `fernet:...`, never the secret)."""
    conn.execute(
        "UPDATE tenants SET webhook_secret_ref = %s, updated_at = now() WHERE id = %s",
        (ref, tenant.id),
    )


def rotate_token(conn: psycopg.Connection, tenant: Tenant) -> str:
    """A new URL token for `tenant`: its hash is stored, the token returned to show once. The
    previous token stops working at once."""
    token = new_token()
    conn.execute(
        "UPDATE tenants SET webhook_token_sha256 = %s, updated_at = now() WHERE id = %s",
        (token_hash(token), tenant.id),
    )
    return token


def clear_token(conn: psycopg.Connection, tenant: Tenant) -> None:
    """Turn the URL-token mode off for `tenant`."""
    conn.execute(
        "UPDATE tenants SET webhook_token_sha256 = NULL, updated_at = now() WHERE id = %s",
        (tenant.id,),
    )
