"""The local analytics PostgreSQL: where it is, how to connect, and its schema migrations.

Migrations are numbered SQL files in `allpfit/migrations/` (`0001_name.sql`). Each runs once, in
its own transaction, recorded in `schema_migrations`; an advisory lock keeps two processes from
applying them at the same time. Every job calls `prepare()` first, so a user never runs a
migration by hand unless they want to (`allpfit db upgrade`).

Paid and imported work (LLM profiles, CRM customers) must survive every migration: each one
runs between two counts of the rows and non-null values of those tables' columns, inside its
transaction, and is rolled back if any count shrank (see `PROTECTED_TABLES`).

Tenants (docs/architecture.md): every table holding a business's data carries `tenant_id` and
is guarded by row-level security (migration 0051). The configured user owns the tables, and an
owner bypasses row-level security, so per-tenant work goes through `tenant_connection`: a
session that takes the role `allpfit_app` (jobs) or `allpfit_reader` (dashboard) and names its
tenant, so even a query written without a tenant filter returns that tenant's rows only.
Cross-tenant work (migrations, summaries over every tenant) uses `connect` and names tenant_id.
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
from psycopg.rows import class_row

from allpfit.config import Settings, mask_url
from allpfit.embedded import server_url, with_database
from allpfit.errors import ConfigError, LocalDatabaseError, MigrationPermissionError
from allpfit.redaction import first_line, redact, secrets_in
from allpfit.tenants import COLUMNS as TENANT_COLUMNS
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant

log = logging.getLogger(__name__)

MIGRATION_LOCK = 7_300_001  # pg_advisory_lock key for schema upgrades

# The session setting naming the current tenant; the policies and column defaults of
# migration 0051 read it.
TENANT_SETTING = "allpfit.tenant_id"
# The roles a tenant session takes (created by migration 0051, granted by `grant_roles`).
ROLES = {"app": "allpfit_app", "reader": "allpfit_reader"}
# Tables without tenant_id that every tenant session may read (the tenants row is filtered to
# the session's own by its policy; the views run with the caller's rights).
SHARED_READ = ("tenants", "lead_sales", "contact_opt_outs_active")
# Global tables the dashboard writes (failed-login counts per account and address).
READER_WRITES = ("dashboard_login_throttle",)
# Tenant-table columns the dashboard may change (a manager reviewing follow-ups, 0081); the
# sending columns stay the jobs'. Row-level security still limits it to its tenant's rows.
READER_COLUMN_UPDATES = {
    "followups": (
        "message_text",
        "edited",
        "status",
        "reason",
        "approved_by",
        "approved_at",
        "updated_at",
    ),
}

# Tables holding work that cost money or came from outside (LLM analyses, the CRM import) or
# that record what was sent to people (follow-ups):
# no migration may drop their rows, or drop or blank a column of them, without copying it.
PROTECTED_TABLES = ("conversas_analytics_ai", "crm_customers", "followups")
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
        grant_roles(conn)
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


# --- tenants ---------------------------------------------------------------------------------

_unisolated_warned: set[str] = set()


def tenant_tables(conn: psycopg.Connection) -> list[str]:
    """The tenant tables: every table of the current schema whose rows each belong to exactly
    one tenant (a NOT NULL `tenant_id`). Install-wide tables that merely mention a tenant
    (users, where an admin has none; the audit log) have a nullable one and are not included."""
    rows = conn.execute(
        """SELECT c.relname FROM pg_class c
           JOIN pg_namespace n ON n.oid = c.relnamespace
           JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                              AND NOT a.attisdropped AND a.attnotnull
           WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
           ORDER BY c.relname"""
    ).fetchall()
    return [r[0] for r in rows]


def grant_roles(conn: psycopg.Connection) -> None:
    """Give the tenant roles what they need, and the configured user the right to take them.

    Run after every upgrade (autocommit `conn`), so roles an administrator creates after the
    migrations, and tables later migrations add, are covered. Only missing grants are issued;
    one the user may not give (not the owner, no ADMIN on the role) is skipped: a single-tenant
    install then keeps working without isolation (see `tenant_connection`)."""
    ensure_roles(conn)
    existing = {
        r[0]
        for r in conn.execute(
            "SELECT rolname FROM pg_roles WHERE rolname = ANY(%s)", (list(ROLES.values()),)
        )
    }
    if not existing:
        return
    tables = tenant_tables(conn)
    present = {
        r[0]
        for r in conn.execute(
            """SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = current_schema() AND c.relname = ANY(%s)""",
            (list(SHARED_READ + READER_WRITES),),
        )
    }
    wanted: dict[str, list[tuple[str, str]]] = {
        ROLES["app"]: [(t, "SELECT, INSERT, UPDATE, DELETE") for t in tables]
        + [(t, "SELECT") for t in SHARED_READ if t in present],
        ROLES["reader"]: [(t, "SELECT") for t in tables]
        + [(t, "SELECT") for t in SHARED_READ if t in present]
        + [(t, "SELECT, INSERT, UPDATE, DELETE") for t in READER_WRITES if t in present],
    }
    sequences = [
        r[0]
        for r in conn.execute(
            """SELECT s.relname FROM pg_class s JOIN pg_depend d
                   ON d.objid = s.oid AND d.classid = 'pg_class'::regclass AND d.deptype = 'a'
               JOIN pg_class t ON t.oid = d.refobjid
               WHERE s.relkind = 'S' AND t.relname = ANY(%s)
                 AND t.relnamespace = (SELECT oid FROM pg_namespace
                                       WHERE nspname = current_schema())""",
            (tables,),
        )
    ]
    for role in existing:
        statements = [
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(
                sql.Identifier(_schema(conn)), sql.Identifier(role)
            )
        ]
        for table, privileges in wanted[role]:
            if not all(_has(conn, role, table, p.strip()) for p in privileges.split(",")):
                statements.append(
                    sql.SQL("GRANT {} ON {} TO {}").format(
                        sql.SQL(privileges), sql.Identifier(table), sql.Identifier(role)
                    )
                )
        if role == ROLES["reader"]:
            statements += [
                sql.SQL("GRANT UPDATE ({}) ON {} TO {}").format(
                    sql.SQL(", ").join(map(sql.Identifier, columns)),
                    sql.Identifier(table),
                    sql.Identifier(role),
                )
                for table, columns in READER_COLUMN_UPDATES.items()
                if table in tables
            ]
        if role == ROLES["app"]:
            statements += [
                sql.SQL("GRANT USAGE, SELECT ON SEQUENCE {} TO {}").format(
                    sql.Identifier(seq), sql.Identifier(role)
                )
                for seq in sequences
            ]
        if not _may_take(conn, role):
            option = " WITH SET TRUE" if conn.info.server_version >= 160000 else ""
            statements.append(
                sql.SQL("GRANT {} TO CURRENT_USER" + option).format(sql.Identifier(role))
            )
        for statement in statements:
            try:
                with conn.transaction():
                    conn.execute(statement)
            except (psycopg.errors.InsufficientPrivilege, psycopg.errors.InvalidGrantOperation):
                log.debug("could not run %s", statement.as_string(conn))


def ensure_roles(conn: psycopg.Connection) -> None:
    """Create the tenant roles when they are missing and the user may create roles (autocommit
    `conn`). Roles belong to the server, not to a database: a database copied to another
    server (`allpfit db upgrade-embedded`, a restored dump) finds them missing there."""
    row = conn.execute(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user"
    ).fetchone()
    if not (row and row[0]):
        return
    for role in ROLES.values():
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
            continue
        try:
            with conn.transaction():
                conn.execute(
                    sql.SQL("CREATE ROLE {} NOLOGIN NOBYPASSRLS").format(sql.Identifier(role))
                )
        except (psycopg.errors.DuplicateObject, psycopg.errors.UniqueViolation):
            pass  # created meanwhile by another process
        except psycopg.errors.InsufficientPrivilege:
            log.debug("no right to create role %s", role)


def _schema(conn: psycopg.Connection) -> str:
    row = conn.execute("SELECT current_schema()").fetchone()
    assert row is not None
    return str(row[0])


def _has(conn: psycopg.Connection, role: str, table: str, privilege: str) -> bool:
    row = conn.execute(
        "SELECT has_table_privilege(%s, %s::regclass, %s)", (role, table, privilege)
    ).fetchone()
    return bool(row and row[0])


def _may_take(conn: psycopg.Connection, role: str) -> bool:
    """Whether the session's user may `SET ROLE role` (False when the role does not exist)."""
    mode = "SET" if conn.info.server_version >= 160000 else "MEMBER"
    row = conn.execute(
        "SELECT pg_has_role(current_user, oid, %s) FROM pg_roles WHERE rolname = %s",
        (mode, role),
    ).fetchone()
    return bool(row and row[0])


def tenant_connection(
    url: str,
    tenant_id: int,
    *,
    role: str = "app",
    autocommit: bool = False,
    **kwargs: object,
) -> psycopg.Connection:
    """A connection that sees and writes only `tenant_id`'s rows, whatever its queries say.

    It takes the role `allpfit_app` (`role="app"`: the jobs) or `allpfit_reader`
    (`role="reader"`: the dashboard), neither of which owns the tables, so the row-level
    security of migration 0051 applies; and names the tenant for the whole session (the
    policies filter by it, and inserted rows get it by default). Both settings are made and
    committed before the connection is returned, so no rollback of the caller can undo them.

    Without the roles (a server where the configured user may not create or take them) a
    single-tenant install keeps working as that user: isolation needs the roles, and there is
    nothing to isolate. With more than one tenant that is refused with a ConfigError."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {sorted(ROLES)}, not {role!r}")
    name = ROLES[role]
    conn = connect(url, autocommit=True, **kwargs)
    try:
        conn.execute("SELECT set_config(%s, %s, false)", (TENANT_SETTING, str(int(tenant_id))))
        if _may_take(conn, name):
            conn.execute(sql.SQL("SET ROLE {}").format(sql.Identifier(name)))
        else:
            _refuse_without_roles(conn, name)
        conn.autocommit = autocommit
    except psycopg.Error as exc:
        conn.close()
        raise LocalDatabaseError(
            f"Could not open a tenant session on the local analytics database at "
            f"{mask_url(url)}: {first_line(str(exc))}",
            hint="Run `allpfit db upgrade` as the database's owner, then try again.",
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _refuse_without_roles(conn: psycopg.Connection, role: str) -> None:
    """Allow a session without the role only when it cannot see more than one tenant."""
    user = conn.execute("SELECT current_user").fetchone()[0]  # type: ignore[index]
    try:
        tenants = conn.execute("SELECT count(*) FROM tenants").fetchone()[0]  # type: ignore[index]
    except psycopg.errors.InsufficientPrivilege:
        tenants = 0  # a user that may not read the tenants is no owner: the policies apply
    if tenants > 1:
        raise ConfigError(
            f"Tenant isolation needs the database role {role}, which the user {user!r} may "
            f"not take, and this database holds {tenants} tenants.",
            hint="As a PostgreSQL superuser run: CREATE ROLE allpfit_app NOLOGIN; CREATE ROLE "
            f"allpfit_reader NOLOGIN; GRANT allpfit_app, allpfit_reader TO {user}; then "
            "`allpfit db upgrade` (it grants the roles their rights). See docs/architecture.md.",
        )
    if role not in _unisolated_warned:
        _unisolated_warned.add(role)
        log.warning(
            "role %s is missing or not granted to %s: tenant sessions run as %s (one tenant, "
            "nothing to isolate; isolation needs the roles, see docs/architecture.md)",
            role,
            user,
            user,
        )


def resolve_tenant(url: str, tenant: Tenant | None) -> Tenant:
    """`tenant`, or the default tenant (id DEFAULT_TENANT_ID) read from the database: what a
    per-tenant job called without one works for."""
    if tenant is not None:
        return tenant
    with connect(url) as conn, conn.cursor(row_factory=class_row(Tenant)) as cur:
        found = cur.execute(
            f"SELECT {TENANT_COLUMNS} FROM tenants WHERE id = %s", (DEFAULT_TENANT_ID,)
        ).fetchone()
    if found is None:  # migration 0050 inserts it; only a hand-edited database lacks it
        raise ConfigError(
            "The default tenant (id 1) is missing from the tenants table.",
            hint="Run `allpfit tenant list` and name a tenant, or restore the row.",
        )
    return found


@contextmanager
def tenant_transaction(url: str, tenant_id: int) -> Iterator[psycopg.Connection]:
    """`transaction` on a tenant session (`tenant_connection`, role app)."""
    with tenant_connection(url, tenant_id) as conn, conn.transaction():
        yield conn
