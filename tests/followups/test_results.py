"""Results of sent follow-ups: reply within 48 h and conversions, per step and per variant."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest

from allpfit import db
from allpfit.config import Settings
from allpfit.dashboard import texts
from allpfit.followups import results
from allpfit.sync.run import run_sync
from allpfit.tenants import DEFAULT_TENANT_ID
from allpfit.users import Role
from tests.dashboard.test_app import app_env  # noqa: F401
from tests.dashboard.test_tenants_app import add_user, logged_in
from tests.fakes.chatwoot_api import FakeChatwoot, serve
from tests.followups.test_send import approved_step_one, run_send
from tests.followups.world import World, make_world, naive, utcnow, with_api


@pytest.fixture
def world(source_url: str, local_url: str, settings: Settings) -> World:
    return make_world(source_url, local_url, settings)


@pytest.fixture
def fake(world: World) -> Iterator[FakeChatwoot]:
    with serve(FakeChatwoot(world.source_url, account_id=world.cw.account_id)) as running:
        with_api(world, running)
        yield running


def test_reply_within_48_hours_and_conversions(
    world: World,
    fake: FakeChatwoot,
    local: psycopg.Connection,
    app_env: None,  # noqa: F811
) -> None:
    for name in ("Ana Souza", "Bia Lima", "Caio Reis"):
        world.lead(name, hours_ago=2)
    world.sync_and_profile()
    ana, bia, caio = approved_step_one(world, local, "Ana Souza", "Bia Lima", "Caio Reis")
    run_send(world, fake)
    assert len(fake.created_messages) == 3
    # Pretend they went out three days ago (Caio: one hour ago, still inside his 48 hours).
    sent = naive(utcnow() - timedelta(days=3))
    local.execute(
        "UPDATE followups SET sent_at = now() - interval '3 days' WHERE id = ANY(%s)", ([ana, bia],)
    )
    local.execute("UPDATE followups SET sent_at = now() - interval '1 hour' WHERE id = %s", (caio,))
    # Ana answers 5 hours later; Bia 3 days later (too late to count); Bia buys today.
    world.cw.message(
        world.leads["Ana Souza"], "Quero sim!", at=sent + timedelta(hours=5),
        sender_type="Contact", sender_id=world.contacts["Ana Souza"],
    )  # fmt: skip
    world.cw.message(
        world.leads["Bia Lima"], "Oi, voltei", at=sent + timedelta(hours=60),
        sender_type="Contact", sender_id=world.contacts["Bia Lima"],
    )  # fmt: skip
    world.cw.execute(
        "UPDATE conversations SET last_activity_at = now() AT TIME ZONE 'UTC', "
        "updated_at = now() AT TIME ZONE 'UTC'"
    )
    run_sync(world.local_url, world.source_url)
    world.sale("Bia Lima")
    with db.tenant_connection(world.local_url, 1) as conn:
        by_step = results.results(conn, world.settings.timezone, "step")
        by_variant = results.results(conn, world.settings.timezone, "variant")
    [step] = by_step.to_dict("records")
    assert step["grupo"] == "1"
    assert (step["enviados"], step["responderam"], step["avaliaveis"], step["conversoes"]) == (
        3, 1, 2, 1,
    )  # fmt: skip
    assert step["taxa_resposta"] == pytest.approx(0.5)
    assert step["taxa_conversao"] == pytest.approx(1 / 3)
    variants: dict[int, str] = dict(
        local.execute("SELECT id, variant FROM followups WHERE step = 1").fetchall()
    )
    expected: dict[str, list[int]] = {}
    for fid, replied, bought in ((ana, 1, 0), (bia, 0, 1), (caio, 0, 0)):
        counts = expected.setdefault(variants[fid], [0, 0, 0])
        counts[0] += 1
        counts[1] += replied
        counts[2] += bought
    got = {
        r["grupo"]: [r["enviados"], r["responderam"], r["conversoes"]]
        for r in by_variant.to_dict("records")
    }
    assert got == expected
    # The page shows the same figures in Portuguese.
    add_user(local, "gerente@academia.com", Role.manager, DEFAULT_TENANT_ID)
    at = logged_in("gerente@academia.com", "app_pages/followups.py")
    frames = [f.value for f in at.dataframe if texts.FOLLOWUPS_COL_REPLY_RATE in f.value.columns]
    assert len(frames) == 2  # by step, by variant
    by_step_shown = frames[0].to_dict("records")
    assert by_step_shown == [
        {
            texts.FOLLOWUPS_COL_GROUP: "1ª",
            texts.FOLLOWUPS_COL_SENT: "3",
            texts.FOLLOWUPS_COL_REPLIED: "1",
            texts.FOLLOWUPS_COL_REPLY_RATE: texts.fmt_pct(0.5),
            texts.FOLLOWUPS_COL_CONVERSIONS: "1",
            texts.FOLLOWUPS_COL_CONVERSION_RATE: texts.fmt_pct(1 / 3),
        }
    ]
