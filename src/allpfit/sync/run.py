"""One sync run: lock, snapshot the source, extract, merge, delete, audit.

Modes (`mode=`):
- "incremental": re-reads only the conversations changed since the last successful run's
  watermark minus `sync_overlap_minutes` (closed lower bound, de-duplicated by the upsert);
- "full": re-reads every conversation. The first run is always full.
Both end the same way: rows missing from Chatwoot are deleted, and the data, the deletions,
the new watermark and the audit row commit in one transaction.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import psycopg
from psycopg import sql

from allpfit import db
from allpfit.config import Settings, mask_url
from allpfit.errors import AllpfitError, LocalDatabaseError, SourceError
from allpfit.source import chatwoot, queries
from allpfit.sync import changes, control
from allpfit.sync.load import (
    MergeCounts,
    Progress,
    create_staging,
    delete_missing,
    merge,
    pipe_copy,
)

log = logging.getLogger(__name__)

Mode = Literal["incremental", "full"]
TRIGGERS = ("manual", "scheduler", "api", "demo")


@dataclass(frozen=True)
class SyncOptions:
    """What the extraction needs from the settings."""

    timezone: str = "America/Sao_Paulo"
    bot_user_ids: tuple[int, ...] = ()
    null_sender_is_bot: bool = True
    overlap: timedelta = timedelta(minutes=10)

    @classmethod
    def from_settings(cls, settings: Settings) -> SyncOptions:
        return cls(
            timezone=settings.timezone,
            bot_user_ids=tuple(settings.bot_sender_user_ids),
            null_sender_is_bot=settings.null_sender_is_bot,
            overlap=timedelta(minutes=settings.sync_overlap_minutes),
        )

    def params(self) -> dict[str, object]:
        return {
            "timezone": self.timezone,
            "bot_user_ids": list(self.bot_user_ids),
            "null_sender_is_bot": self.null_sender_is_bot,
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
    rows_deleted: int
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
) -> SyncResult:
    """Bring conversas_analytics up to date with the Chatwoot database at `source_url`."""
    options = options or SyncOptions()
    started = time.perf_counter()
    with db.connect(local_url, autocommit=True) as control_conn:
        control.acquire_lock(control_conn)
        try:
            stale = control.mark_interrupted(control_conn)
            if stale:
                log.warning("marked %d unfinished earlier run(s) as interrupted", stale)
            previous = control.last_watermark(control_conn)
            load_type: Mode = "full" if previous is None else mode
            run_id = control.start_run(control_conn, triggered_by=triggered_by, load_type=load_type)
            try:
                result = _run(
                    local_url, source_url, run_id, load_type, previous, options, progress, started
                )
            except BaseException as exc:
                message = _describe(exc, source_url)
                control.finish_failed(control_conn, run_id, message, time.perf_counter() - started)
                log.error("sync run %d failed: %s", run_id, message)
                if isinstance(exc, _SourceFailure):
                    raise SourceError(message, hint=_hint(exc.error)) from exc.error
                if isinstance(exc, psycopg.Error):
                    raise LocalDatabaseError(message, hint=_hint(exc)) from exc
                raise
        finally:
            control_conn.execute("SELECT pg_advisory_unlock(%s)", (control.SYNC_LOCK,))
    log.info("sync run %d: %s", result.run_id, asdict(result))
    return result


def _run(
    local_url: str,
    source_url: str,
    run_id: int,
    load_type: Mode,
    previous: datetime | None,
    options: SyncOptions,
    progress: Progress | None,
    started: float,
) -> SyncResult:
    with chatwoot.connect(source_url) as source, db.connect(local_url) as local:
        try:
            return _load(source, local, run_id, load_type, previous, options, progress, started)
        except psycopg.Error as exc:
            if exc.pgconn is source.pgconn:
                raise _SourceFailure(exc) from exc
            raise


class _SourceFailure(Exception):
    """A database error raised by the Chatwoot connection (not the local one)."""

    def __init__(self, error: psycopg.Error) -> None:
        super().__init__(str(error))
        self.error = error


def _load(
    source: psycopg.Connection,
    local: psycopg.Connection,
    run_id: int,
    load_type: Mode,
    previous: datetime | None,
    options: SyncOptions,
    progress: Progress | None,
    started: float,
) -> SyncResult:
    params = options.params()
    with source.transaction(), local.transaction():
        chatwoot.check_schema(source)
        naive_end = source.execute(queries.NOW_UTC).fetchone()[0]  # type: ignore[index]
        watermark_end = naive_end.replace(tzinfo=UTC)
        create_staging(local)
        if load_type == "full":
            scope, total = queries.ALL_CONVERSATIONS, None
        else:
            assert previous is not None
            since = previous.astimezone(UTC).replace(tzinfo=None) - options.overlap
            changes.copy_present_ids(source, local)
            ids = (
                changes.changed_ids(source, since)
                | changes.renamed_ids(source, local)
                | changes.unseen_ids(local)
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
        extract_seconds = time.perf_counter() - started
        load_started = time.perf_counter()
        if progress:
            progress("load", 0, None)
        counts: MergeCounts = merge(local, columns)
        if load_type == "full":
            counts.deleted = delete_missing(local, "staging")
        else:
            counts.deleted = delete_missing(local, "source_ids")
        load_seconds = time.perf_counter() - load_started
        result = SyncResult(
            run_id=run_id,
            load_type=load_type,
            watermark_start=previous,
            watermark_end=watermark_end,
            rows_extracted=extracted,
            rows_inserted=counts.inserted,
            rows_updated=counts.updated,
            rows_unchanged=counts.unchanged,
            rows_deleted=counts.deleted,
            extract_seconds=round(extract_seconds, 3),
            load_seconds=round(load_seconds, 3),
            total_seconds=round(time.perf_counter() - started, 3),
        )
        fields = asdict(result)
        del fields["run_id"]
        control.finish_success(local, run_id, **fields)
    return result


def _describe(exc: BaseException, source_url: str) -> str:
    if isinstance(exc, _SourceFailure):
        detail = _describe(exc.error, source_url)
        return f"Reading Chatwoot at {mask_url(source_url)} failed: {detail}"
    if isinstance(exc, AllpfitError):
        return exc.message
    if isinstance(exc, psycopg.Error):
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return f"{type(exc).__name__}: {text}"
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted by the user"
    return f"{type(exc).__name__}: {exc}"


def _hint(exc: psycopg.Error) -> str:
    if isinstance(exc, psycopg.errors.InsufficientPrivilege):
        return "Grant SELECT on the Chatwoot tables to the source user."
    if isinstance(exc, psycopg.OperationalError):
        return "Check that the Chatwoot database is reachable, then run again."
    return "Run again with --debug for details; the previous data is untouched."
