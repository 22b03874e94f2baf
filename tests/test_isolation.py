"""Tenant isolation in the database (migration 0051, `db.tenant_connection`), on real PostgreSQL.

Every table carrying tenant_id is found in the catalog: each must have row-level security, keys
and indexes led by tenant_id, and behave: a session of the app or reader role with tenant A
set sees only A's rows through `SELECT *` with no filter at all, sees nothing with no tenant
set, and cannot write a row of tenant B. A new tenant table that is not listed (and seeded)
here fails `test_the_tenant_tables_are_known`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date

import psycopg
import pytest
from psycopg import sql
from psycopg.conninfo import make_conninfo

from allpfit import db
from allpfit.embedded import with_database
from allpfit.errors import ConfigError
from allpfit.tenants import DEFAULT_TENANT_ID
from tests.dashboard.builder import Rows

# Every table holding a tenant's data. Adding one: give it tenant_id + RLS in its migration,
# list it here and seed a row of it in `_seed`.
TENANT_TABLES = (
    "analysis_failures",
    "api_sync_state",
    "analysis_runs",
    "conversas_analytics",
    "conversas_analytics_ai",
    "conversas_crm_match_real",
    "crm_customers",
    "crm_sync_runs",
    "etl_control",
    "followup_settings",
    "followups",
    "source_identity",
    "webhook_events",
)
# Tables that are deliberately not per tenant (see docs/architecture.md).
GLOBAL_TABLES = {
    "schema_migrations",
    "tenants",  # its own policy: a tenant session sees its own row
    "dashboard_login_throttle",  # failed logins per account and address
    "dashboard_users",  # users, sessions, audit (0052): install-wide, tenant_id nullable
    "dashboard_sessions",
    "audit_log",
}
ROLES = ("app", "reader")
A, B = 2, 3


def _seed(conn: psycopg.Connection, tenant_id: int, base: int) -> None:
    """One row of every tenant table for `tenant_id`, written as the owner with the tenant set
    (so the column default gives every row its tenant, as tenant sessions do)."""
    conn.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(tenant_id),))
    rows = Rows(conn)
    rows.conversation(base + 1, contact_id=base + 1, day=date(2026, 6, 1), phone="+5511987650001")
    rows.conversation(base + 2, contact_id=base + 2, day=date(2026, 6, 1))
    rows.profile(base + 1, probability=4)
    customer = rows.customer(f"Cliente {base}", phone="+5511987650001", conversion=date(2026, 6, 5))
    rows.match(base + 1, customer, conversation_day=date(2026, 6, 1), signup=date(2026, 6, 5))
    run = conn.execute(
        "INSERT INTO analysis_runs (provider, model, status) VALUES ('rules', 'r', 'success') "
        "RETURNING id"
    ).fetchone()[0]  # type: ignore[index]
    conn.execute(
        "INSERT INTO analysis_failures (conversation_id, run_id, content_hash, error_message) "
        "VALUES (%s, %s, 'h', 'boom')",
        (base + 2, run),
    )
    conn.execute("INSERT INTO crm_sync_runs (kind, status) VALUES ('match', 'success')")
    conn.execute(
        "INSERT INTO etl_control (triggered_by, load_type, status) "
        "VALUES ('manual', 'full', 'success')"
    )
    conn.execute("INSERT INTO source_identity (account_ids) VALUES (%s)", ([tenant_id],))
    conn.execute("INSERT INTO api_sync_state (backfill_page) VALUES (%s)", (base,))
    conn.execute(
        "INSERT INTO webhook_events (delivery_id, event, body) "
        "VALUES (%s, 'message_created', '{}')",
        (uuid.uuid4(),),
    )
    conn.execute("INSERT INTO followup_settings (daily_cap) VALUES (%s)", (base % 10000,))
    conn.execute(
        "INSERT INTO followups (conversation_id, display_id, step, step_days, anchor_at, "
        "due_on, variant, message_text) VALUES (%s, %s, 1, 1, now(), current_date, "
        "'analysis', 'Oi!')",
        (base + 1, base + 1),
    )
    conn.execute("RESET allpfit.tenant_id")


@pytest.fixture
def tenants(local: psycopg.Connection) -> psycopg.Connection:
    """Tenants A and B (besides the default one), each with a row in every tenant table."""
    local.execute(
        "INSERT INTO tenants (id, slug, name, account_id) VALUES (%s, 'a', 'A', 101), "
        "(%s, 'b', 'B', 102)",
        (A, B),
    )
    _seed(local, A, 1000)
    _seed(local, B, 2000)
    return local


def _tenant_ids(conn: psycopg.Connection, table: str) -> list[int]:
    query = sql.SQL("SELECT * FROM {}").format(sql.Identifier(table))  # no filter on purpose
    cur = conn.execute(query)
    names = [d.name for d in cur.description or []]
    return [row[names.index("tenant_id")] for row in cur.fetchall()]


def test_the_tenant_tables_are_known(local: psycopg.Connection) -> None:
    assert db.tenant_tables(local) == sorted(TENANT_TABLES)
    tables = {
        r[0]
        for r in local.execute(
            """SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"""
        )
    }
    unclassified = tables - set(TENANT_TABLES) - GLOBAL_TABLES
    assert not unclassified, f"tables neither per tenant nor declared global: {unclassified}"


def test_every_tenant_table_is_guarded_and_keyed_by_tenant(local: psycopg.Connection) -> None:
    """From the catalog, so a table added later is checked without touching this test."""
    for table in db.tenant_tables(local):
        rls = local.execute(
            "SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", (table,)
        ).fetchone()
        assert rls == (True,), f"{table}: row-level security is off"
        policy = local.execute(
            "SELECT cmd, qual, with_check FROM pg_policies "
            "WHERE tablename = %s AND policyname = 'tenant_isolation'",
            (table,),
        ).fetchone()
        assert policy is not None, f"{table}: no tenant_isolation policy"
        assert policy[0] == "ALL" and "allpfit.tenant_id" in policy[1] and policy[1] == policy[2]
        default = local.execute(
            "SELECT column_default FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s "
            "AND column_name = 'tenant_id'",
            (table,),
        ).fetchone()
        assert default is not None and "allpfit.tenant_id" in default[0]
        # Every index (primary key and unique constraints included) leads with tenant_id.
        for name, first in local.execute(
            """SELECT i.indexrelid::regclass::text, a.attname
               FROM pg_index i LEFT JOIN pg_attribute a
                 ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
               WHERE i.indrelid = %s::regclass""",
            (table,),
        ):
            assert first == "tenant_id", f"{table}: index {name} does not lead with tenant_id"
        # Foreign keys to other tenant tables carry tenant_id.
        for name, definition in local.execute(
            """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = %s::regclass AND contype = 'f'
                 AND confrelid <> 'tenants'::regclass""",
            (table,),
        ):
            assert definition.startswith("FOREIGN KEY (tenant_id, "), f"{table}: {name}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_a_query_without_any_tenant_filter_sees_only_its_tenant(
    tenants: psycopg.Connection, local_url: str, table: str, role: str
) -> None:
    assert sorted(set(_tenant_ids(tenants, table))) == [A, B]  # the owner sees both
    with db.tenant_connection(local_url, A, role=role, autocommit=True) as conn:
        seen = _tenant_ids(conn, table)
    assert seen and set(seen) == {A}
    with db.tenant_connection(local_url, B, role=role, autocommit=True) as conn:
        assert set(_tenant_ids(conn, table)) == {B}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("table", TENANT_TABLES)
def test_with_no_tenant_set_a_role_sees_nothing(
    tenants: psycopg.Connection, local_url: str, table: str, role: str
) -> None:
    with db.tenant_connection(local_url, A, role=role, autocommit=True) as conn:
        conn.execute("RESET allpfit.tenant_id")
        assert _tenant_ids(conn, table) == []


def _insertable(conn: psycopg.Connection, table: str) -> list[str]:
    """Columns a row can be inserted with (generated columns excluded)."""
    rows = conn.execute(
        """SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass AND attnum > 0
           AND NOT attisdropped AND attgenerated = '' ORDER BY attnum""",
        (table,),
    )
    return [r[0] for r in rows]


@pytest.mark.parametrize("table", TENANT_TABLES)
def test_a_tenant_session_cannot_write_another_tenants_rows(
    tenants: psycopg.Connection, local_url: str, table: str
) -> None:
    columns = _insertable(tenants, table)
    # A whole row of tenant B, as the owner reads it.
    query = sql.SQL("SELECT to_jsonb(t) FROM {} t WHERE tenant_id = %s LIMIT 1").format(
        sql.Identifier(table)
    )
    row_b = tenants.execute(query, (B,)).fetchone()[0]  # type: ignore[index]
    insert = sql.SQL("INSERT INTO {t} ({c}) SELECT {c} FROM jsonb_populate_record(NULL::{t}, %s)")
    insert = insert.format(
        t=sql.Identifier(table), c=sql.SQL(", ").join(map(sql.Identifier, columns))
    )
    with db.tenant_connection(local_url, A, autocommit=True) as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(insert, (psycopg.types.json.Jsonb(row_b),))
        # B's rows are out of reach of UPDATE and DELETE too: nothing matches.
        touch = sql.SQL("UPDATE {} SET tenant_id = tenant_id WHERE tenant_id = %s")
        assert conn.execute(touch.format(sql.Identifier(table)), (B,)).rowcount == 0
        # Moving one's own row to B is refused as well.
        move = sql.SQL("UPDATE {} SET tenant_id = %s")
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute(move.format(sql.Identifier(table)), (B,))
    with (
        db.tenant_connection(local_url, A, role="reader", autocommit=True) as conn,
        pytest.raises(psycopg.errors.InsufficientPrivilege),
    ):
        conn.execute(insert, (psycopg.types.json.Jsonb(row_b),))
    assert tenants.execute(  # nothing was written
        sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
    ).fetchone()[0] == len(_tenant_ids(tenants, table))  # type: ignore[index]


def test_a_tenant_session_inserts_into_its_own_tenant_without_naming_it(
    tenants: psycopg.Connection, local_url: str
) -> None:
    with db.tenant_connection(local_url, B) as conn, conn.transaction():
        conn.execute("INSERT INTO crm_sync_runs (kind, status) VALUES ('evo', 'running')")
    owner = tenants.execute("SELECT tenant_id FROM crm_sync_runs WHERE kind = 'evo'").fetchall()
    assert owner == [(B,)]


def test_the_sales_view_and_the_tenant_list_are_isolated_too(
    tenants: psycopg.Connection, local_url: str
) -> None:
    assert {r[0] for r in tenants.execute("SELECT tenant_id FROM lead_sales")} == {A, B}
    with db.tenant_connection(local_url, A, role="reader", autocommit=True) as conn:
        assert [r[0] for r in conn.execute("SELECT tenant_id FROM lead_sales")] == [A]
        assert conn.execute("SELECT slug FROM tenants").fetchall() == [("a",)]
        conn.execute("RESET allpfit.tenant_id")
        assert conn.execute("SELECT count(*) FROM lead_sales").fetchone() == (0,)
        assert conn.execute("SELECT count(*) FROM tenants").fetchone() == (0,)


def test_a_rollback_does_not_undo_the_tenant_session(
    tenants: psycopg.Connection, local_url: str
) -> None:
    with db.tenant_connection(local_url, A) as conn:
        conn.rollback()
        assert conn.execute("SELECT current_user").fetchone() == ("allpfit_app",)
        assert set(_tenant_ids(conn, "conversas_analytics")) == {A}


@pytest.fixture
def plain_user(local_url: str, local: psycopg.Connection) -> Iterator[str]:
    """A login user that owns nothing and may not take the tenant roles, but bypasses
    row-level security (as a table owner would): what a restricted server gives."""
    name = f"allpfit_test_{uuid.uuid4().hex[:8]}"
    local.execute(sql.SQL("CREATE ROLE {} LOGIN BYPASSRLS").format(sql.Identifier(name)))
    local.execute(sql.SQL("GRANT SELECT ON tenants TO {}").format(sql.Identifier(name)))
    yield make_conninfo(local_url, user=name)
    local.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(name)))
    local.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(name)))


def test_without_the_roles_one_tenant_works_and_several_are_refused(
    plain_user: str, local: psycopg.Connection
) -> None:
    with db.tenant_connection(plain_user, DEFAULT_TENANT_ID) as conn:
        user, tenant = conn.execute(
            "SELECT current_user, current_setting('allpfit.tenant_id')"
        ).fetchone()  # type: ignore[misc]
    assert user.startswith("allpfit_test_") and tenant == "1"  # as itself, tenant named
    local.execute("INSERT INTO tenants (slug, name) VALUES ('second', 'Second')")
    with pytest.raises(ConfigError) as refused:
        db.tenant_connection(plain_user, DEFAULT_TENANT_ID)
    assert "Tenant isolation needs the database role allpfit_app" in refused.value.message
    assert "2 tenants" in refused.value.message
    assert "CREATE ROLE allpfit_app NOLOGIN" in (refused.value.hint or "")


def test_grant_roles_is_idempotent_and_covers_every_tenant_table(
    local: psycopg.Connection,
) -> None:
    db.grant_roles(local)
    db.grant_roles(local)
    for table in db.tenant_tables(local):
        for role, privilege in (("allpfit_app", "DELETE"), ("allpfit_reader", "SELECT")):
            allowed = local.execute(
                "SELECT has_table_privilege(%s, %s, %s)", (role, table, privilege)
            ).fetchone()
            assert allowed == (True,), f"{role} lacks {privilege} on {table}"
        wrote = local.execute(
            "SELECT has_table_privilege('allpfit_reader', %s, 'INSERT')", (table,)
        ).fetchone()
        assert wrote == (False,), f"the dashboard role may write {table}"


def test_grant_roles_gives_the_follow_up_review_columns_to_roles_made_later(
    local: psycopg.Connection,
) -> None:
    """Migration 0081 grants them only if the role exists then; a role made later gets them
    from grant_roles, and still only the review columns."""
    local.execute("REVOKE UPDATE ON followups FROM allpfit_reader")
    status = "SELECT has_column_privilege('allpfit_reader', 'followups', %s, 'UPDATE')"
    assert local.execute(status, ("status",)).fetchone() == (False,)
    db.grant_roles(local)
    assert local.execute(status, ("status",)).fetchone() == (True,)
    assert local.execute(status, ("message_text",)).fetchone() == (True,)
    assert local.execute(status, ("tenant_id",)).fetchone() == (False,)


@pytest.fixture
def at_0050(pg_admin_url: str) -> Iterator[psycopg.Connection]:
    """A database migrated up to 0050 (the release before tenant isolation)."""
    name = f"test_at0050_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(with_database(pg_admin_url, name), autocommit=True) as conn:
        db.upgrade(conn, [m for m in db.migrations() if m.version <= 50])
        yield conn
    with psycopg.connect(pg_admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def test_upgrading_keeps_every_row_as_the_default_tenants_and_reanalyses_nothing(
    at_0050: psycopg.Connection,
) -> None:
    rows = Rows(at_0050)
    for conversation_id in (1, 2):
        rows.conversation(conversation_id, contact_id=conversation_id, day=date(2026, 6, 1))
        rows.profile(conversation_id, probability=3, goal="Emagrecer")
    customer = rows.customer("Ana", phone="+5511987654321", conversion=date(2026, 6, 2))
    rows.match(1, customer, conversation_day=date(2026, 6, 1), signup=date(2026, 6, 2))
    at_0050.execute(
        "INSERT INTO etl_control (triggered_by, load_type, status, watermark_end) "
        "VALUES ('manual', 'full', 'success', now())"
    )
    profiles = "SELECT conversation_id, objetivo, content_hash, analisado_em FROM conversas_analytics_ai ORDER BY 1"  # noqa: E501
    before = at_0050.execute(profiles).fetchall()

    applied = db.upgrade(at_0050)

    assert 51 in [m.version for m in applied]
    assert at_0050.execute(profiles).fetchall() == before  # same profiles, same hashes
    for table in TENANT_TABLES:
        tenants = at_0050.execute(
            sql.SQL("SELECT DISTINCT tenant_id FROM {}").format(sql.Identifier(table))
        ).fetchall()
        assert tenants in ([], [(DEFAULT_TENANT_ID,)]), table
    # The default tenant's session sees them all, the sales view included.
    url = at_0050.info.dsn
    with db.tenant_connection(url, DEFAULT_TENANT_ID, role="reader", autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM conversas_analytics_ai").fetchone() == (2,)
        assert conn.execute("SELECT count(*) FROM lead_sales").fetchone() == (1,)


def test_dashboard_queries_run_as_the_reader_role_of_one_tenant(
    tenants: psycopg.Connection, local_url: str
) -> None:
    from allpfit.dashboard import data

    with data.connect(local_url, B) as conn:
        assert conn.execute("SELECT current_user").fetchone() == ("allpfit_reader",)
        assert set(_tenant_ids(conn, "conversas_analytics")) == {B}
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM conversas_analytics")
