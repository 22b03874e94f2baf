"""Live benchmark: does refreshing 100 changed conversations cost the same at any history size?

    .venv/bin/python bench/live.py                          # 100,000 vs 1,000,000 conversations
    .venv/bin/python bench/live.py --scale 0.1              # 10,000 vs 100,000, a quicker run
    .venv/bin/python bench/live.py --quick                  # 5,000 vs 50,000, a fast check
    .venv/bin/python bench/live.py --with-sync              # also the whole `run_sync` refresh

Everything runs on a private embedded PostgreSQL in a temporary folder. For each scale:

1. generate a Chatwoot (timed, not in any ratio), history ending two days ago, then VACUUM it
   as a live database is: a template of 5,000 conversations from the demo generator copied
   set-based inside PostgreSQL (bench/bulk_chatwoot.py), so 1,000,000 take minutes, not an
   hour;
2. change 100 conversations the way Chatwoot would (half get a new incoming message with the
   conversation bumped, a quarter a CSAT answer, a quarter a renamed contact, both without
   touching conversations.updated_at: the SQL of bench/sync.py);
3. refresh, the Chatwoot side of an incremental run: change detection since the moment before
   the changes (sync/changes.changed_ids) plus extraction of the conversations it finds, read
   to the end on a read-only session. Best of `--repeat`, WITHOUT the optional indexes;
4. create the optional indexes (source/indexes.py, what `allpfit source index` prints), timed
   and sized, then the same refresh WITH them;
5. the write overhead the indexes cost Chatwoot: inserting `--writes` messages with and without
   them (best of `--repeat`, rolled back, then VACUUMed);
6. with `--with-sync`: a full sync into a fresh local database, then `run_sync` incremental
   after 100 more changes: the whole refresh, local side included.

Then, unless `--no-webhooks`: event-to-row latency. A Chatwoot of `--hook-conversations`
conversations is fully synced, the webhook receiver (allpfit.webhooks, its worker in the same
process, as `allpfit webhooks serve` runs it) listens under uvicorn on 127.0.0.1, and for
`--seconds` seconds, `--rate` times a second, one conversation gets a new message in Chatwoot
followed by a signed `message_created` delivery. A poller (every 20 ms) notes when each
conversation's local row has moved; latency = that moment minus the send. p50 and p95.

Then, unless `--no-api`: API backfill speed. A Chatwoot of `--api-conversations` conversations
is served by the fake Chatwoot API (tests/fakes/chatwoot_api.py) answering each request after
50 ms (`--api-latency`), and a tenant with `source = api` backfills its mirror through the real
client (allpfit.source.api_client, `--api-rpm` requests a minute, default unthrottled: the
product's default CHATWOOT_API_REQUESTS_PER_MINUTE would make the limiter, not the latency, the
measure). Rows written per second (conversations, messages, contacts) and requests per second.

Printed: each figure, and the large/small ratio with and without the indexes (target <= 1.5x
with them). The script asserts nothing about time; it exits 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from rich.console import Console
from rich.table import Table

from allpfit import db
from allpfit.demo.generator import generate
from allpfit.embedded import server_url, with_database
from allpfit.source import chatwoot, indexes, queries
from allpfit.sync import changes
from allpfit.sync.run import SyncOptions, run_sync
from bulk_chatwoot import bulk_generate  # bench/bulk_chatwoot.py
from sync import CSAT_ANSWERS, NEW_MESSAGES, RENAMES, fresh_local  # bench/sync.py

RATIO_TARGET = 1.5
CHANGED = 100
console = Console(width=130)

INSERT_MESSAGES = """
INSERT INTO messages (content, account_id, inbox_id, conversation_id, message_type,
                      created_at, updated_at, sender_type, sender_id)
SELECT 'oi', account_id, inbox_id, id, 0, now(), now(), 'Contact', contact_id
FROM conversations ORDER BY id LIMIT %(k)s
"""


@dataclass
class Scale:
    conversations: int
    messages: int = 0
    generate_s: float = 0.0
    found: int = 0
    extracted: int = 0
    refresh_without: list[float] = field(default_factory=list)
    refresh_with: list[float] = field(default_factory=list)
    index_build_s: float = 0.0
    index_bytes: dict[str, int] = field(default_factory=dict)
    table_bytes: int = 0
    writes_without: float = 0.0
    writes_with: float = 0.0
    server_without: tuple[float, float] = (0.0, 0.0)
    server_with: tuple[float, float] = (0.0, 0.0)
    seq_scans_without: list[str] = field(default_factory=list)
    seq_scans_with: list[str] = field(default_factory=list)
    sync_full_s: float | None = None
    sync_incremental_s: float | None = None
    sync_incremental_rows: int = 0


def change(source_url: str, k: int) -> None:
    """Change `k` conversations as Chatwoot would (see the module docstring)."""
    with psycopg.connect(source_url) as conn, conn.transaction():
        conn.execute(NEW_MESSAGES, {"k": k // 2})
        conn.execute(CSAT_ANSWERS, {"k": k // 4})
        conn.execute(RENAMES, {"k": k - k // 2 - k // 4})


def source_now(source_url: str) -> datetime:
    with psycopg.connect(source_url) as conn:
        return conn.execute(queries.NOW_UTC).fetchone()[0]  # type: ignore[index]


def refresh(source_url: str, since: datetime) -> tuple[float, int, int]:
    """Seconds, conversations found, rows extracted: the Chatwoot side of an incremental run."""
    options = SyncOptions()
    scope = options.scope()
    started = time.perf_counter()
    with chatwoot.connect(source_url) as source, source.transaction():
        ids = changes.changed_ids(source, since, scope)
        params = {**options.params(), "ids": sorted(ids)}
        rows = 0
        query = f"COPY ({queries.extraction(queries.LISTED_CONVERSATIONS)}) TO STDOUT"
        with source.cursor() as cur, cur.copy(query.encode(), params) as out:
            for chunk in out:
                rows += bytes(chunk).count(b"\n")
    return time.perf_counter() - started, len(ids), rows


def seq_scans(source_url: str, since: datetime) -> list[str]:
    """The tables change detection reads whole (EXPLAIN, the plan the sync gets)."""
    with psycopg.connect(source_url) as conn:
        plan = conn.execute(
            "EXPLAIN " + queries.changed_since(), {**SyncOptions().scope(), "since": since}
        ).fetchall()
    scanned = set()
    for (line,) in plan:
        if "Seq Scan on " in line:
            scanned.add(line.split("Seq Scan on ")[1].split()[0])
    return sorted(scanned)


def server_times(source_url: str, since: datetime) -> tuple[float, float]:
    """Milliseconds the server spends (EXPLAIN ANALYZE) on change detection and on extracting
    what it found: the refresh without connection and transfer overhead."""
    scope = SyncOptions().scope()
    with psycopg.connect(source_url, autocommit=True) as conn:
        ids = changes.changed_ids(conn, since, scope)
        detect = conn.execute(
            "EXPLAIN (ANALYZE, FORMAT JSON) " + queries.changed_since(), {**scope, "since": since}
        ).fetchone()[0][0]["Execution Time"]  # type: ignore[index]
        params = {**SyncOptions().params(), "ids": sorted(ids)}
        query = queries.extraction(queries.LISTED_CONVERSATIONS)
        text = psycopg.ClientCursor(conn).mogrify(query, params)  # literals, as COPY binds them
        explained = conn.execute(("EXPLAIN (ANALYZE, FORMAT JSON) " + text).encode()).fetchone()
        assert explained is not None
        extract = explained[0][0]["Execution Time"]
    return float(detect), float(extract)


def write_cost(source_url: str, k: int, repeat: int) -> float:
    """Best seconds to insert `k` messages (rolled back)."""
    best = float("inf")
    with psycopg.connect(source_url) as conn:
        for _ in range(repeat):
            started = time.perf_counter()
            conn.execute(INSERT_MESSAGES, {"k": k})
            best = min(best, time.perf_counter() - started)
            conn.rollback()
    return best


def build_indexes(source_url: str) -> tuple[float, dict[str, int], int]:
    started = time.perf_counter()
    with psycopg.connect(source_url, autocommit=True) as conn:
        indexes.apply(conn)
        build_s = time.perf_counter() - started
        conn.execute("ANALYZE")
        sizes = {
            ix.name: conn.execute("SELECT pg_relation_size(%s::regclass)", (ix.name,)).fetchone()[0]  # type: ignore[index]
            for ix in indexes.INDEXES
        }
        tables = conn.execute(
            "SELECT sum(pg_total_relation_size(relname::regclass)) FROM pg_class "
            "WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
        ).fetchone()[0]  # type: ignore[index]
    return build_s, sizes, int(tables)


def measure(admin: str, n: int, args: argparse.Namespace) -> Scale:
    scale = Scale(n)
    name = f"bench_live_{n}"
    db.ensure_database(admin, name)
    source_url = with_database(admin, name)
    console.print(f"Generating {n:,} conversations...")
    end = datetime.now(UTC) - timedelta(days=2)
    stats = bulk_generate(source_url, n, seed=args.seed, end=end)
    scale.generate_s = stats.seconds
    scale.messages = stats.messages
    console.print(
        f"  {stats.messages:,} messages in {scale.generate_s:.1f}s (template "
        f"{stats.template_s:.1f}, copies {stats.copy_s:.1f}, indexes {stats.index_s:.1f}, "
        f"vacuum {stats.vacuum_s:.1f})"
    )

    if args.with_sync:
        local_url = fresh_local(admin, f"bench_live_local_{n}")
        started = time.perf_counter()
        run_sync(local_url, source_url, mode="full")
        scale.sync_full_s = time.perf_counter() - started

    since = source_now(source_url)
    change(source_url, CHANGED)
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    scale.seq_scans_without = seq_scans(source_url, since)
    for _ in range(args.repeat):
        seconds, scale.found, scale.extracted = refresh(source_url, since)
        scale.refresh_without.append(seconds)
    scale.server_without = server_times(source_url, since)

    scale.index_build_s, scale.index_bytes, scale.table_bytes = build_indexes(source_url)
    scale.seq_scans_with = seq_scans(source_url, since)
    for _ in range(args.repeat):
        seconds, found, _rows = refresh(source_url, since)
        assert found == scale.found, (found, scale.found)  # the indexes change speed, not rows
        scale.refresh_with.append(seconds)
    scale.server_with = server_times(source_url, since)
    # Writes last: a rolled-back insert leaves dead rows with fresh timestamps, which change
    # detection would then visit; VACUUM clears them before anything else reads.
    scale.writes_with = write_cost(source_url, args.writes, args.repeat)
    with psycopg.connect(source_url, autocommit=True) as conn:
        for index in indexes.INDEXES:
            conn.execute(index.drop_sql().encode())
    scale.writes_without = write_cost(source_url, args.writes, args.repeat)
    with psycopg.connect(source_url, autocommit=True) as conn:
        indexes.apply(conn)
        conn.execute("VACUUM (ANALYZE) messages")

    if args.with_sync:
        change(source_url, CHANGED)
        started = time.perf_counter()
        result = run_sync(local_url, source_url, mode="incremental")
        scale.sync_incremental_s = time.perf_counter() - started
        scale.sync_incremental_rows = result.rows_extracted
    with psycopg.connect(admin, autocommit=True) as conn:  # free the disk before the next
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
    return scale


def report(small: Scale, large: Scale, args: argparse.Namespace) -> None:
    def best(values: list[float]) -> float:
        return min(values)

    table = Table(title=f"Refresh of {CHANGED} changed conversations (best of {args.repeat})")
    for col in ("", f"{small.conversations:,}", f"{large.conversations:,}", "large/small"):
        table.add_column(col, justify="left" if not col else "right")
    table.add_row("messages", f"{small.messages:,}", f"{large.messages:,}",
                  f"{large.messages / small.messages:.1f}x")  # fmt: skip
    table.add_row("generate (not in ratios)", f"{small.generate_s:.0f} s",
                  f"{large.generate_s:.0f} s", "")  # fmt: skip
    table.add_row("conversations found / rows read", f"{small.found} / {small.extracted}",
                  f"{large.found} / {large.extracted}", "")  # fmt: skip
    for label, attr in (("refresh WITHOUT indexes", "refresh_without"),
                        ("refresh WITH indexes", "refresh_with")):  # fmt: skip
        a, b = best(getattr(small, attr)), best(getattr(large, attr))
        ratio = b / a
        verdict = ""
        if attr == "refresh_with":
            ok = ratio <= RATIO_TARGET
            verdict = f" {'[green]PASS[/]' if ok else '[red]FAIL[/]'} (<= {RATIO_TARGET})"
        table.add_row(label, f"{a * 1000:.0f} ms", f"{b * 1000:.0f} ms",
                      f"{ratio:.2f}x{verdict}")  # fmt: skip
    for label, attr in (("  server: detect + extract, without", "server_without"),
                        ("  server: detect + extract, with", "server_with")):  # fmt: skip
        (d1, e1), (d2, e2) = getattr(small, attr), getattr(large, attr)
        table.add_row(label, f"{d1:.1f} + {e1:.1f} ms", f"{d2:.1f} + {e2:.1f} ms",
                      f"{(d2 + e2) / (d1 + e1):.2f}x")  # fmt: skip
    table.add_row("tables read whole, without", ", ".join(small.seq_scans_without) or "-",
                  ", ".join(large.seq_scans_without) or "-", "")  # fmt: skip
    table.add_row("tables read whole, with", ", ".join(small.seq_scans_with) or "-",
                  ", ".join(large.seq_scans_with) or "-", "")  # fmt: skip
    table.add_row("index build (CONCURRENTLY)", f"{small.index_build_s:.1f} s",
                  f"{large.index_build_s:.1f} s", "")  # fmt: skip
    for scale_index in indexes.INDEXES:
        table.add_row(f"  size {scale_index.name}",
                      f"{small.index_bytes[scale_index.name] / 2**20:.1f} MiB",
                      f"{large.index_bytes[scale_index.name] / 2**20:.1f} MiB", "")  # fmt: skip
    table.add_row("indexes / whole database",
                  f"{sum(small.index_bytes.values()) / small.table_bytes:.1%}",
                  f"{sum(large.index_bytes.values()) / large.table_bytes:.1%}", "")  # fmt: skip
    table.add_row(f"insert {args.writes:,} messages without / with",
                  f"{small.writes_without * 1000:.0f} / {small.writes_with * 1000:.0f} ms",
                  f"{large.writes_without * 1000:.0f} / {large.writes_with * 1000:.0f} ms",
                  "")  # fmt: skip
    if small.sync_incremental_s is not None and large.sync_incremental_s is not None:
        assert small.sync_full_s is not None and large.sync_full_s is not None
        table.add_row("full sync (setup)", f"{small.sync_full_s:.1f} s",
                      f"{large.sync_full_s:.1f} s", "")  # fmt: skip
        table.add_row("run_sync incremental, with indexes",
                      f"{small.sync_incremental_s * 1000:.0f} ms",
                      f"{large.sync_incremental_s * 1000:.0f} ms",
                      f"{large.sync_incremental_s / small.sync_incremental_s:.2f}x")  # fmt: skip
    console.print(table)
    for s in (small, large):
        runs = ", ".join(f"{v * 1000:.0f}" for v in s.refresh_without)
        runs_with = ", ".join(f"{v * 1000:.0f}" for v in s.refresh_with)
        console.print(
            f"{s.conversations:,}: refresh without [{runs}] ms, with [{runs_with}] ms "
            f"(median {statistics.median(s.refresh_with) * 1000:.0f} ms)"
        )


def webhook_latency(admin: str, tmp: Path, args: argparse.Namespace) -> dict[str, float]:
    """Event-to-row latency percentiles in seconds (see the module docstring)."""
    import json
    import os
    import threading
    import uuid

    import httpx
    import uvicorn
    from pydantic import SecretStr

    from allpfit.config import Settings
    from allpfit.tenants import get_tenant
    from allpfit.webhooks.app import make_app
    from allpfit.webhooks.credentials import set_secret_ref
    from allpfit.webhooks.signature import sign
    from allpfit.webhooks.worker import work

    n = args.hook_conversations
    events = args.rate * args.seconds
    if events > n:
        raise SystemExit(f"--hook-conversations must be at least rate x seconds ({events})")
    db.ensure_database(admin, "bench_hooks_source")
    source_url = with_database(admin, "bench_hooks_source")
    console.print(f"Webhooks: generating {n:,} conversations, full sync...")
    bulk_generate(source_url, n, seed=args.seed, end=datetime.now(UTC) - timedelta(days=2))
    local_url = fresh_local(admin, "bench_hooks_local")
    run_sync(local_url, source_url, mode="full")
    secret, env = uuid.uuid4().hex, "ALLPFIT_BENCH_WEBHOOK_SECRET"
    os.environ[env] = secret
    settings = Settings(
        _env_file=None,
        source_database_url=SecretStr(source_url),
        database_url=SecretStr(local_url),
        data_dir=tmp / "data",
    )
    with psycopg.connect(local_url, autocommit=True) as conn:
        set_secret_ref(conn, get_tenant(conn, "default"), f"env:{env}")
    with psycopg.connect(source_url) as conn:
        picked = conn.execute(
            "SELECT id, display_id, account_id, inbox_id, contact_id FROM conversations "
            "ORDER BY md5(id::text) LIMIT %s",
            (events,),
        ).fetchall()

    def run_worker(stop: threading.Event, wake: threading.Event) -> None:
        work(local_url, source_url, settings, stop=stop, wake=wake)

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(local_url, settings, worker=run_worker),
            host="127.0.0.1",
            port=port,
            log_level="warning",
        )  # fmt: skip
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    while not server.started:
        time.sleep(0.02)

    sent: dict[int, float] = {}
    seen: dict[int, float] = {}
    done = threading.Event()
    started_at = datetime.now(UTC)

    def poll() -> None:
        with psycopg.connect(local_url, autocommit=True) as conn:
            deadline = None
            while True:
                pending = [cid for cid in list(sent) if cid not in seen]
                if pending:
                    rows = conn.execute(
                        "SELECT conversation_id FROM conversas_analytics "
                        "WHERE conversation_id = ANY(%s) AND etl_updated_at > %s",
                        (pending, started_at),
                    ).fetchall()
                    now = time.perf_counter()
                    for (cid,) in rows:
                        seen[cid] = now
                if done.is_set():
                    deadline = deadline or time.perf_counter() + args.drain_seconds
                    if len(seen) == len(sent) or time.perf_counter() > deadline:
                        return
                time.sleep(0.02)

    poller = threading.Thread(target=poll, daemon=True)
    poller.start()
    url = f"http://127.0.0.1:{port}/webhooks/default"
    begin = time.perf_counter()
    with psycopg.connect(source_url, autocommit=True) as cw, httpx.Client(timeout=10) as client:
        for i, (cid, display_id, account_id, inbox_id, contact_id) in enumerate(picked):
            pause = begin + i / args.rate - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
            cw.execute(
                "INSERT INTO messages (content, account_id, inbox_id, conversation_id, "
                "message_type, created_at, updated_at, sender_type, sender_id) VALUES "
                "('tem vaga amanhã?', %s, %s, %s, 0, now(), now(), 'Contact', %s)",
                (account_id, inbox_id, cid, contact_id),
            )
            body = json.dumps({
                "event": "message_created", "id": 10_000_000 + i, "content": "tem vaga amanhã?",
                "message_type": "incoming", "account": {"id": account_id, "name": "AllpFit"},
                "conversation": {"id": display_id, "inbox_id": inbox_id, "status": "open"},
            }).encode()  # fmt: skip
            stamp = str(int(time.time()))
            sent[cid] = time.perf_counter()
            answer = client.post(url, content=body, headers={
                "Content-Type": "application/json", "X-Chatwoot-Timestamp": stamp,
                "X-Chatwoot-Signature": sign(secret, stamp, body),
                "X-Chatwoot-Delivery": str(uuid.uuid4()),
            })  # fmt: skip
            answer.raise_for_status()
    send_s = time.perf_counter() - begin
    done.set()
    poller.join()
    server.should_exit = True
    serving.join(timeout=300)  # the app stops its worker before the folder goes away
    if serving.is_alive():
        console.print("[red]the receiver did not stop within 300 s[/]")
    latencies = sorted(seen[cid] - sent[cid] for cid in seen)
    if not latencies:
        raise SystemExit("no webhook event reached its row in time")
    return {
        "events": float(len(sent)),
        "arrived": float(len(seen)),
        "rate": len(sent) / send_s,
        "p50": statistics.median(latencies),
        "p95": latencies[max(0, round(0.95 * len(latencies)) - 1)],
        "max": latencies[-1],
    }


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def api_backfill(admin: str, args: argparse.Namespace) -> dict[str, float]:
    """Rows and requests per second of a full API backfill (see the module docstring)."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: tests.fakes
    from tests.fakes.chatwoot_api import FakeChatwoot, serve

    from allpfit.source.api_client import ChatwootApi
    from allpfit.source.api_mirror import mirror_schema, refresh_mirror
    from allpfit.tenants import get_tenant

    n = args.api_conversations
    db.ensure_database(admin, "bench_api_source")
    source_url = with_database(admin, "bench_api_source")
    console.print(f"API backfill: generating {n:,} conversations...")
    generate(source_url, conversations=n, seed=args.seed, accounts=1)
    local_url = fresh_local(admin, "bench_api_local")
    fake = FakeChatwoot(source_url, account_id=1, latency=args.api_latency, lifetime=3600)
    with serve(fake) as running, psycopg.connect(local_url, autocommit=True) as local:
        os.environ["ALLPFIT_BENCH_CHATWOOT_TOKEN"] = running.token
        local.execute(
            "INSERT INTO tenants (slug, name, account_id, source_kind, chatwoot_url, "
            "chatwoot_token_ref) VALUES ('cloud', 'Bench', 1, 'api', %s, %s)",
            (running.url, "env:ALLPFIT_BENCH_CHATWOOT_TOKEN"),
        )
        tenant = get_tenant(local, "cloud")
        api = ChatwootApi(running.url, 1, running.token, requests_per_minute=args.api_rpm)
        started = time.perf_counter()
        with api:
            result = refresh_mirror(local_url, tenant, api, mode="full")
        seconds = time.perf_counter() - started
        schema = mirror_schema(tenant.id)
        rows = sum(
            local.execute(f'SELECT count(*) FROM "{schema}".{table}').fetchone()[0]  # type: ignore[index]
            for table in ("conversations", "messages", "contacts")
        )
    return {
        "seconds": seconds,
        "rows": float(rows),
        "conversations": float(result.conversations),
        "requests": float(result.requests),
    }


def report_api(figures: dict[str, float], args: argparse.Namespace) -> None:
    seconds = figures["seconds"]
    console.print(
        f"API backfill, {args.api_conversations:,} conversations, {args.api_latency * 1000:.0f} ms "
        f"a request, limit {args.api_rpm:,.0f}/min: {figures['rows']:,.0f} rows "
        f"({figures['conversations']:,.0f} conversations) in {seconds:.1f} s = "
        f"{figures['rows'] / seconds:,.0f} rows/s; {figures['requests']:,.0f} requests = "
        f"{figures['requests'] / seconds:.1f}/s"
    )


def report_webhooks(figures: dict[str, float], args: argparse.Namespace) -> None:
    console.print(
        f"Webhooks, {args.hook_conversations:,} conversations: {figures['events']:.0f} events "
        f"sent at {figures['rate']:.1f}/s for {args.seconds} s, {figures['arrived']:.0f} reached "
        f"their row; event-to-row latency p50 {figures['p50'] * 1000:.0f} ms, "
        f"p95 {figures['p95'] * 1000:.0f} ms, max {figures['max'] * 1000:.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=100_000, help="conversations, small scale")
    parser.add_argument("--large", type=int, default=1_000_000, help="conversations, large scale")
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply --small and --large (0.1: a quick run)"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 vs 50,000")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=5, help="rounds of each refresh (best kept)")
    parser.add_argument("--writes", type=int, default=20_000, help="messages in the write test")
    parser.add_argument("--with-sync", action="store_true", help="also time run_sync (slow)")
    parser.add_argument("--no-webhooks", action="store_true", help="skip the webhook latency")
    parser.add_argument("--only-webhooks", action="store_true", help="only the webhook latency")
    parser.add_argument("--rate", type=int, default=50, help="webhook events per second")
    parser.add_argument("--seconds", type=int, default=60, help="webhook test duration")
    parser.add_argument("--hook-conversations", type=int, default=20_000)
    parser.add_argument(
        "--drain-seconds", type=int, default=300, help="wait this long for the last rows"
    )
    parser.add_argument("--no-api", action="store_true", help="skip the API backfill")
    parser.add_argument("--only-api", action="store_true", help="only the API backfill")
    parser.add_argument("--api-conversations", type=int, default=1_000)
    parser.add_argument("--api-latency", type=float, default=0.05, help="seconds a request")
    parser.add_argument("--api-rpm", type=float, default=60_000, help="client limit a minute")
    args = parser.parse_args()
    small_n, large_n = (
        (5_000, 50_000)
        if args.quick
        else (max(1, round(args.small * args.scale)), max(1, round(args.large * args.scale)))
    )
    with tempfile.TemporaryDirectory(prefix="allpfit-bench-live-") as tmp:
        admin = server_url(Path(tmp))
        only = args.only_webhooks or args.only_api
        if not only:
            small = measure(admin, small_n, args)
            large = measure(admin, large_n, args)
            report(small, large, args)
        if not args.no_webhooks and not args.only_api:
            report_webhooks(webhook_latency(admin, Path(tmp), args), args)
        if not args.no_api and not args.only_webhooks:
            try:
                report_api(api_backfill(admin, args), args)
            except Exception as exc:  # printed, not hidden: the figures above still stand
                console.print(f"[red]API backfill FAILED:[/] {type(exc).__name__}: {exc}")
                raise SystemExit(1) from None


if __name__ == "__main__":
    main()
