"""The local analytics PostgreSQL: where it is, how to connect, and its schema migrations.

Migrations are numbered SQL files in `allpfit/migrations/` (`0001_name.sql`). Each runs once, in
its own transaction, recorded in `schema_migrations`; an advisory lock keeps two processes from
applying them at the same time. Every job calls `prepare()` first, so a user never runs a
migration by hand unless they want to (`allpfit db upgrade`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from allpfit.config import Settings, mask_url
from allpfit.embedded import server_url, with_database
from allpfit.errors import LocalDatabaseError, MigrationPermissionError

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_300_001  # pg_advisory_lock key for schema upgrades


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """All shipped migrations, in version order."""
    found = []
    for entry in resources.files("allpfit.migrations").iterdir():
        if entry.name.endswith(".sql"):
            version, _, rest = entry.name.partition("_")
            found.append(Migration(int(version), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.version)


def resolve_url(settings: Settings) -> str:
    """URL of the local database, starting the embedded server and its database if needed."""
    configured = settings.local_url()
    if configured is not None:
        return configured
    admin = server_url(settings.data_dir)
    ensure_database(admin, settings.local_db_name)
    return with_database(admin, settings.local_db_name)


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` on the server behind `admin_url` unless it exists."""
    with connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def connect(url: str, *, autocommit: bool = False, **kwargs: object) -> psycopg.Connection:
    """Connect to the local database, turning connection failures into a clear error."""
    try:
        return psycopg.connect(url, autocommit=autocommit, **kwargs)  # type: ignore[arg-type]
    except psycopg.OperationalError as exc:
        raise LocalDatabaseError(
            f"Cannot connect to the local analytics database at {mask_url(url)}: "
            f"{str(exc).strip()}",
            hint="Check DATABASE_URL / LOCAL_DB_* (or unset them to use the embedded database).",
        ) from None


def upgrade(conn: psycopg.Connection) -> list[Migration]:
    """Apply pending migrations on `conn` (autocommit connection); return those applied.

    A migration that fails (typically: the user may not create tables) rolls back alone and
    stops the upgrade with an error naming it; earlier ones stay applied."""
    try:
        return _upgrade(conn)
    except psycopg.Error as exc:
        failing = getattr(exc, "_allpfit_migration", "the migration table")
        denied = isinstance(exc, psycopg.errors.InsufficientPrivilege)
        raise (MigrationPermissionError if denied else LocalDatabaseError)(
            f"Could not apply {failing} to the local analytics database: "
            f"{str(exc).strip().splitlines()[0]}",
            hint="Run `allpfit db upgrade` as a user that may create tables in this database "
            "(e.g. its owner), or grant CREATE on the schema to the configured user.",
        ) from None


def _upgrade(conn: psycopg.Connection) -> list[Migration]:
    applied: list[Migration] = []
    conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
    try:
        conn.execute(
            """CREATE TABLE IF NOT EXISTS schema_migrations (
                   version integer PRIMARY KEY,
                   name text NOT NULL,
                   applied_at timestamptz NOT NULL DEFAULT now())"""
        )
        done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
        for migration in migrations():
            if migration.version in done:
                continue
            try:
                with conn.transaction():
                    conn.execute(migration.sql.encode())
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                        (migration.version, migration.name),
                    )
            except psycopg.Error as exc:
                exc._allpfit_migration = f"migration {migration.version:04d} {migration.name}"  # type: ignore[attr-defined]
                raise
            log.info("applied migration %04d %s", migration.version, migration.name)
            applied.append(migration)
    finally:
        conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
    return applied


def prepare(settings: Settings) -> str:
    """Resolve the local URL and bring its schema up to date; return the URL."""
    url = resolve_url(settings)
    with connect(url, autocommit=True) as conn:
        upgrade(conn)
    return url


@contextmanager
def transaction(url: str) -> Iterator[psycopg.Connection]:
    """A connection whose work commits on success and rolls back on any exception."""
    with connect(url) as conn, conn.transaction():
        yield conn
