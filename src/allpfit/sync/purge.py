"""`allpfit etl purge-deleted`: remove, on purpose, conversations Chatwoot deleted long ago.

A sync only marks a vanished conversation (`deleted_in_source_at`); this is the one place that
deletes them. Their dependants (AI profile, analysis failure, CRM match) are deleted explicitly,
named and counted, in the same transaction: the foreign keys no longer cascade, so nothing paid
for disappears as a side effect. It holds the sync's lock, so a sync cannot unmark a row while
it is being purged. Per tenant, like the sync: the tenant's lock, a tenant session (row-level
security keeps every other tenant's rows out of reach).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta

import psycopg
from psycopg import sql

from allpfit import db
from allpfit.errors import InputError
from allpfit.sync.control import SYNC_RUNS
from allpfit.tenants import Tenant

# Children first: each table that references conversas_analytics(conversation_id).
DEPENDANTS = ("conversas_crm_match_real", "analysis_failures", "conversas_analytics_ai")
_AGE = re.compile(r"^\s*(\d{1,6})\s*([dhm])\s*$", re.IGNORECASE)
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MAX_AGE = timedelta(days=36_500)


@dataclass
class PurgeResult:
    older_than: timedelta
    dry_run: bool
    conversations: int = 0
    dependants: dict[str, int] = field(default_factory=dict)


def parse_age(text: str) -> timedelta:
    """'90d', '12h' or '30m' as a timedelta; anything else is a clear InputError."""
    match = _AGE.match(text)
    if match is None:
        raise InputError(
            f"Cannot read the age {text!r}.",
            hint="Give a whole number of days, hours or minutes: e.g. 90d, 12h or 30m.",
        )
    age = timedelta(**{_UNITS[match.group(2).lower()]: int(match.group(1))})
    if age > MAX_AGE:
        raise InputError(f"The age {text!r} is more than 100 years.", hint="Use e.g. 90d.")
    return age


def purge_deleted(
    local_url: str,
    older_than: timedelta,
    *,
    dry_run: bool = False,
    tenant: Tenant | None = None,
) -> PurgeResult:
    """Delete `tenant`'s conversations (default: the default tenant's) marked deleted in
    Chatwoot more than `older_than` ago, and their dependants, in one transaction; with
    `dry_run`, count them and change nothing."""
    result = PurgeResult(older_than, dry_run)
    tenant = db.resolve_tenant(local_url, tenant)
    with (
        SYNC_RUNS.locked(local_url, tenant_id=tenant.id),
        db.tenant_connection(local_url, tenant.id) as conn,
        conn.transaction(),
    ):
        ids = [
            int(r[0])
            for r in conn.execute(
                """SELECT conversation_id FROM conversas_analytics
                       WHERE deleted_in_source_at < now() - %s
                       ORDER BY conversation_id FOR UPDATE""",
                (older_than,),
            )
        ]
        result.conversations = len(ids)
        for table in DEPENDANTS:
            result.dependants[table] = _delete(conn, table, ids, count_only=dry_run)
        _delete(conn, "conversas_analytics", ids, count_only=dry_run)
        if dry_run:
            raise psycopg.Rollback()  # leaves the block, nothing changed
    return result


def _delete(conn: psycopg.Connection, table: str, ids: list[int], *, count_only: bool) -> int:
    """Delete (or, with `count_only`, count) the rows of `table` for these conversations."""
    if count_only:
        query = "SELECT count(*) FROM {} WHERE conversation_id = ANY(%s)"
    else:
        query = (
            "WITH gone AS (DELETE FROM {} WHERE conversation_id = ANY(%s) RETURNING 1) "
            "SELECT count(*) FROM gone"
        )
    row = conn.execute(sql.SQL(query).format(sql.Identifier(table)), (ids,)).fetchone()
    return int(row[0]) if row else 0
