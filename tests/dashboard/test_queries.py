"""Every dashboard number against hand-built rows whose answers are worked out in builder.py."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import psycopg
import pytest

from allpfit.dashboard import queries, tables, texts
from allpfit.dashboard.queries import LeadFilters
from tests.dashboard.builder import TODAY, Expected, Rows

JUNE = (date(2026, 6, 1), TODAY)


def test_overview_kpis_match_the_hand_worked_answers(
    local: psycopg.Connection, expected: Expected
) -> None:
    kpis = queries.overview_kpis(local, *JUNE)
    assert kpis == queries.OverviewKpis(
        total_contatos=expected.total_contatos,
        conversas_ia=expected.conversas_ia,
        conversas_humanas=expected.conversas_humanas,
        visitas_agendadas=expected.visitas_agendadas,
        vendas_trafego=expected.vendas_trafego,
        vendas_totais=expected.vendas_totais,
    )


def test_daily_results_count_today_in_the_business_calendar(
    local: psycopg.Connection, expected: Expected
) -> None:
    assert queries.daily_results(local, TODAY) == queries.DailyResults(
        novos_leads=expected.novos_leads,
        visitas_hoje=expected.visitas_hoje,
        vendas_hoje=expected.vendas_hoje,
        conversas_hoje=expected.conversas_hoje,
        conversas_novas=expected.conversas_novas,
        conversas_reabertas=expected.conversas_reabertas,
    )


def test_visits_count_on_their_own_day_and_visits_without_a_day_on_none(
    local: psycopg.Connection, expected: Expected
) -> None:
    rows = Rows(local)
    tomorrow = TODAY + timedelta(days=1)
    rows.conversation(20, contact_id=120, day=TODAY - timedelta(days=2), name="Gil")
    rows.profile(20, probability=5, visit=True, visit_date=tomorrow)
    rows.conversation(21, contact_id=121, day=TODAY, hour=16, name="Hana")  # active today
    rows.profile(21, probability=5, visit=True)  # scheduled, day unknown: counts for no day
    rows.conversation(22, contact_id=122, day=TODAY, hour=17, name="Ivo", senders="b")
    rows.profile(22, probability=5, visit=True, visit_date=TODAY)  # no lead message: not a lead
    assert queries.daily_results(local, TODAY).visitas_hoje == expected.visitas_hoje == 3
    assert queries.daily_results(local, tomorrow) == queries.DailyResults(0, 1, 0, 0, 0, 0)


def test_a_visit_date_without_a_scheduled_visit_is_refused_by_the_table(
    local: psycopg.Connection,
) -> None:
    Rows(local).conversation(30, contact_id=130, day=TODAY)
    with pytest.raises(psycopg.errors.CheckViolation, match="data_visita"):
        Rows(local).profile(30, probability=2, visit=False, visit_date=TODAY)


def test_daily_results_of_a_quiet_day_are_zero(
    local: psycopg.Connection, expected: Expected
) -> None:
    quiet = queries.daily_results(local, TODAY + timedelta(days=7))
    assert quiet == queries.DailyResults(0, 0, 0, 0, 0, 0)


def test_kpis_of_an_empty_database_are_zero(local: psycopg.Connection) -> None:
    assert queries.overview_kpis(local, *JUNE) == queries.OverviewKpis(0, 0, 0, 0, 0, 0)
    assert queries.funnel(local, *JUNE) == queries.Funnel(0, 0, 0)


def test_narrow_range_counts_only_its_days(local: psycopg.Connection, expected: Expected) -> None:
    kpis = queries.overview_kpis(local, TODAY, TODAY)
    assert (kpis.total_contatos, kpis.conversas_ia, kpis.conversas_humanas) == (2, 1, 1)
    assert (kpis.visitas_agendadas, kpis.vendas_trafego, kpis.vendas_totais) == (1, 0, 1)


def test_leads_per_day_has_every_day_with_distinct_contacts(
    local: psycopg.Connection, expected: Expected
) -> None:
    frame = queries.leads_per_day(local, *JUNE)
    assert len(frame) == 30 and frame["dia"].iloc[0] == JUNE[0] and frame["dia"].iloc[-1] == TODAY
    by_day = {d: n for d, n in zip(frame["dia"], frame["leads"], strict=True) if n}
    assert by_day == {
        TODAY - timedelta(days=20): 1,
        TODAY - timedelta(days=18): 1,
        TODAY - timedelta(days=15): 1,
        TODAY: 2,
    }


def test_conversations_by_period_lists_all_four_periods_in_order(
    local: psycopg.Connection, expected: Expected
) -> None:
    frame = queries.conversations_by_period(local, *JUNE)
    assert list(frame["periodo"]) == ["madrugada", "manhã", "tarde", "noite"]
    assert list(frame["conversas"]) == [0, 2, 2, 1]


def test_funnel_follows_the_cohort_of_leads(local: psycopg.Connection, expected: Expected) -> None:
    assert queries.funnel(local, *JUNE) == queries.Funnel(leads=3, visitas=2, vendas=1)


def test_funnel_counts_a_buyer_whose_matched_conversation_is_older(
    local: psycopg.Connection, expected: Expected
) -> None:
    # Dora (104) bought after a conversation 41 days ago; she writes again inside the range.
    Rows(local).conversation(9, contact_id=104, day=TODAY - timedelta(days=3), name="Dora Reis")
    assert queries.funnel(local, *JUNE) == queries.Funnel(leads=4, visitas=2, vendas=2)


def test_conversion_by_score_gives_a_rate_per_score(
    local: psycopg.Connection, expected: Expected
) -> None:
    frame = queries.conversion_by_score(local, *JUNE)
    assert list(frame["probabilidade"]) == [0, 1, 2, 3, 4, 5]
    assert list(frame["conversas"]) == [0, 0, 1, 1, 1, 1]
    # c1 (score 5) was matched; c2 (score 4) is Ana again, before her signup: also a sale.
    assert list(frame["vendas"]) == [0, 0, 0, 0, 1, 1]
    assert frame["taxa"].iloc[5] == 1.0 and frame["taxa"].iloc[3] == 0.0
    assert frame["taxa"].iloc[:2].isna().all()


def test_conversions_list_one_row_per_customer_latest_signup_first(
    local: psycopg.Connection, expected: Expected
) -> None:
    total, mean_days, median_days = queries.conversions_summary(local, *JUNE)
    assert (total, mean_days, median_days) == (2, 13.0, 13.0)
    page = queries.conversions_page(local, *JUNE, page=1)
    assert list(page.rows["cliente"]) == ["Ana Souza", "Dora Reis"]
    assert list(page.rows["dias"]) == [10, 16]
    shown = tables.conversion_display(page.rows, mask_phones=True)
    assert list(shown.columns) == list(texts.CONVERSION_COLUMNS.values())
    assert shown["Celular"].iloc[0] == "+55 11 •••••-0001"
    assert shown["Tipo de cruzamento"].iloc[0] == "Celular idêntico"
    assert shown["Matrícula"].iloc[0] == (TODAY - timedelta(days=10)).strftime("%d/%m/%Y")


@pytest.mark.parametrize(
    ("filters", "conversation_ids"),
    [
        ({}, [7, 4, 2, 3, 1]),
        ({"name": "ana"}, [2, 1]),
        ({"name": "BRUNINHO"}, [3]),
        ({"name": "98765-0003"}, [4]),
        ({"name": "100%"}, []),
        ({"probabilities": (5,)}, [1]),
        ({"probabilities": (2, 3)}, [4, 3]),
        ({"conditions": ("Iniciante",)}, [2, 1]),
        ({"goal": "massa"}, [3]),
        ({"name": "ana", "probabilities": (4,)}, [2]),
    ],
)
def test_lead_filters_select_the_right_conversations(
    local: psycopg.Connection, expected: Expected, filters: dict, conversation_ids: list[int]
) -> None:
    page = queries.leads_page(local, LeadFilters(*JUNE, **filters), page=1)
    assert list(page.rows["conversation_id"]) == conversation_ids
    assert page.total == len(conversation_ids)


def test_lead_table_columns_and_formatting(local: psycopg.Connection, expected: Expected) -> None:
    page = queries.leads_page(local, LeadFilters(*JUNE, name="carla"), page=1)
    shown = tables.lead_display(page.rows, tz="America/Sao_Paulo", mask_phones=False, truncate=30)
    assert list(shown.columns) == list(texts.LEAD_COLUMNS)
    row = shown.iloc[0].to_dict()
    assert row["Nome"] == "Carla Dias" and row["Celular"] == "+5521987650003"
    assert row["Condição Física"] == "Avançado" and row["Probabilidade"] == "3"
    assert row["Primeiro Contato"] == TODAY.strftime("%d/%m/%Y") + " 09:00"
    assert row["Conversa"].startswith("Lead: Oi, quero saber") and row["Conversa"].endswith("…")
    assert len(row["Conversa"]) == 30
    assert row["Data da Visita"] == TODAY.strftime("%d/%m/%Y")


def test_lead_table_visit_date_column(local: psycopg.Connection, expected: Expected) -> None:
    page = queries.leads_page(local, LeadFilters(*JUNE), page=1)
    shown = tables.lead_display(page.rows, tz="America/Sao_Paulo", mask_phones=False, truncate=9)
    assert list(page.rows["conversation_id"]) == [7, 4, 2, 3, 1]
    # c7: no profile; c4: visit today; c2, c3: no visit; c1: visit with no known day
    assert list(shown["Data da Visita"]) == [
        "",
        TODAY.strftime("%d/%m/%Y"),
        "",
        "",
        texts.VISIT_NO_DATE,
    ]
    assert list(shown.columns)[-2:] == ["Probabilidade", "Data da Visita"]


def test_pagination_serves_50_per_page_and_clamps(local: psycopg.Connection) -> None:
    rows = Rows(local)
    for i in range(120):
        rows.conversation(
            1000 + i, contact_id=5000 + i, day=TODAY - timedelta(days=i % 10), hour=8 + i % 12
        )
    filters = LeadFilters(*JUNE)
    first, third = queries.leads_page(local, filters, 1), queries.leads_page(local, filters, 3)
    assert (first.total, first.pages, len(first.rows), len(third.rows)) == (120, 3, 50, 20)
    beyond = queries.leads_page(local, filters, 9)
    assert beyond.page == 3 and list(beyond.rows["conversation_id"]) == list(
        third.rows["conversation_id"]
    )
    seen = set()
    for number in (1, 2, 3):
        seen |= set(queries.leads_page(local, filters, number).rows["conversation_id"])
    assert len(seen) == 120


def test_csv_export_has_the_table_columns_and_every_filtered_row(
    local_url: str, expected: Expected
) -> None:
    out = io.BytesIO()
    with psycopg.connect(local_url) as conn:
        count = tables.write_leads_csv(
            conn, LeadFilters(*JUNE), out, tz="America/Sao_Paulo", mask_phones=True, chunk_size=2
        )
    raw = out.getvalue()
    assert raw.startswith("\ufeff".encode())
    reader = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert reader[0] == list(texts.LEAD_COLUMNS)
    assert count == expected.lead_rows == len(reader) - 1
    ana = [r for r in reader[1:] if r[0] == "Ana Souza" and r[-2] == "4"][0]
    assert ana[-1] == ""  # Data da Visita: no visit in this conversation
    dated = {r[0]: r[-1] for r in reader[1:] if r[-1]}
    assert dated == {"Ana Souza": "sem data", "Carla Dias": TODAY.strftime("%d/%m/%Y")}
    assert ana[2] == "+55 11 •••••-0001"
    assert ana[7] == (
        "Lead: Oi, quero saber do plano 0 / Bot: Olá! Sou a assistente 1 / "
        "Atendente: Oi, aqui é a Júlia 2 / Lead: Oi, quero saber do plano 3"
    )


@pytest.mark.parametrize("mask", [True, False])
def test_lead_table_shows_missing_names_and_phones_as_blank(
    local: psycopg.Connection, mask: bool
) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=TODAY, name="Só Nome", phone=None)
    rows.conversation(2, contact_id=2, day=TODAY, hour=11, name=None, phone="+5511987650002")
    rows.conversation(3, contact_id=3, day=TODAY, hour=12, name=None, phone=None)
    rows.conversation(
        4, contact_id=4, day=TODAY, hour=13, name="+5511987650004", phone="+5511987650004"
    )
    for filters in (LeadFilters(*JUNE), LeadFilters(*JUNE, name="Só")):
        page = queries.leads_page(local, filters, 1)
        shown = tables.lead_display(
            page.rows, tz="America/Sao_Paulo", mask_phones=mask, truncate=None
        )
        for column in texts.LEAD_COLUMNS:
            assert all(isinstance(v, str) for v in shown[column]), column
    shown = tables.lead_display(
        queries.leads_page(local, LeadFilters(*JUNE), 1).rows,
        tz="UTC",
        mask_phones=mask,
        truncate=None,
    )
    phone4 = "+55 11 •••••-0004" if mask else "+5511987650004"
    assert list(shown["Nome"]) == [phone4, "", "", "Só Nome"]
    assert list(shown["Celular"]) == [
        phone4,
        "",
        "+55 11 •••••-0002" if mask else "+5511987650002",
        "",
    ]
    assert list(shown["Probabilidade"]) == ["", "", "", ""]
