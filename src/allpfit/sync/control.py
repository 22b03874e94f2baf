"""The sync's run ledger (etl_control), its watermark, and the installation it syncs from.

The watermark is the `watermark_end` of the latest successful run: the source's clock at the
start of that run's snapshot. Runs are recorded by the one run ledger (allpfit.runs): a run's
row is inserted as 'running' on its own connection and set to 'success' by the same transaction
that writes the data, so a run killed at any moment leaves the previous watermark in force and
the next run redoes the work.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from allpfit.runs import Ledger

SYNC_LOCK = 7_300_002  # pg_advisory_lock key held for the whole of a sync run

SYNC_RUNS = Ledger(
    table="etl_control",
    lock_key=SYNC_LOCK,
    job="sync",
    busy="Another sync is already running",
    holder_detail=True,
)


def last_watermark(conn: psycopg.Connection) -> datetime | None:
    """The watermark of the periodic sync. A webhook refresh (load_type 'webhook') re-reads only
    the conversations events named, so its source clock says nothing about the others: it is
    never a watermark."""
    row = conn.execute(
        "SELECT watermark_end FROM etl_control WHERE status = 'success' "
        "AND load_type <> 'webhook' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None


def last_success_at(conn: psycopg.Connection) -> datetime | None:
    """When the periodic sync last finished well: the "data updated at" the dashboard shows.
    Webhook refreshes are left out for the reason `last_watermark` gives: they re-read a few
    conversations, not the tenant's data."""
    row = conn.execute(
        "SELECT finished_at FROM etl_control WHERE status = 'success' "
        "AND load_type <> 'webhook' ORDER BY id DESC LIMIT 1"
    ).fetchone()
    return row[0] if row else None
