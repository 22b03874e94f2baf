"""What `allpfit status` and `allpfit monitor` report, and whether it is healthy.

Everything comes from the local audit tables (etl_control, analysis_runs, crm_sync_runs) plus
one cheap read of the source (its latest message and conversation change) to tell how far the
local data lags behind Chatwoot. Health is a list of problems: empty means healthy.

`stages` is the last run of each pipeline stage (sync, analysis, each CRM job), so a stage that
failed while the others went on (the pipeline runs them independently) is visible at a glance.
Every stored error message is masked again on the way out: rows written before masking was
complete must not show a password today.

Per tenant: `collect(tenant=...)` reports one tenant through a tenant session (row-level
security: its runs, its counts) and measures the lag against its own Chatwoot account and
inboxes; `collect_tenants` does that for every enabled tenant (or one), each a `Status` whose
`figures()` is the one-line summary to print. `collect()` without a tenant is the whole install
at once, as before tenants. `tenant_counts` counts the rows of every tenant at once, as the
owner, for tenant lists and the admin page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import AllpfitError
from allpfit.redaction import first_line, redact, secrets_in
from allpfit.source import chatwoot
from allpfit.source.queries import SCOPE, scope_params
from allpfit.tenant_budget import MonthSpend, month_spend
from allpfit.tenants import Tenant, select_tenants
from allpfit.webhooks.inbox import Backlog, backlog

EXIT_FAILED = 1
EXIT_STALE = 6
BAD = ("failed", "refused")  # run statuses that are a problem (see allpfit.runs)
CRM_STAGES = {"evo": "CRM sync (EVO)", "excel": "CRM import (Excel)", "match": "CRM match"}

TABLES = (
    "conversas_analytics",
    "conversas_analytics_ai",
    "crm_customers",
    "conversas_crm_match_real",
)
# Chatwoot's latest change within a tenant's scope (messages carry their account and inbox).
SOURCE_LATEST = f"""
SELECT GREATEST(
    (SELECT max(m.created_at) FROM messages m
     WHERE (%(account_id)s::integer IS NULL OR m.account_id = %(account_id)s::integer)
       AND (cardinality(%(inbox_ids)s::integer[]) = 0
            OR m.inbox_id = ANY(%(inbox_ids)s::integer[]))),
    (SELECT max(c.updated_at) FROM conversations c WHERE {SCOPE})) AT TIME ZONE 'UTC'
"""


@dataclass(frozen=True)
class Stage:
    """The last run of one pipeline stage."""

    name: str
    status: str  # running, success, failed, refused, interrupted
    at: datetime | None  # when it finished (started, if it has not)
    error: str | None = None

    @property
    def bad(self) -> bool:
        return self.status in BAD


@dataclass
class Status:
    now: datetime
    runs: list[dict[str, Any]]
    last_success: dict[str, Any] | None
    counts: dict[str, int]
    analysis: dict[str, Any]
    crm: list[dict[str, Any]]
    source_latest: datetime | None = None
    source_error: str | None = None
    stages: list[Stage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    exit_code: int = 0
    tenant: Tenant | None = None  # None: the default tenant, as before tenants existed
    webhooks: Backlog | None = None  # the webhook inbox (pending events, last event)
    spend: MonthSpend | None = None  # the tenant's LLM spend this month in R$ (tenant_budget)

    def figures(self) -> dict[str, Any]:
        """One tenant's summary as plain data (`allpfit status`, the admin page): the last
        sync (end, status), the lag behind its Chatwoot account, row counts, problems."""
        last = self.runs[0] if self.runs else None
        return {
            "tenant": self.tenant.slug if self.tenant else "default",
            "name": self.tenant.name if self.tenant else "Default",
            "last_sync_at": (last["finished_at"] or last["started_at"]) if last else None,
            "last_sync_status": last["status"] if last else None,
            "last_success_at": self.last_success["finished_at"] if self.last_success else None,
            "lag": self.lag,
            "counts": dict(self.counts),
            "analysis_cost_usd_30d": self.analysis.get("cost_usd"),
            "llm_spent_brl": self.spend.spent_brl if self.spend else None,
            "llm_projection_brl": self.spend.projection_brl if self.spend else None,
            "llm_budget_brl": self.spend.budget_brl if self.spend else None,
            "webhook_lag": self.webhook_lag,
            "webhook_pending": self.webhooks.pending if self.webhooks else 0,
            "last_webhook_at": self.webhooks.last_event_at if self.webhooks else None,
            "last_webhook_event": self.webhooks.last_event if self.webhooks else None,
            "problems": list(self.problems),
            "exit_code": self.exit_code,
        }

    @property
    def webhook_lag(self) -> timedelta | None:
        """The age of the oldest webhook event not yet processed (None: none waiting)."""
        if self.webhooks is None or self.webhooks.oldest_pending_at is None:
            return None
        return max(timedelta(0), self.now - self.webhooks.oldest_pending_at)

    @property
    def lag(self) -> timedelta | None:
        """How far Chatwoot's latest change is ahead of what the last sync saw."""
        if self.source_latest is None or self.last_success is None:
            return None
        return max(timedelta(0), self.source_latest - self.last_success["watermark_end"])


def collect(
    local_url: str,
    *,
    source_url: str | None,
    max_age: timedelta,
    now: datetime | None = None,
    tenant: Tenant | None = None,
    scope: tuple[int | None, Sequence[int]] = (None, ()),
) -> Status:
    """The status of `tenant`, read through its tenant session; `scope` is its Chatwoot
    account and inboxes (`Tenant.scope(settings)`) for the lag. Without a tenant: the whole
    install, every tenant's rows together (the owner's view, as before tenants existed)."""
    now = now or datetime.now(UTC)
    opened = (
        db.connect(local_url)
        if tenant is None
        else db.tenant_connection(local_url, tenant.id, role="reader")
    )
    with opened as conn, conn.cursor(row_factory=dict_row) as cur:
        runs = cur.execute(
            """SELECT id, started_at, finished_at, triggered_by, load_type, status,
                      rows_extracted, rows_inserted, rows_updated, rows_deleted,
                      extract_seconds, load_seconds, total_seconds, watermark_end, error_message
               FROM etl_control ORDER BY id DESC LIMIT 5"""
        ).fetchall()
        # The periodic sync's (a webhook refresh re-reads a few conversations: no watermark).
        last_success = cur.execute(
            """SELECT id, finished_at, watermark_end FROM etl_control
               WHERE status = 'success' AND load_type <> 'webhook' ORDER BY id DESC LIMIT 1"""
        ).fetchone()
        hooks = backlog(conn)
        counts = {
            table: int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]
            for table in TABLES
        }
        analysis = (
            cur.execute(
                """SELECT
                 (SELECT max(finished_at) FROM analysis_runs) AS last_run_at,
                 sum(conversations_analyzed) AS analyzed,
                 sum(conversations_failed) AS failed,
                 sum(cost_usd) AS cost_usd,
                 sum(prompt_tokens + completion_tokens) AS tokens,
                 (SELECT count(*) FROM analysis_failures) AS failing_now
               FROM analysis_runs WHERE started_at >= now() - interval '30 days'"""
            ).fetchone()
            or {}
        )
        crm = cur.execute(
            """SELECT DISTINCT ON (kind) kind, status, finished_at, rows_read, rows_written,
                      rows_rejected, error_message
               FROM crm_sync_runs ORDER BY kind, id DESC"""
        ).fetchall()
        last_analysis = cur.execute(
            """SELECT status, coalesce(finished_at, started_at) AS at, error_message
               FROM analysis_runs ORDER BY id DESC LIMIT 1"""
        ).fetchone()
    secrets = secrets_in(local_url) + (secrets_in(source_url) if source_url else [])
    for row in [*runs, *crm]:
        if row["error_message"]:
            row["error_message"] = first_line(redact(row["error_message"], secrets))
    status = Status(
        now, runs, last_success, counts, dict(analysis), crm, tenant=tenant, webhooks=hooks
    )
    if runs:
        first = runs[0]
        at = first["finished_at"] or first["started_at"]
        status.stages.append(Stage("sync", first["status"], at, first["error_message"]))
    if last_analysis:
        error = last_analysis["error_message"]
        error = first_line(redact(error, secrets)) if error else None
        status.stages.append(Stage("analysis", last_analysis["status"], last_analysis["at"], error))
    for run in crm:
        name = CRM_STAGES.get(run["kind"], f"CRM {run['kind']}")
        status.stages.append(Stage(name, run["status"], run["finished_at"], run["error_message"]))
    if source_url is not None:
        try:
            with chatwoot.connect(source_url) as source:
                latest = source.execute(SOURCE_LATEST, scope_params(*scope)).fetchone()
            status.source_latest = latest[0].replace(tzinfo=UTC) if latest and latest[0] else None
        except (AllpfitError, psycopg.Error) as exc:
            text = getattr(exc, "message", None) or str(exc)
            status.source_error = first_line(redact(text, secrets)) or type(exc).__name__
    judge(status, max_age)
    return status


def collect_tenants(
    local_url: str,
    settings: Settings,
    *,
    source_url: str | None,
    max_age: timedelta,
    slug: str | None = None,
    now: datetime | None = None,
) -> list[Status]:
    """`collect` for every enabled tenant (or the one named `slug`), in id order, each with
    its LLM spend of the month in reais (per day, projection, budget: `tenant_budget`). The
    exit code of the whole is `exit_code_of(...)`."""
    with db.connect(local_url) as conn:
        chosen = select_tenants(conn, slug)
    statuses = [
        collect(
            local_url,
            source_url=source_url,
            max_age=max_age,
            now=now,
            tenant=tenant,
            scope=tenant.scope(settings),
        )
        for tenant in chosen
    ]
    with db.connect(local_url) as conn:
        for one in statuses:
            assert one.tenant is not None
            one.spend = month_spend(conn, one.tenant, settings, now)
            if one.spend.reached and one.spend.budget_brl is not None:
                one.problems.append(  # no exit code of its own: the failed analysis has one
                    f"the monthly LLM budget (R$ {one.spend.budget_brl:.2f}) is spent: its "
                    "analysis is paused until next month"
                )
    return statuses


def exit_code_of(statuses: Sequence[Status]) -> int:
    """1 when any tenant has a failed stage, else 6 when any is stale, else 0."""
    codes = {s.exit_code for s in statuses}
    return EXIT_FAILED if EXIT_FAILED in codes else max(codes, default=0)


def tenant_counts(local_url: str) -> dict[int, dict[str, int]]:
    """Rows of TABLES per tenant id, for every tenant at once (owner connection: cross-tenant
    work names tenant_id). Tenants without rows are absent."""
    counts: dict[int, dict[str, int]] = {}
    with db.connect(local_url) as conn:
        for table in TABLES:
            for tenant_id, count in conn.execute(
                f"SELECT tenant_id, count(*) FROM {table} GROUP BY tenant_id"
            ):
                counts.setdefault(int(tenant_id), {t: 0 for t in TABLES})[table] = int(count)
    return counts


def judge(status: Status, max_age: timedelta) -> None:
    """Fill `problems` and `exit_code`: the last run of any stage failed or was refused → 1;
    stale or never synced → 6."""
    for stage in status.stages:
        if stage.bad:
            verb = "was refused" if stage.status == "refused" else "failed"
            status.problems.append(f"the last {stage.name} {verb}: {stage.error or 'no detail'}")
            status.exit_code = EXIT_FAILED
    if status.last_success is None:
        status.problems.append("no sync has succeeded yet")
        status.exit_code = status.exit_code or EXIT_STALE
        return
    age = status.now - status.last_success["finished_at"]
    if age > max_age:
        status.problems.append(
            f"the last successful sync finished {_minutes(age)} ago (limit {_minutes(max_age)})"
        )
        status.exit_code = status.exit_code or EXIT_STALE
    lag = status.lag
    if lag is not None and lag > max_age:
        status.problems.append(f"Chatwoot has changes {_minutes(lag)} newer than the local data")
        status.exit_code = status.exit_code or EXIT_STALE
    if status.source_error:
        status.problems.append(f"Chatwoot could not be read: {status.source_error}")


def _minutes(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
