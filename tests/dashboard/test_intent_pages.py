"""Issue 13, "who the conversation is", on the dashboard: a contact who asked not to be
contacted gets no follow-up suggestion in the lead table, its CSV or the lead page; members,
cancellations and the like leave the lead figures; cancellations are on the Retenção page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from allpfit.dashboard import queries, retention, sidebar, tables, texts
from allpfit.dashboard.queries import LeadFilters
from tests.dashboard.builder import Rows

APP = Path(__file__).resolve().parents[2] / "src" / "allpfit" / "dashboard" / "app.py"
DAY = date(2026, 6, 10)
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
TZ = "America/Sao_Paulo"


def _intent(conn: psycopg.Connection, conversation_id: int, intent: str) -> None:
    conn.execute(
        "UPDATE conversas_analytics_ai SET intent = %s WHERE conversation_id = %s",
        (intent, conversation_id),
    )


def _say(conn: psycopg.Connection, conversation_id: int, text: str, at: datetime) -> None:
    """The contact's last message: appended to the transcript, times moved with it."""
    conn.execute(
        "UPDATE conversas_analytics SET message_compiled = message_compiled || "
        "jsonb_build_array(jsonb_build_object('sender', 'contact', 'text', %s::text)), "
        "last_contact_message_at = %s, last_message_at = %s WHERE conversation_id = %s",
        (text, at, at, conversation_id),
    )


def _dataset(conn: psycopg.Connection) -> None:
    """Contact 1: an old lead conversation (1), then "pare de me mandar" (2).
    Contact 3: a lead (3). Contact 4: a member (4). Contact 5: cancellations (5, 6)."""
    rows = Rows(conn)
    for cid, contact, day in ((1, 1, 3), (2, 1, 8), (3, 3, 9), (4, 4, 9), (5, 5, 10), (6, 6, 11)):
        rows.conversation(cid, contact_id=contact, day=date(2026, 6, day), name=f"Pessoa {cid}",
                          phone=f"+55119876500{cid:02d}")  # fmt: skip
        rows.profile(cid, probability=3)
        _say(conn, cid, f"mensagem {cid}", datetime(2026, 6, day, 15, tzinfo=UTC))
    _intent(conn, 2, "opt_out")
    _intent(conn, 4, "member")
    _intent(conn, 5, "cancellation")
    _intent(conn, 6, "cancellation")
    _say(
        conn, 6, "Quero cancelar meu plano, péssimo atendimento", datetime(2026, 6, 12, tzinfo=UTC)
    )


def test_the_lead_table_hides_the_suggestion_of_who_opted_out(local: psycopg.Connection) -> None:
    _dataset(local)
    page = queries.leads_page(local, LeadFilters(*JUNE), page=1)
    # Only new leads: the opt-out, member and cancellation conversations are not leads.
    assert sorted(page.rows["conversation_id"]) == [1, 3]
    shown = tables.lead_display(page.rows, tz=TZ, mask_phones=False, truncate=100)
    by_name = dict(zip(shown["Nome"], shown["Sugestão de Disparo"], strict=True))
    assert by_name == {"Pessoa 1": texts.OPTED_OUT, "Pessoa 3": "Mensagem sugerida 3"}
    assert queries.lead_detail(local, 1).opted_out is True  # type: ignore[union-attr]
    assert queries.lead_detail(local, 3).opted_out is False  # type: ignore[union-attr]
    # Contact 1 writes again on their own, in a new conversation: suggestions come back.
    Rows(local).conversation(7, contact_id=1, day=date(2026, 6, 20))
    _say(local, 7, "oi, voltei", datetime(2026, 6, 20, 12, tzinfo=UTC))
    page = queries.leads_page(local, LeadFilters(*JUNE), page=1)
    assert not page.rows["opted_out"].any()
    assert queries.lead_detail(local, 1).opted_out is False  # type: ignore[union-attr]


def test_the_retention_list_holds_cancellations_only(local: psycopg.Connection) -> None:
    _dataset(local)
    page = retention.page(local, *JUNE, 1)
    assert page.total == 2
    assert list(page.rows["conversation_id"]) == [6, 5]  # latest activity first
    shown = retention.display(page.rows, tz=TZ, mask_phones=True)
    assert list(shown.columns) == list(texts.RETENTION_COLUMNS)
    assert shown.iloc[0]["Última mensagem do contato"] == (
        "Quero cancelar meu plano, péssimo atendimento"
    )
    assert "98765" not in shown.iloc[0]["Celular"]  # the mask setting is respected
    assert retention.page(local, date(2026, 7, 1), date(2026, 7, 31), 1).total == 0


@pytest.fixture
def app_env(local_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", local_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DASHBOARD_MASK_PHONES", "false")
    monkeypatch.setattr(sidebar, "business_today", lambda tz: date(2026, 6, 30))
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()


def test_the_retention_page_lists_them_and_has_an_empty_state(
    local: psycopg.Connection, app_env: None
) -> None:
    at = AppTest.from_file(str(APP), default_timeout=30)
    at.run()
    at.switch_page("app_pages/retencao.py").run()
    assert not at.exception, at.exception
    assert at.title[0].value == texts.RETENTION_TITLE
    assert any(i.value == texts.RETENTION_EMPTY for i in at.info)
    _dataset(local)
    st.cache_data.clear()
    at.run()
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric}[texts.RETENTION_TOTAL] == "2"
    table = at.dataframe[0].value
    assert list(table["Nome"]) == ["Pessoa 6", "Pessoa 5"]
