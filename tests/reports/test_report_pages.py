"""The agent, team, inbox and label pages driven with AppTest: each renders its table for the
sidebar's period, and its filters (business hours, average or median, the period) change the
figures as the conformance test worked them out (tests/reports/test_metrics_conformance.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from allpfit.dashboard import texts
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot
from tests.reports.dataset import END, START, build

APP = Path(__file__).resolve().parents[2] / "src" / "allpfit" / "dashboard" / "app.py"
PAGES = {
    "agent": "app_pages/agentes.py",
    "team": "app_pages/equipes.py",
    "inbox": "app_pages/caixas.py",
    "label": "app_pages/etiquetas.py",
}
COLUMNS = texts.DIMENSION_COLUMNS


@pytest.fixture
def app_env(local_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The app reads its settings from the environment, as under `allpfit dashboard`."""
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("DATABASE_URL", local_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


@pytest.fixture
def synced(cw: Chatwoot, source_url: str, local_url: str, app_env: None) -> None:
    build(cw)
    run_sync(local_url, source_url)


def run(page: str, start: str = START.isoformat(), end: str = END.isoformat()) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.query_params.update({"de": start, "ate": end})
    at.run()
    at.switch_page(page).run()
    assert not at.exception, at.exception
    return at


def table(at: AppTest) -> dict[str, dict[str, Any]]:
    """The page's report table, row by the first column (the name)."""
    frame = at.dataframe[0].value
    return {str(r[frame.columns[0]]): dict(r) for r in frame.to_dict("records")}


@pytest.mark.parametrize("dimension", list(PAGES))
def test_every_report_page_has_an_empty_state(app_env: None, dimension: str) -> None:
    at = run(PAGES[dimension])
    assert not at.error
    assert at.title[0].value
    assert any(i.value == texts.DIMENSION_EMPTY for i in at.info)


def test_agents_page_and_its_filters(synced: None) -> None:
    at = run(PAGES["agent"])
    assert at.title[0].value == texts.PAGE_AGENTS
    ana = table(at)["Ana Paula"]
    # No incoming column for agents (Chatwoot counts only what the agent sent).
    assert COLUMNS["incoming_messages"] not in ana
    # 2 conversations vs 1 → ▲ 100%; 4 messages sent vs 1 → ▲ 300%; first response average
    # 260 s ("4 min") vs 30 s → ▲ 767%; resolution average 24550 s ("6 h 49 min"), nothing
    # before; reply 100 s ("2 min"); 4 resolutions, none before.
    assert ana[COLUMNS["conversations"]] == "2 (▲ 100%)"
    assert ana[COLUMNS["outgoing_messages"]] == "4 (▲ 300%)"
    assert ana[COLUMNS["first_response"]] == "4 min (▲ 767%)"
    assert ana[COLUMNS["resolution"]] == "6 h 49 min"
    assert ana[COLUMNS["reply"]] == "2 min"
    assert ana[COLUMNS["resolutions"]] == "4"
    assert table(at)["bruno"][COLUMNS["resolution"]] == texts.EMPTY

    # Median: resolutions 600, 1000, 3000, 93600 → 2000 s = "33 min".
    at.segmented_control(key="rep_agent_statistic").set_value("median").run()
    assert table(at)["Ana Paula"][COLUMNS["resolution"]] == "33 min"

    # Business hours (median still on): 300, 500, 900, 30000 → 700 s = "12 min"; the first
    # response median 130 s ("2 min") vs 30 s → ▲ 333%.
    at.toggle(key="rep_agent_business").set_value(True).run()
    ana = table(at)["Ana Paula"]
    assert ana[COLUMNS["resolution"]] == "12 min"
    assert ana[COLUMNS["first_response"]] == "2 min (▲ 333%)"
    assert ana[COLUMNS["conversations"]] == "2 (▲ 100%)"  # counts do not depend on it


def test_a_different_period_changes_the_agents(synced: None) -> None:
    # 9 June alone: C4 created, Ana's first response of 30 s; compared with 8 June (nothing).
    at = run(PAGES["agent"], "2026-06-09", "2026-06-09")
    rows = table(at)
    assert list(rows) == ["Ana Paula"]
    assert rows["Ana Paula"][COLUMNS["conversations"]] == "1"
    assert rows["Ana Paula"][COLUMNS["first_response"]] == "30 s"
    assert any("08/06/2026 a 08/06/2026" in c.value for c in at.caption)


def test_teams_inboxes_and_labels_pages(synced: None) -> None:
    teams = table(run(PAGES["team"]))
    # Vendas: 2 conversations vs 1; 4 incoming vs 1 → ▲ 300%; 5 sent vs 1 → ▲ 400%.
    assert list(teams) == ["Vendas", "Suporte"]
    assert teams["Vendas"][COLUMNS["incoming_messages"]] == "4 (▲ 300%)"
    assert teams["Vendas"][COLUMNS["outgoing_messages"]] == "5 (▲ 400%)"

    inboxes = table(run(PAGES["inbox"]))
    # WhatsApp: 3 conversations vs 2 → ▲ 50%; 6 incoming vs 2 → ▲ 200%; first response
    # average 90 s ("2 min") vs 30 s → ▲ 200%; 2 resolutions.
    whatsapp = inboxes["WhatsApp AllpFit"]
    assert whatsapp[COLUMNS["conversations"]] == "3 (▲ 50%)"
    assert whatsapp[COLUMNS["incoming_messages"]] == "6 (▲ 200%)"
    assert whatsapp[COLUMNS["first_response"]] == "2 min (▲ 200%)"
    assert whatsapp[COLUMNS["resolutions"]] == "2"

    labels = table(run(PAGES["label"]))
    # lead-quente: resolution average 600 s ("10 min") vs 93600 s → ▼ 99%.
    assert list(labels) == ["crossfit", "lead-quente"]
    assert labels["lead-quente"][COLUMNS["resolution"]] == "10 min (▼ 99%)"
    assert labels["crossfit"][COLUMNS["conversations"]] == "3"
