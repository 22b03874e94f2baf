"""Dashboard benchmark: first render and a filter change at 100,000 conversations.

    .venv/bin/python bench/dashboard.py [--conversations 100000] [--keep]

Builds a fresh embedded PostgreSQL in a temporary folder, loads synthetic conversations (a
year of them, 6-14 messages each), AI profiles for 80 % and CRM customers/matches with COPY,
then times, with the Streamlit cache cold (every query really runs):

- first render: the queries the overview page and the leads page run (KPIs, leads per day,
  periods, funnel, score; COUNT + first 50 leads), each on its own connection as data.py does;
- filter change: the leads page with a name and a probability filter;
- the original approach, measured in the same run: SELECT * of the whole table (joined to
  the AI profiles) into pandas, then the same numbers filtered and aggregated in pandas;
- AppTest.run() of the overview page and of the leads page with a filter (the whole script,
  Plotly figures and table formatting included).

Each figure is printed with its ratio to the 1 s target and to the original approach.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import psycopg

from allpfit import db, embedded
from allpfit.dashboard import queries
from allpfit.dashboard.queries import LeadFilters
from allpfit.embedded import with_database

TZ = ZoneInfo("America/Sao_Paulo")
TARGET = 1.0
ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "src" / "allpfit" / "dashboard" / "app.py"
FIRST = ["Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Hugo", "Isabela"]
LAST = ["Souza", "Lima", "Dias", "Oliveira", "Santos", "Pereira", "Costa", "Rodrigues"]
GOALS = ["Emagrecer", "Ganhar massa", "Condicionamento", "Saúde", "Definição"]
CONDITIONS = ["Sedentário", "Iniciante", "Intermediário", "Avançado"]
LINES = {
    "contact": "Oi, quero saber o valor do plano mensal e os horários da academia perto de casa",
    "bot": "Olá! Sou a assistente virtual da AllpFit. Temos planos a partir de R$ 99,90 por mês",
    "agent": "Oi, aqui é a Júlia da recepção. Posso agendar uma aula experimental para você?",
}


def period_of(hour: int) -> str:
    return "madrugada" if hour < 6 else "manhã" if hour < 12 else "tarde" if hour < 18 else "noite"


def load(url: str, n: int, today: date) -> None:
    """COPY n conversations over the last 365 days, profiles for 80 %, ~3 % sold."""
    rnd = random.Random(42)
    columns = (
        "conversation_id, account_id, contact_id, contact_name, contact_phone, status, "
        "conversation_created_at, conversation_updated_at, last_activity_at, message_compiled, "
        "total_messages, contact_messages, bot_messages, agent_messages, first_message_at, "
        "last_message_at, first_contact_message_at, has_human_intervention, has_bot_messages, "
        "is_bot_only, is_reopened, conversation_date, conversation_hour, conversation_weekday, "
        "is_weekend, period_of_day, last_activity_date"
    )
    sold: list[tuple[int, int, str, date]] = []
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(f"COPY conversas_analytics ({columns}) FROM STDIN") as copy:
            for cid in range(1, n + 1):
                contact = rnd.randrange(1, int(n * 0.7))
                day = today - timedelta(days=rnd.randrange(365))
                hour = rnd.choice([7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 2])
                created = datetime(day.year, day.month, day.day, hour, rnd.randrange(60), tzinfo=TZ)
                human = rnd.random() < 0.35
                senders = ["contact", "bot"] * rnd.randint(3, 6) + (
                    ["agent", "contact"] if human else []
                )
                messages = [
                    {"id": cid * 100 + i, "at": (created + timedelta(minutes=i)).isoformat(),
                     "sender": s, "text": LINES[s]}
                    for i, s in enumerate(senders)
                ]  # fmt: skip
                last = created + timedelta(minutes=len(senders))
                phone = f"+55119{contact:08d}"
                counts = {s: senders.count(s) for s in LINES}
                copy.write_row((
                    cid, 1, contact, f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", phone, "open",
                    created, last, last, json.dumps(messages), len(senders), counts["contact"],
                    counts["bot"], counts["agent"], created, last, created, human, True, not human,
                    rnd.random() < 0.1, day, hour, day.isoweekday(), day.isoweekday() >= 6,
                    period_of(hour), day,
                ))  # fmt: skip
                if rnd.random() < 0.03:
                    sold.append((cid, contact, phone, day))
        with cur.copy(
            "COPY conversas_analytics_ai (conversation_id, nome_mapeado_bot, condicao_fisica, "
            "objetivo, probabilidade_conversao, visita_agendada, analise_ia, sugestao_disparo, "
            "provider, modelo_ia, content_hash) FROM STDIN"
        ) as copy:
            for cid in range(1, n + 1):
                if rnd.random() < 0.8:
                    copy.write_row((
                        cid, rnd.choice(FIRST), rnd.choice(CONDITIONS), rnd.choice(GOALS),
                        rnd.randint(0, 5), rnd.random() < 0.2,
                        "Lead interessado no plano mensal, pediu horários.",
                        "Oi! Que tal agendar sua aula experimental esta semana?",
                        "rules", "rules-v1", "h",
                    ))  # fmt: skip
        with cur.copy(
            "COPY crm_customers (id, source, external_id, name, phone_normalized, conversion_date)"
            " FROM STDIN"
        ) as copy:
            for i in range(1, n // 20 + 1):
                copy.write_row((
                    i, "excel", f"X{i}", f"Cliente {i}", f"+55219{i:08d}",
                    today - timedelta(days=rnd.randrange(365)),
                ))  # fmt: skip
            for j, (_, contact, phone, day) in enumerate(sold, start=n // 20 + 1):
                signup = min(day + timedelta(days=rnd.randrange(1, 30)), today)
                copy.write_row((j, "excel", f"X{j}", f"Cliente {contact}", phone, signup))
        with cur.copy(
            "COPY conversas_crm_match_real (conversation_id, crm_customer_id, contact_phone, "
            "crm_customer_phone, crm_customer_name, match_type, match_score, conversation_date, "
            "crm_signup_date, days_to_conversion) FROM STDIN"
        ) as copy:
            for j, (cid, contact, phone, day) in enumerate(sold, start=n // 20 + 1):
                signup = min(day + timedelta(days=rnd.randrange(1, 30)), today)
                copy.write_row((
                    cid, j, phone, phone, f"Cliente {contact}", "phone_exact", 1, day, signup,
                    (signup - day).days,
                ))  # fmt: skip
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def timed(fn: Callable[[], object], repeat: int = 5) -> tuple[float, float]:
    """(first run, median of the following runs) in seconds."""
    first = time.perf_counter()
    fn()
    first = time.perf_counter() - first
    rest = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        rest.append(time.perf_counter() - start)
    return first, statistics.median(rest)


def render_sql(url: str, start: date, end: date, filters: LeadFilters) -> None:
    """What the overview + leads pages query on a cold cache, one connection per call."""
    calls: list[Callable[[psycopg.Connection], object]] = [
        lambda c: queries.overview_kpis(c, start, end),
        lambda c: queries.leads_per_day(c, start, end),
        lambda c: queries.conversations_by_period(c, start, end),
        lambda c: queries.funnel(c, start, end),
        lambda c: queries.conversion_by_score(c, start, end),
        lambda c: queries.leads_page(c, filters, 1),
    ]
    for call in calls:
        with psycopg.connect(url, autocommit=True) as conn:
            call(conn)


def filter_sql(url: str, filters: LeadFilters) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        queries.leads_page(conn, filters, 1)


def table(conn: psycopg.Connection, query: str) -> pd.DataFrame:
    with conn.cursor() as cur:
        cur.execute(query)
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])


def original_load(url: str) -> pd.DataFrame:
    """The original app: the whole table (and the AI profiles) into one DataFrame."""
    with psycopg.connect(url) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT ca.*, ai.nome_mapeado_bot, ai.condicao_fisica, ai.objetivo, "
            "ai.probabilidade_conversao, ai.visita_agendada, ai.analise_ia, ai.sugestao_disparo "
            "FROM conversas_analytics ca "
            "LEFT JOIN conversas_analytics_ai ai USING (conversation_id)"
        )
        return pd.DataFrame(cur.fetchall(), columns=[d.name for d in cur.description or ()])


def original_render(url: str, start: date, end: date, filters: LeadFilters) -> None:
    frame = original_load(url)
    with psycopg.connect(url) as conn:
        matches = table(conn, "SELECT * FROM conversas_crm_match_real")
        customers = table(conn, "SELECT * FROM crm_customers")
    leads = frame[(frame.contact_messages > 0) & frame.conversation_date.between(start, end)]
    leads.contact_id.nunique(), leads.is_bot_only.sum(), leads.has_human_intervention.sum()
    leads.visita_agendada.fillna(False).sum()
    matches[matches.crm_signup_date.between(start, end)].crm_customer_id.nunique()
    signup = customers.conversion_date.fillna(customers.sale_date).fillna(customers.register_date)
    signup.between(start, end).sum()
    leads.groupby("conversation_date").contact_id.nunique()
    leads.groupby("period_of_day").size()
    sold = leads.conversation_id.isin(matches.conversation_id)
    leads.assign(sold=sold).groupby("probabilidade_conversao").sold.agg(["size", "sum"])
    original_filter(frame, filters)


def original_filter(frame: pd.DataFrame, filters: LeadFilters) -> pd.DataFrame:
    rows = frame[
        (frame.contact_messages > 0) & frame.conversation_date.between(filters.start, filters.end)
    ]
    if filters.name:
        rows = rows[rows.contact_name.str.contains(filters.name, case=False, na=False)]
    if filters.probabilities:
        rows = rows[rows.probabilidade_conversao.isin(filters.probabilities)]
    return rows.sort_values("last_message_at", ascending=False).head(50)


def apptest(url: str, data_dir: Path, start: date, end: date) -> tuple[float, float]:
    """AppTest.run() of the overview, then of the leads page with a filter (cold caches)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    os.environ["DATA_DIR"] = str(data_dir)
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.query_params.update({"de": start.isoformat(), "ate": end.isoformat()})
    begin = time.perf_counter()
    at.run()
    overview = time.perf_counter() - begin
    assert not at.exception, at.exception
    at.switch_page("app_pages/leads.py").run()
    at.text_input(key="f_nome").set_value("ana")
    at.multiselect(key="f_prob").set_value([4, 5])
    begin = time.perf_counter()
    at.run()
    leads = time.perf_counter() - begin
    assert not at.exception and len(at.dataframe) == 1, at.exception
    return overview, leads


def line(label: str, seconds: float, baseline: float | None = None) -> None:
    ratio = f"  {baseline / seconds:6.1f}x faster than original" if baseline else ""
    verdict = "OK " if seconds < TARGET else "SLOW"
    print(
        f"  {label:<44} {seconds:7.3f} s  {seconds / TARGET:5.2f} of 1 s target [{verdict}]{ratio}"
    )


def measure(url: str, label: str, start: date, today: date) -> None:
    """Time this dashboard's SQL and the original pandas approach over one date range."""
    plain = LeadFilters(start, today)
    narrowed = LeadFilters(start, today, name="ana", probabilities=(4, 5))
    print(f"Date range: {label} ({start} .. {today})")
    render_first, render_median = timed(lambda: render_sql(url, start, today, plain))
    filter_median = timed(lambda: filter_sql(url, narrowed))[1]
    orig_first, orig_median = timed(lambda: original_render(url, start, today, plain), repeat=2)
    frame = original_load(url)
    orig_filter = timed(lambda: original_filter(frame, narrowed), repeat=3)[1]
    print("  SQL (this dashboard), Streamlit cache cold:")
    line("first render (overview + leads), 1st run", render_first, orig_first)
    line("first render, median of 5", render_median, orig_median)
    line("filter change (name + probability)", filter_median, orig_median)
    print("  Original approach (SELECT * into pandas, on every visit):")
    line("first render (load + aggregate + filter)", orig_first)
    line("first render, median of 2", orig_median)
    line("filter change, DataFrame already in memory", orig_filter)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="Keep the temporary database.")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="allpfit-bench-dashboard-"))
    today = datetime.now(TZ).date()
    try:
        admin = embedded.server_url(workdir / "data")
        db.ensure_database(admin, "bench")
        url = with_database(admin, "bench")
        with psycopg.connect(url, autocommit=True) as conn:
            db.upgrade(conn)
        began = time.perf_counter()
        load(url, args.conversations, today)
        print(f"Loaded {args.conversations:,} conversations in {time.perf_counter() - began:.1f} s")
        with psycopg.connect(url) as conn:
            size = conn.execute(
                "SELECT pg_size_pretty(pg_total_relation_size('conversas_analytics'))"
            ).fetchone()
        print(f"conversas_analytics: {size[0] if size else '?'} on disk")

        held = original_load(url).memory_usage(deep=True).sum() / 2**20
        print(f"The original approach holds {held:,.0f} MB of DataFrame per process.\n")
        for label, days in (("last 30 days", 30), ("whole year", 365)):
            measure(url, label, today - timedelta(days=days - 1), today)
        print("\nAppTest.run(), whole page scripts, cold cache (last 30 days):")
        overview, leads = apptest(url, workdir / "data", today - timedelta(days=29), today)
        line("overview page", overview)
        line("leads page after a filter change", leads)
    finally:
        if args.keep:
            print(f"Kept {workdir}")
        else:
            embedded.stop(workdir / "data")
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
