"""Password hashes: argon2id for dashboard users, and the old PBKDF2 format it replaces.

- `hash_password(pw)` makes an argon2id hash (argon2-cffi, its RFC 9106 "low memory" defaults).
- `verify(pw, encoded)` checks an argon2id hash, or a `pbkdf2_sha256$...` hash imported from the
  old DASHBOARD_USERS_FILE (`allpfit user import-file`); any malformed hash is simply "no".
- `needs_rehash(encoded)`: True for a PBKDF2 hash or an argon2id hash made with other
  parameters than today's, so a successful login stores a fresh hash (the only moment the
  clear password is at hand).
- `verify_dummy(pw)`: the same work as checking a real user's hash, for an unknown e-mail, so
  the answer time does not tell which e-mails have an account.

The PBKDF2 functions (`pbkdf2_hash`, `pbkdf2_verify`) stay for DASHBOARD_USERS_FILE, which
keeps working on an install without database users (docs/dashboard.md#login).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

PBKDF2 = "pbkdf2_sha256"
PBKDF2_ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256
MIN_LENGTH = 8  # shortest password `allpfit user` accepts
GENERATED_BYTES = 12  # a generated password: 16 URL-safe characters, 96 random bits

# The one hasher of the product; tests may swap it for one with other parameters to prove that
# a login upgrades the stored hash.
HASHER = PasswordHasher()
_dummy: dict[tuple[int, int, int], str] = {}


def hash_password(password: str) -> str:
    """An argon2id hash of `password` with today's parameters."""
    if not password:
        raise ValueError("empty password")
    return HASHER.hash(_bytes(password))


def generate() -> str:
    """A random password to print once (`user add`, `user reset-password`)."""
    return secrets.token_urlsafe(GENERATED_BYTES)


def verify(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded` (argon2id or PBKDF2); False for anything else."""
    if encoded.startswith(PBKDF2 + "$"):
        return pbkdf2_verify(password, encoded)
    try:
        return HASHER.verify(encoded, _bytes(password))
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(encoded: str) -> bool:
    """True when `encoded` is not an argon2id hash with today's parameters."""
    if not encoded.startswith("$argon2id$"):
        return True
    try:
        return HASHER.check_needs_rehash(encoded)
    except InvalidHashError:
        return True


def verify_dummy(password: str) -> None:
    """Spend what checking a real user's hash costs; no password matches.

    The dummy hash is made once per set of parameters (one hash, at the first unknown e-mail);
    afterwards each call costs one argon2 verification, like a known user.
    """
    key = (HASHER.time_cost, HASHER.memory_cost, HASHER.parallelism)
    if key not in _dummy:
        _dummy[key] = HASHER.hash(secrets.token_urlsafe(32))
    verify(password, _dummy[key])


def _bytes(password: str) -> bytes:
    """UTF-8, keeping a lone surrogate (a forged form field can carry one) instead of failing."""
    return password.encode("utf-8", "surrogatepass")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def pbkdf2_hash(
    password: str, *, iterations: int = PBKDF2_ITERATIONS, salt: str | None = None
) -> str:
    """Encode `password` as `pbkdf2_sha256$<iterations>$<salt>$<hash>` (the users file)."""
    if not password:
        raise ValueError("empty password")
    salt = salt or secrets.token_urlsafe(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{PBKDF2}${iterations}${salt}${_b64(digest)}"


def pbkdf2_verify(password: str, encoded: str) -> bool:
    """True when `password` matches the PBKDF2 hash `encoded`; False for any malformed hash."""
    try:
        algorithm, iterations, salt, expected = encoded.split("$", 3)
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != PBKDF2 or rounds < 1 or rounds > 10_000_000:
        return False
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode("utf-8", "surrogatepass"), salt.encode(), rounds
    )
    return hmac.compare_digest(_b64(digest), expected)
