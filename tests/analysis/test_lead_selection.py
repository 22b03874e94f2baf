"""Which conversations the analysis selects: the one lead definition (`is_lead`, migration 0042)."""

from __future__ import annotations

import psycopg

from allpfit.analysis import store
from tests.analysis.conftest import add_lead


def test_only_lead_conversations_still_in_chatwoot_are_planned(local: psycopg.Connection) -> None:
    add_lead(local, 1, [("contact", "Oi, quero treinar"), ("bot", "Olá!")])
    add_lead(local, 2, [("bot", "Promoção de verão!")])  # a broadcast nobody answered
    add_lead(local, 3, [("contact", "Quanto custa?")], minutes_ago=5)
    local.execute(
        "UPDATE conversas_analytics SET deleted_in_source_at = now() WHERE conversation_id = 3"
    )
    planned = store.plan(local, reanalyze=True, limit=None)
    assert (planned.pending, planned.leads) == ([1], 1)
    # Chatwoot lists it again (the sync clears the mark): a lead again, analysed again.
    local.execute("UPDATE conversas_analytics SET deleted_in_source_at = NULL")
    assert sorted(store.plan(local, reanalyze=True, limit=None).pending) == [1, 3]
