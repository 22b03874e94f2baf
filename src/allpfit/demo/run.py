"""The one-command demo: the whole pipeline on the embedded PostgreSQL with generated data.

Everything lives in the embedded server under DATA_DIR: the generated Chatwoot in database
`chatwoot_demo`, the analytics in the embedded default database (so `allpfit status`,
`allpfit dashboard`... show the demo afterwards) or, when a DATABASE_URL is configured, in
`allpfit_demo` beside it: a demo never touches a configured database or a real Chatwoot.
In the first case the demo also records its Chatwoot as DATA_DIR's source
(`embedded.record_source`), so `allpfit etl run`, `pipeline` and `schedule` work afterwards with
nothing configured; a configured SOURCE_DATABASE_URL / SOURCE_DB_HOST always wins.
The demo forces the offline analyzer (unless asked for the LLM) and no EVO API, so it costs
nothing and needs no network.

The demo Chatwoot serves two businesses, as an agency's does (`demo/business.py`): the demo
makes each one a tenant (AllpFit reads account 1, the pilates studio account 2), imports each
one's own CRM export into it, runs the pipeline for both, and creates one dashboard login of
each role. The default tenant (every account) is disabled: it would hold a copy of both
businesses' conversations in one tenant, which is exactly what tenants exist to prevent.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import psycopg
from pydantic import SecretStr

from allpfit import db, embedded, users
from allpfit.config import Settings
from allpfit.demo.business import BUSINESSES, Business
from allpfit.errors import ConfigError
from allpfit.ops.pipeline import PipelineResult, run_pipeline
from allpfit.progress import Progress
from allpfit.tenants import (
    DEFAULT_TENANT_ID,
    Tenant,
    TenantChanges,
    add_tenant,
    edit_tenant,
    get_tenant,
)

SOURCE_DB = "chatwoot_demo"
LOCAL_DB = "allpfit_demo"
TIMEZONE = "America/Sao_Paulo"
ACTOR = "allpfit demo"


@dataclass(frozen=True)
class DemoLogin:
    """One dashboard login the demo made: `tenant` is a slug, None for the admin (every
    tenant). The password is shown once, in the demo's summary."""

    email: str
    role: users.Role
    tenant: str | None
    password: str


# The demo's logins: an admin, a manager and a viewer of the first business, a manager of the
# second (email, role, the index in BUSINESSES of their tenant or None for every tenant).
LOGINS: tuple[tuple[str, users.Role, int | None], ...] = (
    ("admin@allpfit.test", users.Role.admin, None),
    ("gerente@allpfit.test", users.Role.manager, 0),
    ("leitura@allpfit.test", users.Role.viewer, 0),
    ("gerente@equilibrio.test", users.Role.manager, 1),
)


@dataclass(frozen=True)
class DemoCrm:
    """One tenant's CRM export and what its import did."""

    tenant: str
    file: Path
    imported: int
    rejected: int  # rows of the export the import refused (listed in rejects_file)
    rejects_file: Path | None


@dataclass
class DemoResult:
    source_url: str
    local_url: str
    generated: bool
    conversations: int
    tenants: list[Tenant]
    crm: list[DemoCrm]
    logins: list[DemoLogin]
    source_record: Path | None  # DATA_DIR/source.json, when the demo became DATA_DIR's source
    pipeline: PipelineResult
    settings: Settings

    @property
    def members_imported(self) -> int:
        return sum(c.imported for c in self.crm)

    @property
    def members_rejected(self) -> int:
        return sum(c.rejected for c in self.crm)


def run_demo(
    settings: Settings,
    *,
    conversations: int = 500,
    seed: int = 42,
    regenerate: bool = False,
    use_llm: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    from allpfit.demo.crm_export import write_demo_members
    from allpfit.demo.generator import generate
    from allpfit.ops.tenant_jobs import import_tenant

    admin = embedded.server_url(settings.data_dir)
    local_db = settings.local_db_name if settings.local_embedded else LOCAL_DB
    for name in (SOURCE_DB, local_db):
        db.ensure_database(admin, name)
    source_url = embedded.with_database(admin, SOURCE_DB)
    local_url = embedded.with_database(admin, local_db)
    demo_settings = settings.model_copy(
        update={
            "source_database_url": SecretStr(source_url),
            "database_url": SecretStr(local_url),
            "analysis_provider": settings.analysis_provider if use_llm else "rules",
            "evo_dns": None,
            "evo_api_token": None,
        }
    )
    existing, accounts = _source_counts(source_url)
    # a Chatwoot from an older demo has one business: make the two-business one instead
    generated = regenerate or existing == 0 or accounts < len(BUSINESSES)
    if generated:
        generate(
            source_url,
            conversations=conversations,
            seed=seed,
            replace=True,
            accounts=len(BUSINESSES),
            progress=progress,
        )
    db.prepare(demo_settings)
    with db.connect(local_url, autocommit=True) as conn:
        tenants = ensure_tenants(conn)
    crm = []
    for number, (business, tenant) in enumerate(zip(BUSINESSES, tenants, strict=True), 1):
        members_file = settings.data_dir / "demo" / f"crm_{business.slug}.xlsx"
        members_file.parent.mkdir(parents=True, exist_ok=True)
        if generated or not members_file.exists():
            write_demo_members(source_url, members_file, account_id=number, seed=seed + number)
        imported = import_tenant(local_url, tenant, demo_settings, members_file, progress=progress)
        crm.append(
            DemoCrm(
                tenant=tenant.slug,
                file=members_file,
                imported=imported.inserted + imported.updated + imported.unchanged,
                rejected=len(imported.rejected),
                rejects_file=imported.rejects_file,
            )
        )
    record = None
    if settings.local_embedded:  # the demo's analytics are DATA_DIR's own: so is its Chatwoot
        record = embedded.record_source(settings.data_dir, SOURCE_DB)
    pipeline = run_pipeline(  # a regenerated Chatwoot is a new installation, on purpose
        demo_settings,
        triggered_by="demo",
        full=generated,
        progress=progress,
        allow_mass_delete=generated,
    )
    with db.connect(local_url, autocommit=True) as conn:
        logins = ensure_logins(conn, tenants)
    return DemoResult(
        source_url=source_url,
        local_url=local_url,
        generated=generated,
        conversations=conversations if generated else existing,
        tenants=tenants,
        crm=crm,
        logins=logins,
        source_record=record,
        pipeline=pipeline,
        settings=demo_settings,
    )


def ensure_tenants(conn: psycopg.Connection) -> list[Tenant]:
    """One enabled tenant per demo business, reading its own account (N for BUSINESSES[N-1]);
    the default tenant disabled. Idempotent: a second demo finds its tenants and keeps them."""
    tenants = []
    for number, business in enumerate(BUSINESSES, 1):
        tenants.append(_ensure_tenant(conn, business, number))
    default = conn.execute(
        "SELECT slug FROM tenants WHERE id = %s AND enabled", (DEFAULT_TENANT_ID,)
    ).fetchone()
    if default is not None:
        edit_tenant(conn, default[0], TenantChanges(enabled=False))
    return tenants


def _ensure_tenant(conn: psycopg.Connection, business: Business, account_id: int) -> Tenant:
    try:
        tenant = get_tenant(conn, business.slug)
    except ConfigError:  # not there yet
        return add_tenant(
            conn,
            business.slug,
            TenantChanges(
                name=business.name,
                account_id=account_id,
                timezone=TIMEZONE,
                business_description=business.description,
            ),
        )
    if tenant.enabled and tenant.account_id == account_id:
        return tenant
    return edit_tenant(conn, business.slug, TenantChanges(account_id=account_id, enabled=True))


def ensure_logins(conn: psycopg.Connection, tenants: list[Tenant]) -> list[DemoLogin]:
    """The demo's dashboard users (LOGINS), each with a fresh generated password: created the
    first time, given a new password on later runs (the old one was shown once and is gone)."""
    logins = []
    for email, role, index in LOGINS:
        tenant = tenants[index] if index is not None else None
        tenant_id = tenant.id if tenant is not None else None
        if users.find_user(conn, email) is None:
            _, password = users.add_user(conn, email, role, tenant_id, actor=ACTOR)
            assert password is not None  # generated: none was given
        else:
            password = users.reset_password(conn, email, actor=ACTOR)
        logins.append(DemoLogin(email, role, tenant.slug if tenant else None, password))
    return logins


def _source_counts(source_url: str) -> tuple[int, int]:
    """(conversations, accounts) of the demo Chatwoot; (0, 0) before its schema exists."""
    with db.connect(source_url) as conn:
        exists = conn.execute("SELECT to_regclass('conversations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return 0, 0
        row = conn.execute(
            "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM accounts)"
        ).fetchone()
    return (int(row[0]), int(row[1])) if row else (0, 0)
