"""Links into the Chatwoot app: where a person opens a conversation to answer the lead.

One function decides the address (`conversation_url`), so every page and export that links a
conversation builds the same one. The base is the tenant's own Chatwoot (`tenants.chatwoot_url`,
migration 0060), and for the default tenant the setting CHATWOOT_URL first (a single-business
install reads Chatwoot's database and has no API URL in its tenant row). Only http(s) bases
are accepted, so a bad value can never become a `javascript:` or `data:` link on a page.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from allpfit.config import Settings
from allpfit.tenants import DEFAULT_TENANT_ID

_MAX_URL = 2000  # a base longer than this is not a Chatwoot address


def check_base_url(value: str | None) -> str | None:
    """`value` as a clean base URL (trimmed, no trailing "/", no query or fragment), or None
    when it is not an absolute http(s) address with a host."""
    if not value:
        return None
    text = value.strip()
    if len(text) > _MAX_URL or any(ch.isspace() or ord(ch) < 32 or ch in "\"'<>\\`" for ch in text):
        return None
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        return None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    if parts.query or parts.fragment or parts.username or parts.password:
        return None
    return f"{parts.scheme.lower()}://{parts.netloc}{parts.path.rstrip('/')}"


def chatwoot_base(settings: Settings, tenant_id: int, tenant_url: str | None) -> str | None:
    """The Chatwoot app base of a tenant: CHATWOOT_URL for the default tenant when set, else
    the tenant's own `chatwoot_url`; None when neither is a valid http(s) address."""
    if tenant_id == DEFAULT_TENANT_ID and settings.chatwoot_url:
        return check_base_url(settings.chatwoot_url)
    return check_base_url(tenant_url)


def conversation_url(
    settings: Settings,
    tenant_id: int,
    tenant_url: str | None,
    account_id: int | None,
    display_id: int | None,
) -> str | None:
    """`{base}/app/accounts/{account_id}/conversations/{display_id}`, Chatwoot's own route of
    a conversation, or None when the base, the account or the number is unknown."""
    base = chatwoot_base(settings, tenant_id, tenant_url)
    if base is None or account_id is None or display_id is None:
        return None
    return f"{base}/app/accounts/{int(account_id)}/conversations/{int(display_id)}"
