"""Login throttling: failed logins slow down per account and per client address.

Without it the login form accepted 50 wrong passwords a second. After `limit` failures of one
subject (an account, or a client address) inside `WINDOW`, that subject waits before its next
try: `BASE_DELAY`, doubling with each further failure, at most `MAX_DELAY`. A correct password
clears the account's count (and takes back its own attempt from the address's count).

The counts live in PostgreSQL (`dashboard_login_throttle`, migration 0043), not in Streamlit's
memory: a new browser session, a restarted server or a second dashboard process must see the
same count. An attempt is counted *before* the password is checked, inside a transaction that
locks the subjects' rows, so parallel attempts cannot all slip in under the limit; a successful
login then undoes its own count. A refused attempt (subject still waiting) is not counted and
runs no password check at all.

Subjects are stored as SHA-256 digests: the user-name box often receives a password typed in the
wrong place, and client addresses are personal data; neither is kept in clear. Rows whose last
failure is older than `WINDOW` are deleted as new attempts arrive, so the table stays small.

No Streamlit here: login.py passes the connection, the name and the client's address.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import psycopg

ACCOUNT_LIMIT = 5  # failures of one account (user name; the shared password is one account)
ADDRESS_LIMIT = 20  # failures from one client address, whatever names it tries
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
WINDOW = timedelta(hours=1)  # a failure counts while the previous one is at most this old
_HOUSEKEEPING_BATCH = 500  # stale rows deleted per attempt (bounded work per login)
_LOCK_SEED = 7300043  # advisory lock space of the login throttle (migration 0043)


@dataclass(frozen=True)
class Subject:
    """What a failure is counted against: an account or a client address."""

    key: str  # SHA-256 hex digest of "account:<name>" / "address:<ip>"
    limit: int


def account(name: str) -> Subject:
    """The account `name`: a dashboard user's e-mail in lower case (so any spelling of it counts
    against one account), a DASHBOARD_USERS_FILE name, or "" for the shared password."""
    return Subject(_digest(f"account:{name}"), ACCOUNT_LIMIT)


def address(ip: str | None) -> Subject:
    """The client's address; None (a browser on the server itself) is one address too."""
    return Subject(_digest(f"address:{ip or 'local'}"), ADDRESS_LIMIT)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def delay(failures: int, limit: int) -> timedelta | None:
    """How long a subject waits after `failures` failures (None: below the limit)."""
    if failures < limit:
        return None
    return min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - limit, 16))


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this login attempt check its password?"."""

    allowed: bool
    wait: timedelta  # refused: time left; allowed: the wait this attempt starts if it fails


def begin(conn: psycopg.Connection, subjects: Sequence[Subject]) -> Verdict:
    """Refuse when a subject is still waiting; otherwise count this attempt as a failure.

    `conn` is an autocommit connection; the work runs in one transaction that locks the
    subjects' rows in a fixed order, and the clean-up of stale rows skips rows another attempt
    holds, so parallel attempts queue up instead of deadlocking.
    """
    by_key = {s.key: s for s in subjects}
    keys = sorted(by_key)
    now = _now(conn)
    # Its own transaction, holding nothing else: it skips rows others hold and waits for none,
    # so an attempt never waits on a clean-up that waits on it.
    conn.execute(
        """DELETE FROM dashboard_login_throttle WHERE subject IN (
               SELECT subject FROM dashboard_login_throttle
               WHERE last_failure_at < %s AND (locked_until IS NULL OR locked_until < %s)
               LIMIT %s FOR UPDATE SKIP LOCKED)""",
        (now - WINDOW, now, _HOUSEKEEPING_BATCH),
    )
    with conn.transaction():
        _lock(conn, keys)
        now = _now(conn)
        conn.execute(
            """INSERT INTO dashboard_login_throttle (subject)
               SELECT unnest(%s::text[]) ORDER BY 1
               ON CONFLICT (subject) DO NOTHING""",
            (keys,),
        )
        rows = conn.execute(
            """SELECT subject, failures, last_failure_at, locked_until
               FROM dashboard_login_throttle WHERE subject = ANY(%s)
               ORDER BY subject FOR UPDATE""",
            (keys,),
        ).fetchall()
        waiting = [locked - now for _, _, _, locked in rows if locked is not None and locked > now]
        if waiting:
            # Not counted: drop the rows this refusal just created, so the table does not grow.
            conn.execute(
                "DELETE FROM dashboard_login_throttle WHERE subject = ANY(%s) AND failures = 0",
                (keys,),
            )
            return Verdict(allowed=False, wait=max(waiting))
        starts = timedelta(0)
        for key, failures, last_failure_at, _ in rows:
            recent = last_failure_at is not None and now - last_failure_at <= WINDOW
            counted = failures + 1 if recent else 1
            wait = delay(counted, by_key[key].limit)
            starts = max(starts, wait or timedelta(0))
            conn.execute(
                """UPDATE dashboard_login_throttle
                   SET failures = %s, last_failure_at = %s, locked_until = %s
                   WHERE subject = %s""",
                (counted, now, now + wait if wait else None, key),
            )
    return Verdict(allowed=True, wait=starts)


def succeeded(conn: psycopg.Connection, account: Subject, others: Sequence[Subject]) -> None:
    """The password was right: clear the account, take this attempt back from `others`.

    `begin` let this attempt in, so no wait was running before it: a wait an address has now
    was started by this attempt's own count, and ends (the next failure from there starts a
    new one at once while its count stays at or over the limit).
    """
    keys = sorted({account.key, *(s.key for s in others)})
    with conn.transaction():
        _lock(conn, keys)
        conn.execute("DELETE FROM dashboard_login_throttle WHERE subject = %s", (account.key,))
        conn.execute(
            """UPDATE dashboard_login_throttle
               SET failures = GREATEST(failures - 1, 0), locked_until = NULL
               WHERE subject = ANY(%s)""",
            ([s.key for s in others],),
        )
        conn.execute(
            "DELETE FROM dashboard_login_throttle WHERE subject = ANY(%s) AND failures = 0",
            ([s.key for s in others],),
        )


def _lock(conn: psycopg.Connection, keys: Sequence[str]) -> None:
    """Serialise the attempts on these subjects, always in the same order (transaction-level
    advisory locks). Row locks alone deadlocked simultaneous logins: a row being inserted,
    deleted and re-inserted by parallel attempts (ON CONFLICT waits on the inserter or the
    deleter, not on a row lock) cannot be locked in a fixed order."""
    for key in sorted(set(keys)):
        conn.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, %s))", (key, _LOCK_SEED))


def _now(conn: psycopg.Connection) -> datetime:
    """The database's clock: every dashboard process measures waits on the same clock."""
    row = conn.execute("SELECT clock_timestamp()").fetchone()
    assert row is not None
    value: datetime = row[0]
    return value
