"""The Satisfação, Bot and Tráfego pages, the daily cards' "vs ontem" and the overview's
freshness line, driven in-process with AppTest on real PostgreSQL.

The report pages show the conformance dataset (test_csat_bot_traffic_conformance.py, whose
docstring derives every number asserted here), synced from a Chatwoot-shaped database.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from allpfit.dashboard import freshness, texts
from allpfit.tenants import DEFAULT_TENANT_ID
from allpfit.users import Role
from tests.dashboard.builder import Rows
from tests.dashboard.test_app import app_env, metrics, run, today  # noqa: F401
from tests.dashboard.test_tenants_app import add_user, logged_in, shown_text
from tests.factories import Chatwoot
from tests.reports.test_csat_bot_traffic_conformance import sync_dataset

# Every test runs the app as `allpfit dashboard` would, on this test's local database.
pytestmark = pytest.mark.usefixtures("app_env")
WEEK = {"de": "2026-06-08", "ate": "2026-06-14"}


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


@pytest.fixture
def ids(cw: Chatwoot, source_url: str, local_url: str) -> dict[str, int]:
    return sync_dataset(cw, source_url, local_url)


def tables(at: AppTest) -> list[list[dict[str, object]]]:
    return [d.value.to_dict("records") for d in at.dataframe]


def figure(at: AppTest, index: int) -> Any:
    """The plotly figure of the page's `index`-th chart, as the browser receives it."""
    return json.loads(at.get("plotly_chart")[index].proto.spec)


def values(data: object) -> list[int]:
    """A trace's numbers: plotly writes a pandas column as a typed array (base64)."""
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
        return [int(v) for v in array]
    assert isinstance(data, list)
    return [int(v) for v in data]


def matrix(data: object) -> list[list[int]]:
    """A heatmap's z: a typed array with a shape "rows, columns", or nested lists."""
    if isinstance(data, dict) and "bdata" in data:
        rows, columns = (int(n) for n in str(data["shape"]).split(","))
        flat = values(data)
        return [flat[r * columns : (r + 1) * columns] for r in range(rows)]
    assert isinstance(data, list)
    return [[int(v) for v in row] for row in data]


# --- Satisfação ---------------------------------------------------------------------------


def test_csat_page_cards_tables_and_filters(ids: dict[str, int]) -> None:
    at = run("app_pages/satisfacao.py", **WEEK)
    assert metrics(at) == {
        texts.CSAT_RESPONSES: "6",
        texts.CSAT_SCORE: "50,0%",  # 3 of 6 rated 4 or 5
        texts.CSAT_SENT: "7",
        texts.CSAT_RATE: "85,7%",  # 6 / 7
    }
    bars = figure(at, 0)["data"][0]
    assert values(bars["y"]) == [1, 1, 1, 1, 2]
    by_agent, by_inbox, comments = tables(at)
    assert by_agent == [
        {"Nome": "Ana", "Respostas": "3", "Satisfação": "100,0%", "Pesquisas enviadas": "4",
         "Taxa de resposta": "75,0%", "Nota média": "4,7"},
        {"Nome": "Bruno", "Respostas": "3", "Satisfação": "0,0%", "Pesquisas enviadas": "3",
         "Taxa de resposta": "100,0%", "Nota média": "2,0"},
    ]  # fmt: skip
    assert [(r["Nome"], r["Respostas"], r["Satisfação"]) for r in by_inbox] == [
        ("WhatsApp AllpFit", "5", "60,0%"),
        ("Site AllpFit", "1", "0,0%"),
    ]
    assert [r["Comentário"] for r in comments] == [
        "Excelente", "Péssimo, ninguém respondeu", "Demorou muito", "Ótimo atendimento", "Ok",
    ]  # fmt: skip
    first = comments[0]
    assert first["Respondida em"] == "14/06/2026 23:30"  # 06-15 02:30 UTC, in São Paulo
    assert (first["Nota"], first["Atendente"], first["Caixa de entrada"]) == (
        "5 😀", "Ana", "WhatsApp AllpFit",
    )  # fmt: skip

    at.multiselect(key="csat_agents").set_value([ids["ana"]]).run()
    assert metrics(at) == {
        texts.CSAT_RESPONSES: "3",
        texts.CSAT_SCORE: "100,0%",
        texts.CSAT_SENT: "4",
        texts.CSAT_RATE: "75,0%",
    }
    assert [r["Comentário"] for r in tables(at)[2]] == ["Excelente", "Ótimo atendimento"]
    at.multiselect(key="csat_agents").set_value([]).run()
    at.multiselect(key="csat_inboxes").set_value([ids["inbox_b"]]).run()
    assert metrics(at)[texts.CSAT_RATE] == "50,0%" and metrics(at)[texts.CSAT_SCORE] == "0,0%"
    at.multiselect(key="csat_inboxes").set_value([]).run()

    at.multiselect(key="csat_ratings").set_value([1, 2]).run()
    assert metrics(at)[texts.CSAT_RESPONSES] == "6"  # the cards ignore the comment filters
    assert [r["Nota"] for r in tables(at)[2]] == ["1 😞", "2 😕"]
    at.multiselect(key="csat_ratings").set_value([]).run()
    at.text_input(key="csat_text").set_value("atendimento").run()
    assert [r["Comentário"] for r in tables(at)[2]] == ["Ótimo atendimento"]
    at.text_input(key="csat_text").set_value("nada disso").run()
    assert any(i.value == texts.CSAT_COMMENTS_EMPTY for i in at.info)


def test_csat_page_empty_period(ids: dict[str, int]) -> None:
    at = run("app_pages/satisfacao.py", de="2026-06-01", ate="2026-06-01")
    assert metrics(at)[texts.CSAT_RESPONSES] == "0"
    assert metrics(at)[texts.CSAT_SCORE] == texts.EMPTY
    assert any(i.value == texts.CSAT_EMPTY for i in at.info)


# --- Bot ----------------------------------------------------------------------------------


def test_bot_page_cards_chart_table_and_inbox_filter(ids: dict[str, int]) -> None:
    at = run("app_pages/bot.py", **WEEK)
    assert metrics(at) == {
        texts.BOT_CONVERSATIONS: "6",
        texts.BOT_ONLY: "5",
        texts.BOT_HANDOFFS: "2",
        texts.BOT_RESOLVED: "3",
        texts.BOT_RESOLUTION_RATE: "50,0%",  # 3 / 6
        texts.BOT_HANDOFF_RATE: "33,3%",  # 2 / 6
        texts.BOT_MESSAGES: "7",
        texts.BOT_HANDOFF_TIME: "15 min",  # (600 + 1200) / 2 s
    }
    series = {trace["name"]: values(trace["y"]) for trace in figure(at, 0)["data"]}
    assert series[texts.BOT_SERIES["transferidas"]] == [0, 0, 1, 1, 0, 0, 0]
    (by_inbox,) = tables(at)
    assert [(r["Caixa de entrada"], r["Conversas com o bot"], r["Taxa de transferência"])
            for r in by_inbox] == [("WhatsApp AllpFit", "4", "25,0%"),
                                   ("Site AllpFit", "2", "50,0%")]  # fmt: skip

    at.multiselect(key="bot_inboxes").set_value([ids["inbox_b"]]).run()
    shown = metrics(at)
    assert [shown[k] for k in (texts.BOT_CONVERSATIONS, texts.BOT_ONLY, texts.BOT_HANDOFFS,
                               texts.BOT_RESOLVED, texts.BOT_RESOLUTION_RATE,
                               texts.BOT_HANDOFF_RATE)] == ["2", "2", "1", "1", "50,0%",
                                                           "50,0%"]  # fmt: skip
    assert shown[texts.BOT_HANDOFF_TIME] == "20 min"  # b4 alone: 1200 s


def test_bot_page_empty_period(ids: dict[str, int]) -> None:
    at = run("app_pages/bot.py", de="2026-06-01", ate="2026-06-01")
    assert metrics(at)[texts.BOT_CONVERSATIONS] == "0"
    assert metrics(at)[texts.BOT_RESOLUTION_RATE] == texts.EMPTY
    assert any(i.value == texts.BOT_EMPTY for i in at.info)


# --- Tráfego ------------------------------------------------------------------------------


def test_traffic_page_heatmap_buckets_and_inbox_filter(ids: dict[str, int]) -> None:
    at = run("app_pages/trafego.py", **WEEK)
    assert metrics(at) == {texts.TRAFFIC_TOTAL: "14"}
    heat = figure(at, 0)["data"][0]
    assert heat["y"][0] == "Seg" and heat["x"][22] == "22h"
    z = matrix(heat["z"])
    assert z[2][22] == 1  # Wednesday 22h in São Paulo: c4, Thursday 01:00 UTC
    assert z[0][9] == 2 and sum(map(sum, z)) == 14
    assert values(figure(at, 1)["data"][0]["y"]) == [2, 3, 1, 1, 2]
    (by_channel,) = tables(at)
    assert by_channel == [
        {"Canal": "Site", "Até 1 h": "0", "1 a 4 h": "0", "4 a 8 h": "0", "8 a 24 h": "1",
         "Mais de 24 h": "1"},
        {"Canal": "WhatsApp", "Até 1 h": "2", "1 a 4 h": "3", "4 a 8 h": "1", "8 a 24 h": "0",
         "Mais de 24 h": "1"},
    ]  # fmt: skip
    at.multiselect(key="traffic_inboxes").set_value([ids["inbox_b"]]).run()
    assert metrics(at) == {texts.TRAFFIC_TOTAL: "4"}
    assert values(figure(at, 1)["data"][0]["y"]) == [0, 0, 0, 1, 1]


# --- "vs ontem" and the freshness line ----------------------------------------------------


def test_daily_cards_compare_with_yesterday(local: psycopg.Connection) -> None:
    rows = Rows(local)
    yesterday = today() - timedelta(days=1)
    for i in (1, 2, 3):  # today: 3 new leads, one of them reopened
        rows.conversation(i, contact_id=i, day=today(), reopened=i == 1)
    for i in (4, 5):  # yesterday: 2 new leads, both reopened
        rows.conversation(i, contact_id=i, day=yesterday, reopened=True)
    at = run("app_pages/resultados.py")
    deltas = {m.label: m.delta for m in at.metric}
    assert deltas[texts.KPI_NEW_LEADS] == "▲ 50% vs ontem"  # 3 against 2
    assert deltas[texts.KPI_CONVERSATIONS_TODAY] == "▲ 50% vs ontem"
    assert deltas[texts.KPI_NEW_CONVERSATIONS] == "▲ 50% vs ontem"
    assert deltas[texts.KPI_REOPENED] == "▼ 50% vs ontem"  # 1 against 2
    assert deltas[texts.KPI_SALES_TODAY] == "— vs ontem"  # 0 against 0: no percentage
    assert metrics(at)[texts.KPI_NEW_LEADS] == "3"


def test_overview_says_when_data_was_and_will_be_updated(
    local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SCHEDULE_MINUTE", "15")
    monkeypatch.setenv("SCHEDULE_EVERY_HOURS", "2")
    sp = ZoneInfo("America/Sao_Paulo")
    monkeypatch.setattr(freshness, "server_now", lambda: datetime(2026, 11, 29, 14, 30, tzinfo=sp))
    at = run()
    assert any(
        c.value.startswith(texts.DATA_NEVER_UPDATED) and "29/11/2026 16:15" in c.value
        for c in at.caption
    )
    insert = (
        "INSERT INTO etl_control (started_at, finished_at, triggered_by, load_type, status) "
        "VALUES (%s, %s, 'scheduler', %s, %s)"
    )
    done = datetime(2026, 11, 29, 13, 2, 40, tzinfo=sp)
    local.execute(insert, (done - timedelta(seconds=30), done, "incremental", "success"))
    later = done + timedelta(minutes=20)  # neither a failed run nor a webhook refresh counts
    local.execute(insert, (later, later, "incremental", "failed"))
    local.execute(insert, (later, later, "webhook", "success"))
    st.cache_data.clear()  # as the sidebar's "Atualizar dados" does
    at = run()
    # Next: 14:30 → 15:15, but 15 is not a multiple of 2 hours → 16:15 (ops.schedule.next_run).
    line = "Dados atualizados em 29/11/2026 13:02 · próxima atualização automática às " + (
        "29/11/2026 16:15"
    )
    assert line in [c.value for c in at.caption]


# --- Tenants ------------------------------------------------------------------------------

STUDIO_MARKERS = ("Paula Pilates", "Segredo do estúdio", "Caixa do Estúdio")


def studio_rows(local: psycopg.Connection) -> None:
    """Tenant 2 with a rated, commented, bot-handled conversation in the same week, whose
    conversation id collides with the gym's."""
    local.execute(
        "INSERT INTO tenants (id, slug, name, account_id) VALUES (2, 'pilates', 'Pilates', 2)"
    )
    local.execute("SELECT set_config('allpfit.tenant_id', '2', false)")
    try:
        Rows(local).conversation(
            1, contact_id=201, day=datetime(2026, 6, 10).date(), name="Paula Pilates",
            senders="cb",
        )  # fmt: skip
        local.execute(
            "UPDATE conversas_analytics SET inbox_id = 1, inbox_name = 'Caixa do Estúdio', "
            "csat_rating = 5, csat_feedback = 'Segredo do estúdio', has_csat = true, "
            "csat_responded_at = '2026-06-10 15:00+00', csat_survey_sent_at = "
            "'2026-06-10 14:00+00', status = 'resolved', is_bot_resolved = true "
            "WHERE tenant_id = 2"
        )
    finally:
        local.execute("SELECT set_config('allpfit.tenant_id', '', false)")


@pytest.mark.parametrize(
    ("page", "key", "value"),
    [
        ("app_pages/satisfacao.py", texts.CSAT_RESPONSES, "6"),
        ("app_pages/bot.py", texts.BOT_CONVERSATIONS, "6"),
        ("app_pages/trafego.py", texts.TRAFFIC_TOTAL, "14"),
    ],
)
def test_a_manager_sees_only_their_tenants_reports(
    ids: dict[str, int], local: psycopg.Connection, page: str, key: str, value: str
) -> None:
    studio_rows(local)
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", None, empresa="pilates", **WEEK)
    at.switch_page(page).run()
    assert not at.exception and not at.error
    assert metrics(at)[key] == value  # the gym's figure: the studio's conversation is not in it
    text = shown_text(at) + json.dumps([c.proto.spec for c in at.get("plotly_chart")])
    assert not [m for m in STUDIO_MARKERS if m in text]
    for multiselect in at.multiselect:  # no filter offers the studio's inbox
        assert "Caixa do Estúdio" not in [str(o) for o in multiselect.options]
