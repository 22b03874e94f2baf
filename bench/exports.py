"""Exports: memory stays flat as the period grows; time against the database's own COPY.

Run: `.venv/bin/python bench/exports.py [--conversations 20000] [--xlsx/--no-xlsx]`

Builds a fresh local database on an embedded PostgreSQL in a temporary folder with
`--conversations` conversations in one month (10 messages each, half of them with an AI
profile), then exports a tenth of them and all of them (`allpfit.reports.export.export_to_file`,
the code behind `allpfit export conversations` and the dashboard's downloads) and measures:

- time: the CSV and the XLSX export, against a baseline in the same run: PostgreSQL's own
  `COPY (the same rows) TO STDOUT (FORMAT csv)` read by the client, i.e. the cost of only
  moving the rows, with no formatting, time zones or formula safety;
- memory: the peak of Python allocations (tracemalloc, a separate run, since tracing slows
  Python down) of the export, against a baseline that holds the rows: `fetchall()` of the same
  query, the least an export built in memory would hold.

The streaming claim is the memory column: the export's peak should not grow with the rows (it
holds one batch of 1,000 rows), the baseline's grows tenfold.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import date
from functools import partial
from pathlib import Path

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from allpfit import db  # noqa: E402
from allpfit.embedded import server_url, stop, with_database  # noqa: E402
from allpfit.reports import export  # noqa: E402
from allpfit.reports.export import ExportRequest  # noqa: E402

START = date(2026, 6, 1)
END = date(2026, 6, 30)

CONVERSATIONS = """
INSERT INTO conversas_analytics (
    conversation_id, display_id, account_id, inbox_id, inbox_name, contact_id, contact_name,
    contact_phone, status, labels, custom_attributes, conversation_created_at,
    conversation_updated_at, last_activity_at, message_compiled, total_messages,
    contact_messages, bot_messages, first_message_at, last_message_at,
    first_contact_message_at, has_bot_messages, is_bot_only, first_response_time_seconds,
    conversation_date, conversation_hour, conversation_weekday, is_weekend, period_of_day,
    last_activity_date)
SELECT n, n, 1, 1, 'WhatsApp', n, 'Contato ' || n, '+55119' || lpad(n::text, 8, '0'), 'open',
       ARRAY['lead', 'trafego'], jsonb_build_object('origem', 'anuncio', 'n', n), t, t, t,
       (SELECT jsonb_agg(jsonb_build_object(
                'id', n * 100 + m, 'at', t + m * interval '1 minute',
                'sender', CASE WHEN m % 2 = 0 THEN 'contact' ELSE 'bot' END,
                'text', CASE WHEN m % 2 = 0 THEN 'Oi, quero saber o preço do plano mensal ' || m
                             ELSE 'Olá! O plano mensal custa R$ 99,90. Posso agendar? ' || m
                        END))
        FROM generate_series(0, 9) AS m),
       10, 5, 5, t, t + interval '9 minutes', t, true, true, 42.5 + n % 100,
       (t AT TIME ZONE 'America/Sao_Paulo')::date,
       extract(hour FROM t AT TIME ZONE 'America/Sao_Paulo'),
       extract(isodow FROM t AT TIME ZONE 'America/Sao_Paulo'), false, 'tarde',
       (t AT TIME ZONE 'America/Sao_Paulo')::date
FROM generate_series(1, %(n)s) AS n,
     LATERAL (SELECT timestamptz '2026-06-01 12:00+00'
                     + (n %% 28) * interval '1 day' + (n %% 600) * interval '1 minute') AS x(t)
"""
PROFILES = """
INSERT INTO conversas_analytics_ai (
    conversation_id, nome_mapeado_bot, condicao_fisica, objetivo, probabilidade_conversao,
    visita_agendada, analise_ia, sugestao_disparo, provider, modelo_ia, content_hash)
SELECT conversation_id, 'Contato', 'Iniciante', 'Perda de peso', conversation_id % 6, false,
       repeat('Perfil do lead, engajamento, interesses e objeções. ', 10),
       'Oi! Vamos agendar sua aula experimental?', 'rules', 'rules-v1', 'h'
FROM conversas_analytics WHERE conversation_id %% 2 = 0
"""


def build(url: str, conversations: int) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        db.upgrade(conn)
        conn.execute(CONVERSATIONS.replace("%%", "%").replace("%(n)s", str(conversations)))
        conn.execute(PROFILES.replace("%%", "%"))
        conn.execute("VACUUM ANALYZE")


def last_day(url: str, rows: int) -> date:
    """The last day of a period starting on START that holds about `rows` conversations."""
    with psycopg.connect(url) as conn:
        found = conn.execute(
            """SELECT conversation_date FROM conversas_analytics WHERE conversation_date >= %s
               ORDER BY conversation_date OFFSET %s LIMIT 1""",
            (START, max(rows - 1, 0)),
        ).fetchone()
    return found[0] if found else END


def timed(fn: Callable[[], object]) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def peak(fn: Callable[[], object]) -> float:
    """Peak MB of Python allocations while `fn` runs."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def copy_baseline(url: str, end: date) -> int:
    """The rows through PostgreSQL's own CSV writer, read by the client: bytes moved."""
    query = (
        "COPY (SELECT ca.*, ai.* FROM conversas_analytics ca LEFT JOIN conversas_analytics_ai ai "
        "USING (conversation_id) WHERE ca.conversation_date BETWEEN %s AND %s "
        "ORDER BY ca.conversation_created_at, ca.conversation_id) TO STDOUT (FORMAT csv)"
    )
    size = 0
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cur,
        cur.copy(query, (START, end)) as copy,
    ):
        for block in copy:
            size += len(block)
    return size


def fetchall_baseline(url: str, end: date) -> int:
    """Every row of the export's query held at once: what building the file in memory holds."""
    with db.tenant_connection(url, 1, role="reader") as conn:
        request = ExportRequest("conversations", START, end)
        rows_query, _, params, _ = export._query(conn, request)
        return len(conn.execute(rows_query, params).fetchall())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=20_000)
    parser.add_argument("--xlsx", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="allpfit-bench-exports-") as tmp:
        data = Path(tmp) / "data"
        admin = server_url(data)
        db.ensure_database(admin, "bench")
        url = with_database(admin, "bench")
        began = time.perf_counter()
        build(url, args.conversations)
        print(f"built {args.conversations:,} conversations in {time.perf_counter() - began:.1f} s")
        print(
            f"{'rows':>8} {'format':>6} {'export s':>9} {'COPY s':>7} {'ratio':>6} "
            f"{'export MB':>10} {'fetchall MB':>12} {'file MB':>8}"
        )
        for rows in (args.conversations // 10, args.conversations):
            end = last_day(url, rows)
            baseline = min(timed(partial(copy_baseline, url, end)) for _ in range(2))
            held = peak(partial(fetchall_baseline, url, end))
            for fmt in ("csv", "xlsx") if args.xlsx else ("csv",):
                path = Path(tmp) / f"export.{fmt}"
                request = ExportRequest("conversations", START, end, fmt=fmt)
                run = partial(export.export_to_file, url, 1, request, path)
                written = run()  # warm-up; the next runs are measured
                seconds = timed(run)
                used = peak(run)
                print(
                    f"{written.rows:>8,} {fmt:>6} {seconds:>9.2f} {baseline:>7.2f} "
                    f"{seconds / baseline:>5.1f}x {used:>10.1f} {held:>12.1f} "
                    f"{path.stat().st_size / 1e6:>8.1f}"
                )
        stop(data)


if __name__ == "__main__":
    main()
