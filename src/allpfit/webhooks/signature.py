"""Chatwoot's webhook signature (v4.11.2+), and the URL token of older versions.

Chatwoot signs each delivery with the webhook's secret: `X-Chatwoot-Signature: sha256=<hex>`,
the HMAC-SHA256 of `"{X-Chatwoot-Timestamp}.{raw body}"` over the raw bytes as received. A
timestamp further than `MAX_SKEW` from our clock is refused too, so a captured delivery cannot
be replayed later. Versions that sign nothing can only be given a secret token in the URL: any
proxy or log that records URLs learns it, hence weaker (docs/operations.md).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

MAX_SKEW = 300  # seconds, either way
PREFIX = "sha256="


class BadSignature(Exception):
    """The delivery is not provably Chatwoot's (the reason is logged, never answered)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The header value Chatwoot sends for `body` at `timestamp` (tests and the fake)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return PREFIX + mac.hexdigest()


def verify(
    secret: str,
    *,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: float | None = None,
) -> None:
    """Raise BadSignature unless `signature` is Chatwoot's for `body` at a fresh `timestamp`."""
    if not timestamp or not signature:
        raise BadSignature("missing X-Chatwoot-Timestamp or X-Chatwoot-Signature")
    try:
        sent = int(timestamp)
    except ValueError:
        raise BadSignature("X-Chatwoot-Timestamp is not Unix seconds") from None
    if abs((time.time() if now is None else now) - sent) > MAX_SKEW:
        raise BadSignature("X-Chatwoot-Timestamp is more than 5 minutes away from now")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.strip().encode()):
        raise BadSignature("X-Chatwoot-Signature does not match")


def new_token() -> str:
    """A URL token for Chatwoot versions without signatures (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """What is stored of a URL token: its SHA-256 (the token has 256 bits of entropy, so a
    plain hash is enough; no salt or slow hash needed)."""
    return hashlib.sha256(token.encode()).hexdigest()


def token_matches(token: str, stored_hash: str | None) -> bool:
    """Constant-time comparison of `token` with the stored hash."""
    if not stored_hash:
        return False
    return hmac.compare_digest(token_hash(token).encode(), stored_hash.encode())
