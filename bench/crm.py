"""CRM crossmatch throughput: 20,000 customers x 100,000 conversations.

Run: `.venv/bin/python bench/crm.py [--customers N] [--conversations N] [--sample N]`

Builds a fresh local database on an embedded PostgreSQL in a temporary folder, COPYs synthetic
customers (varied phone formats: with/without the ninth digit, landlines, no DDD, garbage) and
conversations (E.164 as Chatwoot stores them, some without the ninth digit), then times
`run_match` end to end (SQL reads, normalisation, hash join, table rebuild, CSV + XLSX report).

Baseline, measured in the same run: the nested loop the original system used -- for each
conversation, scan every customer and compare cleaned phone digits (same DDD and same last 8
digits). It is timed on a sample of conversations and EXTRAPOLATED to all of them (running it
in full would take long); the sample's matches are checked against the hash join's.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg

from allpfit import db
from allpfit.config import Settings
from allpfit.crm.match import run_match
from allpfit.crm.phones import normalise
from allpfit.embedded import server_url, with_database

DDDS = ["11", "11", "11", "12", "13", "19", "21", "31", "41", "51", "61", "71", "81", "85"]
NAMES = ["Ana", "Bruno", "Carla", "Davi", "Eva", "Fábio", "Gabi", "Hugo", "Iara", "João"]
SURNAMES = ["Silva", "Souza", "Lima", "Dias", "Rocha", "Nunes", "Melo", "Araújo", "Costa"]


def mobile(rng: random.Random) -> tuple[str, str]:
    return rng.choice(DDDS), f"9{rng.randint(6, 9)}{rng.randint(0, 9_999_999):07d}"


def customer_phone(rng: random.Random, ddd: str, local: str) -> str:
    """One customer's phone as a CRM holds it: many formats, some broken."""
    roll = rng.random()
    if roll < 0.35:
        return f"({ddd}) {local[:5]}-{local[5:]}"
    if roll < 0.55:
        return f"{ddd}{local}"
    if roll < 0.70:
        return f"+55 {ddd} {local[:5]} {local[5:]}"
    if roll < 0.82:
        return f"({ddd}) {local[1:5]}-{local[5:]}"  # old form, without the ninth digit
    if roll < 0.90:
        return f"({ddd}) {rng.randint(2, 5)}{rng.randint(0, 9_999_999):07d}"  # landline
    if roll < 0.95:
        return f"{local[:5]}-{local[5:]}"  # no DDD
    return rng.choice(["não tem", "(11) 99999-9999", "0", ""])


def build(url: str, customers: int, conversations: int, rng: random.Random) -> None:
    day0 = date(2025, 1, 1)
    cust_rows = io.StringIO()
    lead_phones: list[str] = []
    for i in range(customers):
        ddd, local = mobile(rng)
        phone = customer_phone(rng, ddd, local)
        name = f"{rng.choice(NAMES)} {rng.choice(SURNAMES)} {i}"
        signup = day0 + timedelta(days=rng.randint(0, 500))
        e164 = normalise(phone).e164 or "\\N"
        cust_rows.write(f"excel\t{i}\t{name}\t{phone or chr(92) + 'N'}\t{e164}\t{signup}\n")
        if rng.random() < 0.6:  # 60% of customers talked to the bot
            talked = f"+55{ddd}{local}" if rng.random() < 0.8 else f"+55{ddd}{local[1:]}"
            lead_phones.append(talked)
    while len(lead_phones) < conversations * 0.6:
        ddd, local = mobile(rng)
        lead_phones.append(f"+55{ddd}{local}")
    conv_rows = io.StringIO()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    for cid in range(1, conversations + 1):
        phone = rng.choice(lead_phones)
        at = start + timedelta(minutes=rng.randint(0, 500 * 24 * 60))
        local = at - timedelta(hours=3)
        conv_rows.write(
            f"{cid}\t1\tresolved\t{phone}\t{at.isoformat()}\t{at.isoformat()}\t"
            f"{local.date()}\t{local.hour}\t{local.isoweekday() % 7}\t"
            f"{'t' if local.isoweekday() >= 6 else 'f'}\tmanha\t1\n"
        )
    with db.connect(url) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY crm_customers (source, external_id, name, phone_raw, phone_normalized, "
            "conversion_date) FROM STDIN"
        ) as copy:
            copy.write(cust_rows.getvalue())
        with cur.copy(
            "COPY conversas_analytics (conversation_id, account_id, status, contact_phone, "
            "conversation_created_at, conversation_updated_at, conversation_date, "
            "conversation_hour, conversation_weekday, is_weekend, period_of_day, "
            "contact_messages) FROM STDIN"  # leads (is_lead): the contact wrote
        ) as copy:
            copy.write(conv_rows.getvalue())
        conn.commit()


_DIGITS = re.compile(r"\D")


def naive_baseline(
    url: str, sample: int, rng: random.Random
) -> tuple[float, list[tuple[int, str]], set[int]]:
    """For each sampled conversation, scan every customer (cleaned digits compared)."""
    with db.connect(url) as conn:
        customers = conn.execute("SELECT id, phone_raw FROM crm_customers").fetchall()
        convs = conn.execute(
            "SELECT conversation_id, contact_phone FROM conversas_analytics"
        ).fetchall()
    picked = rng.sample(convs, sample)
    cleaned = [(cid, _DIGITS.sub("", raw or "")) for cid, raw in customers]  # generous: once
    started = time.perf_counter()
    found: set[int] = set()
    for conv_id, phone in picked:
        digits = _DIGITS.sub("", phone)[2:]  # drop +55
        ddd, last8 = digits[:2], digits[-8:]
        for _, cust in cleaned:
            if len(cust) >= 10 and cust[-8:] == last8 and cust[-10:-8] in (ddd, ddd[-1:] + "9"):
                found.add(conv_id)
                break
            if len(cust) == 11 and cust[:2] == ddd and cust[-8:] == last8:
                found.add(conv_id)
                break
    return time.perf_counter() - started, picked, found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--sample", type=int, default=1_000, help="baseline conversations")
    args = parser.parse_args()
    rng = random.Random(42)
    with tempfile.TemporaryDirectory(prefix="allpfit-bench-crm-") as tmp:
        data = Path(tmp) / "data"
        admin = server_url(data)
        db.ensure_database(admin, "bench_crm")
        url = with_database(admin, "bench_crm")
        with db.connect(url, autocommit=True) as conn:
            db.upgrade(conn)
        t0 = time.perf_counter()
        build(url, args.customers, args.conversations, rng)
        print(
            f"data: {args.customers:,} customers, {args.conversations:,} conversations "
            f"(built in {time.perf_counter() - t0:.1f} s)"
        )
        settings = Settings(_env_file=None, database_url=url, data_dir=data)  # type: ignore[call-arg]
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            summary = run_match(url, settings)
            runs.append(time.perf_counter() - t0)
        best = min(runs)
        print(
            f"run_match (hash join, end to end incl. table rebuild and report): "
            f"best {best:.2f} s of {len(runs)} ({', '.join(f'{r:.2f}' for r in runs)})"
        )
        print(
            f"  leads {summary.leads:,}, matched {summary.matched_leads:,}, conversions "
            f"{summary.conversions:,} {summary.by_type}, ambiguous {len(summary.ambiguous)}"
        )
        seconds, sampled, found = naive_baseline(url, args.sample, rng)
        n = len(sampled)
        extrapolated = seconds * args.conversations / n
        print(
            f"naive nested loop (baseline): {seconds:.2f} s for a sample of {n:,} "
            f"conversations -> EXTRAPOLATED {extrapolated:,.0f} s for {args.conversations:,}"
        )
        print(f"ratio: hash join is {extrapolated / best:,.0f}x faster than the baseline")
        keys = {normalise(raw).key for (raw,) in _rows(url, "SELECT phone_raw FROM crm_customers")}
        hashed = sum(1 for _, phone in sampled if normalise(phone).key in keys)
        print(
            f"sanity on the sample: baseline found a customer for {len(found):,}, the match "
            f"key for {hashed:,} of {n:,} conversations (baseline ignores landline/mobile)"
        )


def _rows(url: str, query: str) -> list[tuple[str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(query).fetchall()  # type: ignore[return-value]


if __name__ == "__main__":
    main()
