"""Dashboard users, roles, sessions and the audit log. No Streamlit here.

Public API (stable; used by dashboard/login.py, the admin page and `allpfit user`):

- `Role` (admin | manager | viewer) and `User(id, email, role, tenant_id, disabled, via)`:
  `via` is "user" for a row of dashboard_users, or "password" / "file" / "none" for the logins
  of an install without users (DASHBOARD_PASSWORD, DASHBOARD_USERS_FILE, no login at all),
  which act as a manager of the default tenant (`legacy_user`). `User.label` is what to show.
- Role checks, the one definition of each permission: `sees_all_tenants(user)`,
  `can_export(user)`, `can_trigger_sync(user)`, `masks_phones(user)`, `can_admin(user)`,
  `visible_tenant(user)` (None = every tenant, else the one tenant to filter on).
- Users: `add_user(conn, email, role, tenant_id, password=None, *, actor, address=None,
  password_hash=None) -> (User, generated password or None)` (`password_hash`: an imported
  PBKDF2 hash), `find_user(conn, email) -> User | None`, `get_user(conn, email)`,
  `list_users(conn, tenant_id=None) -> list[UserRow]`, `disable_user(conn, email, *, actor)`,
  `enable_user(...)`, `reset_password(conn, email, password=None, *, actor) -> str`,
  `any_users(conn)`. Every change writes the audit log and ends the person's open sessions
  when it takes access away.
- Login: `authenticate(conn, email, password, address) -> User`, raising `LoginThrottled`
  (too many failures: no password check at all) or `LoginFailed` (wrong e-mail or password,
  or a disabled user: one answer for all three). Throttling (dashboard/throttle.py), the
  argon2id upgrade of an old hash, `last_login_at` and the audit rows happen inside.
  `checked_login(...)` is the same flow for the shared password and the users file.
- Sessions: `create_session(conn, user, *, address, hours) -> token`,
  `get_session(conn, token) -> User | None` (None once expired, ended, or the user disabled),
  `end_session(conn, token, *, address)`. Only the token's SHA-256 is stored.
- Audit: `audit(conn, actor, action, detail="", tenant_id=None, *, address=None)`,
  `list_audit(conn, tenant_id=None, *, limit=200) -> list[AuditEntry]`, `cli_actor()`.

Connections: the owner connection (`db.connect` / dashboard `data.connect_owner`), autocommit,
since users, sessions and the audit log are install-wide tables without row-level security.
"""

from __future__ import annotations

import getpass
import hashlib
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import psycopg
from psycopg.rows import class_row

from allpfit import passwords
from allpfit.dashboard import throttle
from allpfit.errors import AllpfitError, InputError
from allpfit.tenants import DEFAULT_TENANT_ID

EMAIL = re.compile(r"^[^@\s\x00-\x1f\x7f]+@[^@\s\x00-\x1f\x7f]+\.[^@\s\x00-\x1f\x7f]+$")
EMAIL_MAX = 254
AUDIT_LIMIT = 1000  # most audit rows one call returns
_SESSION_HOUSEKEEPING = 500  # old session rows deleted per login (bounded work)
SESSION_KEEP = timedelta(days=30)  # ended/expired session rows are kept this long


class Role(StrEnum):
    admin = "admin"
    manager = "manager"
    viewer = "viewer"


@dataclass(frozen=True)
class User:
    """Who is logged in. `tenant_id` None only for an admin (every tenant)."""

    id: int | None
    email: str
    role: Role
    tenant_id: int | None
    disabled: bool = False
    via: str = "user"  # "user" | "password" | "file" | "none"

    @property
    def label(self) -> str:
        """The name the sidebar shows ("" for the shared password and for no login)."""
        return self.email


@dataclass(frozen=True)
class UserRow:
    """One line of `list_users` (never the hash)."""

    id: int
    email: str
    role: str
    tenant_id: int | None
    tenant_slug: str | None
    disabled: bool
    created_at: datetime
    last_login_at: datetime | None


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    tenant_id: int | None
    detail: str
    address: str | None


class LoginFailed(AllpfitError):
    """Wrong e-mail or password (or a disabled user): one answer for all."""

    exit_code = 2

    def __init__(self, wait: timedelta) -> None:
        super().__init__("Wrong e-mail or password.", hint=None)
        self.wait = wait  # the wait this failure started (0 while under the limit)


class LoginThrottled(AllpfitError):
    """Too many failures for this account or address: no password was checked."""

    exit_code = 2

    def __init__(self, wait: timedelta) -> None:
        super().__init__(f"Too many failed logins; wait {wait}.", hint=None)
        self.wait = wait


# --- Role checks: the one definition of what each role may do -----------------------------


def sees_all_tenants(user: User) -> bool:
    """Admins see every tenant (and the tenant switcher)."""
    return user.role is Role.admin


def can_admin(user: User) -> bool:
    """The admin page: tenants, users, the audit log of every tenant."""
    return user.role is Role.admin


def can_export(user: User) -> bool:
    """CSV downloads: admins and managers; viewers never."""
    return user.role in (Role.admin, Role.manager)


def can_trigger_sync(user: User) -> bool:
    """Start a sync / pipeline run from the dashboard: admins and managers."""
    return user.role in (Role.admin, Role.manager)


def can_manage_followups(user: User) -> bool:
    """Review, edit, approve or skip follow-ups sent into Chatwoot: admins and managers."""
    return user.role in (Role.admin, Role.manager)


def masks_phones(user: User) -> bool:
    """Viewers always see phone numbers masked (no switch to show them)."""
    return user.role is Role.viewer


def visible_tenant(user: User) -> int | None:
    """The tenant filter of lists shown to `user`: None (all) for an admin, else theirs."""
    return None if sees_all_tenants(user) else user.tenant_id


def legacy_user(via: str, name: str = "") -> User:
    """The user of an install without dashboard users: the shared password ("password"), a
    users-file name ("file") or no login ("none"), each a manager of the default tenant."""
    return User(None, name, Role.manager, DEFAULT_TENANT_ID, via=via)


def cli_actor() -> str:
    """The audit actor of a command typed in a terminal: `cli:<os user>`."""
    try:
        who = getpass.getuser()
    except (KeyError, OSError):
        who = "unknown"
    return f"cli:{who}"


# --- Users ---------------------------------------------------------------------------------


def normalize_email(email: str) -> str:
    """The e-mail as stored (trimmed), or an InputError naming what is wrong."""
    value = email.strip()
    if len(value) > EMAIL_MAX or not EMAIL.match(value):
        raise InputError(
            f"{email!r} is not an e-mail address.", hint="Use the person's e-mail: name@domain."
        )
    return value


def parse_role(role: str) -> Role:
    try:
        return Role(role.strip().lower())
    except ValueError:
        raise InputError(f"Unknown role {role!r}.", hint="Use admin, manager or viewer.") from None


def check_new_password(password: str) -> str:
    if len(password) < passwords.MIN_LENGTH:
        raise InputError(
            f"The password is shorter than {passwords.MIN_LENGTH} characters.",
            hint="Use a longer one, or leave it out to get a generated password.",
        )
    return password


_USER_COLUMNS = "id, email, role, tenant_id, disabled"


def _user(row: tuple[int, str, str, int | None, bool]) -> User:
    return User(row[0], row[1], Role(row[2]), row[3], row[4])


def any_users(conn: psycopg.Connection) -> bool:
    """True once a dashboard user exists: the dashboard then asks for e-mail and password."""
    row = conn.execute("SELECT EXISTS (SELECT 1 FROM dashboard_users)").fetchone()
    return bool(row and row[0])


def find_user(conn: psycopg.Connection, email: str) -> User | None:
    row = conn.execute(
        f"SELECT {_USER_COLUMNS} FROM dashboard_users WHERE lower(email) = lower(%s)",
        (email.strip().replace("\x00", ""),),
    ).fetchone()
    return _user(row) if row else None


def get_user(conn: psycopg.Connection, email: str) -> User:
    """The user with this e-mail (any case), or an InputError."""
    found = find_user(conn, email)
    if found is None:
        raise InputError(
            f"There is no dashboard user {email.strip()!r}.",
            hint="`allpfit user list` shows them; `allpfit user add` creates one.",
        )
    return found


def add_user(
    conn: psycopg.Connection,
    email: str,
    role: Role | str,
    tenant_id: int | None,
    password: str | None = None,
    *,
    actor: str,
    address: str | None = None,
    password_hash: str | None = None,
) -> tuple[User, str | None]:
    """Create a user; returns it and the generated password (None when one was given).

    `password_hash` (an imported PBKDF2 hash) replaces `password`; it becomes argon2id at
    the user's first login.
    """
    value = normalize_email(email)
    kind = parse_role(role) if isinstance(role, str) else role
    if kind is not Role.admin and tenant_id is None:
        raise InputError(f"A {kind} belongs to one tenant.", hint="Name it with --tenant SLUG.")
    generated = None
    if password_hash is None:
        if password is None:
            password = generated = passwords.generate()
        password_hash = passwords.hash_password(check_new_password(password))
    with conn.transaction():
        if find_user(conn, value) is not None:
            raise InputError(
                f"The dashboard user {value!r} already exists.",
                hint="`allpfit user reset-password` gives it a new password.",
            )
        row = conn.execute(
            f"""INSERT INTO dashboard_users (email, role, tenant_id, password_hash)
                VALUES (%s, %s, %s, %s) RETURNING {_USER_COLUMNS}""",
            (value, kind.value, tenant_id, password_hash),
        ).fetchone()
        assert row is not None
        user = _user(row)
        audit(conn, actor, "user.add", f"{value} ({kind})", tenant_id, address=address)
    return user, generated


def list_users(conn: psycopg.Connection, tenant_id: int | None = None) -> list[UserRow]:
    """Every user (tenant_id None: the admin's view) or the users of one tenant."""
    where = "" if tenant_id is None else "WHERE u.tenant_id = %(tenant)s"
    with conn.cursor(row_factory=class_row(UserRow)) as cur:
        return cur.execute(
            f"""SELECT u.id, u.email, u.role, u.tenant_id, t.slug AS tenant_slug, u.disabled,
                       u.created_at, u.last_login_at
                FROM dashboard_users u LEFT JOIN tenants t ON t.id = u.tenant_id
                {where} ORDER BY t.slug NULLS FIRST, lower(u.email)""",
            {"tenant": tenant_id},
        ).fetchall()


def _set_disabled(
    conn: psycopg.Connection, email: str, disabled: bool, *, actor: str, address: str | None
) -> User:
    with conn.transaction():
        user = get_user(conn, email)
        conn.execute("UPDATE dashboard_users SET disabled = %s WHERE id = %s", (disabled, user.id))
        if disabled:
            _end_sessions_of(conn, user)
        action = "user.disable" if disabled else "user.enable"
        audit(conn, actor, action, user.email, user.tenant_id, address=address)
    return User(user.id, user.email, user.role, user.tenant_id, disabled)


def disable_user(
    conn: psycopg.Connection, email: str, *, actor: str, address: str | None = None
) -> User:
    """Disable a user: no more logins, and every open session of theirs ends now."""
    return _set_disabled(conn, email, True, actor=actor, address=address)


def enable_user(
    conn: psycopg.Connection, email: str, *, actor: str, address: str | None = None
) -> User:
    return _set_disabled(conn, email, False, actor=actor, address=address)


def reset_password(
    conn: psycopg.Connection,
    email: str,
    password: str | None = None,
    *,
    actor: str,
    address: str | None = None,
) -> str:
    """Give a user a new password (generated unless given) and end their open sessions;
    returns the new password, to be shown once."""
    new = passwords.generate() if password is None else check_new_password(password)
    encoded = passwords.hash_password(new)
    with conn.transaction():
        user = get_user(conn, email)
        conn.execute(
            "UPDATE dashboard_users SET password_hash = %s WHERE id = %s", (encoded, user.id)
        )
        _end_sessions_of(conn, user)
        audit(conn, actor, "user.reset_password", user.email, user.tenant_id, address=address)
    return new


# --- Login ---------------------------------------------------------------------------------


def checked_login(
    conn: psycopg.Connection,
    name: str,
    address: str | None,
    check: Callable[[], User | None],
    *,
    failed_actor: str,
    failed_tenant: int | None = None,
) -> User:
    """The one login flow: throttle, check, count, audit.

    `name` is the account the failures count against (an e-mail in lower case, a file user
    name, "" for the shared password); `check` runs the password check (always exactly one
    hash verification) and returns the user or None. `conn` must be in autocommit mode.
    """
    account = throttle.account(name)
    place = throttle.address(address)
    verdict = throttle.begin(conn, [account, place])
    if not verdict.allowed:
        raise LoginThrottled(verdict.wait)
    user = check()
    if user is None:
        audit(conn, failed_actor, "login.failed", "", failed_tenant, address=address)
        raise LoginFailed(verdict.wait)
    throttle.succeeded(conn, account, [place])
    audit(conn, user.email or user.via, "login", user.via, user.tenant_id, address=address)
    return user


def authenticate(conn: psycopg.Connection, email: str, password: str, address: str | None) -> User:
    """Log a dashboard user in (see `checked_login`); an unknown e-mail costs the same
    argon2 work as a known one, and a disabled user gets the same answer as a wrong password.
    """
    # PostgreSQL text cannot hold NUL: dropped, as the login form's own cleaning does.
    typed = email.strip()[:EMAIL_MAX].replace("\x00", "")
    row = conn.execute(
        f"""SELECT {_USER_COLUMNS}, password_hash FROM dashboard_users
            WHERE lower(email) = lower(%s)""",
        (typed,),
    ).fetchone()
    known = _user(row[:5]) if row else None
    encoded: str | None = row[5] if row else None

    def check() -> User | None:
        if known is None or encoded is None:
            passwords.verify_dummy(password)
            return None
        if not passwords.verify(password, encoded) or known.disabled:
            return None
        stored = passwords.hash_password(password) if passwords.needs_rehash(encoded) else None
        conn.execute(
            """UPDATE dashboard_users
               SET last_login_at = clock_timestamp(), password_hash = COALESCE(%s, password_hash)
               WHERE id = %s""",
            (stored, known.id),
        )
        return known

    # Failures of an unknown e-mail are audited without it: the box often holds a password.
    return checked_login(
        conn,
        typed.lower(),
        address,
        check,
        failed_actor=known.email if known else "unknown",
        failed_tenant=known.tenant_id if known else None,
    )


# --- Sessions ------------------------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def create_session(
    conn: psycopg.Connection, user: User, *, address: str | None, hours: float
) -> str:
    """Open a session for `user` lasting `hours`; returns the token (kept only by the caller).

    Also deletes a bounded batch of sessions that ended or expired over SESSION_KEEP ago.
    """
    token = secrets.token_urlsafe(32)
    with conn.transaction():
        conn.execute(
            """DELETE FROM dashboard_sessions WHERE id IN (
                   SELECT id FROM dashboard_sessions
                   WHERE LEAST(expires_at, COALESCE(ended_at, expires_at)) < clock_timestamp() - %s
                   LIMIT %s)""",
            (SESSION_KEEP, _SESSION_HOUSEKEEPING),
        )
        conn.execute(
            """INSERT INTO dashboard_sessions (token_hash, kind, user_id, login, expires_at,
                                               address)
               VALUES (%s, %s, %s, %s, clock_timestamp() + %s, %s)""",
            (
                _token_hash(token),
                "user" if user.id is not None else user.via,
                user.id,
                user.email,
                timedelta(hours=hours),
                address,
            ),
        )
    return token


def get_session(conn: psycopg.Connection, token: str) -> User | None:
    """The user of an open session, read fresh (role and tenant as they are now); None when
    the token is unknown, expired, ended, or its user is disabled."""
    if not token:
        return None
    row = conn.execute(
        """SELECT s.kind, s.login, u.id, u.email, u.role, u.tenant_id, u.disabled
           FROM dashboard_sessions s LEFT JOIN dashboard_users u ON u.id = s.user_id
           WHERE s.token_hash = %s AND s.ended_at IS NULL
             AND s.expires_at > clock_timestamp()""",
        (_token_hash(token),),
    ).fetchone()
    if row is None:
        return None
    kind, login, *person = row
    if kind != "user":
        return legacy_user(kind, login)
    user = _user((person[0], person[1], person[2], person[3], person[4]))
    return None if user.disabled else user


def end_session(conn: psycopg.Connection, token: str, *, address: str | None = None) -> None:
    """Log out: the session ends now (its token opens nothing any more) and is audited."""
    row = conn.execute(
        """UPDATE dashboard_sessions SET ended_at = clock_timestamp()
           WHERE token_hash = %s AND ended_at IS NULL
           RETURNING kind, login, user_id""",
        (_token_hash(token),),
    ).fetchone()
    if row is None:
        return
    kind, login, user_id = row
    tenant: int | None = DEFAULT_TENANT_ID
    if user_id is not None:
        found = conn.execute(
            "SELECT tenant_id FROM dashboard_users WHERE id = %s", (user_id,)
        ).fetchone()
        tenant = found[0] if found else None
    audit(conn, login or kind, "logout", "", tenant, address=address)


def _end_sessions_of(conn: psycopg.Connection, user: User) -> None:
    conn.execute(
        """UPDATE dashboard_sessions SET ended_at = clock_timestamp()
           WHERE user_id = %s AND ended_at IS NULL""",
        (user.id,),
    )


# --- Audit log -----------------------------------------------------------------------------


def audit(
    conn: psycopg.Connection,
    actor: str,
    action: str,
    detail: str = "",
    tenant_id: int | None = None,
    *,
    address: str | None = None,
) -> None:
    """Append one row to the audit log (`action` like "login", "user.add", "sync.start")."""
    conn.execute(
        """INSERT INTO audit_log (actor, action, tenant_id, detail, address)
           VALUES (%s, %s, %s, %s, %s)""",
        (_text(actor, 300), action, tenant_id, _text(detail, 2000), address),
    )


def _text(value: str, limit: int) -> str:
    """Free text as the audit log may store it: no NUL (PostgreSQL refuses it), bounded."""
    return value.replace("\x00", "")[:limit]


def list_audit(
    conn: psycopg.Connection, tenant_id: int | None = None, *, limit: int = 200
) -> list[AuditEntry]:
    """The newest audit rows first: every tenant's (tenant_id None: the admin's view) or one
    tenant's only. At most AUDIT_LIMIT rows."""
    where = "" if tenant_id is None else "WHERE tenant_id = %(tenant)s"
    with conn.cursor(row_factory=class_row(AuditEntry)) as cur:
        return cur.execute(
            f"""SELECT id, at, actor, action, tenant_id, detail, address FROM audit_log
                {where} ORDER BY at DESC, id DESC LIMIT %(limit)s""",
            {"tenant": tenant_id, "limit": max(1, min(limit, AUDIT_LIMIT))},
        ).fetchall()
