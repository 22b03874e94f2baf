"""SQL for the analysis run: which leads need analysis, their transcripts, and writing results.

The transcript and its content hash are computed in SQL from conversas_analytics.message_compiled
(one definition, `TRANSCRIPT`), so selecting "what changed" needs no data transfer and the hash
stored with a profile is always the hash of the very transcript the analyzer read.

Tables (migration 0010): conversas_analytics_ai holds valid profiles only; analysis_failures the
last failure per conversation (`attempts` = runs that failed on the same content; cleared when the
conversation is later analysed); analysis_runs one row per run, recorded by the one run ledger
(allpfit.runs: lock, interrupted runs, start, finish, failure).

Every query here runs on a tenant session (`db.tenant_connection`): row-level security shows
and accepts only the tenant's rows, and new rows get its tenant_id by default, so no query
names the tenant. Conflict targets lead with tenant_id, like the keys (migration 0051).
"""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import psycopg

from allpfit.analysis.analyzer import SENDERS, Analysis, Conversation, ConversationFailed, Message
from allpfit.runs import Ledger
from allpfit.tenants import DEFAULT_TENANT_ID

ANALYSIS_LOCK = 7_300_010  # pg_advisory_lock key held for the whole of an analysis run
ANALYSIS_RUNS = Ledger(
    table="analysis_runs",
    lock_key=ANALYSIS_LOCK,
    job="lead analysis",
    busy="Another lead analysis is already running on this database",
)
GIVE_UP_AFTER = 3  # runs failing on the same content before a conversation is left alone

# Contact, bot and agent messages with text, in order, trimmed: what the analyzer sees.
TRANSCRIPT_MESSAGES = """
    FROM jsonb_array_elements(c.message_compiled) WITH ORDINALITY AS e(m, ord)
    WHERE e.m ->> 'sender' = ANY(%(senders)s)
      AND btrim(coalesce(e.m ->> 'text', ''), E' \\t\\r\\n') <> ''
"""
TRANSCRIPT = f"""
    SELECT coalesce(jsonb_agg(
               jsonb_build_array(e.m ->> 'sender', btrim(e.m ->> 'text', E' \\t\\r\\n'))
               ORDER BY e.ord), '[]'::jsonb) AS transcript
    {TRANSCRIPT_MESSAGES}
"""
HASH = "encode(sha256(convert_to(t.transcript::text, 'UTF8')), 'hex')"

PLAN = f"""
SELECT c.conversation_id,
       CASE WHEN ai.conversation_id IS NULL THEN 'new'
            WHEN ai.content_hash <> {HASH} THEN 'changed'
            ELSE 'unchanged' END AS state,
       coalesce(f.content_hash = {HASH} AND f.attempts >= %(give_up)s, false) AS given_up
FROM conversas_analytics c
CROSS JOIN LATERAL ({TRANSCRIPT}) t
LEFT JOIN conversas_analytics_ai ai ON ai.conversation_id = c.conversation_id
LEFT JOIN analysis_failures f ON f.conversation_id = c.conversation_id
-- Every conversation the contact wrote in, whatever its intent (migration 0080): one classified
-- member or opt_out is classified again when its text changes (is_lead would leave it out).
WHERE c.is_contact_conversation
  AND (%(ids)s::integer[] IS NULL OR c.conversation_id = ANY(%(ids)s::integer[]))
ORDER BY c.last_message_at DESC NULLS LAST, c.conversation_id DESC
"""

# The times of the transcript's messages, same filter and order: they are read for the
# analyzers (visit dates) but kept out of the hash, so profiles made before times were read
# are not re-analysed and a corrected timestamp never costs a paid call.
TRANSCRIPT_TIMES = f"""
    SELECT coalesce(jsonb_agg(e.m -> 'at' ORDER BY e.ord), '[]'::jsonb) AS times
    {TRANSCRIPT_MESSAGES}
"""

FETCH = f"""
SELECT c.conversation_id, c.contact_name, t.transcript, {HASH} AS content_hash, tt.times
FROM conversas_analytics c
CROSS JOIN LATERAL ({TRANSCRIPT}) t
CROSS JOIN LATERAL ({TRANSCRIPT_TIMES}) tt
WHERE c.conversation_id = ANY(%(ids)s)
"""

UPSERT_PROFILE = """
INSERT INTO conversas_analytics_ai (
    conversation_id, nome_mapeado_bot, condicao_fisica, objetivo, probabilidade_conversao,
    visita_agendada, data_visita, analise_ia, sugestao_disparo, provider, modelo_ia,
    analisado_em, content_hash, prompt_tokens, completion_tokens, cost_usd, run_id, intent)
SELECT %(conversation_id)s, %(nome_mapeado_bot)s, %(condicao_fisica)s, %(objetivo)s,
       %(probabilidade_conversao)s, %(visita_agendada)s, %(data_visita)s, %(analise_ia)s,
       %(sugestao_disparo)s, %(provider)s, %(modelo_ia)s, now(), %(content_hash)s,
       %(prompt_tokens)s, %(completion_tokens)s, %(cost_usd)s, %(run_id)s, %(intent)s
WHERE EXISTS (SELECT 1 FROM conversas_analytics WHERE conversation_id = %(conversation_id)s)
ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
    nome_mapeado_bot = EXCLUDED.nome_mapeado_bot,
    condicao_fisica = EXCLUDED.condicao_fisica,
    objetivo = EXCLUDED.objetivo,
    probabilidade_conversao = EXCLUDED.probabilidade_conversao,
    visita_agendada = EXCLUDED.visita_agendada,
    data_visita = EXCLUDED.data_visita,
    analise_ia = EXCLUDED.analise_ia,
    sugestao_disparo = EXCLUDED.sugestao_disparo,
    provider = EXCLUDED.provider,
    modelo_ia = EXCLUDED.modelo_ia,
    analisado_em = EXCLUDED.analisado_em,
    content_hash = EXCLUDED.content_hash,
    prompt_tokens = EXCLUDED.prompt_tokens,
    completion_tokens = EXCLUDED.completion_tokens,
    cost_usd = EXCLUDED.cost_usd,
    run_id = EXCLUDED.run_id,
    intent = EXCLUDED.intent
"""

UPSERT_FAILURE = """
INSERT INTO analysis_failures (conversation_id, run_id, content_hash, error_message)
SELECT %(conversation_id)s, %(run_id)s, %(content_hash)s, %(error_message)s
WHERE EXISTS (SELECT 1 FROM conversas_analytics WHERE conversation_id = %(conversation_id)s)
ON CONFLICT (tenant_id, conversation_id) DO UPDATE SET
    attempts = CASE WHEN analysis_failures.content_hash = EXCLUDED.content_hash
                    THEN analysis_failures.attempts + 1 ELSE 1 END,
    run_id = EXCLUDED.run_id,
    content_hash = EXCLUDED.content_hash,
    error_message = EXCLUDED.error_message,
    failed_at = now()
"""


@dataclass
class Plan:
    pending: list[int] = field(default_factory=list)
    unchanged: int = 0
    given_up: int = 0
    leads: int = 0


@dataclass
class Tally:
    """Running totals of a run, written to analysis_runs at every flush."""

    analyzed: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    failures: list[tuple[int, str]] = field(default_factory=list)


def acquire_lock(conn: psycopg.Connection, tenant_id: int = DEFAULT_TENANT_ID) -> None:
    """Take `tenant_id`'s analysis lock on `conn` (for callers holding it outside a run)."""
    ANALYSIS_RUNS.acquire(conn, tenant_id)


def plan(
    conn: psycopg.Connection,
    *,
    reanalyze: bool,
    limit: int | None,
    ids: Collection[int] | None = None,
) -> Plan:
    """Leads needing analysis, most recent first: never analysed, or content changed (or all,
    with `reanalyze`). Leads that failed GIVE_UP_AFTER runs on the same content are skipped
    until their content changes or `reanalyze` is given. `ids` narrows the choice to those
    conversations (the webhook worker's: only what it refreshed, so the cost of hashing
    transcripts follows the events rather than the tenant's history); `leads` then counts
    the leads among them."""
    result = Plan()
    chosen = None if ids is None else sorted(ids)
    rows = conn.execute(PLAN, {"senders": list(SENDERS), "give_up": GIVE_UP_AFTER, "ids": chosen})
    for conversation_id, state, given_up in rows:
        result.leads += 1
        if reanalyze:
            result.pending.append(conversation_id)
        elif state == "unchanged":
            result.unchanged += 1
        elif given_up:
            result.given_up += 1
        else:
            result.pending.append(conversation_id)
    if limit is not None:
        result.pending = result.pending[:limit]
    return result


def fetch(conn: psycopg.Connection, ids: list[int]) -> list[Conversation]:
    """The conversations with these ids, in the order given (missing ones are left out)."""
    found: dict[int, Conversation] = {}
    for conversation_id, contact_name, transcript, content_hash, times in conn.execute(
        FETCH, {"senders": list(SENDERS), "ids": ids}
    ):
        messages = tuple(
            Message(sender, text, _time(at))  # SQL keeps only SENDERS
            for (sender, text), at in zip(_load(transcript), _load(times), strict=True)
        )
        found[conversation_id] = Conversation(conversation_id, contact_name, messages, content_hash)
    return [found[i] for i in ids if i in found]


def _load(value: Any) -> list[Any]:
    return json.loads(value) if isinstance(value, str) else list(value)


def _time(value: object) -> datetime | None:
    """An ISO-8601 `at` from message_compiled as an aware datetime (UTC if no offset);
    None when missing or unreadable: the visit date is then unknown, not the run broken."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def save(
    conn: psycopg.Connection,
    run_id: int,
    provider: str,
    model: str,
    done: list[tuple[Conversation, Analysis]],
    failed: list[tuple[Conversation, ConversationFailed]],
    tally: Tally,
) -> None:
    """Write one batch of results and the run's totals; call inside a transaction."""
    with conn.cursor() as cur:
        if done:
            cur.executemany(
                UPSERT_PROFILE, [_profile_row(run_id, provider, model, c, a) for c, a in done]
            )
            cur.execute(
                "DELETE FROM analysis_failures WHERE conversation_id = ANY(%s)",
                ([c.conversation_id for c, _ in done],),
            )
        if failed:
            cur.executemany(
                UPSERT_FAILURE,
                [
                    {
                        "conversation_id": c.conversation_id,
                        "run_id": run_id,
                        "content_hash": c.content_hash,
                        "error_message": f.message[:2000],
                    }
                    for c, f in failed
                ],
            )
        update_run(cur, run_id, tally)


def update_run(cur: psycopg.Cursor[Any] | psycopg.Connection, run_id: int, tally: Tally) -> None:
    cur.execute(
        """UPDATE analysis_runs SET conversations_analyzed = %s, conversations_failed = %s,
               prompt_tokens = %s, completion_tokens = %s, cost_usd = %s
           WHERE id = %s""",
        (
            tally.analyzed,
            tally.failed,
            tally.prompt_tokens,
            tally.completion_tokens,
            round(tally.cost_usd, 6),
            run_id,
        ),
    )


def _profile_row(
    run_id: int, provider: str, model: str, conversation: Conversation, analysis: Analysis
) -> dict[str, object]:
    return {
        **analysis.profile.model_dump(),
        "conversation_id": conversation.conversation_id,
        "provider": provider,
        "modelo_ia": model,
        "content_hash": conversation.content_hash,
        "prompt_tokens": analysis.usage.prompt_tokens,
        "completion_tokens": analysis.usage.completion_tokens,
        "cost_usd": round(analysis.usage.cost_usd, 6),
        "run_id": run_id,
    }
