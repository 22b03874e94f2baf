"""One Chatwoot serving two businesses: each tenant's sync reads only its account and inboxes,
never marks another tenant's conversations deleted, dates in its own time zone, and runs at the
same time as another tenant's (per-tenant locks). Real PostgreSQL on both sides."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import psycopg
import pytest

from allpfit import db
from allpfit.analysis.run import run_analysis
from allpfit.config import Settings
from allpfit.errors import AlreadyRunningError
from allpfit.sync.control import SYNC_RUNS
from allpfit.sync.purge import purge_deleted
from allpfit.sync.run import SyncOptions, run_sync
from allpfit.tenants import Tenant, get_tenant
from tests.factories import T0, Chatwoot


@dataclass
class Agency:
    """Account 1 (the gym: one inbox) and account 2 (the studio: the inbox its tenant reads,
    and another one it does not)."""

    gym: Chatwoot
    studio: Chatwoot
    studio_other_inbox: int
    gym_ids: list[int]
    studio_ids: list[int]  # in the studio tenant's inbox
    studio_other_ids: list[int]  # in the other inbox of the studio's account


def _lead(cw: Chatwoot, name: str, phone: str, **extra: object) -> int:
    conversation = cw.conversation(cw.contact(name, phone), **extra)  # type: ignore[arg-type]
    cw.message(conversation, "oi, quanto custa?", at=extra.get("created_at", T0))  # type: ignore[arg-type]
    return conversation


@pytest.fixture
def agency(source_url: str) -> Iterator[Agency]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        gym, studio = Chatwoot(conn), Chatwoot(conn)
        other_inbox = studio.inbox("Instagram Studio")
        late = datetime(2026, 6, 10, 20, 0)  # 17:00 in São Paulo, 05:00 next day in Tokyo
        yield Agency(
            gym=gym,
            studio=studio,
            studio_other_inbox=other_inbox,
            gym_ids=[
                _lead(gym, "Gym Um", "+5511911110001"),
                _lead(gym, "Gym Dois", "+5511911110002", created_at=late),
            ],
            studio_ids=[_lead(studio, "Studio Um", "+5511922220001", created_at=late)],
            studio_other_ids=[
                _lead(studio, "Studio Insta", "+5511922220002", inbox_id=other_inbox)
            ],
        )


@pytest.fixture
def tenants(agency: Agency, local: psycopg.Connection) -> tuple[Tenant, Tenant]:
    local.execute(
        "INSERT INTO tenants (slug, name, account_id) VALUES ('gym', 'Gym', %s)",
        (agency.gym.account_id,),
    )
    local.execute(
        "INSERT INTO tenants (slug, name, account_id, inbox_ids, timezone) "
        "VALUES ('studio', 'Studio', %s, %s, 'Asia/Tokyo')",
        (agency.studio.account_id, [agency.studio.inbox_id]),
    )
    return get_tenant(local, "gym"), get_tenant(local, "studio")


def _rows(local: psycopg.Connection) -> dict[int, dict[int, tuple[object, ...]]]:
    """tenant_id -> conversation_id -> (account, inbox, date, deleted mark), as the owner."""
    found: dict[int, dict[int, tuple[object, ...]]] = {}
    for tenant_id, conv, *rest in local.execute(
        """SELECT tenant_id, conversation_id, account_id, inbox_id, conversation_date,
                  deleted_in_source_at FROM conversas_analytics"""
    ):
        found.setdefault(tenant_id, {})[conv] = tuple(rest)
    return found


def test_a_tenant_sync_reads_only_its_account_and_inboxes_in_its_time_zone(
    agency: Agency,
    tenants: tuple[Tenant, Tenant],
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    gym, studio = tenants
    assert run_sync(local_url, source_url, tenant=gym).rows_extracted == 2
    assert run_sync(local_url, source_url, tenant=studio).rows_extracted == 1

    rows = _rows(local)
    assert sorted(rows) == [gym.id, studio.id]
    assert sorted(rows[gym.id]) == agency.gym_ids
    assert sorted(rows[studio.id]) == agency.studio_ids  # not the other inbox's lead
    assert {r[0] for r in rows[gym.id].values()} == {agency.gym.account_id}
    assert {r[:2] for r in rows[studio.id].values()} == {
        (agency.studio.account_id, agency.studio.inbox_id)
    }
    # The same instant is 10 June for the gym (São Paulo) and 11 June for the studio (Tokyo).
    assert rows[gym.id][agency.gym_ids[1]][2] == date(2026, 6, 10)
    assert rows[studio.id][agency.studio_ids[0]][2] == date(2026, 6, 11)
    # Each tenant records its own source identity and runs.
    identities = local.execute(
        "SELECT tenant_id, account_ids FROM source_identity ORDER BY tenant_id"
    ).fetchall()
    assert identities == [
        (gym.id, [agency.gym.account_id]),
        (studio.id, [agency.studio.account_id]),
    ]
    runs = local.execute("SELECT tenant_id, status FROM etl_control ORDER BY id").fetchall()
    assert runs == [(gym.id, "success"), (studio.id, "success")]


def test_syncing_one_tenant_never_marks_anothers_conversations_deleted(
    agency: Agency,
    tenants: tuple[Tenant, Tenant],
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    gym, studio = tenants
    run_sync(local_url, source_url, tenant=gym)
    run_sync(local_url, source_url, tenant=studio)

    # Every conversation of the gym is absent from the studio's scope, and the reverse: an
    # incremental run of each marks nothing and reads nothing of the other's.
    again = [run_sync(local_url, source_url, tenant=t) for t in (studio, gym, studio)]
    assert [r.rows_deleted for r in again] == [0, 0, 0]
    agency.studio.message(agency.studio_ids[0], "e o horário?", at=T0.replace(hour=15))
    assert run_sync(local_url, source_url, tenant=gym).rows_extracted == 0

    # A gym conversation deleted in Chatwoot: the studio's sync does not notice it, the gym's
    # marks it (and only it).
    gone = agency.gym_ids[0]
    agency.gym.execute("DELETE FROM messages WHERE conversation_id = %s", (gone,))
    agency.gym.execute("DELETE FROM conversations WHERE id = %s", (gone,))
    assert run_sync(local_url, source_url, tenant=studio).rows_deleted == 0
    assert _rows(local)[gym.id][gone][3] is None
    marked = run_sync(local_url, source_url, tenant=gym, allow_mass_delete=True)
    assert marked.rows_deleted == 1
    rows = _rows(local)
    assert rows[gym.id][gone][3] is not None
    assert all(r[3] is None for r in rows[studio.id].values())


def test_two_tenants_sync_at_the_same_time(
    agency: Agency,
    tenants: tuple[Tenant, Tenant],
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    gym, studio = tenants
    # While the gym's sync holds its lock, the studio's runs; the gym's second one is refused.
    with SYNC_RUNS.locked(local_url, tenant_id=gym.id):
        assert run_sync(local_url, source_url, tenant=studio).rows_extracted == 1
        with pytest.raises(AlreadyRunningError, match="Another sync is already running"):
            run_sync(local_url, source_url, tenant=gym)
    # And truly in parallel, each in its own thread.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(
            pool.map(lambda t: run_sync(local_url, source_url, tenant=t, mode="full"), tenants)
        )
    assert [r.rows_extracted for r in results] == [2, 1]
    statuses = local.execute(
        "SELECT tenant_id, status FROM etl_control WHERE load_type = 'full' ORDER BY id"
    ).fetchall()
    # The refused gym run was never started (no row); the studio's first run was full too.
    assert sorted(statuses) == [(gym.id, "success"), (studio.id, "success"), (studio.id, "success")]


def test_the_default_tenant_reads_source_account_id(
    agency: Agency, source_url: str, local_url: str, local: psycopg.Connection
) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        source_database_url=source_url,
        database_url=local_url,
        source_account_id=agency.studio.account_id,
        source_inbox_ids=str(agency.studio_other_inbox),  # type: ignore[arg-type]
    )
    result = run_sync(local_url, source_url, options=SyncOptions.from_settings(settings))
    assert result.rows_extracted == 1
    rows = _rows(local)
    assert list(rows) == [1]  # the default tenant
    assert list(rows[1]) == agency.studio_other_ids  # only that account's chosen inbox


def test_analysis_works_on_its_tenants_leads_only(
    agency: Agency,
    tenants: tuple[Tenant, Tenant],
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
    settings: Settings,
) -> None:
    gym, studio = tenants
    for tenant in tenants:
        run_sync(local_url, source_url, tenant=tenant)
    summary = run_analysis(local_url, settings, provider="rules", tenant=studio)
    assert (summary.leads, summary.analyzed) == (1, 1)
    profiles = local.execute(
        "SELECT tenant_id, conversation_id FROM conversas_analytics_ai"
    ).fetchall()
    assert profiles == [(studio.id, agency.studio_ids[0])]
    assert run_analysis(local_url, settings, provider="rules", tenant=gym).analyzed == 2
    runs = local.execute("SELECT tenant_id FROM analysis_runs ORDER BY id").fetchall()
    assert runs == [(studio.id,), (gym.id,)]
    with db.tenant_connection(local_url, gym.id, role="reader") as conn:
        seen = conn.execute("SELECT conversation_id FROM conversas_analytics_ai ORDER BY 1")
        assert [r[0] for r in seen] == agency.gym_ids


def test_purging_deleted_conversations_touches_only_its_tenant(
    agency: Agency,
    tenants: tuple[Tenant, Tenant],
    source_url: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    gym, studio = tenants
    for tenant in tenants:
        run_sync(local_url, source_url, tenant=tenant)
    # Both tenants have a conversation marked deleted long ago.
    local.execute(
        "UPDATE conversas_analytics SET deleted_in_source_at = now() - interval '200 days' "
        "WHERE conversation_id = ANY(%s)",
        ([agency.gym_ids[0], agency.studio_ids[0]],),
    )
    purged = purge_deleted(local_url, timedelta(days=90), tenant=studio)
    assert purged.conversations == 1
    left = local.execute(
        "SELECT tenant_id, conversation_id FROM conversas_analytics ORDER BY 1, 2"
    ).fetchall()
    assert left == [(gym.id, agency.gym_ids[0]), (gym.id, agency.gym_ids[1])]
