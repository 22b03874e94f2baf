"""One sync run: lock, snapshot the source, guard, extract, merge, mark, audit.

Modes (`mode=`):
- "incremental": re-reads only the conversations changed since the last successful run's
  watermark minus `sync_overlap_minutes` (closed lower bound, de-duplicated by the upsert);
- "full": re-reads every conversation. The first run is always full.
- "webhook": re-reads only the conversations Chatwoot's webhooks named (`targets`, see
  `Targets`), through the same extraction and merge; the webhook worker's mode
  (allpfit/webhooks/worker.py). Its cost follows the events, not the history: it neither lists
  every id Chatwoot has nor marks deletions (Chatwoot sends no event for a deleted
  conversation; the periodic sync marks those), and its ledger row is never a watermark.
The first two end the same way: rows missing from Chatwoot are marked deleted (never deleted),
rows it lists again are unmarked, and the data, the marks, the new watermark and the audit row
commit in one transaction. Before writing anything, the guards (sync/guards.py) refuse a different
installation, an empty source or a mass removal, unless `allow_mass_delete`.

Tenants: a run is one tenant's (`tenant`, default: the default tenant). It reads only the
tenant's Chatwoot account and inboxes (extraction, change detection and the list of ids used to
mark deletions), computes dates in the tenant's time zone, holds the sync lock for that tenant
only (two tenants sync at the same time) and writes through a tenant session, so row-level
security confines every statement to the tenant's rows.

Errors: a failure of the Chatwoot connection becomes a SourceError naming Chatwoot (exit 3); a
failure of the local database becomes a LocalDatabaseError (exit 4, through the run ledger).
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Literal

import psycopg
from psycopg import sql

from allpfit import db
from allpfit.config import Settings, mask_url
from allpfit.errors import SourceError
from allpfit.progress import Progress
from allpfit.runs import Run, describe
from allpfit.source import chatwoot, queries
from allpfit.sync import changes, control, guards
from allpfit.sync.load import (
    MergeCounts,
    create_staging,
    mark_missing,
    merge,
    pipe_copy,
    restore_present,
)
from allpfit.tenants import Tenant

log = logging.getLogger(__name__)

Mode = Literal["incremental", "full", "webhook"]
TRIGGERS = ("manual", "scheduler", "api", "demo", "webhook")


@dataclass(frozen=True)
class Targets:
    """The conversations webhook events named, as Chatwoot's payloads name them: by display_id
    (the per-account number shown in the app, which webhooks call `id`) and, for contact
    events, by contact id. `account_id` is the payload's account when it carries one."""

    display_ids: tuple[int, ...] = ()
    contact_ids: tuple[int, ...] = ()
    account_id: int | None = None


@dataclass(frozen=True)
class SyncOptions:
    """What the extraction needs from the settings (and the tenant).

    `account_id` / `inbox_ids` / `timezone` start as the settings' (SOURCE_ACCOUNT_ID,
    SOURCE_INBOX_IDS, TIMEZONE): the default tenant's fallbacks. `run_sync` applies its tenant
    with `for_tenant`, so options built from the settings alone are always right."""

    timezone: str = "America/Sao_Paulo"
    bot_user_ids: tuple[int, ...] = ()
    null_sender_is_bot: bool = True
    overlap: timedelta = timedelta(minutes=10)
    max_deleted_fraction: float = 0.05
    account_id: int | None = None  # None = every account
    inbox_ids: tuple[int, ...] = ()  # () = every inbox

    @classmethod
    def from_settings(cls, settings: Settings, tenant: Tenant | None = None) -> SyncOptions:
        options = cls(
            timezone=settings.timezone,
            bot_user_ids=tuple(settings.bot_sender_user_ids),
            null_sender_is_bot=settings.null_sender_is_bot,
            overlap=timedelta(minutes=settings.sync_overlap_minutes),
            max_deleted_fraction=settings.sync_max_deleted_fraction,
            account_id=settings.source_account_id,
            inbox_ids=tuple(settings.source_inbox_ids),
        )
        return options if tenant is None else options.for_tenant(tenant)

    def for_tenant(self, tenant: Tenant) -> SyncOptions:
        """These options with `tenant`'s scope and time zone (`Tenant.scope` / `Tenant.tz`,
        the one rule), these options' own values standing in for the settings."""
        fallback = Settings.model_construct(
            source_account_id=self.account_id,
            source_inbox_ids=list(self.inbox_ids),
            timezone=self.timezone,
        )
        account_id, inbox_ids = tenant.scope(fallback)
        return replace(
            self,
            account_id=account_id,
            inbox_ids=tuple(inbox_ids),
            timezone=tenant.tz(fallback),
        )

    def scope(self) -> dict[str, object]:
        """The parameters of `queries.SCOPE`."""
        return queries.scope_params(self.account_id, self.inbox_ids)

    def params(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "bot_user_ids": list(self.bot_user_ids),
            "null_sender_is_bot": self.null_sender_is_bot,
            **self.scope(),
        }


@dataclass
class SyncResult:
    run_id: int
    load_type: Mode
    watermark_start: datetime | None
    watermark_end: datetime
    rows_extracted: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_deleted: int  # marked deleted in Chatwoot by this run
    rows_restored: int  # listed again by Chatwoot: mark cleared
    extract_seconds: float
    load_seconds: float
    total_seconds: float


def run_sync(
    local_url: str,
    source_url: str,
    *,
    mode: Mode = "incremental",
    triggered_by: str = "manual",
    options: SyncOptions | None = None,
    progress: Progress | None = None,
    allow_mass_delete: bool = False,
    tenant: Tenant | None = None,
    targets: Targets | None = None,
) -> SyncResult:
    """Bring `tenant`'s rows of conversas_analytics (default: the default tenant's) up to date
    with its account and inboxes of the Chatwoot database at `source_url`.

    Raises MassRemovalRefused (nothing written, run recorded 'refused') when the source looks
    wrong or empty or would mark too many rows deleted, unless `allow_mass_delete`.
    `mode="webhook"` needs `targets`: only those conversations are re-read."""
    if (mode == "webhook") != (targets is not None):
        raise ValueError("targets go with mode='webhook', and only with it")
    tenant = db.resolve_tenant(local_url, tenant)
    options = (options or SyncOptions()).for_tenant(tenant)
    with control.SYNC_RUNS.locked(
        local_url, urls=(source_url,), tenant_id=tenant.id
    ) as control_conn:
        previous = control.last_watermark(control_conn)
        load_type: Mode = "full" if previous is None and mode != "webhook" else mode
        with control.SYNC_RUNS.recording(
            control_conn,
            urls=(local_url, source_url),
            triggered_by=triggered_by,
            load_type=load_type,
        ) as run:
            result = _run(
                tenant,
                local_url,
                source_url,
                run,
                load_type,
                previous,
                options,
                progress,
                allow_mass_delete,
                targets,
            )
    log.info("sync run %d (tenant %s): %s", result.run_id, tenant.slug, asdict(result))
    return result


def _run(
    tenant: Tenant,
    local_url: str,
    source_url: str,
    run: Run,
    load_type: Mode,
    previous: datetime | None,
    options: SyncOptions,
    progress: Progress | None,
    allow: bool,
    targets: Targets | None = None,
) -> SyncResult:
    with (
        chatwoot.connect(source_url) as source,
        db.tenant_connection(local_url, tenant.id) as local,
    ):
        try:
            where = mask_url(source_url)
            return _load(
                source, local, run, load_type, previous, options, progress, allow, where, targets
            )
        except psycopg.Error as exc:
            if _from_source(exc, source, local):
                raise SourceError(
                    f"Reading Chatwoot at {mask_url(source_url)} failed: {describe(exc)}",
                    hint=_hint(exc),
                ) from exc
            raise


def _from_source(exc: psycopg.Error, source: psycopg.Connection, local: psycopg.Connection) -> bool:
    """Whether `exc` is Chatwoot's fault: raised by its connection, or its connection is the
    one that died (a lost server raises on whichever side was being read or written)."""
    if local.broken:
        return False
    return exc.pgconn is source.pgconn or source.broken or exc.pgconn is None and source.closed


def _load(
    source: psycopg.Connection,
    local: psycopg.Connection,
    run: Run,
    load_type: Mode,
    previous: datetime | None,
    options: SyncOptions,
    progress: Progress | None,
    allow: bool,
    where: str,
    targets: Targets | None = None,
) -> SyncResult:
    params = options.params()
    tenant_scope = options.scope()
    # The source's snapshot transaction ends once everything is read: a Chatwoot that goes
    # away after that cannot fail a run whose data is complete, and one that goes away before
    # fails it before the local transaction commits.
    with local.transaction():
        with source.transaction():
            chatwoot.check_schema(source)
            naive_end = source.execute(queries.NOW_UTC).fetchone()[0]  # type: ignore[index]
            watermark_end = naive_end.replace(tzinfo=UTC)
            identity = guards.read_identity(source, tenant_scope)
            record = guards.check_installation(
                source, guards.recorded_identity(local), identity, where=where, allow=allow
            )
            if targets is None:
                changes.copy_present_ids(source, local, tenant_scope)
                fraction = options.max_deleted_fraction
                guards.check_marking(
                    local, "source_ids", where=where, max_fraction=fraction, allow=allow
                )
            create_staging(local)
            if targets is not None:
                ids = changes.targeted_ids(
                    source,
                    tenant_scope,
                    display_ids=targets.display_ids,
                    contact_ids=targets.contact_ids,
                    account_id=targets.account_id,
                )
                scope, total = queries.LISTED_CONVERSATIONS, len(ids)
                params = {**params, "ids": sorted(ids)}
            elif load_type == "full":
                scope, total = queries.ALL_CONVERSATIONS, None
            else:
                assert previous is not None
                since = previous.astimezone(UTC).replace(tzinfo=None) - options.overlap
                ids = (
                    changes.changed_ids(source, since, tenant_scope)
                    | changes.renamed_ids(source, local, tenant_scope)
                    | changes.unseen_ids(local)
                    | changes.reappeared_ids(local)
                )
                scope, total = queries.LISTED_CONVERSATIONS, len(ids)
                params = {**params, "ids": sorted(ids)}
            columns = [
                d.name
                for d in source.execute(
                    f"SELECT * FROM ({queries.extraction(scope)}) q LIMIT 0", params
                ).description
                or []
            ]
            copy_in = sql.SQL("COPY staging ({}) FROM STDIN").format(
                sql.SQL(", ").join(map(sql.Identifier, columns))
            )
            if progress:
                progress("extract", 0, total)
            extracted = pipe_copy(
                source,
                queries.extraction(scope),
                params,
                local,
                copy_in,
                progress=progress,
                total=total,
            )
        extract_seconds = run.seconds
        load_started = time.perf_counter()
        if progress:
            progress("load", 0, None)
        counts: MergeCounts = merge(local, columns)
        if targets is None:
            counts.deleted = mark_missing(local, "source_ids")
            counts.restored = restore_present(local, "source_ids")
        if record:
            guards.record_identity(local, identity, run.id)
        load_seconds = time.perf_counter() - load_started
        result = SyncResult(
            run_id=run.id,
            load_type=load_type,
            watermark_start=None if targets is not None else previous,
            watermark_end=watermark_end,
            rows_extracted=extracted,
            rows_inserted=counts.inserted,
            rows_updated=counts.updated,
            rows_unchanged=counts.unchanged,
            rows_deleted=counts.deleted,
            rows_restored=counts.restored,
            extract_seconds=round(extract_seconds, 3),
            load_seconds=round(load_seconds, 3),
            total_seconds=round(run.seconds, 3),
        )
        fields = asdict(result)
        del fields["run_id"]
        run.finish(local, **fields)
    return result


def _hint(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "Grant SELECT on the Chatwoot tables to the source user."
    if isinstance(exc, psycopg.OperationalError):
        return "Check that the Chatwoot database is reachable, then run again."
    return "Run again with --debug for details; the previous data is untouched."
