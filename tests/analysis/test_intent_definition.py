"""Migration 0080 on real PostgreSQL: the intent column, the one definition of a lead that
reads it (`is_lead`), and the one definition of an active opt-out (`contact_opt_outs_active`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import psycopg
import pytest

from allpfit import db
from tests.dashboard.builder import Rows

DAY = date(2026, 6, 1)


def _lead_flags(conn: psycopg.Connection, conversation_id: int) -> tuple[bool, bool, str | None]:
    row = conn.execute(
        "SELECT is_lead, is_contact_conversation, analysed_intent FROM conversas_analytics "
        "WHERE conversation_id = %s",
        (conversation_id,),
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def _set_intent(conn: psycopg.Connection, conversation_id: int, intent: str) -> None:
    conn.execute(
        "UPDATE conversas_analytics_ai SET intent = %s WHERE conversation_id = %s",
        (intent, conversation_id),
    )


def _contact_wrote(conn: psycopg.Connection, conversation_id: int, at: datetime) -> None:
    conn.execute(
        "UPDATE conversas_analytics SET last_contact_message_at = %s, last_message_at = %s "
        "WHERE conversation_id = %s",
        (at, at, conversation_id),
    )


def test_a_profile_defaults_to_new_lead_and_a_bad_intent_is_refused(
    local: psycopg.Connection,
) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=DAY)
    rows.profile(1, probability=3)
    assert local.execute("SELECT intent FROM conversas_analytics_ai").fetchone() == ("new_lead",)
    with pytest.raises(psycopg.errors.CheckViolation):
        _set_intent(local, 1, "maybe")


def test_only_new_leads_and_unanalysed_conversations_are_leads(
    local: psycopg.Connection,
) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=DAY)  # not analysed yet: still a lead
    rows.conversation(2, contact_id=2, day=DAY)
    rows.profile(2, probability=3)
    assert _lead_flags(local, 1) == (True, True, None)
    assert _lead_flags(local, 2) == (True, True, "new_lead")
    for intent in ("member", "cancellation", "opt_out", "wrong_number", "other"):
        _set_intent(local, 2, intent)
        # Still read by the analysis (a contact conversation), no longer a lead.
        assert _lead_flags(local, 2) == (False, True, intent)
    _set_intent(local, 2, "new_lead")
    assert _lead_flags(local, 2) == (True, True, "new_lead")
    local.execute("DELETE FROM conversas_analytics_ai WHERE conversation_id = 2")
    assert _lead_flags(local, 2) == (True, True, None)


def test_a_sale_of_a_conversation_that_is_not_a_new_lead_is_not_a_sale(
    local: psycopg.Connection,
) -> None:
    rows = Rows(local)
    rows.conversation(1, contact_id=1, day=DAY, phone="+5511987650001")
    rows.profile(1, probability=4)
    customer = rows.customer("Cliente", phone="+5511987650001", conversion=date(2026, 6, 5))
    rows.match(1, customer, conversation_day=DAY, signup=date(2026, 6, 5))
    assert local.execute("SELECT count(*) FROM lead_sales").fetchone() == (1,)
    _set_intent(local, 1, "member")
    assert local.execute("SELECT count(*) FROM lead_sales").fetchone() == (0,)


def _opt_outs(conn: psycopg.Connection) -> list[tuple[int, int]]:
    return [
        (r[0], r[1])
        for r in conn.execute(
            "SELECT contact_id, conversation_id FROM contact_opt_outs_active ORDER BY contact_id"
        )
    ]


def test_an_opt_out_holds_until_the_contact_writes_again_elsewhere(
    local: psycopg.Connection,
) -> None:
    rows = Rows(local)
    t = [datetime(2026, 6, d, 12, tzinfo=UTC) for d in range(1, 8)]
    rows.conversation(1, contact_id=7, day=date(2026, 6, 1))  # an earlier lead conversation
    _contact_wrote(local, 1, t[0])
    rows.conversation(2, contact_id=7, day=date(2026, 6, 2))  # "pare de me mandar mensagem"
    _contact_wrote(local, 2, t[1])
    rows.profile(1, probability=3)
    rows.profile(2, probability=0)
    _set_intent(local, 2, "opt_out")
    assert _opt_outs(local) == [(7, 2)]
    opted = local.execute("SELECT opted_out_at FROM contact_opt_outs_active").fetchone()
    assert opted == (t[1],)

    # A conversation of someone else, or a bot broadcast the contact never answered, or a
    # later conversation that Chatwoot has since deleted: none lifts it.
    rows.conversation(3, contact_id=8, day=date(2026, 6, 3))
    _contact_wrote(local, 3, t[2])
    rows.conversation(4, contact_id=7, day=date(2026, 6, 4), senders="b")
    rows.conversation(5, contact_id=7, day=date(2026, 6, 5), deleted=True)
    _contact_wrote(local, 5, t[4])
    assert _opt_outs(local) == [(7, 2)]

    # Writing again in the same conversation keeps the opt-out (until it is re-classified).
    _contact_wrote(local, 2, t[5])
    assert _opt_outs(local) == [(7, 2)]

    # The contact writes on their own in another conversation, later: lifted.
    rows.conversation(6, contact_id=7, day=date(2026, 6, 7))
    _contact_wrote(local, 6, t[6])
    assert _opt_outs(local) == []

    # A second opt-out after that is in force again (the latest one counts).
    rows.profile(6, probability=0)
    _set_intent(local, 6, "opt_out")
    assert _opt_outs(local) == [(7, 6)]


def test_the_opt_out_view_is_isolated_per_tenant(local: psycopg.Connection, local_url: str) -> None:
    local.execute("INSERT INTO tenants (id, slug, name, account_id) VALUES (2, 'a', 'A', 101)")
    for tenant, base in ((1, 100), (2, 200)):
        local.execute("SELECT set_config('allpfit.tenant_id', %s, false)", (str(tenant),))
        rows = Rows(local)
        rows.conversation(base, contact_id=base, day=DAY)
        rows.profile(base, probability=0)
        _set_intent(local, base, "opt_out")
    local.execute("RESET allpfit.tenant_id")
    assert {r[0] for r in local.execute("SELECT tenant_id FROM contact_opt_outs_active")} == {1, 2}
    with db.tenant_connection(local_url, 2, role="reader", autocommit=True) as conn:
        assert conn.execute(
            "SELECT tenant_id, contact_id FROM contact_opt_outs_active"
        ).fetchall() == [(2, 200)]
    with db.tenant_connection(local_url, 1, role="app", autocommit=True) as conn:
        assert conn.execute(
            "SELECT tenant_id, contact_id FROM contact_opt_outs_active"
        ).fetchall() == [(1, 100)]
