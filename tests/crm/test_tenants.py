"""CRM per tenant: imports, EVO syncs and the match of one tenant never read, mark or rebuild
another tenant's customers and matches, even when the same person (phone, external id) is a
lead and a customer of both businesses. Real PostgreSQL, real EVO client on a fake server."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import psycopg
import pytest

from allpfit.config import Settings
from allpfit.crm.evo import sync_members
from allpfit.crm.excel import import_file
from allpfit.crm.match import run_match
from allpfit.tenants import Tenant, get_tenant
from tests.crm.conftest import Sleeps, client_for
from tests.dashboard.builder import Rows
from tests.fakes.evo_server import FakeEvo, member

PHONE = "+5511987654321"


@pytest.fixture
def two(local: psycopg.Connection) -> tuple[Tenant, Tenant]:
    """Tenants gym and studio; the same person is a lead of both (one conversation each)."""
    local.execute(
        "INSERT INTO tenants (slug, name, account_id) VALUES ('gym', 'Gym', 11), "
        "('studio', 'Studio', 12)"
    )
    gym, studio = get_tenant(local, "gym"), get_tenant(local, "studio")
    for tenant, conversation in ((gym, 1), (studio, 2)):
        local.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(tenant.id),))
        Rows(local).conversation(conversation, contact_id=7, day=date(2026, 1, 2), phone=PHONE)
    local.execute("RESET allpfit.tenant_id")
    return gym, studio


def _csv(tmp_path: Path, name: str, conversion: str) -> Path:
    path = tmp_path / f"{name}.csv"
    path.write_text(f"ID;Nome;Celular;Data Conversão\n1;{name};(11) 98765-4321;{conversion}\n")
    return path


def _by_tenant(local: psycopg.Connection, query: str) -> list[tuple[object, ...]]:
    return local.execute(query).fetchall()


def test_import_and_match_stay_within_their_tenant(
    two: tuple[Tenant, Tenant],
    tmp_path: Path,
    local_url: str,
    local: psycopg.Connection,
    crm_settings: Settings,
) -> None:
    gym, studio = two
    # The same external id in both tenants' exports: two customers, one per tenant.
    import_file(local_url, _csv(tmp_path, "Ana", "10/01/2026"), crm_settings, tenant=gym)
    import_file(local_url, _csv(tmp_path, "Bia", "12/01/2026"), crm_settings, tenant=studio)
    customers = "SELECT tenant_id, external_id, name FROM crm_customers ORDER BY tenant_id"
    assert _by_tenant(local, customers) == [(gym.id, "1", "Ana"), (studio.id, "1", "Bia")]

    assert run_match(local_url, crm_settings, tenant=gym).conversions == 1
    matches = """SELECT m.tenant_id, m.conversation_id, c.name FROM conversas_crm_match_real m
                 JOIN crm_customers c ON c.tenant_id = m.tenant_id AND c.id = m.crm_customer_id
                 ORDER BY m.tenant_id"""
    assert _by_tenant(local, matches) == [(gym.id, 1, "Ana")]  # the gym's lead, its customer
    assert run_match(local_url, crm_settings, tenant=studio).conversions == 1
    assert _by_tenant(local, matches) == [(gym.id, 1, "Ana"), (studio.id, 2, "Bia")]
    # Rebuilding the gym's matches leaves the studio's alone.
    assert run_match(local_url, crm_settings, tenant=gym).conversions == 1
    assert _by_tenant(local, matches) == [(gym.id, 1, "Ana"), (studio.id, 2, "Bia")]
    runs = "SELECT tenant_id, kind, status FROM crm_sync_runs ORDER BY id"
    assert [r[0] for r in _by_tenant(local, runs)] == [gym.id, studio.id, gym.id, studio.id, gym.id]


def test_an_evo_listing_marks_missing_only_its_own_tenants_customers(
    two: tuple[Tenant, Tenant],
    evo: FakeEvo,
    sleeps: Sleeps,
    tmp_path: Path,
    local_url: str,
    local: psycopg.Connection,
    crm_settings: Settings,
) -> None:
    gym, studio = two
    evo.members = [member(1, "Ana", "Souza", cellphone="11987654321")]
    with client_for(evo, sleeps) as client:
        sync_members(local_url, crm_settings, client=client, tenant=gym)
    evo.members = [member(2, "Caio", "Reis", cellphone="11987650000")]
    with client_for(evo, sleeps) as client:  # the studio's EVO lists someone else
        result = sync_members(local_url, crm_settings, client=client, tenant=studio)
    assert (result.inserted, result.marked_missing) == (1, 0)  # the gym's Ana is not "missing"
    rows = local.execute(
        "SELECT tenant_id, external_id, missing_in_source_at IS NULL FROM crm_customers "
        "ORDER BY tenant_id"
    ).fetchall()
    assert rows == [(gym.id, "1", True), (studio.id, "2", True)]
