"""How the worker batches: events for one conversation are one refresh, the analysis after a
batch reads only the conversations it refreshed (never the tenant's history), and it runs
after the events' transaction committed, so a busy or failing analysis delays profiles but
never rows or events."""

from __future__ import annotations

import psycopg

from allpfit.analysis import store
from allpfit.config import Settings
from allpfit.ops.tenant_jobs import analyze_tenant
from allpfit.sync.run import run_sync
from allpfit.tenants import DEFAULT_TENANT_ID, get_tenant
from allpfit.webhooks.worker import process_batch
from tests.factories import Chatwoot
from tests.webhooks.conftest import Receiver, message_event
from tests.webhooks.test_worker import conversations, now_utc, rows


def profiles(local: psycopg.Connection) -> list[int]:
    found = local.execute("SELECT conversation_id FROM conversas_analytics_ai ORDER BY 1")
    return [r[0] for r in found]


def test_many_events_on_one_conversation_are_one_refresh_and_one_analysis(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 3)
    run_sync(local_url, settings.source_url())
    for i in range(30):
        cw.message(convs[2], f"mensagem {i}", at=now_utc())
        assert receiver.post(message_event(2, cw.account_id, f"mensagem {i}")).status_code == 200
    result = process_batch(local_url, settings.source_url(), settings)
    assert (result.events, result.refreshed, result.changed) == (30, 1, 1)
    ledger = local.execute(
        "SELECT rows_extracted FROM etl_control WHERE load_type = 'webhook'"
    ).fetchall()
    assert ledger == [(1,)]  # one refresh reading one conversation, not thirty
    runs = local.execute(
        "SELECT conversations_selected, triggered_by FROM analysis_runs ORDER BY id"
    ).fetchall()
    assert runs == [(1, "webhook")]
    assert result.analysed == {DEFAULT_TENANT_ID: [convs[2]]}
    text = {r[0]: r[3] for r in rows(local)}[convs[2]]
    assert text[-1]["text"] == "mensagem 29"


def test_the_analysis_after_a_batch_reads_only_the_refreshed_conversations(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 5)
    run_sync(local_url, settings.source_url())  # five leads, none analysed yet
    assert profiles(local) == []
    for display in (2, 4):
        cw.message(convs[display], "posso ir amanhã às 7h?", at=now_utc())
        receiver.post(message_event(display, cw.account_id))
    result = process_batch(local_url, settings.source_url(), settings)
    assert result.events == 2
    # the other three leads still need an analysis, and this run left them alone
    assert profiles(local) == sorted([convs[2], convs[4]])
    selected = local.execute("SELECT conversations_selected FROM analysis_runs").fetchall()
    assert selected == [(2,)]
    # a tenant-wide run (the periodic one) still takes the rest
    tenant = get_tenant(local, "default")
    summary = analyze_tenant(local_url, tenant, settings)
    assert (summary.selected, summary.skipped_unchanged) == (3, 2)
    assert profiles(local) == sorted(convs.values())


def test_a_busy_analysis_delays_profiles_not_rows_or_events(
    cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 2)
    receiver.post(message_event(1, cw.account_id))
    with psycopg.connect(local_url, autocommit=True) as other:
        store.acquire_lock(other)  # another analysis runs for the whole batch
        result = process_batch(local_url, settings.source_url(), settings)
    assert (result.events, result.postponed) == (1, 0)
    assert [r[0] for r in rows(local)] == [convs[1]]  # the row is there
    pending = local.execute("SELECT count(*) FROM webhook_events WHERE processed_at IS NULL")
    assert pending.fetchone() == (0,)  # the event is closed
    assert profiles(local) == []  # only the profile waits...
    analyze_tenant(local_url, get_tenant(local, "default"), settings)
    assert profiles(local) == [convs[1]]  # ...for the next analysis run
