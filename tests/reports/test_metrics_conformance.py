"""Conformance: every figure of the agent, team, inbox and label reports against Chatwoot's
own definitions, worked out by hand (docs/reports.md).

Six hand-made conversations are written into the Chatwoot-shaped source database, with the
reporting events Chatwoot's listener would have written, and synced into the local database
by the real sync (so the extraction of `report_events` / `report_messages` is checked too).
The period is 10-11 June 2026 in São Paulo (UTC-3); the previous period of the same length is
8-9 June. Times below are UTC; T0 = 10 June 13:00 UTC = 10:00 in São Paulo.

    C1  created T0        Ana, team Vendas, WhatsApp,  labels lead-quente + crossfit
        in T0, out Ana +120, in +200, out Ana +300, private note Ana +310, activity +600
        events: first_response 120 (business 60) Ana @+120; reply_time 100 (40) Ana @+300;
                conversation_resolved 600 (300) Ana @+600
    C2  created T0+1h     Ana, team Vendas, Instagram, label crossfit
        in +0, out bot +10, out Ana +400, CSAT template (type 3) +500
        events (inbox Instagram): first_response 400 (200) Ana @+400;
                conversation_resolved 1000 (500) Ana @+1000, resolved again 3000 (900) @+3000
    C3  created T0+1d     Bruno, team Suporte, WhatsApp, label crossfit
        in +0, out Bruno +60, in +100, out Bruno +400
        events: first_response 60 (60) Bruno @+60; reply_time 300 (0) Bruno @+400
    C4  created T0-1d     Ana, team Vendas, WhatsApp, label lead-quente   (previous period)
        in +0, out Ana +30; in at T0+7000 (10 June: the current period)
        events: first_response 30 (30) Ana @T0-1d+30;
                conversation_resolved 93600 (30000) Ana @T0+2h (written in the current period)
    C5  created 12 June 02:30 UTC = 11 June 23:30 local (current period), unassigned, WhatsApp
        in at creation
    C6  created 10 June 02:30 UTC =  9 June 23:30 local (previous period), unassigned, WhatsApp
        in at creation
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import psycopg
import pytest

from allpfit import db
from allpfit.reports.metrics import DimensionMetrics, Figures, dimension_metrics
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot
from tests.reports.dataset import END, START, TZ, build


@pytest.fixture
def ids(cw: Chatwoot, source_url: str, local_url: str) -> dict[str, int]:
    built = build(cw)
    run_sync(local_url, source_url)  # the business time zone: America/Sao_Paulo by default
    return built


def _report(local_url: str, dimension: Any, business: bool = False) -> dict[str, DimensionMetrics]:
    with db.tenant_connection(local_url, 1, role="reader", autocommit=True) as conn:
        rows = dimension_metrics(conn, dimension, START, END, timezone=TZ, business_hours=business)
    return {r.name: r for r in rows}


def _figures(row: Figures) -> dict[str, Any]:
    return {k: v for k, v in asdict(row).items() if k in Figures.__dataclass_fields__}


def F(**values: Any) -> dict[str, Any]:  # noqa: N802 - reads as a row of the table
    """Expected figures: the defaults of an empty row, overridden by `values`."""
    return {**_figures(Figures()), **values}


def test_agents(ids: dict[str, int], local_url: str) -> None:
    rows = _report(local_url, "agent")
    assert list(rows) == ["Ana Paula", "bruno"]  # most conversations first
    ana, bruno = rows["Ana Paula"], rows["bruno"]
    assert ana.key == str(ids["ana"])
    # Ana: conversations created 10-11 June assigned to her: C1, C2 = 2. An agent has no
    # incoming messages (Chatwoot's scope is the messages the user sent): None. Outgoing
    # messages she sent in the period: C1 3 (2 replies + the private note), C2 1 = 4 (her C4
    # reply was on 9 June). First responses written in the period by her: 120, 400 → average
    # 260, median 260. Resolutions written in the period with her as user: 600, 1000, 3000 and
    # C4's 93600 (C4 was created before the period; the event is in it) → 4, average
    # 98200 / 4 = 24550, median (1000 + 3000) / 2 = 2000. Reply times: 100.
    assert _figures(ana) == F(
        conversations=2, incoming_messages=None, outgoing_messages=4,
        first_response_avg=260.0, first_response_median=260.0,
        resolution_avg=24550.0, resolution_median=2000.0,
        reply_avg=100.0, reply_median=100.0, resolutions=4,
    )  # fmt: skip
    # Previous period (8-9 June): C4 created, her C4 reply (1 message), first response 30.
    assert _figures(ana.previous) == F(
        conversations=1, incoming_messages=None, outgoing_messages=1,
        first_response_avg=30.0, first_response_median=30.0,
    )  # fmt: skip
    # Bruno: C3; 2 replies; first response 60; reply time 300; nothing resolved.
    assert _figures(bruno) == F(
        conversations=1, incoming_messages=None, outgoing_messages=2,
        first_response_avg=60.0, first_response_median=60.0,
        reply_avg=300.0, reply_median=300.0,
    )  # fmt: skip
    assert _figures(bruno.previous) == F(incoming_messages=None)


def test_agents_in_business_hours(ids: dict[str, int], local_url: str) -> None:
    ana = _report(local_url, "agent", business=True)["Ana Paula"]
    # The same events, their value_in_business_hours: first responses 60, 200 → 130;
    # resolutions 300, 500, 900, 30000 → 31700 / 4 = 7925, median (500 + 900) / 2 = 700;
    # reply 40. Counts do not depend on the switch.
    assert _figures(ana) == F(
        conversations=2, incoming_messages=None, outgoing_messages=4,
        first_response_avg=130.0, first_response_median=130.0,
        resolution_avg=7925.0, resolution_median=700.0,
        reply_avg=40.0, reply_median=40.0, resolutions=4,
    )  # fmt: skip


def test_teams(ids: dict[str, int], local_url: str) -> None:
    rows = _report(local_url, "team")
    assert list(rows) == ["Vendas", "Suporte"]
    # Vendas: C1, C2 created in the period. Messages of its conversations sent in the period:
    # incoming C1 2 + C2 1 + C4 1 (10 June) = 4; outgoing C1 3 + C2 2 (bot + Ana; the CSAT
    # template is message_type 3, not outgoing) = 5. Events of its conversations written in
    # the period: first responses 120, 400; resolutions 600, 1000, 3000, 93600; reply 100.
    assert _figures(rows["Vendas"]) == F(
        conversations=2, incoming_messages=4, outgoing_messages=5,
        first_response_avg=260.0, first_response_median=260.0,
        resolution_avg=24550.0, resolution_median=2000.0,
        reply_avg=100.0, reply_median=100.0, resolutions=4,
    )  # fmt: skip
    # Previous: C4 created; its 2 messages of 9 June; its first response 30.
    assert _figures(rows["Vendas"].previous) == F(
        conversations=1, incoming_messages=1, outgoing_messages=1,
        first_response_avg=30.0, first_response_median=30.0,
    )  # fmt: skip
    assert _figures(rows["Suporte"]) == F(
        conversations=1, incoming_messages=2, outgoing_messages=2,
        first_response_avg=60.0, first_response_median=60.0,
        reply_avg=300.0, reply_median=300.0,
    )  # fmt: skip


def test_inboxes(ids: dict[str, int], local_url: str) -> None:
    rows = _report(local_url, "inbox")
    assert list(rows) == ["WhatsApp AllpFit", "Instagram AllpFit"]
    whatsapp = rows["WhatsApp AllpFit"]
    # WhatsApp: C1, C3 and C5 (12 June 02:30 UTC is 11 June in São Paulo) = 3. Incoming sent
    # in the period: C1 2 + C3 2 + C4 1 + C5 1 = 6; outgoing C1 3 + C3 2 = 5. Events with
    # this inbox written in the period: first responses 120, 60 → 90; replies 100, 300 → 200;
    # resolutions 600 and C4's 93600 → 2, average and median 47100.
    assert _figures(whatsapp) == F(
        conversations=3, incoming_messages=6, outgoing_messages=5,
        first_response_avg=90.0, first_response_median=90.0,
        resolution_avg=47100.0, resolution_median=47100.0,
        reply_avg=200.0, reply_median=200.0, resolutions=2,
    )  # fmt: skip
    # Previous: C4 and C6 (10 June 02:30 UTC is 9 June in São Paulo) = 2; incoming C4 1 +
    # C6 1, outgoing C4 1; first response 30.
    assert _figures(whatsapp.previous) == F(
        conversations=2, incoming_messages=2, outgoing_messages=1,
        first_response_avg=30.0, first_response_median=30.0,
    )  # fmt: skip
    # Instagram: C2; 1 in, 2 out; first response 400; resolutions 1000, 3000 → 2000.
    assert _figures(rows["Instagram AllpFit"]) == F(
        conversations=1, incoming_messages=1, outgoing_messages=2,
        first_response_avg=400.0, first_response_median=400.0,
        resolution_avg=2000.0, resolution_median=2000.0, resolutions=2,
    )  # fmt: skip


def test_labels(ids: dict[str, int], local_url: str) -> None:
    rows = _report(local_url, "label")
    assert list(rows) == ["crossfit", "lead-quente"]
    # crossfit: C1, C2, C3 = 3; incoming 2 + 1 + 2 = 5, outgoing 3 + 2 + 2 = 7. Chatwoot's
    # label averages take the events of conversations created in the period: first responses
    # 120, 400, 60 → 580 / 3, median 120; replies 100, 300 → 200; resolutions 600, 1000, 3000
    # → 4600 / 3, median 1000. Resolutions counted by event time: 3.
    assert _figures(rows["crossfit"]) == F(
        conversations=3, incoming_messages=5, outgoing_messages=7,
        first_response_avg=pytest.approx(580 / 3), first_response_median=120.0,
        resolution_avg=pytest.approx(4600 / 3), resolution_median=1000.0,
        reply_avg=200.0, reply_median=200.0, resolutions=3,
    )  # fmt: skip
    lead = rows["lead-quente"]
    # lead-quente: C1 (C4 was created before); incoming C1 2 + C4 1, outgoing C1 3. Averages
    # over C1's events only: 120, 100, 600. Resolutions written in the period: C1's and C4's.
    assert _figures(lead) == F(
        conversations=1, incoming_messages=3, outgoing_messages=3,
        first_response_avg=120.0, first_response_median=120.0,
        resolution_avg=600.0, resolution_median=600.0,
        reply_avg=100.0, reply_median=100.0, resolutions=2,
    )  # fmt: skip
    # Previous: C4 created then; its averages include its resolution of 10 June (Chatwoot's
    # label report selects by creation), while the resolution count (by event time) is 0.
    assert _figures(lead.previous) == F(
        conversations=1, incoming_messages=1, outgoing_messages=1,
        first_response_avg=30.0, first_response_median=30.0,
        resolution_avg=93600.0, resolution_median=93600.0,
    )  # fmt: skip


def test_deleted_conversations_count_nowhere(ids: dict[str, int], local_url: str) -> None:
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE conversas_analytics SET deleted_in_source_at = now() WHERE inbox_id = %s",
            (ids["instagram"],),
        )
    rows = _report(local_url, "agent")
    # C2 gone: Ana keeps C1 only; her C2 reply, first response and two resolutions go too.
    assert _figures(rows["Ana Paula"]) == F(
        conversations=1, incoming_messages=None, outgoing_messages=3,
        first_response_avg=120.0, first_response_median=120.0,
        resolution_avg=(600 + 93600) / 2, resolution_median=(600 + 93600) / 2,
        reply_avg=100.0, reply_median=100.0, resolutions=2,
    )  # fmt: skip
    assert "Instagram AllpFit" not in _report(local_url, "inbox")


def test_unknown_dimension_is_refused(local_url: str) -> None:
    with (
        db.tenant_connection(local_url, 1, role="reader", autocommit=True) as conn,
        pytest.raises(ValueError, match="unknown report dimension"),
    ):
        dimension_metrics(conn, "contact", START, END, timezone=TZ)


def test_an_agent_no_longer_assigned_keeps_the_name_and_the_events(
    ids: dict[str, int], local_url: str
) -> None:
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE conversas_analytics SET assignee_id = NULL, assignee_name = NULL "
            "WHERE assignee_id = %s",
            (ids["bruno"],),
        )
    bruno = _report(local_url, "agent")["bruno"]  # the name written with his events
    assert bruno.key == str(ids["bruno"])
    # No conversation assigned to him now; what he sent and his events stay his.
    assert _figures(bruno) == F(
        conversations=0, incoming_messages=None, outgoing_messages=2,
        first_response_avg=60.0, first_response_median=60.0,
        reply_avg=300.0, reply_median=300.0,
    )  # fmt: skip
