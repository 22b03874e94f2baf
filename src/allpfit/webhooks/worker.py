"""The webhook worker: refresh the conversations stored events name, then their analysis.

A batch of unprocessed events is claimed with `FOR UPDATE SKIP LOCKED` (two workers never take
the same event), grouped by tenant, and each tenant's conversations are re-read from Chatwoot
by the sync itself (`run_sync(mode="webhook")`: same extraction, same merge, a ledger row in
etl_control). The event body is never applied as data, so a replayed or out-of-order event
leaves the same final rows: the refresh always reads Chatwoot's current state.

Failures are retried with exponential backoff; after `MAX_ATTEMPTS` an event is closed with
its error, since the periodic sync re-reads the conversation anyway (nothing is lost, only
delayed). Another sync of the same tenant holding the lock only postpones the batch.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass

import psycopg

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import AllpfitError, AlreadyRunningError
from allpfit.redaction import first_line, redact, secrets_in
from allpfit.tenants import Tenant, list_tenants, settings_for

log = logging.getLogger(__name__)

BATCH = 500
MAX_ATTEMPTS = 8
MAX_BACKOFF = 600  # seconds
IDLE_WAIT = 1.0  # seconds between polls when the inbox is empty

CLAIM = """
SELECT tenant_id, id, account_id, conversation_display_ids, contact_id
FROM webhook_events
WHERE processed_at IS NULL AND next_attempt_at <= now()
ORDER BY next_attempt_at, id
LIMIT %s
FOR UPDATE SKIP LOCKED
"""


@dataclass
class BatchResult:
    events: int = 0  # events closed (processed) by this batch
    postponed: int = 0  # events left for later (lock busy, or a failure to retry)
    refreshed: int = 0  # conversations re-read
    changed: int = 0  # rows inserted or updated


def refresh_tenant(
    local_url: str,
    source_url: str | None,
    tenant: Tenant,
    settings: Settings,
    *,
    display_ids: list[int],
    contact_ids: list[int],
    account_id: int | None,
) -> tuple[int, int]:
    """Re-read the named conversations of `tenant`; re-run its analysis if a row changed
    (the analysis itself skips conversations whose text is unchanged). Returns (conversations
    re-read, rows inserted or updated)."""
    from allpfit.ops.tenant_jobs import analyze_tenant
    from allpfit.sync.run import SyncOptions, Targets, run_sync

    own = settings_for(tenant, settings)
    if tenant.source_kind == "api":
        # The tenant's source is its API mirror (source/api_mirror.py): bring it up to date
        # through the API first (an incremental refresh: what changed since the last one),
        # then the targeted sync reads the mirror, where a conversation's id is its display id.
        from allpfit.source.api_mirror import refresh_for_sync

        source_url, _ = refresh_for_sync(local_url, tenant, own, mode="incremental")
    elif not source_url:  # an install whose other tenants read only APIs may have none
        source_url = settings.source_url()  # ConfigError naming SOURCE_DATABASE_URL
    result = run_sync(
        local_url,
        source_url,
        mode="webhook",
        triggered_by="webhook",
        options=SyncOptions.from_settings(own),
        tenant=tenant,
        targets=Targets(tuple(display_ids), tuple(contact_ids), account_id),
    )
    changed = result.rows_inserted + result.rows_updated
    if changed:
        try:
            analyze_tenant(local_url, tenant, settings, triggered_by="webhook")
        except AllpfitError as exc:  # the next analysis run picks the changed text up
            log.warning("analysis after webhook refresh (tenant %s): %s", tenant.slug, exc.message)
    return result.rows_extracted, changed


def process_batch(
    local_url: str, source_url: str | None, settings: Settings, *, limit: int = BATCH
) -> BatchResult:
    """Claim up to `limit` due events and refresh what they name, tenant by tenant. The claim
    and the events' outcome commit together; a crash leaves them unprocessed for the next."""
    out = BatchResult()
    secrets = secrets_in(local_url) + (secrets_in(source_url) if source_url else [])
    with db.connect(local_url) as conn, conn.transaction():
        rows = conn.execute(CLAIM, (limit,)).fetchall()
        if not rows:
            return out
        tenants = {t.id: t for t in list_tenants(conn, include_disabled=True)}
        by_tenant: dict[int, list[tuple[int, int | None, list[int], int | None]]] = defaultdict(
            list
        )
        for tenant_id, event_id, account_id, display_ids, contact_id in rows:
            by_tenant[tenant_id].append((event_id, account_id, display_ids, contact_id))
        for tenant_id, events in by_tenant.items():
            ids = [e[0] for e in events]
            tenant = tenants.get(tenant_id)
            accounts = {e[1] for e in events}
            try:
                if tenant is None or not tenant.enabled:
                    raise AllpfitError(f"tenant {tenant_id} is disabled or gone")
                read, changed = refresh_tenant(
                    local_url,
                    source_url,
                    tenant,
                    settings,
                    display_ids=sorted({d for e in events for d in e[2]}),
                    contact_ids=sorted({e[3] for e in events if e[3] is not None}),
                    account_id=accounts.pop() if len(accounts) == 1 else None,
                )
            except AlreadyRunningError:
                _postpone(conn, tenant_id, ids)
                out.postponed += len(ids)
                continue
            except (AllpfitError, psycopg.Error) as exc:
                text = getattr(exc, "message", None) or str(exc)
                message = first_line(redact(text, secrets)) or type(exc).__name__
                log.warning("webhook refresh failed (tenant %s): %s", tenant_id, message)
                closed = _failed(conn, tenant_id, ids, message)
                out.events += closed
                out.postponed += len(ids) - closed
                continue
            conn.execute(
                """UPDATE webhook_events SET processed_at = now(), attempts = attempts + 1,
                          error = NULL
                   WHERE tenant_id = %s AND id = ANY(%s)""",
                (tenant_id, ids),
            )
            out.events += len(ids)
            out.refreshed += read
            out.changed += changed
    return out


def _postpone(conn: psycopg.Connection, tenant_id: int, ids: list[int]) -> None:
    """Another sync of the tenant runs: try again in a few seconds (not a failure)."""
    conn.execute(
        """UPDATE webhook_events SET next_attempt_at = now() + interval '5 seconds'
           WHERE tenant_id = %s AND id = ANY(%s)""",
        (tenant_id, ids),
    )


def _failed(conn: psycopg.Connection, tenant_id: int, ids: list[int], message: str) -> int:
    """Record the failure; retry with backoff, or close after MAX_ATTEMPTS. Returns how many
    were closed."""
    rows = conn.execute(
        """UPDATE webhook_events
           SET attempts = attempts + 1, error = %s,
               next_attempt_at = now() + make_interval(secs => least(%s, 2 ^ attempts)),
               processed_at = CASE WHEN attempts + 1 >= %s THEN now() END
           WHERE tenant_id = %s AND id = ANY(%s)
           RETURNING processed_at IS NOT NULL""",
        (message[:2000], MAX_BACKOFF, MAX_ATTEMPTS, tenant_id, ids),
    ).fetchall()
    return sum(1 for r in rows if r[0])


def work(
    local_url: str,
    source_url: str | None,
    settings: Settings,
    *,
    stop: threading.Event,
    wake: threading.Event | None = None,
    idle_wait: float = IDLE_WAIT,
) -> None:
    """Process batches until `stop` is set; sleep `idle_wait` (or until `wake`) when idle.
    An unexpected error is logged and retried after the wait: the worker of a running
    receiver must not die silently."""
    while not stop.is_set():
        try:
            result = process_batch(local_url, source_url, settings)
        except Exception:
            log.exception("webhook worker batch failed")
            result = BatchResult()
        if result.events or result.postponed:
            log.info("webhook batch: %s", result)
        if result.events:
            continue
        if wake is not None:
            wake.wait(idle_wait)
            wake.clear()
        else:
            stop.wait(idle_wait)
