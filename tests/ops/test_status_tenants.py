"""`allpfit status` per tenant: each tenant's last sync, lag behind its own Chatwoot account,
and row counts, as data (ops/status.py: `collect_tenants`, `Status.figures`, `tenant_counts`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import psycopg

from allpfit.config import Settings
from allpfit.ops.status import EXIT_FAILED, EXIT_STALE, collect_tenants, exit_code_of, tenant_counts
from allpfit.sync.run import run_sync
from allpfit.tenants import get_tenant
from tests.factories import T0, Chatwoot

HOUR = timedelta(hours=1)


def test_each_tenant_has_its_own_sync_lag_and_counts(
    source_url: str, local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    source = psycopg.connect(source_url, autocommit=True)
    gym, studio = Chatwoot(source), Chatwoot(source)
    for cw, n in ((gym, 2), (studio, 1)):
        for i in range(n):
            conversation = cw.conversation(cw.contact(f"Lead {i}", f"+55119333{i:05d}"))
            cw.message(conversation, "oi", at=T0)
    local.execute("UPDATE tenants SET enabled = false WHERE id = 1")
    local.execute(
        "INSERT INTO tenants (slug, name, account_id) VALUES ('gym', 'Gym', %s), "
        "('studio', 'Studio', %s)",
        (gym.account_id, studio.account_id),
    )
    run_sync(local_url, source_url, tenant=get_tenant(local, "gym"))
    # The studio never synced, and its Chatwoot account has a change far ahead of the gym's
    # watermark (written "in the future"): it must not count as the gym's lag.
    ahead = datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=3)
    studio.message(studio.leads(1)[0], "mais uma", at=ahead)
    source.close()

    statuses = collect_tenants(local_url, settings, source_url=source_url, max_age=HOUR)

    figures = {s.figures()["tenant"]: s.figures() for s in statuses}
    assert list(figures) == ["gym", "studio"]
    assert figures["gym"]["last_sync_status"] == "success"
    assert figures["gym"]["counts"]["conversas_analytics"] == 2
    assert figures["gym"]["lag"] == timedelta(0)  # the studio's new message is not the gym's
    assert (figures["gym"]["problems"], figures["gym"]["exit_code"]) == ([], 0)
    assert figures["studio"]["last_sync_status"] is None
    assert figures["studio"]["counts"]["conversas_analytics"] == 0
    assert figures["studio"]["problems"] == ["no sync has succeeded yet"]
    assert figures["studio"]["lag"] is None  # never synced: no watermark to compare
    assert exit_code_of(statuses) == EXIT_STALE
    one = collect_tenants(local_url, settings, source_url=None, max_age=HOUR, slug="gym")
    assert [s.figures()["tenant"] for s in one] == ["gym"]

    gym_id = get_tenant(local, "gym").id
    assert tenant_counts(local_url)[gym_id]["conversas_analytics"] == 2
    local.execute(
        "INSERT INTO etl_control (tenant_id, triggered_by, load_type, status, error_message) "
        "VALUES (%s, 'scheduler', 'incremental', 'failed', 'boom')",
        (gym_id,),
    )
    statuses = collect_tenants(local_url, settings, source_url=None, max_age=HOUR)
    assert exit_code_of(statuses) == EXIT_FAILED
    assert statuses[0].problems == ["the last sync failed: boom"]
