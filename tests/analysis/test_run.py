"""run_analysis against a real PostgreSQL: selection by content hash, failures, runs, limits."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import psycopg
import pytest

from allpfit import db
from allpfit.analysis import store
from allpfit.analysis.run import AnalysisSummary, run_analysis
from allpfit.config import Settings
from allpfit.errors import AlreadyRunningError, AnalysisError, ConfigError
from tests.analysis.conftest import add_lead, edit_text
from tests.fakes.llm_server import FakeLLM, Reply, answer, valid_profile

LEADS = {
    1: [("contact", "Oi, quanto custa a mensalidade?"), ("bot", "R$ 99"),
        ("contact", "e o horário?")],
    2: [("bot", "Olá!"), ("contact", "achei caro")],
    3: [("contact", "quero me matricular"), ("agent", "Claro, vou te mandar o link")],
}  # fmt: skip


def seed(conn: psycopg.Connection) -> None:
    for conversation_id, messages in LEADS.items():
        add_lead(conn, conversation_id, messages, minutes_ago=conversation_id)
    add_lead(conn, 99, [("bot", "Olá! Posso ajudar?"), ("system", "Pesquisa CSAT")])  # no lead


def rows(conn: psycopg.Connection, query: str, *params: Any) -> list[tuple[Any, ...]]:
    return conn.execute(query, params).fetchall()


def profiles(conn: psycopg.Connection) -> dict[int, tuple[Any, ...]]:
    found = rows(
        conn,
        "SELECT conversation_id, probabilidade_conversao, content_hash, analisado_em, provider, "
        "modelo_ia FROM conversas_analytics_ai ORDER BY 1",
    )
    return {r[0]: r[1:] for r in found}


def test_first_run_analyses_every_lead_and_a_second_run_none(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)
    first = run_analysis(local_url, settings)
    assert (first.provider, first.model, first.status) == ("rules", "rules-v2", "success")
    assert (first.leads, first.selected, first.analyzed, first.failed) == (3, 3, 3, 0)
    stored = profiles(local)
    assert sorted(stored) == [1, 2, 3]  # conversation 99 has no contact message
    assert {k: v[0] for k, v in stored.items()} == {1: 4, 2: 1, 3: 5}
    assert all(len(v[1]) == 64 and v[3:] == ("rules", "rules-v2") for v in stored.values())
    run = rows(
        local,
        "SELECT status, provider, model, conversations_selected, conversations_analyzed, "
        "conversations_failed, finished_at IS NOT NULL, triggered_by FROM analysis_runs",
    )
    assert run == [("success", "rules", "rules-v2", 3, 3, 0, True, "manual")]

    second = run_analysis(local_url, settings, triggered_by="scheduler")
    assert (second.selected, second.analyzed, second.skipped_unchanged) == (0, 0, 3)
    assert profiles(local) == stored


def test_only_the_conversation_whose_text_changed_is_analysed_again(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)
    run_analysis(local_url, settings)
    before = profiles(local)
    edit_text(local, 2, 1, "não é caro não, quero me matricular")
    summary = run_analysis(local_url, settings)
    assert (summary.analyzed, summary.skipped_unchanged) == (1, 2)
    after = profiles(local)
    assert after[2][0] == 5 and after[2][1] != before[2][1] and after[2][2] > before[2][2]
    assert after[1] == before[1] and after[3] == before[3]


def test_metadata_changes_do_not_trigger_a_paid_reanalysis(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)
    run_analysis(local_url, settings)
    local.execute(
        """UPDATE conversas_analytics SET contact_name = 'Outro Nome', labels = '{vip}',
               status = 'resolved', etl_updated_at = now(),
               message_compiled = (SELECT jsonb_agg(m || '{"at": "2026-01-01T00:00:00"}')
                                   FROM jsonb_array_elements(message_compiled) m)"""
    )
    local.execute(  # a CSAT template and a media-only message are not conversation text
        """UPDATE conversas_analytics SET message_compiled = message_compiled
               || '[{"id": 1, "sender": "system", "text": "Avalie"},
                    {"id": 2, "sender": "contact", "text": null},
                    {"id": 3, "sender": "contact", "text": "   "}]'::jsonb
           WHERE conversation_id = 1"""
    )
    assert run_analysis(local_url, settings).analyzed == 0
    local.execute(
        """UPDATE conversas_analytics SET message_compiled = message_compiled
               || '[{"id": 4, "sender": "contact", "text": "vou pensar"}]'::jsonb
           WHERE conversation_id = 1"""
    )
    assert run_analysis(local_url, settings).analyzed == 1


def test_reanalyze_analyses_every_lead_again(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)
    run_analysis(local_url, settings)
    summary = run_analysis(local_url, settings, reanalyze=True)
    assert (summary.selected, summary.analyzed, summary.skipped_unchanged) == (3, 3, 0)
    assert rows(local, "SELECT count(DISTINCT run_id) FROM conversas_analytics_ai") == [(1,)]
    assert rows(local, "SELECT max(run_id) = %s FROM conversas_analytics_ai", summary.run_id) == [
        (True,)
    ]


def test_limit_takes_the_most_recent_leads_first(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    for conversation_id in range(1, 6):
        add_lead(
            local, conversation_id, [("contact", "oi, qual o valor?")], minutes_ago=conversation_id
        )
    first = run_analysis(local_url, settings, limit=2)
    assert (first.selected, first.analyzed) == (2, 2)
    assert sorted(profiles(local)) == [1, 2]
    rest = run_analysis(local_url, settings, limit=10)
    assert rest.analyzed == 3 and sorted(profiles(local)) == [1, 2, 3, 4, 5]


def test_progress_is_reported_per_conversation(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)
    calls: list[tuple[str, int, int | None]] = []
    run_analysis(local_url, settings, progress=lambda *args: calls.append(args))
    assert calls[0] == ("analyze", 0, 3) and calls[-1] == ("analyze", 3, 3)


def _fails_for(marker: str) -> Any:
    def handler(request: dict[str, Any]) -> Reply:
        if marker in request["messages"][-1]["content"]:
            return Reply(status=500, error="boom")
        return answer(valid_profile())

    return handler


def test_a_failed_conversation_is_recorded_and_the_batch_carries_on(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    seed(local)
    add_lead(local, 4, [("contact", "FALHA-AQUI quanto custa?")])
    fake_llm.handler = _fails_for("FALHA-AQUI")
    summary = run_analysis(local_url, llm_settings.model_copy(update={"analysis_max_retries": 1}))
    assert (summary.status, summary.analyzed, summary.failed) == ("success", 3, 1)
    assert summary.failures == [(4, "gave up after 2 attempts: HTTP 500: boom")]
    failure = rows(local, "SELECT conversation_id, run_id, attempts, error_message, content_hash "
                          "FROM analysis_failures")  # fmt: skip
    assert failure[0][:4] == (4, summary.run_id, 1, "gave up after 2 attempts: HTTP 500: boom")
    assert sorted(profiles(local)) == [1, 2, 3]
    assert rows(local, "SELECT conversations_failed, status FROM analysis_runs") == [(1, "success")]

    fake_llm.handler = _fails_for("never")
    again = run_analysis(local_url, llm_settings)
    assert (again.selected, again.analyzed, again.failed) == (1, 1, 0)
    assert rows(local, "SELECT count(*) FROM analysis_failures") == [(0,)]
    assert sorted(profiles(local)) == [1, 2, 3, 4]


def test_a_conversation_failing_three_runs_is_left_alone_until_it_changes(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    add_lead(local, 1, [("contact", "FALHA quanto custa?")])
    fake_llm.handler = lambda request: answer(valid_profile(probabilidade_conversao=9))
    for attempt in range(1, 4):
        assert run_analysis(local_url, llm_settings).failed == 1
        assert rows(local, "SELECT attempts FROM analysis_failures") == [(attempt,)]
    assert rows(local, "SELECT status FROM analysis_runs ORDER BY id DESC LIMIT 1") == [("failed",)]
    skipped = run_analysis(local_url, llm_settings)
    assert (skipped.selected, skipped.skipped_given_up) == (0, 1)
    edit_text(local, 1, 0, "FALHA quanto custa o plano anual?")
    changed = run_analysis(local_url, llm_settings)
    assert changed.selected == 1
    assert rows(local, "SELECT attempts FROM analysis_failures") == [(1,)]
    assert run_analysis(local_url, llm_settings, reanalyze=True).selected == 1


def test_tokens_and_cost_add_up_in_rows_and_run(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    seed(local)
    fake_llm.then(answer(valid_profile(probabilidade_conversao="alta")))  # one re-ask is paid too
    summary = run_analysis(local_url, llm_settings)
    assert (summary.provider, summary.model, summary.analyzed) == ("openai", "gpt-4o-mini", 3)
    assert len(fake_llm.requests) == 4
    totals = rows(
        local,
        "SELECT sum(prompt_tokens), sum(completion_tokens), sum(cost_usd) "
        "FROM conversas_analytics_ai",
    )[0]
    assert (summary.prompt_tokens, summary.completion_tokens) == totals[:2]
    assert summary.cost_usd == pytest.approx(float(totals[2]), abs=1e-5)
    expected = (summary.prompt_tokens * 0.15 + summary.completion_tokens * 0.60) / 1e6
    assert summary.cost_usd == pytest.approx(expected, abs=1e-5) and summary.cost_usd > 0
    run = rows(local, "SELECT prompt_tokens, completion_tokens, cost_usd FROM analysis_runs")[0]
    assert run[:2] == totals[:2]


def test_llm_calls_run_concurrently(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    for conversation_id in range(1, 9):
        add_lead(local, conversation_id, [("contact", f"oi {conversation_id}")])
    fake_llm.latency = 0.2
    summary = run_analysis(local_url, llm_settings)  # ANALYSIS_CONCURRENCY=4
    assert summary.analyzed == 8
    assert fake_llm.max_in_flight == 4


def test_bad_key_fails_the_run_and_writes_nothing(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    seed(local)
    fake_llm.handler = lambda request: Reply(status=401, error="Incorrect API key provided")
    with pytest.raises(AnalysisError, match="refused the API key"):
        run_analysis(local_url, llm_settings)
    assert profiles(local) == {}
    run = rows(
        local, "SELECT status, error_message LIKE '%%refused the API key%%' FROM analysis_runs"
    )
    assert run == [("failed", True)]


def test_openai_without_a_key_is_a_config_error(local_url: str, settings: Settings) -> None:
    with pytest.raises(ConfigError, match="OPENAI_API_KEY is not set"):
        run_analysis(local_url, settings, provider="openai")
    with pytest.raises(ConfigError, match="Unknown analysis provider 'gpt'"):
        run_analysis(local_url, settings, provider="gpt")


def test_a_second_concurrent_run_is_refused(local_url: str, settings: Settings) -> None:
    with db.connect(local_url, autocommit=True) as holder:
        store.acquire_lock(holder)
        with pytest.raises(AlreadyRunningError):
            run_analysis(local_url, settings)


def test_a_run_left_running_by_a_killed_process_is_marked_interrupted(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    local.execute(
        "INSERT INTO analysis_runs (provider, model, status) "
        "VALUES ('rules', 'rules-v2', 'running')"
    )
    run_analysis(local_url, settings)
    assert rows(local, "SELECT status FROM analysis_runs ORDER BY id") == [
        ("interrupted",),
        ("success",),
    ]


def test_can_be_called_from_code_that_runs_an_event_loop(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    seed(local)

    async def caller() -> AnalysisSummary:
        return run_analysis(local_url, settings)

    assert asyncio.run(caller()).analyzed == 3


BOOKING = [("contact", "pode ser amanhã às 19h?"),
           ("bot", "Agendado! ✅ Sua aula experimental é amanhã às 19h.")]  # fmt: skip


def visit_dates(conn: psycopg.Connection) -> dict[int, tuple[Any, ...]]:
    found = rows(conn, "SELECT conversation_id, visita_agendada, data_visita FROM "
                       "conversas_analytics_ai ORDER BY 1")  # fmt: skip
    return {r[0]: r[1:] for r in found}


def test_visit_date_is_stored_and_old_profiles_get_it_only_on_reanalyze(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    add_lead(local, 7, BOOKING)  # sent 2026-06-10 10:00 in São Paulo
    add_lead(local, 8, LEADS[1], minutes_ago=1)
    run_analysis(local_url, settings)
    assert visit_dates(local) == {7: (True, date(2026, 6, 11)), 8: (False, None)}
    # a profile written before the column existed: same content hash, NULL date
    local.execute("UPDATE conversas_analytics_ai SET data_visita = NULL")
    assert run_analysis(local_url, settings).analyzed == 0
    assert visit_dates(local)[7] == (True, None)
    assert run_analysis(local_url, settings, reanalyze=True).analyzed == 2
    assert visit_dates(local)[7] == (True, date(2026, 6, 11))


def test_visit_date_from_the_llm_is_stored(
    local_url: str, local: psycopg.Connection, llm_settings: Settings, fake_llm: FakeLLM
) -> None:
    add_lead(local, 7, BOOKING)
    fake_llm.handler = lambda request: answer(
        valid_profile(visita_agendada=True, probabilidade_conversao=5, data_visita="2026-06-11")
    )
    assert run_analysis(local_url, llm_settings).analyzed == 1
    assert visit_dates(local) == {7: (True, date(2026, 6, 11))}
    assert "2026-06-10 (quarta-feira) 10:00" in fake_llm.user_texts()[0]


def test_the_business_time_zone_sets_the_visit_day(
    local_url: str, local: psycopg.Connection, settings: Settings
) -> None:
    add_lead(local, 7, BOOKING, minutes_ago=12 * 60)  # 01:00 UTC on June 10: still June 9 in SP
    run_analysis(local_url, settings.model_copy(update={"timezone": "Asia/Tokyo"}))
    assert visit_dates(local)[7] == (True, date(2026, 6, 11))  # 10:00 on June 10 in Tokyo
    run_analysis(local_url, settings, reanalyze=True)
    assert visit_dates(local)[7] == (True, date(2026, 6, 10))
