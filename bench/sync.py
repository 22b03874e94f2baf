"""Sync benchmark: full and incremental `run_sync` against a COPY baseline from the same run.

    .venv/bin/python bench/sync.py                      # 100,000 conversations (~2M messages)
    .venv/bin/python bench/sync.py --quick              # 5,000 conversations, a fast check
    .venv/bin/python bench/sync.py --explain            # also EXPLAIN ANALYZE the extraction

Everything runs on a private embedded PostgreSQL in a temporary folder:

1. generate the Chatwoot source with the demo generator (timed, not part of any ratio), then
   VACUUM it, as a live database is;
2. baseline: the sync's own extraction query for all conversations, `COPY ... TO STDOUT`
   piped into `COPY ... FROM STDIN` of a plain local table shaped like conversas_analytics:
   the least work any sync must do;
3. full sync (`run_sync(mode="full")`) into a freshly migrated local database. Steps 2 and 3
   alternate `--repeat` times and the best of each is compared (the machine is shared);
4. change 1% of the conversations the way Chatwoot would (half get a new incoming message
   with the conversation bumped; a quarter a CSAT answer; a quarter a renamed contact, both
   without touching conversations.updated_at), then an incremental sync;
5. an incremental sync with no changes.

Targets: full sync within 1.5x the baseline; incremental under 1 s. The script only prints
pass/fail markers; it exits 0 unless something crashes.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import psycopg
from psycopg import sql
from rich.console import Console
from rich.table import Table

from allpfit import db
from allpfit.demo.generator import generate
from allpfit.embedded import server_url, with_database
from allpfit.source import chatwoot, queries
from allpfit.sync.load import pipe_copy
from allpfit.sync.run import SyncOptions, SyncResult, run_sync

FULL_RATIO_TARGET = 1.5
INCREMENTAL_TARGET = 1.0
console = Console(width=130)

NOW = "(now() AT TIME ZONE 'UTC')"
NEW_MESSAGES = f"""
WITH pick AS (
    SELECT id, account_id, inbox_id, contact_id FROM conversations
    ORDER BY md5(id::text || 'message') LIMIT %(k)s),
added AS (
    INSERT INTO messages (content, account_id, inbox_id, conversation_id, message_type,
                          created_at, updated_at, sender_type, sender_id)
    SELECT 'oi, ainda tem vaga na turma das 19h?', account_id, inbox_id, id, 0, {NOW}, {NOW},
           'Contact', contact_id
    FROM pick RETURNING conversation_id)
UPDATE conversations c
SET updated_at = {NOW}, last_activity_at = {NOW},
    waiting_since = COALESCE(c.waiting_since, {NOW}),
    status = CASE c.status WHEN 1 THEN 2 WHEN 3 THEN 0 ELSE c.status END,
    snoozed_until = NULL
FROM added WHERE c.id = added.conversation_id
"""
CSAT_ANSWERS = f"""
WITH pick AS (
    SELECT m.id AS message_id, m.conversation_id, c.contact_id, c.assignee_id
    FROM messages m JOIN conversations c ON c.id = m.conversation_id
    WHERE m.content_type = 9
      AND NOT EXISTS (SELECT 1 FROM csat_survey_responses r WHERE r.message_id = m.id)
    ORDER BY md5(m.id::text) LIMIT %(k)s),
answered AS (
    INSERT INTO csat_survey_responses (account_id, conversation_id, message_id, rating,
        feedback_message, contact_id, assigned_agent_id, created_at, updated_at)
    SELECT 1, conversation_id, message_id, 5, 'Adorei o atendimento!', contact_id,
           assignee_id, {NOW}, {NOW}
    FROM pick RETURNING message_id)
UPDATE messages m SET updated_at = {NOW},
    content_attributes = '{{"submitted_values": {{"csat_survey_response": {{"rating": 5}}}}}}'
FROM answered WHERE m.id = answered.message_id
"""
RENAMES = f"""
UPDATE contacts SET name = name || ' (AllpFit)', updated_at = {NOW}
WHERE id IN (SELECT contact_id FROM conversations ORDER BY md5(id::text || 'contact')
             LIMIT %(k)s)
"""


def baseline(source_url: str, local_url: str) -> tuple[float, int]:
    """Extraction query piped with COPY into a plain table: seconds and rows."""
    query = queries.extraction(queries.ALL_CONVERSATIONS)
    params = SyncOptions().params()
    started = time.perf_counter()
    with (
        chatwoot.connect(source_url) as source,
        db.connect(local_url) as local,
        source.transaction(),
        local.transaction(),
    ):
        described = source.execute(f"SELECT * FROM ({query}) q LIMIT 0", params).description
        columns = [d.name for d in described or []]
        local.execute("DROP TABLE IF EXISTS baseline_copy")
        local.execute(
            "CREATE TABLE baseline_copy "
            "(LIKE conversas_analytics INCLUDING DEFAULTS INCLUDING GENERATED)"
        )
        copy_in = sql.SQL("COPY baseline_copy ({}) FROM STDIN").format(
            sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        rows = pipe_copy(source, query, params, local, copy_in)
    return time.perf_counter() - started, rows


def fresh_local(admin: str, name: str) -> str:
    """A new, migrated local analytics database (not timed)."""
    db.ensure_database(admin, name)
    url = with_database(admin, name)
    with db.connect(url, autocommit=True) as conn:
        db.upgrade(conn)
    return url


def settle(source_url: str) -> None:
    """VACUUM and CHECKPOINT the freshly loaded source, so no measured step pays for hint
    bits or competes with autovacuum: a live Chatwoot database is in this steady state."""
    with psycopg.connect(source_url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        conn.execute("CHECKPOINT")


def change_one_percent(source_url: str, conversations: int) -> dict[str, int]:
    k = max(4, conversations // 100)
    done = {}
    with psycopg.connect(source_url) as conn, conn.transaction():
        done["new incoming messages"] = conn.execute(NEW_MESSAGES, {"k": k // 2}).rowcount
        done["CSAT answers"] = conn.execute(CSAT_ANSWERS, {"k": k // 4}).rowcount
        done["renamed contacts"] = conn.execute(RENAMES, {"k": k - k // 2 - k // 4}).rowcount
    return done


def explain(source_url: str) -> None:
    query = queries.extraction(queries.ALL_CONVERSATIONS)
    with psycopg.connect(source_url) as conn:
        plan = conn.execute(
            f"EXPLAIN (ANALYZE, BUFFERS) {query}", SyncOptions().params()
        ).fetchall()
    console.print("[bold]EXPLAIN ANALYZE of the full extraction query[/]")
    for (line,) in plan:
        console.print(line, markup=False, highlight=False)


def timed_sync(local_url: str, source_url: str, mode: str) -> tuple[float, SyncResult]:
    started = time.perf_counter()
    result = run_sync(local_url, source_url, mode=mode, triggered_by="manual")  # type: ignore[arg-type]
    return time.perf_counter() - started, result


def mark(ok: bool) -> str:
    return "[green]PASS[/]" if ok else "[red]FAIL[/]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--quick", action="store_true", help="5,000 conversations")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--explain", action="store_true", help="EXPLAIN ANALYZE the query")
    parser.add_argument(
        "--repeat", type=int, default=3, help="baseline + fresh full sync rounds (best is kept)"
    )
    args = parser.parse_args()
    n = 5_000 if args.quick else args.conversations

    with tempfile.TemporaryDirectory(prefix="allpfit-bench-") as tmp:
        admin = server_url(Path(tmp))
        db.ensure_database(admin, "bench_source")
        source_url = with_database(admin, "bench_source")
        local_url = fresh_local(admin, "bench_local_0")

        console.print(f"Generating {n:,} conversations...")
        started = time.perf_counter()
        stats = generate(source_url, conversations=n, seed=args.seed)
        gen_s = time.perf_counter() - started
        console.print(f"  {stats.messages:,} messages, {stats.contacts:,} contacts in {gen_s:.1f}s")

        settle(source_url)
        base_runs, full_runs = [], []
        for attempt in range(args.repeat):
            if attempt:
                local_url = fresh_local(admin, f"bench_local_{attempt}")
            base_runs.append(baseline(source_url, local_url))
            full_runs.append(timed_sync(local_url, source_url, "full"))
        base_s, rows = min(base_runs)
        full_s, full = min(full_runs, key=lambda run: run[0])
        again_s, again = timed_sync(local_url, source_url, "full")
        changes = change_one_percent(source_url, n)
        inc_s, inc = timed_sync(local_url, source_url, "incremental")
        idle_s, idle = timed_sync(local_url, source_url, "incremental")
        if args.explain:
            explain(source_url)

    ratio = full_s / base_s
    table = Table(title=f"Sync benchmark: {n:,} conversations, {stats.messages:,} messages")
    for col in ("step", "seconds", "rows", "rows/s", "vs target", ""):
        table.add_column(col, justify="right" if col in ("seconds", "rows", "rows/s") else "left")

    def row(step: str, seconds: float, count: int, target: str = "", ok: bool | None = None):
        rate = f"{count / seconds:,.0f}" if seconds > 0 else "-"
        table.add_row(step, f"{seconds:.2f}", f"{count:,}", rate, target,
                      "" if ok is None else mark(ok))  # fmt: skip

    row("generate source (not in ratios)", gen_s, stats.messages)
    all_base = "/".join(f"{b:.1f}" for b, _ in base_runs)
    all_full = "/".join(f"{f:.1f}" for f, _ in full_runs)
    row(f"baseline COPY (best of {all_base})", base_s, rows)
    row(f"full sync, fresh table (best of {all_full})", full_s, full.rows_extracted,
        f"ratio {ratio:.2f} <= {FULL_RATIO_TARGET}", ratio <= FULL_RATIO_TARGET)  # fmt: skip
    row("full sync again, nothing changed", again_s, again.rows_extracted,
        f"ratio {again_s / base_s:.2f}")  # fmt: skip
    row("incremental, 1% changed", inc_s, inc.rows_extracted,
        f"< {INCREMENTAL_TARGET:.0f} s", inc_s < INCREMENTAL_TARGET)  # fmt: skip
    row("incremental, no change", idle_s, idle.rows_extracted,
        f"< {INCREMENTAL_TARGET:.0f} s", idle_s < INCREMENTAL_TARGET)  # fmt: skip
    console.print(table)
    console.print(
        f"full sync split: extract {full.extract_seconds:.2f}s, merge {full.load_seconds:.2f}s; "
        f"incremental: extract {inc.extract_seconds:.2f}s, merge {inc.load_seconds:.2f}s "
        f"({inc.rows_updated:,} updated)"
    )
    console.print("changes made: " + ", ".join(f"{v:,} {k}" for k, v in changes.items()))


if __name__ == "__main__":
    main()
