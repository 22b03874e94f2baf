"""Every dashboard number against hand-built rows whose answers are worked out in builder.py."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import psycopg
import pytest
from psycopg import sql

from allpfit import db
from allpfit.config import Settings
from allpfit.crm import match
from allpfit.dashboard import queries, tables, texts
from allpfit.dashboard.queries import LeadFilters
from allpfit.embedded import with_database
from allpfit.errors import InputError
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


def test_funnel_counts_leads_visits_and_the_kpis_sales(
    local: psycopg.Connection, expected: Expected
) -> None:
    # Sales: A (Ana, conversation in range) and B (Dora, conversation 41 days ago), both
    # signed up in range: the funnel's last stage is "Vendas do Tráfego".
    assert queries.funnel(local, *JUNE) == queries.Funnel(
        leads=3, visitas=2, vendas=expected.vendas_trafego
    )
    # Dora writes again inside the range: one more lead, still the same two sales.
    Rows(local).conversation(9, contact_id=104, day=TODAY - timedelta(days=3), name="Dora Reis")
    assert queries.funnel(local, *JUNE) == queries.Funnel(leads=4, visitas=2, vendas=2)


def test_conversion_by_score_gives_a_rate_per_score(
    local: psycopg.Connection, expected: Expected
) -> None:
    frame = queries.conversion_by_score(local, *JUNE)
    # 0-5, then "not analysed" (c7 has no profile).
    assert list(frame["probabilidade"].iloc[:6]) == [0, 1, 2, 3, 4, 5]
    assert pd.isna(frame["probabilidade"].iloc[6]) and len(frame) == 7
    # Score 5: c1 (Ana's first conversation, sale A) and c5 (Dora's, 41 days ago, sale B in
    # range: counted once as a conversation so the rate stays a rate). c2 is Ana again: one
    # customer is one sale, on her first conversation.
    assert list(frame["conversas"]) == [0, 0, 1, 1, 1, 2, 1]
    assert list(frame["vendas"]) == [0, 0, 0, 0, 0, 2, 0]
    assert frame["vendas"].sum() == expected.vendas_trafego
    assert frame["taxa"].iloc[5] == 1.0 and frame["taxa"].iloc[4] == 0.0
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
    assert row["Nome"] == "Carla Dias" and row["Celular"] == "+55 21 98765-0003"
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
    # Right after the name: the score shows without scrolling sideways.
    assert list(shown.columns)[:3] == ["Nome", "Probabilidade", "Data da Visita"]


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
    lines = [dict(zip(texts.LEAD_COLUMNS, r, strict=True)) for r in reader[1:]]
    ana = [r for r in lines if r["Nome"] == "Ana Souza" and r["Probabilidade"] == "4"][0]
    assert ana["Data da Visita"] == ""  # no visit in this conversation
    dated = {r["Nome"]: r["Data da Visita"] for r in lines if r["Data da Visita"]}
    assert dated == {"Ana Souza": "sem data", "Carla Dias": TODAY.strftime("%d/%m/%Y")}
    assert ana["Celular"] == "'+55 11 •••••-0001"  # a leading + is quoted: never a formula
    assert ana["Conversa"] == (
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
    phone4 = "+55 11 •••••-0004" if mask else "+55 11 98765-0004"
    assert list(shown["Nome"]) == [phone4, "", "", "Só Nome"]
    assert list(shown["Celular"]) == [
        phone4,
        "",
        "+55 11 •••••-0002" if mask else "+55 11 98765-0002",
        "",
    ]
    assert list(shown["Probabilidade"]) == ["", "", "", ""]


# --- One definition of lead and sale (migration 0042) ------------------------------------

PERIOD = (date(2026, 6, 1), date(2026, 6, 20))


def sales_dataset(local: psycopg.Connection) -> None:
    """Leads and customers on which the old per-panel rules disagreed; the real match links them.

    Period June 1-20. Phones +55 11 98765-02NN; every customer has its own name (the match
    treats one name as one person).
      201 talks Jun 10, signs up Jun 10 (same day): a sale only with CRM_SAME_DAY_IS_CONVERSION.
      202 talks Jun 15, signed up Jun 5 (before talking): already a customer, no sale.
      203 talks May 20 (first) and Jun 12, signs up Jun 18: one sale, on the May conversation.
      205 talks Jun 3 (score 4) and Jun 8 (score 2), signs up Jun 20: ONE sale, not two.
      207 talks Jun 14, signs up Jun 26: a sale of another period.
      208 talks May 2, signs up Jun 9: a sale of this period from an older lead (no profile).
      209 talks Jun 4, signs up Jun 11, but the conversation was deleted in Chatwoot: no sale.
      210 got a broadcast May 1 (never answered), talks Jun 2, signs up Jun 6: a sale, whose
          lead conversation is Jun 2's (a broadcast is not a lead).
      212 only got a broadcast Jun 5, signs up Jun 10: never a lead, no sale.
    Sales of the period: 201 (same day), 203, 205, 208, 210 = 5; 4 without same day.
    """
    rows = Rows(local)
    june = lambda d: date(2026, 6, d)  # noqa: E731
    may = lambda d: date(2026, 5, d)  # noqa: E731

    def lead(cid: int, contact: int, day: date, **kw: object) -> None:
        rows.conversation(
            cid,
            contact_id=contact,
            day=day,
            phone=f"+55119876502{contact % 100:02d}",
            name=f"Pessoa {contact}",
            **kw,
        )  # type: ignore[arg-type]

    lead(201, 201, june(10))
    lead(202, 202, june(15))
    lead(203, 203, may(20))
    lead(204, 203, june(12))
    lead(205, 205, june(3))
    lead(206, 205, june(8))
    lead(207, 207, june(14))
    lead(208, 208, may(2))
    lead(209, 209, june(4), deleted=True)
    lead(210, 210, may(1), senders="b")
    lead(211, 210, june(2))
    lead(212, 212, june(5), senders="b")
    for cid, score in (
        (201, 5),
        (202, 1),
        (203, 4),
        (204, 3),
        (205, 4),
        (206, 2),
        (207, 3),
        (209, 5),
        (211, 5),
    ):
        rows.profile(cid, probability=score)
    signups = {
        201: june(10),
        202: june(5),
        203: june(18),
        205: june(20),
        207: june(26),
        208: june(9),
        209: june(11),
        210: june(6),
        212: june(10),
    }
    for contact, day in signups.items():
        rows.customer(
            f"Cliente {contact}", phone=f"+55119876502{contact % 100:02d}", conversion=day
        )


@pytest.mark.parametrize(("same_day", "sales"), [(True, 5), (False, 4)])
def test_one_sales_definition_across_panels(
    local: psycopg.Connection, local_url: str, tmp_path: Path, same_day: bool, sales: int
) -> None:
    sales_dataset(local)
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=local_url,
        data_dir=tmp_path / "data",
        crm_same_day_is_conversion=same_day,
    )
    match.run_match(local_url, settings)
    kpis = queries.overview_kpis(local, *PERIOD)
    funnel = queries.funnel(local, *PERIOD)
    score = queries.conversion_by_score(local, *PERIOD)
    total, _, _ = queries.conversions_summary(local, *PERIOD)
    assert kpis.vendas_trafego == funnel.vendas == score["vendas"].sum() == total == sales
    customers = set(queries.conversions_page(local, *PERIOD, 1).rows["cliente"])
    expected = {"Cliente 203", "Cliente 205", "Cliente 208", "Cliente 210"}
    assert customers == expected | ({"Cliente 201"} if same_day else set())
    # Leads of the period: 201, 202, 203, 205, 207, 210 (209 deleted, 208 older, 212 never wrote).
    assert (kpis.total_contatos, funnel.leads) == (6, 6)
    # 205's sale is on its first conversation (score 4), 208's is not analysed (NULL row).
    by_score = {
        (None if pd.isna(p) else int(p)): v
        for p, v in zip(score["probabilidade"], score["vendas"], strict=True)
    }
    assert by_score[4] == 2 and by_score[None] == 1 and by_score[2] == 0
    assert (score["vendas"] <= score["conversas"]).all()
    # The sale of June 26 belongs to the period that contains it.
    assert queries.overview_kpis(local, date(2026, 6, 21), date(2026, 6, 30)).vendas_trafego == 1


def test_generated_definitions_follow_their_columns(local: psycopg.Connection) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=TODAY)
    rows.conversation(2, contact_id=2, day=TODAY, senders="b")
    rows.conversation(3, contact_id=3, day=TODAY, deleted=True)
    leads = dict(local.execute("SELECT conversation_id, is_lead FROM conversas_analytics"))
    assert leads == {1: True, 2: False, 3: False}
    local.execute("UPDATE conversas_analytics SET deleted_in_source_at = NULL")
    assert local.execute(
        "SELECT is_lead FROM conversas_analytics WHERE conversation_id = 3"
    ).fetchone() == (True,)
    a = rows.customer(
        "A", conversion=date(2026, 6, 3), sale=date(2026, 6, 2), register=date(2026, 6, 1)
    )
    b = rows.customer("B", sale=date(2026, 6, 2), register=date(2026, 6, 1))
    c = rows.customer("C", register=date(2026, 6, 1))
    d = rows.customer("D")
    signup = dict(local.execute("SELECT id, signup_date FROM crm_customers"))
    assert [signup[i] for i in (a, b, c, d)] == [
        date(2026, 6, 3),
        date(2026, 6, 2),
        date(2026, 6, 1),
        None,
    ]


def test_conversations_deleted_in_chatwoot_are_in_no_figure_or_table(
    local: psycopg.Connection, expected: Expected
) -> None:
    rows = Rows(local)
    # A deleted copy of every kind of figure: a new lead today with a visit today, reopened,
    # analysed, and a CRM sale matched to it.
    rows.conversation(
        60,
        contact_id=160,
        day=TODAY,
        name="Apagada",
        phone="+5511987650060",
        senders="cba",
        reopened=True,
        deleted=True,
    )
    rows.profile(60, probability=5, visit=True, visit_date=TODAY, goal="Emagrecer")
    customer = rows.customer("Apagada", phone="+5511987650060", conversion=TODAY)
    rows.match(60, customer, conversation_day=TODAY, signup=TODAY)
    kpis = queries.overview_kpis(local, *JUNE)
    assert (kpis.total_contatos, kpis.vendas_trafego) == (
        expected.total_contatos,
        expected.vendas_trafego,
    )
    assert kpis.vendas_totais == expected.vendas_totais + 1  # the customer did sign up
    daily = queries.daily_results(local, TODAY)
    assert (
        daily.novos_leads,
        daily.visitas_hoje,
        daily.conversas_hoje,
        daily.conversas_reabertas,
    ) == (
        expected.novos_leads,
        expected.visitas_hoje,
        expected.conversas_hoje,
        expected.conversas_reabertas,
    )
    assert queries.leads_per_day(local, *JUNE)["leads"].iloc[-1] == 2
    assert queries.funnel(local, *JUNE) == queries.Funnel(3, 2, expected.vendas_trafego)
    assert queries.conversion_by_score(local, *JUNE)["vendas"].sum() == expected.vendas_trafego
    assert queries.conversions_summary(local, *JUNE)[0] == expected.vendas_trafego
    assert 60 not in set(queries.leads_page(local, LeadFilters(*JUNE), 1).rows["conversation_id"])
    assert queries.count_leads(local, LeadFilters(*JUNE, name="Apagada")) == 0


def test_dashboard_aggregates_still_read_the_partial_indexes_only(
    local: psycopg.Connection, expected: Expected
) -> None:
    local.execute("VACUUM ANALYZE conversas_analytics")  # visibility map: index-only scans
    local.execute("SET enable_seqscan = off")
    plan = "\n".join(
        r[0]
        for r in local.execute(
            "EXPLAIN SELECT conversation_date, contact_id FROM conversas_analytics "
            "WHERE is_lead AND conversation_date BETWEEN %s AND %s",
            JUNE,
        )
    )
    assert "Index Only Scan using conversas_analytics_dash_leads_idx" in plan, plan


# --- Bounded periods -----------------------------------------------------------------------


def test_every_period_query_refuses_an_unbounded_range(local: psycopg.Connection) -> None:
    huge = (date(1, 1, 1), date(9999, 12, 31))
    for query in (
        queries.overview_kpis,
        queries.leads_per_day,
        queries.conversations_by_period,
        queries.funnel,
        queries.conversion_by_score,
        queries.conversions_summary,
    ):
        with pytest.raises(InputError, match="at most 366 days"):
            query(local, *huge)
    with pytest.raises(InputError, match="at most 366 days"):
        queries.count_leads(local, LeadFilters(*huge))
    with pytest.raises(InputError, match="forwards"):
        queries.leads_per_day(local, TODAY, TODAY - timedelta(days=1))
    year = queries.leads_per_day(local, TODAY - timedelta(days=365), TODAY)
    assert len(year) == queries.MAX_RANGE_DAYS


@pytest.mark.parametrize(
    ("start", "end", "clamped"),
    [
        # ?de=0001-01-01&ate=9999-12-31: ends today, one year long
        (date(1, 1, 1), date(9999, 12, 31), (TODAY - timedelta(days=365), TODAY, True)),
        (date(2026, 6, 1), date(2026, 6, 30), (date(2026, 6, 1), date(2026, 6, 30), False)),
        (date(2026, 6, 30), date(2026, 6, 1), (date(2026, 6, 1), date(2026, 6, 30), True)),
        (date(2026, 7, 5), date(2026, 7, 9), (TODAY, TODAY, True)),  # all in the future
        (date(1990, 1, 1), date(1990, 2, 1), (date(2000, 1, 1), date(2000, 1, 1), True)),
    ],
)
def test_clamp_range_makes_any_period_safe(
    start: date, end: date, clamped: tuple[date, date, bool]
) -> None:
    got = queries.clamp_range(start, end, TODAY)
    assert (got.start, got.end, got.clamped) == clamped
    assert (got.end - got.start).days < queries.MAX_RANGE_DAYS


def test_migration_0042_defines_lead_and_signup_on_existing_rows(
    pg_admin_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An install upgraded from 0041 gets the definitions on the rows it already holds."""
    name = f"test_upgrade_{uuid.uuid4().hex[:10]}"
    db.ensure_database(pg_admin_url, name)
    every = db.migrations()
    try:
        with psycopg.connect(with_database(pg_admin_url, name), autocommit=True) as conn:
            monkeypatch.setattr(db, "migrations", lambda: [m for m in every if m.version < 42])
            db.upgrade(conn)
            rows = Rows(conn)
            rows.conversation(1, contact_id=1, day=TODAY)
            rows.conversation(2, contact_id=2, day=TODAY, senders="b")
            rows.conversation(3, contact_id=3, day=TODAY, deleted=True)
            rows.customer("Ana", sale=date(2026, 6, 2), register=date(2026, 6, 1))
            monkeypatch.setattr(db, "migrations", lambda: every)
            assert 42 in [m.version for m in db.upgrade(conn)]
            leads = dict(conn.execute("SELECT conversation_id, is_lead FROM conversas_analytics"))
            assert leads == {1: True, 2: False, 3: False}
            signup = conn.execute("SELECT signup_date FROM crm_customers").fetchone()
            assert signup == (date(2026, 6, 2),)
            assert queries.overview_kpis(conn, *JUNE).total_contatos == 1
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as admin:
            admin.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
