"""The follow-up plan: steps after the lead's last message, closed days, and who is left out
(opted out, converted, not a new lead), on real PostgreSQL after a real sync."""

from __future__ import annotations

from datetime import date, timedelta
from zoneinfo import ZoneInfo

import psycopg
import pytest

from allpfit import db
from allpfit.config import Settings
from allpfit.errors import InputError
from allpfit.followups import compose, plan, rules
from tests.followups.world import World, default_tenant, make_world, utcnow


@pytest.fixture
def world(source_url: str, local_url: str, settings: Settings) -> World:
    return make_world(source_url, local_url, settings)


def rows(local: psycopg.Connection) -> dict[tuple[int, int], tuple[str, date, str]]:
    return {
        (r[0], r[1]): (r[2], r[3], r[4])
        for r in local.execute(
            "SELECT conversation_id, step, status, due_on, message_text FROM followups"
        )
    }


def anchor_day(world: World, name: str, local: psycopg.Connection) -> date:
    row = local.execute(
        "SELECT last_contact_message_at FROM conversas_analytics WHERE conversation_id = %s",
        (world.leads[name],),
    ).fetchone()
    assert row is not None
    return row[0].astimezone(ZoneInfo(world.settings.timezone)).date()


def test_due_date_moves_past_closed_days() -> None:
    monday = date(2026, 6, 8)
    assert rules.due_date(monday, 1, ()) == date(2026, 6, 9)
    assert rules.due_date(monday, 5, (6, 7)) == date(2026, 6, 15)  # Saturday → Monday
    assert rules.due_date(monday, 6, (7,)) == date(2026, 6, 15)  # Sunday → Monday


def test_steps_and_weekdays_are_parsed_strictly() -> None:
    assert rules.parse_steps("1, 3,7") == [1, 3, 7]
    assert rules.parse_weekdays("sat,Sun") == [6, 7]
    assert rules.parse_weekdays("") == []
    for bad in ("3,1", "0,2", "1,1", "x"):
        with pytest.raises(InputError):
            rules.parse_steps(bad)
    with pytest.raises(InputError):
        rules.parse_weekdays("mon,tue,wed,thu,fri,sat,sun")


def test_a_new_lead_gets_the_default_steps_with_its_suggestion(
    world: World, local: psycopg.Connection
) -> None:
    world.lead("Ana Souza", hours_ago=30)
    world.sync_and_profile()
    done = plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    assert (done.candidates, done.created) == (1, 3)
    planned = rows(local)
    conv = world.leads["Ana Souza"]
    start = anchor_day(world, "Ana Souza", local)
    assert [planned[(conv, s)][1] for s in (1, 2, 3)] == [
        start + timedelta(days=d) for d in (1, 3, 7)
    ]
    assert all(planned[(conv, s)][0] == "proposed" for s in (1, 2, 3))
    assert planned[(conv, 1)][2].startswith("Oi Ana! Vi que você perguntou dos planos.")
    assert planned[(conv, 3)][2].endswith(compose.LAST_STEP)
    # Planning again changes nothing: one row per conversation and step.
    again = plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    assert (again.created, again.replanned, again.cancelled) == (0, 0, 0)
    assert local.execute("SELECT count(*) FROM followups").fetchone() == (3,)


def test_configured_steps_skip_closed_days(world: World, local: psycopg.Connection) -> None:
    world.lead("Bia Lima", hours_ago=30)
    world.sync_and_profile()
    start = anchor_day(world, "Bia Lima", local)
    closed = (start + timedelta(days=2)).isoweekday()
    with db.tenant_transaction(world.local_url, 1) as conn:
        rules.save_settings(conn, {"step_days": [2, 4], "closed_weekdays": [closed]}, "test")
    plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    planned = rows(local)
    conv = world.leads["Bia Lima"]
    assert set(planned) == {(conv, 1), (conv, 2)}
    assert planned[(conv, 1)][1] == start + timedelta(days=3)  # day 2 is closed
    assert planned[(conv, 1)][1].isoweekday() != closed
    assert planned[(conv, 2)][1] == start + timedelta(days=4)


def test_opted_out_converted_and_other_intents_get_nothing(
    world: World, local: psycopg.Connection
) -> None:
    world.lead("Ana Nova", hours_ago=30)
    # Carla asked a new lead's question, then (later, in another conversation) to stop.
    world.lead("Carla Lead", hours_ago=40, contact="Carla Reis")
    world.lead("Carla Stop", hours_ago=20, contact="Carla Reis", text="Não me mandem mais nada")
    world.lead("Davi Vendido", hours_ago=30)
    world.lead("Edu Aluno", hours_ago=30)
    world.lead("Fabi Cancela", hours_ago=30)
    world.sync_and_profile(
        {"Carla Stop": "opt_out", "Edu Aluno": "member", "Fabi Cancela": "cancellation"}
    )
    world.sale("Davi Vendido")
    done = plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    planned = {conv for conv, _ in rows(local)}
    assert planned == {world.leads["Ana Nova"]}
    assert done.candidates == 1


def test_a_lead_that_becomes_ineligible_has_its_open_steps_cancelled(
    world: World, local: psycopg.Connection
) -> None:
    world.lead("Gabi Rocha", hours_ago=30)
    world.sync_and_profile()
    plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    world.sale("Gabi Rocha")
    done = plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    assert done.cancelled == 3
    statuses = local.execute("SELECT DISTINCT status, reason FROM followups").fetchall()
    assert statuses == [("cancelled", "the lead already became a customer (CRM sale)")]


def test_follow_up_history_is_never_deleted(world: World, local: psycopg.Connection) -> None:
    world.lead("Ana Souza", hours_ago=30)
    world.sync_and_profile()
    plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    with pytest.raises(psycopg.errors.RaiseException, match="never deleted"):
        local.execute("DELETE FROM followups")
    assert local.execute("SELECT count(*) FROM followups").fetchone() == (3,)


def test_variants_are_stable_and_use_the_business_description() -> None:
    line = compose.business_line("Academia 24h com CrossFit. Planos a partir de R$ 99.")
    assert line == "Academia 24h com CrossFit."
    chosen = {compose.variant_for(1, conv, True) for conv in range(1, 50)}
    assert chosen == set(compose.VARIANTS)
    assert compose.variant_for(1, 7, True) == compose.variant_for(1, 7, True)
    assert compose.variant_for(1, 7, False) == "analysis"
    text = compose.compose("Oi Ana!", step=1, steps=3, variant="analysis-business", business=line)
    assert text == "Oi Ana!\n\nAcademia 24h com CrossFit."


def test_an_unknown_day_of_the_plan_is_today_in_the_tenant_zone() -> None:
    # The local day of a UTC moment just after midnight UTC is the previous day in São Paulo.
    moment = utcnow().replace(hour=1, minute=0)
    assert plan.local_day(moment, "America/Sao_Paulo") == (moment - timedelta(hours=3)).date()
