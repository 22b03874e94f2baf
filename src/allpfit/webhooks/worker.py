"""The webhook worker: refresh the conversations stored events name, then analyse those.

A batch runs in two steps, so that the slow part never holds the inbox:

1. Refresh, in one short local transaction: up to `BATCH` due events are claimed with
   `FOR UPDATE SKIP LOCKED` (two workers never take the same event; the receiver keeps
   inserting), grouped by tenant, and each tenant's named conversations are re-read from
   Chatwoot once, however many events name them (a burst of 50 events on one conversation is
   one refresh of one conversation), by the sync itself (`run_sync(mode="webhook")`: same
   extraction, same merge, a ledger row in etl_control). The events are marked processed and
   the transaction commits: the rows are in the table and the row locks are released.
2. Analysis, after the commit: one analysis run per tenant restricted to the conversations
   this batch refreshed (`analyze_tenant(conversation_ids=...)`: the same selection rules and
   run ledger as `allpfit analyze`, so unchanged text is still skipped), never the tenant's
   whole history. A failure here loses nothing: the next analysis run picks the changed text
   up by its hash.

The event body is never applied as data, so a replayed or out-of-order event leaves the same
final rows: the refresh always reads Chatwoot's current state. A worker killed during step 1
rolls back: its events are unprocessed and unlocked, taken by the next batch.

Failures are retried with exponential backoff; after `MAX_ATTEMPTS` an event is closed with
its error, since the periodic sync re-reads the conversation anyway (nothing is lost, only
delayed). Another sync of the same tenant holding the lock only postpones the batch.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from dataclasses import dataclass, field

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

# The tenant's local rows the events named (run on a tenant session: row-level security keeps
# it to the tenant), as `changes.targeted_ids` finds them in Chatwoot: by display id, within
# the events' account when they all carry the same one, and by contact.
REFRESHED_IDS = """
SELECT conversation_id FROM conversas_analytics
WHERE (display_id = ANY(%(display_ids)s::integer[])
       AND (%(account_id)s::integer IS NULL OR account_id = %(account_id)s::integer))
   OR contact_id = ANY(%(contact_ids)s::integer[])
"""


@dataclass(frozen=True)
class Named:
    """What a tenant's claimed events name, coalesced: each conversation once."""

    display_ids: tuple[int, ...]
    contact_ids: tuple[int, ...]
    account_id: int | None


@dataclass
class BatchResult:
    events: int = 0  # events closed (processed) by this batch
    postponed: int = 0  # events left for later (lock busy, or a failure to retry)
    refreshed: int = 0  # conversations re-read
    changed: int = 0  # rows inserted or updated
    analysed: dict[int, list[int]] = field(default_factory=dict)  # tenant id: conversation ids


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
    """Re-read the named conversations of `tenant` (each once). Returns (conversations
    re-read, rows inserted or updated). The analysis is the caller's next step
    (`analyse_refreshed`), after the events' transaction has committed."""
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
    return result.rows_extracted, result.rows_inserted + result.rows_updated


def refreshed_ids(local_url: str, tenant: Tenant, named: Named) -> list[int]:
    """The local conversation ids of what `named` names (after its refresh)."""
    with db.tenant_connection(local_url, tenant.id) as conn:
        rows = conn.execute(
            REFRESHED_IDS,
            {
                "display_ids": list(named.display_ids),
                "contact_ids": list(named.contact_ids),
                "account_id": named.account_id,
            },
        ).fetchall()
    return sorted(int(r[0]) for r in rows)


def analyse_refreshed(
    local_url: str, tenant: Tenant, settings: Settings, conversation_ids: list[int]
) -> None:
    """Re-run the analysis of just these conversations (those whose text changed: the run's
    own selection skips the rest). Never raises an expected failure: the next analysis run
    picks the changed text up."""
    from allpfit.ops.tenant_jobs import analyze_tenant

    if not conversation_ids:
        return
    try:
        analyze_tenant(
            local_url,
            tenant,
            settings,
            triggered_by="webhook",
            conversation_ids=conversation_ids,
        )
    except AllpfitError as exc:  # busy, over budget, provider down: picked up later
        log.warning("analysis after webhook refresh (tenant %s): %s", tenant.slug, exc.message)


def _coalesce(events: list[tuple[int, int | None, list[int], int | None]]) -> Named:
    accounts = {e[1] for e in events}
    return Named(
        display_ids=tuple(sorted({d for e in events for d in e[2]})),
        contact_ids=tuple(sorted({e[3] for e in events if e[3] is not None})),
        account_id=accounts.pop() if len(accounts) == 1 else None,
    )


def process_batch(
    local_url: str, source_url: str | None, settings: Settings, *, limit: int = BATCH
) -> BatchResult:
    """Claim up to `limit` due events, refresh what they name tenant by tenant and commit
    their outcome (step 1 of the module docstring; a crash leaves them unprocessed for the
    next), then analyse what changed (step 2)."""
    out = BatchResult()
    secrets = secrets_in(local_url) + (secrets_in(source_url) if source_url else [])
    to_analyse: list[tuple[Tenant, Named]] = []
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
            named = _coalesce(events)
            try:
                if tenant is None or not tenant.enabled:
                    raise AllpfitError(f"tenant {tenant_id} is disabled or gone")
                read, changed = refresh_tenant(
                    local_url,
                    source_url,
                    tenant,
                    settings,
                    display_ids=list(named.display_ids),
                    contact_ids=list(named.contact_ids),
                    account_id=named.account_id,
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
            if changed:
                to_analyse.append((tenant, named))
    # Committed: the rows are in the table and the events closed. Now the analysis.
    for tenant, named in to_analyse:
        try:
            conversation_ids = refreshed_ids(local_url, tenant, named)
        except psycopg.Error as exc:
            log.warning("webhook analysis skipped (tenant %s): %s", tenant.slug, exc)
            continue
        analyse_refreshed(local_url, tenant, settings, conversation_ids)
        out.analysed[tenant.id] = conversation_ids
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
