"""Who may open the dashboard: database users, or (without any) the older ways.

In order, the first that applies:
- a dashboard user exists (`allpfit user add`, table dashboard_users): "E-mail" and "Senha",
  argon2id, roles and tenants (allpfit/users.py). DASHBOARD_PASSWORD and DASHBOARD_USERS_FILE
  are then ignored, with a warning in the log.
- `DASHBOARD_USERS_FILE` set: a TOML or JSON mapping of user name → hash made by
  `allpfit dashboard hash-password` (PBKDF2-SHA256 from hashlib, Django-style encoding
  `pbkdf2_sha256$<iterations>$<salt>$<hash>`). `allpfit user import-file` moves it into the
  database; until then each name is a manager of the default tenant.
- `DASHBOARD_PASSWORD` set: one shared password (no user name), compared in constant time; a
  manager of the default tenant.
- none of these: no login (a local install on the gym's own machine), a manager of the
  default tenant too.

Every login, whichever way, goes through `users.checked_login` (throttle, audit) and gets a
session (`users.create_session`). No Streamlit here: the form lives in login.py.
"""

from __future__ import annotations

import hashlib  # noqa: F401  (tests count PBKDF2 runs through auth.hashlib)
import hmac
import json
import logging
import tomllib
from collections import Counter
from enum import StrEnum
from pathlib import Path

import psycopg

from allpfit import passwords, users
from allpfit.config import Settings
from allpfit.errors import ConfigError
from allpfit.passwords import PBKDF2 as ALGORITHM
from allpfit.passwords import PBKDF2_ITERATIONS as ITERATIONS
from allpfit.passwords import pbkdf2_hash as hash_password
from allpfit.passwords import pbkdf2_verify as verify_password
from allpfit.tenants import DEFAULT_TENANT_ID

__all__ = ["ALGORITHM", "ITERATIONS", "hash_password", "verify_password"]
log = logging.getLogger(__name__)


class LoginMode(StrEnum):
    none = "none"
    password = "password"
    users = "users"  # the old DASHBOARD_USERS_FILE
    accounts = "accounts"  # dashboard_users in the database


def login_mode(settings: Settings, *, has_users: bool = False) -> LoginMode:
    """How this install logs in; `has_users` = `users.any_users(conn)`."""
    if has_users:
        if settings.dashboard_users_file is not None or _shared_password(settings):
            log.warning(
                "dashboard users exist: DASHBOARD_PASSWORD / DASHBOARD_USERS_FILE are ignored"
            )
        return LoginMode.accounts
    if settings.dashboard_users_file is not None:
        return LoginMode.users
    if _shared_password(settings):
        return LoginMode.password
    return LoginMode.none


def mode_of(conn: psycopg.Connection, settings: Settings) -> LoginMode:
    """`login_mode` with the database asked whether users exist."""
    return login_mode(settings, has_users=users.any_users(conn))


def _shared_password(settings: Settings) -> bool:
    secret = settings.dashboard_password
    return secret is not None and bool(secret.get_secret_value())


VIA = {LoginMode.password: "password", LoginMode.users: "file", LoginMode.none: "none"}


def login(
    conn: psycopg.Connection,
    settings: Settings,
    mode: LoginMode,
    name: str,
    password: str,
    address: str | None,
) -> users.User:
    """One login attempt in `mode` (not `none`): the user, or `users.LoginFailed` /
    `users.LoginThrottled` (and a ConfigError for a broken users file)."""
    if mode is LoginMode.accounts:
        return users.authenticate(conn, name, password, address)
    if mode is LoginMode.password:
        return users.checked_login(
            conn,
            "",
            address,
            lambda: users.legacy_user("password") if check(settings, "", password) == "" else None,
            failed_actor="password",
            failed_tenant=DEFAULT_TENANT_ID,
        )
    if mode is LoginMode.users:
        account = name.strip()
        load_users_checked = load_users(_users_file(settings))  # a broken file: before counting

        def check_file() -> users.User | None:
            accepted = _check_file(load_users_checked, account, password)
            return users.legacy_user("file", accepted) if accepted is not None else None

        # A name not in the file is not written to the audit log (often a mistyped password).
        return users.checked_login(
            conn,
            account,
            address,
            check_file,
            failed_actor=f"file:{account}" if account in load_users_checked else "unknown",
            failed_tenant=DEFAULT_TENANT_ID,
        )
    raise ValueError(f"no login in mode {mode}")


def session_matches(user: users.User, mode: LoginMode, settings: Settings) -> bool:
    """Is a session opened as `user` still valid under today's login mode? A shared-password
    session ends when users are added; a users-file session when its name leaves the file."""
    if mode is LoginMode.accounts:
        return user.via == "user"
    if mode is LoginMode.password:
        return user.via == "password"
    if mode is LoginMode.users:
        return user.via == "file" and user.email in load_users(_users_file(settings))
    return False


def _users_file(settings: Settings) -> Path:
    assert settings.dashboard_users_file is not None
    return settings.dashboard_users_file


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
    """The older logins without the database: the user's name ("" for the shared password,
    and for no login at all), or None when refused."""
    mode = login_mode(settings)
    if mode is LoginMode.none:
        return ""
    if mode is LoginMode.password:
        assert settings.dashboard_password is not None
        expected = settings.dashboard_password.get_secret_value().encode()
        return "" if hmac.compare_digest(password.encode(), expected) else None
    return _check_file(load_users(_users_file(settings)), user.strip(), password)


def _check_file(names: dict[str, str], name: str, password: str) -> str | None:
    encoded = names.get(name)
    # An unknown name is checked against a dummy hash of the file's usual round count: one
    # PBKDF2 run either way, so the answer time does not reveal which names exist.
    accepted = verify_password(password, encoded or dummy_hash(names))
    return name if accepted and encoded is not None else None


_DUMMY_SALT = passwords.generate()
_DUMMY_DIGEST = passwords.generate() + passwords.generate()


def _rounds(encoded: str) -> int | None:
    try:
        return int(encoded.split("$", 3)[1])
    except (IndexError, ValueError):
        return None


def dummy_hash(names: dict[str, str]) -> str:
    """A well-formed hash no password matches, costing what a real user's check costs.

    Its round count is the one most users of the file have (ITERATIONS for an empty file).
    Building it runs no PBKDF2: the digest is random bytes, so it costs nothing to make, and
    checking a password against it costs exactly one PBKDF2 run, like a known user.
    """
    counts = Counter(r for r in map(_rounds, names.values()) if r is not None and r > 0)
    rounds = counts.most_common(1)[0][0] if counts else ITERATIONS
    return f"{ALGORITHM}${rounds}${_DUMMY_SALT}${_DUMMY_DIGEST}"
