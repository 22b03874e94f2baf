"""Tenant benchmark: ten tenants' syncs against one big tenant's, and RLS against the owner.

    .venv/bin/python bench/tenants.py                 # 10 tenants x 10,000 vs 1 x 100,000
    .venv/bin/python bench/tenants.py --scale 0.1     # 10 x 1,000 vs 1 x 10,000 (a quick check)

Everything runs on a private embedded PostgreSQL in a temporary folder:

1. the demo generator writes one Chatwoot of `--tenants` accounts (default 10) sharing
   100,000 x `--scale` conversations evenly (timed, not part of any ratio), then VACUUM;
2. sync, the same conversations both ways, in freshly migrated local databases:
   - baseline: ONE tenant reading every account (the default tenant, zero configuration), one
     full `run_sync`;
   - ten tenants, one per account, each its own full `run_sync` one after the other (as the
     pipeline runs them), each through its row-level-security connection;
   alternated `--repeat` times, the best of each kept (the machine is shared). Target: the ten
   within 1.2x the one. Then an incremental run with nothing changed, both ways (no target:
   each tenant's change detection scans Chatwoot's messages on its own);
3. dashboard queries (the overview, daily results, conversions and leads pages' queries) on
   the one-tenant database after a rule analysis: as the tables' owner (no row-level security)
   against the same queries through `db.tenant_connection(role="reader")`, which sees the same
   rows through the RLS policy. Both give the same answers (checked); the median of `--runs`
   runs each, alternated. Target: RLS within 1.2x the owner. Also, for scale, the same queries
   as the reader of one tenant among ten (a tenth of the rows), and the cost of opening each
   kind of connection (the dashboard opens one per query).

Prints figures and PASS/FAIL markers; no timed asserts; exits 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psycopg
from rich.console import Console
from rich.table import Table

from allpfit import db
from allpfit.analysis.run import run_analysis
from allpfit.config import Settings
from allpfit.dashboard import queries
from allpfit.dashboard.queries import LeadFilters
from allpfit.demo.generator import generate
from allpfit.embedded import server_url, stop, with_database
from allpfit.sync.run import SyncResult, run_sync
from allpfit.tenants import Tenant, TenantChanges, add_tenant, edit_tenant, get_tenant

sys.path.insert(0, str(Path(__file__).resolve().parent))
from sync import fresh_local, settle  # noqa: E402  (bench/sync.py: one definition of each)

PER_TENANT = 10_000
SYNC_TARGET = 1.2
RLS_TARGET = 1.2
TZ = ZoneInfo("America/Sao_Paulo")
console = Console(width=130)

Query = Callable[[psycopg.Connection], Any]


def mark(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]FAIL[/]"


def make_tenants(local_url: str, count: int) -> list[Tenant]:
    """One tenant per generated account, the catch-all default tenant disabled."""
    with db.connect(local_url, autocommit=True) as conn:
        made = [
            add_tenant(conn, f"t{k:02d}", TenantChanges(name=f"Business {k}", account_id=k))
            for k in range(1, count + 1)
        ]
        edit_tenant(conn, "default", TenantChanges(enabled=False))
    return made


def timed_sync(local_url: str, source_url: str, mode: str, tenant: Tenant | None) -> SyncResult:
    return run_sync(local_url, source_url, mode=mode, triggered_by="manual", tenant=tenant)  # type: ignore[arg-type]


def sync_round(
    admin: str, source_url: str, round_no: int, count: int
) -> tuple[float, float, list[float], str, str, list[Tenant]]:
    """One full sync of everything as one tenant, and as `count` tenants (fresh databases)."""
    single_url = fresh_local(admin, f"single_{round_no}")
    multi_url = fresh_local(admin, f"multi_{round_no}")
    tenants = make_tenants(multi_url, count)
    started = time.perf_counter()
    timed_sync(single_url, source_url, "full", None)
    single = time.perf_counter() - started
    each = []
    for tenant in tenants:
        started = time.perf_counter()
        timed_sync(multi_url, source_url, "full", tenant)
        each.append(time.perf_counter() - started)
    return single, sum(each), each, single_url, multi_url, tenants


def counts(local_url: str) -> list[tuple[int, int]]:
    with db.connect(local_url) as conn:
        return [
            (int(t), int(n))
            for t, n in conn.execute(
                "SELECT tenant_id, count(*) FROM conversas_analytics GROUP BY 1 ORDER BY 1"
            ).fetchall()
        ]


def dashboard_queries(today: date) -> list[tuple[str, Query]]:
    """The queries the dashboard's pages run (queries.py), over the generated period."""
    start, end = today - timedelta(days=59), today
    plain = LeadFilters(start, end)
    narrowed = LeadFilters(start, end, name="ana", probabilities=(3, 4, 5))
    return [
        ("overview KPIs", lambda c: queries.overview_kpis(c, start, end)),
        ("leads per day", lambda c: queries.leads_per_day(c, start, end)),
        ("by period of day", lambda c: queries.conversations_by_period(c, start, end)),
        ("funnel", lambda c: queries.funnel(c, start, end)),
        ("conversion by score", lambda c: queries.conversion_by_score(c, start, end)),
        ("daily results", lambda c: queries.daily_results(c, today)),
        ("conversions summary", lambda c: queries.conversions_summary(c, start, end)),
        ("leads page 1", lambda c: queries.leads_page(c, plain, 1)),
        ("leads, name + score filter", lambda c: queries.leads_page(c, narrowed, 1)),
    ]


def comparable(value: Any) -> Any:
    """A query's answer in a form == can compare (DataFrames included)."""
    if hasattr(value, "to_dict"):
        return value.to_dict("list")
    if hasattr(value, "rows") and hasattr(value, "total"):
        return comparable(value.rows), value.total
    return value


def median_seconds(conn: psycopg.Connection, query: Query, runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        query(conn)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def connect_seconds(opener: Callable[[], psycopg.Connection], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        conn = opener()
        conn.execute("SELECT 1")
        times.append(time.perf_counter() - started)
        conn.close()
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of 10 x 10,000 conversations"
    )
    parser.add_argument("--tenants", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=2, help="sync rounds (best is kept)")
    parser.add_argument("--runs", type=int, default=5, help="runs per query (median is kept)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    if not 0 < args.scale <= 10 or not 2 <= args.tenants <= 50:
        parser.error("--scale must be in (0, 10] and --tenants in 2..50")
    per_tenant = max(1, round(PER_TENANT * args.scale))
    total = per_tenant * args.tenants
    today = datetime.now(TZ).date()

    with tempfile.TemporaryDirectory(prefix="allpfit-bench-tenants-") as tmp:
        data_dir = Path(tmp) / "data"
        admin = server_url(data_dir)
        try:
            db.ensure_database(admin, "bench_source")
            source_url = with_database(admin, "bench_source")
            console.print(
                f"Generating {total:,} conversations in {args.tenants} Chatwoot accounts..."
            )
            started = time.perf_counter()
            stats = generate(source_url, conversations=total, seed=args.seed, accounts=args.tenants)
            gen_s = time.perf_counter() - started
            console.print(f"  {stats.messages:,} messages in {gen_s:.1f}s")
            settle(source_url)

            rounds = []
            for attempt in range(args.repeat):
                rounds.append(sync_round(admin, source_url, attempt, args.tenants))
                single, multi = rounds[-1][:2]
                console.print(f"  round {attempt + 1}: one tenant {single:.2f}s, ten {multi:.2f}s")
            best_single = min(r[0] for r in rounds)
            best_multi = min(r[1] for r in rounds)
            _, _, each, single_url, multi_url, tenants = rounds[-1]
            single_counts, multi_counts = counts(single_url), counts(multi_url)
            assert single_counts == [(1, total)], single_counts
            assert [n for _, n in multi_counts] == [per_tenant] * args.tenants, multi_counts

            started = time.perf_counter()
            idle_read = timed_sync(single_url, source_url, "incremental", None).rows_extracted
            idle_single = time.perf_counter() - started
            started = time.perf_counter()
            idle_multi_read = sum(
                timed_sync(multi_url, source_url, "incremental", tenant).rows_extracted
                for tenant in tenants
            )
            idle_multi = time.perf_counter() - started

            console.print("Rule analysis of the leads (not timed)...")
            settings = Settings(_env_file=None, data_dir=data_dir)  # type: ignore[call-arg]
            run_analysis(single_url, settings, provider="rules")
            with db.connect(multi_url) as conn:
                first = get_tenant(conn, tenants[0].slug)
            run_analysis(multi_url, settings, provider="rules", tenant=first)
            for url in (single_url, multi_url):
                with psycopg.connect(url, autocommit=True) as conn:
                    conn.execute("VACUUM ANALYZE")

            rows = []
            with (
                db.connect(single_url, autocommit=True) as owner,
                db.tenant_connection(single_url, 1, role="reader", autocommit=True) as reader,
                db.tenant_connection(multi_url, first.id, role="reader", autocommit=True) as one,
            ):
                role = reader.execute("SELECT current_user").fetchone()
                assert role == ("allpfit_reader",), role  # RLS applies: not the owner
                for name, query in dashboard_queries(today):
                    assert comparable(query(owner)) == comparable(query(reader)), name
                    query(one)  # warm
                    owner_s, reader_s = [], []
                    for _ in range(2):  # alternated, in case the machine is busy
                        owner_s.append(median_seconds(owner, query, args.runs))
                        reader_s.append(median_seconds(reader, query, args.runs))
                    rows.append(
                        (name, min(owner_s), min(reader_s), median_seconds(one, query, args.runs))
                    )
            connect_owner = connect_seconds(lambda: db.connect(single_url), args.runs * 2)
            connect_reader = connect_seconds(
                lambda: db.tenant_connection(single_url, 1, role="reader"), args.runs * 2
            )
        finally:
            stop(data_dir)

    sync_ratio = best_multi / best_single
    table = Table(
        title=f"Sync: {args.tenants} tenants x {per_tenant:,} conversations against one tenant "
        f"of {total:,} (scale {args.scale:g}, {stats.messages:,} messages)"
    )
    for col in ("step", "seconds", "rows/s", "vs target", ""):
        table.add_column(col, justify="right" if col in ("seconds", "rows/s") else "left")
    table.add_row("generate source (not in ratios)", f"{gen_s:.2f}", "", "", "")
    singles = "/".join(f"{r[0]:.1f}" for r in rounds)
    multis = "/".join(f"{r[1]:.1f}" for r in rounds)
    table.add_row(
        f"one tenant, every account, full (best of {singles})",
        f"{best_single:.2f}",
        f"{total / best_single:,.0f}",
        "baseline",
        "",
    )
    table.add_row(
        f"{args.tenants} tenants one after the other, full (best of {multis})",
        f"{best_multi:.2f}",
        f"{total / best_multi:,.0f}",
        f"ratio {sync_ratio:.2f} <= {SYNC_TARGET}",
        mark(sync_ratio <= SYNC_TARGET),
    )
    table.add_row(
        "  one tenant's full sync, last round (min / median / max)",
        f"{min(each):.2f} / {statistics.median(each):.2f} / {max(each):.2f}",
        "",
        "",
        "",
    )
    table.add_row(
        f"one tenant, incremental, nothing changed ({idle_read:,} rows re-read)",
        f"{idle_single:.2f}",
        "",
        "",
        "",
    )
    table.add_row(
        f"{args.tenants} tenants, incremental, nothing changed ({idle_multi_read:,} re-read)",
        f"{idle_multi:.2f}",
        "",
        f"ratio {idle_multi / idle_single:.2f} (no target)",
        "",
    )
    console.print(table)

    owner_total = sum(r[1] for r in rows)
    reader_total = sum(r[2] for r in rows)
    one_total = sum(r[3] for r in rows)
    rls_ratio = reader_total / owner_total
    table = Table(
        title=f"Dashboard queries on {total:,} conversations of one tenant: the tables' owner "
        f"against row-level security (median of {args.runs}, milliseconds)"
    )
    for col in ("query", "owner", "RLS reader", "ratio", f"reader, 1 of {args.tenants} tenants"):
        table.add_column(col, justify="left" if col == "query" else "right")
    for name, owner_s, reader_s, one_s in rows:
        table.add_row(
            name,
            f"{owner_s * 1000:.1f}",
            f"{reader_s * 1000:.1f}",
            f"{reader_s / owner_s:.2f}",
            f"{one_s * 1000:.1f}",
        )
    table.add_row(
        "all of them",
        f"{owner_total * 1000:.1f}",
        f"{reader_total * 1000:.1f}",
        f"{rls_ratio:.2f} <= {RLS_TARGET} {mark(rls_ratio <= RLS_TARGET)}",
        f"{one_total * 1000:.1f}",
    )
    table.add_row(
        "opening a connection (+ SELECT 1)",
        f"{connect_owner * 1000:.1f}",
        f"{connect_reader * 1000:.1f}",
        f"{connect_reader / connect_owner:.2f}",
        "",
    )
    n = len(rows)
    paged_owner = owner_total + n * connect_owner
    paged_reader = reader_total + n * connect_reader
    table.add_row(
        f"as the dashboard runs them: {n} queries, a connection each",
        f"{paged_owner * 1000:.1f}",
        f"{paged_reader * 1000:.1f}",
        f"{paged_reader / paged_owner:.2f} <= {RLS_TARGET} "
        f"{mark(paged_reader / paged_owner <= RLS_TARGET)}",
        "",
    )
    console.print(table)
    console.print(
        "Every query gave the owner and the RLS reader the same answer. The owner's queries have "
        "no tenant predicate at all, so they cannot use the tenant-leading indexes the policy's "
        "predicate (tenant_id = the session's tenant) lets the reader use."
    )


if __name__ == "__main__":
    main()
