"""Who may open the dashboard: a shared password, or a users file of PBKDF2 hashes.

- `DASHBOARD_PASSWORD` set: one shared password (no user name), compared in constant time.
- `DASHBOARD_USERS_FILE` set: a TOML or JSON mapping of user name → hash made by
  `allpfit dashboard hash-password` (PBKDF2-SHA256 from hashlib, Django-style encoding
  `pbkdf2_sha256$<iterations>$<salt>$<hash>`). The file wins when both are set.
- neither: no login (a local install on the gym's own machine).

No Streamlit here: the login form lives in app.py and calls `check`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import tomllib
from collections import Counter
from enum import StrEnum
from pathlib import Path

from allpfit.config import Settings
from allpfit.errors import ConfigError

ALGORITHM = "pbkdf2_sha256"
ITERATIONS = 600_000  # OWASP 2023 recommendation for PBKDF2-HMAC-SHA256


class LoginMode(StrEnum):
    none = "none"
    password = "password"
    users = "users"


def login_mode(settings: Settings) -> LoginMode:
    if settings.dashboard_users_file is not None:
        return LoginMode.users
    if settings.dashboard_password is not None and settings.dashboard_password.get_secret_value():
        return LoginMode.password
    return LoginMode.none


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii").rstrip("=")


def hash_password(password: str, *, iterations: int = ITERATIONS, salt: str | None = None) -> str:
    """Encode `password` as `pbkdf2_sha256$<iterations>$<salt>$<hash>` for the users file."""
    if not password:
        raise ValueError("empty password")
    salt = salt or secrets.token_urlsafe(16)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"{ALGORITHM}${iterations}${salt}${_b64(digest)}"


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches `encoded`; False for any malformed hash."""
    try:
        algorithm, iterations, salt, expected = encoded.split("$", 3)
        rounds = int(iterations)
    except ValueError:
        return False
    if algorithm != ALGORITHM or rounds < 1:
        return False
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), rounds)
    return hmac.compare_digest(_b64(digest), expected)


def load_users(path: Path) -> dict[str, str]:
    """Read the users file: `name = "hash"` pairs (TOML, optionally under `[users]`) or JSON."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(
            f"Cannot read DASHBOARD_USERS_FILE {path}: {exc.strerror}.",
            hint="Create it with `allpfit dashboard hash-password --user NAME >> FILE`, "
            "or unset DASHBOARD_USERS_FILE.",
        ) from None
    try:
        data = json.loads(raw) if path.suffix.lower() == ".json" else tomllib.loads(raw.decode())
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(
            f"DASHBOARD_USERS_FILE {path} is not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}",
            hint='Each line must look like: maria = "pbkdf2_sha256$600000$..."',
        ) from None
    if isinstance(data, dict) and isinstance(data.get("users"), dict):
        data = data["users"]
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v.startswith(ALGORITHM + "$")
        for k, v in data.items()
    ):
        raise ConfigError(
            f"DASHBOARD_USERS_FILE {path} must map user names to pbkdf2_sha256 hashes.",
            hint="Make each hash with `allpfit dashboard hash-password --user NAME`.",
        )
    return dict(data)


def check(settings: Settings, user: str, password: str) -> str | None:
    """The logged-in user's name ("" for the shared password), or None when refused."""
    mode = login_mode(settings)
    if mode is LoginMode.none:
        return ""
    if mode is LoginMode.password:
        assert settings.dashboard_password is not None
        expected = settings.dashboard_password.get_secret_value().encode()
        return "" if hmac.compare_digest(password.encode(), expected) else None
    assert settings.dashboard_users_file is not None
    users = load_users(settings.dashboard_users_file)
    name = user.strip()
    encoded = users.get(name)
    # An unknown name is checked against a dummy hash of the file's usual round count: one
    # PBKDF2 run either way, so the answer time does not reveal which names exist.
    accepted = verify_password(password, encoded or dummy_hash(users))
    return name if accepted and encoded is not None else None


_DUMMY_SALT = secrets.token_urlsafe(16)
_DUMMY_DIGEST = _b64(secrets.token_bytes(32))


def _rounds(encoded: str) -> int | None:
    try:
        return int(encoded.split("$", 3)[1])
    except (IndexError, ValueError):
        return None


def dummy_hash(users: dict[str, str]) -> str:
    """A well-formed hash no password matches, costing what a real user's check costs.

    Its round count is the one most users of the file have (ITERATIONS for an empty file).
    Building it runs no PBKDF2: the digest is random bytes, so it costs nothing to make, and
    checking a password against it costs exactly one PBKDF2 run, like a known user.
    """
    counts = Counter(r for r in map(_rounds, users.values()) if r is not None and r > 0)
    rounds = counts.most_common(1)[0][0] if counts else ITERATIONS
    return f"{ALGORITHM}${rounds}${_DUMMY_SALT}${_DUMMY_DIGEST}"
