"""The lead table's sorting, "Sem análise", period presets, goal search and column order (AppTest
and the queries on a real PostgreSQL), on the standard dataset (tests/dashboard/builder.py)."""

from __future__ import annotations

from datetime import date, timedelta

import psycopg
import pytest
from streamlit.testing.v1 import AppTest

from allpfit.analysis.lexicon import GOALS
from allpfit.analysis.rules import goals_named
from allpfit.dashboard import queries, sidebar, texts
from allpfit.dashboard.queries import LeadFilters
from tests.dashboard.builder import Expected, Rows
from tests.dashboard.test_app import app_env, data, run, today  # noqa: F401

LEADS = "app_pages/leads.py"


def names(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Nome"])


def scores(at: AppTest) -> list[str]:
    return list(at.dataframe[0].value["Probabilidade"])


def test_probability_is_the_second_column_on_screen_and_in_the_csv(data: Expected) -> None:  # noqa: F811
    at = run(LEADS)
    assert list(at.dataframe[0].value.columns)[:2] == ["Nome", "Probabilidade"]
    assert list(at.dataframe[0].value.columns) == list(texts.LEAD_COLUMNS)


def test_sorting_by_probability_and_first_contact(data: Expected) -> None:  # noqa: F811
    at = run(LEADS)
    # Default: latest activity first (c7 today 14h, c4 today 9h, c2, c3, c1).
    assert names(at) == ["Bruno Lima", "Carla Dias", "Ana Souza", "Bruno Lima", "Ana Souza"]
    at.selectbox(key="f_ordem").set_value("probability").run()
    assert scores(at) == ["5", "4", "3", "2", ""]  # not analysed (c7) last
    assert at.query_params["ordem"] == "probability"
    at.selectbox(key="f_ordem").set_value("first").run()
    # First contact, newest first: c7 (today 14h), c4 (today 9h), c2 (15 days), c3 (18), c1 (20)
    assert scores(at) == ["", "3", "4", "2", "5"]
    at.selectbox(key="f_ordem").set_value("recent").run()
    assert "ordem" not in at.query_params  # the default is not written into the link


def test_a_sorted_view_opens_from_its_link_and_a_bad_order_is_the_default(
    data: Expected,  # noqa: F811
) -> None:
    assert scores(run(LEADS, ordem="probability")) == ["5", "4", "3", "2", ""]
    at = run(LEADS, ordem="'; DROP TABLE x; --")
    assert at.selectbox(key="f_ordem").value == "recent" and not at.error


def test_sem_analise_finds_the_leads_without_a_profile(data: Expected) -> None:  # noqa: F811
    at = run(LEADS)
    at.multiselect(key="f_prob").set_value(["sem"]).run()
    assert names(at) == ["Bruno Lima"] and scores(at) == [""]  # c7, never analysed
    assert at.query_params["prob"] == "sem"
    at.multiselect(key="f_prob").set_value([5, "sem"]).run()
    assert sorted(scores(at)) == ["", "5"] and at.query_params["prob"] == "5,sem"
    # From a shared link too.
    assert sorted(scores(run(LEADS, prob="5,sem"))) == ["", "5"]


def test_period_presets_set_the_sidebar_period(data: Expected) -> None:  # noqa: F811
    at = run(LEADS)
    assert len(at.dataframe[0].value) == data.lead_rows
    at.button(key="period_today").click().run()
    assert at.date_input(key="f_periodo").value == (today(), today())
    assert at.query_params["de"] == today().isoformat()
    assert sorted(names(at)) == ["Bruno Lima", "Carla Dias"]  # c4 and c7, created today
    at.button(key="period_7d").click().run()
    assert at.date_input(key="f_periodo").value == (today() - timedelta(days=6), today())
    at.button(key="period_30d").click().run()
    assert at.date_input(key="f_periodo").value == (today() - timedelta(days=29), today())
    assert len(at.dataframe[0].value) == data.lead_rows
    at.button(key="period_month").click().run()
    assert at.date_input(key="f_periodo").value == (today().replace(day=1), today())
    # The presets are the period filter's: every page with a period has them.
    at.switch_page("app_pages/visao_geral.py").run()
    assert {b.key for b in at.sidebar.button} >= {"period_today", "period_month"}


@pytest.mark.parametrize(
    ("preset", "expected"),
    [
        ("today", (date(2026, 3, 15), date(2026, 3, 15))),
        ("7d", (date(2026, 3, 9), date(2026, 3, 15))),
        ("30d", (date(2026, 2, 14), date(2026, 3, 15))),
        ("month", (date(2026, 3, 1), date(2026, 3, 15))),
    ],
)
def test_preset_periods(preset: str, expected: tuple[date, date]) -> None:
    assert sidebar.preset_period(preset, date(2026, 3, 15)) == expected
    assert set(texts.PERIOD_PRESETS) == {"today", "7d", "30d", "month"}


def test_goal_words_name_the_stored_categories() -> None:
    assert goals_named("emagrecer") == ("Perda de peso",)
    assert goals_named("Quero PERDER barriga") == ("Perda de peso",)
    assert goals_named("saúde") == goals_named("SAUDE") == ("Saúde/bem-estar",)
    assert goals_named("hipertrofia") == ("Ganho muscular",)
    assert goals_named("perda") == ("Perda de peso",)  # a word of the category's own name
    assert goals_named("xyz") == () and goals_named("") == ()
    assert set(goals_named("emagrecer e correr")) == {"Perda de peso", "Condicionamento"}
    assert all(goal in GOALS for goal in ("Perda de peso", "Saúde/bem-estar"))


def goal_rows(local: psycopg.Connection) -> None:
    """Three conversations today with the analyzer's own categories."""
    rows = Rows(local)
    for cid, name, goal in (
        (40, "Paulo Peso", "Perda de peso"),
        (41, "Sara Saúde", "Saúde/bem-estar"),
        (42, "Mário Músculo", "Ganho muscular"),
    ):
        rows.conversation(cid, contact_id=400 + cid, day=today(), hour=8, name=name)
        rows.profile(cid, probability=3, goal=goal)


def test_goal_filter_finds_categories_from_what_a_person_types(
    data: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    goal_rows(local)
    at = run(LEADS, obj="emagrecer")
    # "Perda de peso" by the lexicon; the older free-text "Emagrecer" (c1, c2) by its words.
    assert sorted(names(at)) == ["Ana Souza", "Ana Souza", "Paulo Peso"]
    at.text_input(key="f_obj").set_value("SAUDE").run()
    assert names(at) == ["Sara Saúde"]
    at.text_input(key="f_obj").set_value("hipertrofia").run()
    assert names(at) == ["Mário Músculo"]
    at.text_input(key="f_obj").set_value("bem-estar").run()
    assert names(at) == ["Sara Saúde"]
    at.text_input(key="f_obj").set_value("natação na piscina").run()
    assert any(i.value == texts.LEADS_EMPTY for i in at.info)


def test_goal_filter_in_sql_is_accent_insensitive_and_escapes_wildcards(
    data: Expected,  # noqa: F811
    local: psycopg.Connection,
) -> None:
    goal_rows(local)
    period = {"start": today() - timedelta(days=29), "end": today()}
    found = queries.leads_page(local, LeadFilters(**period, goal="saúde/bem"), 1)
    assert list(found.rows["nome"]) == ["Sara Saúde"]
    assert queries.count_leads(local, LeadFilters(**period, goal="%")) == 0
    assert queries.count_leads(local, LeadFilters(**period, goal="_")) == 0


def test_csv_keeps_the_table_sort(data: Expected, local: psycopg.Connection) -> None:  # noqa: F811
    import io

    from allpfit.dashboard.tables import write_leads_csv

    out = io.BytesIO()
    filters = LeadFilters(
        start=today() - timedelta(days=29), end=today(), order="probability", unanalysed=True
    )
    with local.transaction():  # a server-side cursor lives in a transaction
        count = write_leads_csv(local, filters, out, tz="America/Sao_Paulo", mask_phones=False)
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    assert lines[0].split(";")[:2] == ["Nome", "Probabilidade"]
    assert count == 1 and lines[1].startswith("Bruno Lima;;")  # only c7 has no profile
    out = io.BytesIO()
    filters = LeadFilters(start=today() - timedelta(days=29), end=today(), order="probability")
    with local.transaction():
        write_leads_csv(local, filters, out, tz="America/Sao_Paulo", mask_phones=False)
    lines = out.getvalue().decode("utf-8-sig").splitlines()
    assert [line.split(";")[1] for line in lines[1:]] == ["5", "4", "3", "2", ""]
