"""Lead-analysis throughput: 500 conversations against an LLM answering in 1 s per call.

Run: `.venv/bin/python bench/analysis.py [--conversations 500] [--latency 1.0] [--sample 10]`

Builds a fresh local database on an embedded PostgreSQL in a temporary folder, inserts
synthetic lead conversations (pt-BR, 2-8 messages each) into conversas_analytics, starts the
fake OpenAI-compatible server from tests/fakes/llm_server.py with a fixed latency per call, and
times `run_analysis` end to end (selection, real `openai` client calls, validation, upserts).

Baseline, measured in the same run: one call at a time (ANALYSIS_CONCURRENCY=1), as the
original system worked (8-12 s per conversation, sequentially). It is timed on a sample and
EXTRAPOLATED to all conversations (a 500-call sequential run would take over 8 minutes).
The concurrent runs are full runs, with:
- the default settings (8 concurrent, 500 requests/min, 200,000 tokens/min: OpenAI tier-1
  limits for gpt-4o-mini, so the tokens-per-minute limiter is what paces this run);
- higher provider limits (32 concurrent, 5,000 RPM, 2,000,000 TPM).
The offline rule analyzer is timed on the same conversations for reference.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
from pydantic import SecretStr

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fakes.llm_server import FakeLLM, serve  # noqa: E402

from allpfit import db  # noqa: E402
from allpfit.analysis.run import AnalysisSummary, run_analysis  # noqa: E402
from allpfit.config import Settings  # noqa: E402
from allpfit.embedded import server_url, with_database  # noqa: E402

LEAD_LINES = [
    "Oi, boa tarde!",
    "Qnto custa a mensalidade?",
    "qual o horário de funcionamento?",
    "quero emagrecer uns 8kg",
    "nunca treinei, sou sedentária",
    "vcs tem aula de pilates?",
    "achei caro",
    "onde fica a academia?",
    "quero agendar uma aula experimental",
    "treino há 2 anos, quero ganhar massa",
    "não tenho muito tempo, trabalho o dia todo",
    "tem estacionamento?",
    "vou pensar",
    "quero me matricular",
    "aceita pix?",
    "o médico mandou eu fazer exercício",
    "abre domingo?",
    "ok, obrigada",
]
BOT_LINES = [
    "Olá! Aqui é a assistente virtual da AllpFit. Como posso ajudar?",
    "Nosso plano mensal custa R$ 99,90 e o anual sai por R$ 79,90 por mês.",
    "Funcionamos de segunda a sexta das 6h às 23h, sábado das 8h às 14h.",
    "Qual é o seu nome?",
    "Temos musculação, pilates, funcional e aulas coletivas.",
    "Posso agendar uma aula experimental para você?",
]
NAMES = ["Ana", "Bruno", "Carla", "Davi", "Eva", "Fábio", "Gabi", "Hugo", "Iara", "João"]


def build_database(admin_url: str, name: str, conversations: int) -> str:
    db.ensure_database(admin_url, name)
    url = with_database(admin_url, name)
    with psycopg.connect(url, autocommit=True) as conn:
        db.upgrade(conn)
        rng = random.Random(42)
        start = datetime(2026, 6, 1, 12, tzinfo=UTC)
        rows = []
        for cid in range(1, conversations + 1):
            messages = []
            at = start + timedelta(minutes=cid)
            for i in range(rng.randint(2, 8)):
                sender = "contact" if i % 2 == 0 else "bot"
                text = rng.choice(LEAD_LINES if sender == "contact" else BOT_LINES)
                messages.append(
                    {"id": cid * 100 + i, "at": at.isoformat(), "sender": sender, "text": text}
                )
            contacts = sum(m["sender"] == "contact" for m in messages)
            rows.append(
                (
                    cid,
                    rng.choice(NAMES),
                    at,
                    at,
                    json.dumps(messages),
                    len(messages),
                    contacts,
                    at,
                    at.date(),
                )
            )
        with conn.cursor() as cur:
            cur.executemany(
                """INSERT INTO conversas_analytics (
                       conversation_id, account_id, contact_name, status,
                       conversation_created_at, conversation_updated_at, message_compiled,
                       total_messages, contact_messages, last_message_at, conversation_date,
                       conversation_hour, conversation_weekday, is_weekend, period_of_day)
                   VALUES (%s, 1, %s, 'open', %s, %s, %s, %s, %s, %s, %s, 12, 1, false,
                           'tarde')""",
                rows,
            )
    return url


def timed(url: str, settings: Settings, **kwargs: object) -> tuple[float, AnalysisSummary]:
    started = time.perf_counter()
    summary = run_analysis(url, settings, **kwargs)  # type: ignore[arg-type]
    return time.perf_counter() - started, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=500)
    parser.add_argument("--latency", type=float, default=1.0)
    parser.add_argument("--sample", type=int, default=10)
    args = parser.parse_args()
    n = args.conversations

    with tempfile.TemporaryDirectory(prefix="allpfit-bench-analysis-") as tmp:
        admin = server_url(Path(tmp) / "data")
        names = ("bench_sequential", "bench_default", "bench_high", "bench_rules")
        urls = {name: build_database(admin, name, n) for name in names}
        with serve(FakeLLM(latency=args.latency)) as fake:
            base = Settings(
                _env_file=None,  # type: ignore[call-arg]
                data_dir=Path(tmp) / "data",
                openai_api_key=SecretStr("sk-bench"),
                openai_base_url=fake.url,
                analysis_provider="openai",
            )
            print(f"{n} conversations, fake LLM latency {args.latency:.1f} s per call\n")

            one = base.model_copy(update={"analysis_concurrency": 1})
            seq_s, seq = timed(urls["bench_sequential"], one, limit=args.sample)
            per_conv = seq_s / seq.analyzed
            seq_total = per_conv * n
            print(
                f"sequential (1 at a time), {seq.analyzed} sampled: {seq_s:6.1f} s "
                f"= {per_conv:.2f} s/conversation -> EXTRAPOLATED to {n}: {seq_total:7.1f} s"
                f"  ({1 / per_conv:.2f} conv/s)"
            )

            runs = [
                ("default settings (8 concurrent, 500 RPM, 200k TPM)", "bench_default", base),
                (
                    "32 concurrent, 5,000 RPM, 2M TPM",
                    "bench_high",
                    base.model_copy(
                        update={
                            "analysis_concurrency": 32,
                            "analysis_requests_per_minute": 5_000,
                            "analysis_tokens_per_minute": 2_000_000,
                        }
                    ),
                ),
            ]
            for label, name, settings in runs:
                seconds, summary = timed(urls[name], settings)
                assert summary.analyzed == n and summary.failed == 0, summary
                tokens = summary.prompt_tokens + summary.completion_tokens
                print(
                    f"{label}: {seconds:6.1f} s  ({n / seconds:5.2f} conv/s)  "
                    f"speed-up x{seq_total / seconds:5.1f}  [{tokens:,} tokens, "
                    f"US$ {summary.cost_usd:.4f}, peak {fake.max_in_flight} in flight]"
                )
                fake.max_in_flight = 0

        rules = base.model_copy(update={"analysis_provider": "rules"})
        seconds, summary = timed(urls["bench_rules"], rules)
        assert summary.analyzed == n
        print(f"offline rule analyzer (no network): {seconds:6.2f} s  ({n / seconds:,.0f} conv/s)")


if __name__ == "__main__":
    main()
