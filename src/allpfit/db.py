"""The local analytics PostgreSQL: where it is, how to connect, and its schema migrations.

Migrations are numbered SQL files in `allpfit/migrations/` (`0001_name.sql`). Each runs once, in
its own transaction, recorded in `schema_migrations`; an advisory lock keeps two processes from
applying them at the same time. Every job calls `prepare()` first, so a user never runs a
migration by hand unless they want to (`allpfit db upgrade`).

Paid and imported work (LLM profiles, CRM customers) must survive every migration: each one
runs between two counts of the rows and non-null values of those tables' columns, inside its
transaction, and is rolled back if any count shrank (see `PROTECTED_TABLES`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources

import psycopg
from psycopg import sql

from allpfit.config import Settings, mask_url
from allpfit.embedded import server_url, with_database
from allpfit.errors import LocalDatabaseError, MigrationPermissionError
from allpfit.redaction import first_line, redact, secrets_in

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_300_001  # pg_advisory_lock key for schema upgrades

# Tables holding work that cost money or came from outside (LLM analyses, the CRM import):
# no migration may drop their rows, or drop or blank a column of them, without copying it.
PROTECTED_TABLES = ("conversas_analytics_ai", "crm_customers")
# A migration that really moves a column (after copying its values elsewhere) says so in a
# comment line: `-- allpfit: moves conversas_analytics_ai.old_name`. Reviewed like any code.
_MOVES = re.compile(r"^--\s*allpfit:\s*moves\s+([a-z_]+\.[a-z_]+)\s*$", re.MULTILINE)


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
    except psycopg.ProgrammingError as exc:  # libpq cannot parse the URL; its text may echo it
        raise LocalDatabaseError(
            "The local analytics database URL cannot be parsed: "
            + redact(first_line(str(exc)), secrets_in(url)),
            hint="Check DATABASE_URL: percent-encode special characters of the password "
            "(# → %23, / → %2F, ? → %3F, @ → %40, % → %25).",
        ) from None


def upgrade(
    conn: psycopg.Connection, available: Sequence[Migration] | None = None
) -> list[Migration]:
    """Apply pending migrations on `conn` (autocommit connection); return those applied.

    `available` defaults to the shipped migrations (tests pass their own). A migration that
    fails (typically: the user may not create tables) or that would lose analysis results
    rolls back alone and stops the upgrade with an error naming it; earlier ones stay applied."""
    try:
        return _upgrade(conn, migrations() if available is None else available)
    except psycopg.Error as exc:
        failing = getattr(exc, "_allpfit_migration", "the migration table")
        denied = isinstance(exc, psycopg.errors.InsufficientPrivilege)
        raise (MigrationPermissionError if denied else LocalDatabaseError)(
            f"Could not apply {failing} to the local analytics database: "
            f"{str(exc).strip().splitlines()[0]}",
            hint="Run `allpfit db upgrade` as a user that may create tables in this database "
            "(e.g. its owner), or grant CREATE on the schema to the configured user.",
        ) from None


def _upgrade(conn: psycopg.Connection, available: Sequence[Migration]) -> list[Migration]:
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
        for migration in sorted(available, key=lambda m: m.version):
            if migration.version in done:
                continue
            try:
                with conn.transaction():
                    before = protected_counts(conn)
                    conn.execute(migration.sql.encode())
                    _refuse_losses(migration, before, protected_counts(conn))
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


def protected_counts(conn: psycopg.Connection) -> dict[str, int]:
    """Rows and non-null values per column of the PROTECTED_TABLES that exist:
    {"table": rows, "table.column": non-null values}."""
    columns: dict[str, list[str]] = {}
    for table, column in conn.execute(
        """SELECT table_name, column_name FROM information_schema.columns
           WHERE table_schema = current_schema() AND table_name = ANY(%s)
           ORDER BY table_name, ordinal_position""",
        (list(PROTECTED_TABLES),),
    ):
        columns.setdefault(table, []).append(column)
    counts: dict[str, int] = {}
    for table, names in columns.items():
        query = sql.SQL("SELECT count(*), {} FROM {}").format(
            sql.SQL(", ").join(sql.SQL("count({})").format(sql.Identifier(n)) for n in names),
            sql.Identifier(table),
        )
        row = conn.execute(query).fetchone()
        assert row is not None
        counts[table] = row[0]
        counts.update(
            {f"{table}.{name}": value for name, value in zip(names, row[1:], strict=True)}
        )
    return counts


def _refuse_losses(migration: Migration, before: dict[str, int], after: dict[str, int]) -> None:
    """Raise (rolling the migration back) if it removed rows or values of a protected table."""
    moved = set(_MOVES.findall(migration.sql))
    lost = [
        f"{key} {count:,} → {after.get(key, 0):,}"
        + ("" if key in after else (" (table dropped)" if "." not in key else " (column dropped)"))
        for key, count in before.items()
        if count > after.get(key, 0) and key not in moved
    ]
    if lost:
        raise LocalDatabaseError(
            f"Migration {migration.version:04d} {migration.name} would lose analysis or CRM "
            f"data ({'; '.join(lost)}); it was rolled back and nothing changed.",
            hint="A migration must copy paid or imported values before dropping or rewriting "
            "their column (and declare `-- allpfit: moves table.column`). Keep this version "
            "of allpfit running and report the migration.",
        )


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
