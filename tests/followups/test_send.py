"""Sending follow-ups into Chatwoot through its API (the fake Chatwoot API server, real
httpx client, real PostgreSQL): the 24-hour window, templates, refusal, never twice (a crash
between the call and the write, a retry, two senders at once), the daily cap, the dry run,
and the re-checks at send time."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit import db
from allpfit.cli import app
from allpfit.config import Settings
from allpfit.followups import plan, review, rules, send
from tests.fakes.chatwoot_api import FakeChatwoot, serve
from tests.followups.world import (
    World,
    api_for,
    default_tenant,
    make_world,
    naive,
    utcnow,
    with_api,
)

runner = CliRunner()


@pytest.fixture
def world(source_url: str, local_url: str, settings: Settings) -> World:
    return make_world(source_url, local_url, settings)


@pytest.fixture
def fake(world: World) -> Iterator[FakeChatwoot]:
    with serve(FakeChatwoot(world.source_url, account_id=world.cw.account_id)) as running:
        with_api(world, running)
        yield running


def approved_step_one(world: World, local: psycopg.Connection, *names: str) -> list[int]:
    """Plan, make step 1 of `names` due (yesterday) and approve it; the follow-up ids."""
    plan.plan(world.local_url, default_tenant(world.local_url), world.settings)
    ids = []
    for name in names:
        row = local.execute(
            """UPDATE followups SET due_on = current_date - 1
               WHERE conversation_id = %s AND step = 1 RETURNING id""",
            (world.leads[name],),
        ).fetchone()
        assert row is not None
        ids.append(row[0])
    done = review.approve(world.local_url, 1, ids, "gerente@academia.com")
    assert done.changed == ids, done.refused
    return ids


def run_send(world: World, fake: FakeChatwoot, **kwargs: Any) -> send.SendReport:
    with api_for(fake) as api:
        return send.send_due(
            world.local_url, default_tenant(world.local_url), world.settings, api, **kwargs
        )


def status_of(local: psycopg.Connection, fid: int) -> tuple[str, str | None, str | None]:
    row = local.execute(
        "SELECT status, send_mode, reason FROM followups WHERE id = %s", (fid,)
    ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_inside_the_window_it_is_a_free_text_message(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Ana Souza", hours_ago=2)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Ana Souza")
    text = local.execute("SELECT message_text FROM followups WHERE id = %s", (fid,)).fetchone()
    report = run_send(world, fake)
    assert [i.outcome for i in report.items] == ["sent"]
    assert len(fake.created_messages) == 1
    body = fake.created_messages[0]
    assert body["display_id"] == world.displays["Ana Souza"]
    assert body["content"] == text[0]  # type: ignore[index]
    assert body["message_type"] == "outgoing" and body["private"] is False
    assert "template_params" not in body
    assert status_of(local, fid)[:2] == ("sent", "message")
    audit = local.execute("SELECT actor, action FROM audit_log ORDER BY id").fetchall()
    assert ("gerente@academia.com", "followup.approve") in audit
    assert any(action == "followup.send" for _, action in audit)


def test_outside_the_window_without_a_template_it_is_not_sendable(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Bia Lima", hours_ago=30)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Bia Lima")
    report = run_send(world, fake)
    assert [i.outcome for i in report.items] == ["unsendable"]
    assert fake.created_messages == []
    status, _, reason = status_of(local, fid)
    assert status == "unsendable"
    assert reason == "outside WhatsApp's 24-hour window and no approved template is configured"


def test_outside_the_window_the_approved_template_is_sent(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Carla Reis", hours_ago=30)
    world.sync_and_profile()
    with db.tenant_transaction(world.local_url, 1) as conn:
        rules.save_settings(
            conn,
            {
                "template_name": "retomada_lead",
                "template_language": "pt_BR",
                "template_body": "Oi {{1}}, ainda quer conhecer a academia?",
                "template_params": ["first_name"],
            },
            "test",
        )
    [fid] = approved_step_one(world, local, "Carla Reis")
    report = run_send(world, fake)
    assert [i.outcome for i in report.items] == ["sent"]
    [body] = fake.created_messages
    assert body["content"] == "Oi Carla, ainda quer conhecer a academia?"
    assert body["template_params"] == {
        "name": "retomada_lead",
        "category": "MARKETING",
        "language": "pt_BR",
        "processed_params": {"body": {"1": "Carla"}},
    }
    assert status_of(local, fid)[:2] == ("sent", "template")


def test_private_note_mode_writes_a_note_for_the_agent(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Davi Melo", hours_ago=30)  # outside the window: a note is never delivered
    world.sync_and_profile()
    with db.tenant_transaction(world.local_url, 1) as conn:
        rules.save_settings(conn, {"send_as": "private_note"}, "test")
    [fid] = approved_step_one(world, local, "Davi Melo")
    run_send(world, fake)
    [body] = fake.created_messages
    assert body["private"] is True
    assert status_of(local, fid)[:2] == ("sent", "private_note")


def test_a_crash_between_the_call_and_the_write_never_sends_twice(
    world: World, fake: FakeChatwoot, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.lead("Edu Alves", hours_ago=2)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Edu Alves")

    def crash(*args: object, **kwargs: object) -> None:
        raise SystemExit("killed after the HTTP call")

    with monkeypatch.context() as patched:
        patched.setattr(send, "_mark_sent", crash)
        with pytest.raises(SystemExit):
            run_send(world, fake)
    assert len(fake.created_messages) == 1
    assert status_of(local, fid)[0] == "sending"
    # A run before the row is stale leaves it alone (another sender may be mid-call).
    early = run_send(world, fake)
    assert early.reconciled == 0 and status_of(local, fid)[0] == "sending"
    # Later: reconciled from Chatwoot's messages, not sent again.
    report = run_send(world, fake, stale_after=timedelta(0))
    assert report.reconciled == 1
    assert len(fake.created_messages) == 1
    status, mode, reason = status_of(local, fid)
    assert (status, mode, reason) == ("sent", "message", "reconciled with Chatwoot's messages")
    assert run_send(world, fake, stale_after=timedelta(0)).items == []
    assert len(fake.created_messages) == 1


def test_a_lost_answer_is_reconciled_and_a_retry_sends_nothing_more(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Fabi Dias", hours_ago=2)
    world.lead("Gui Nunes", hours_ago=2)
    world.sync_and_profile()
    first, second = approved_step_one(world, local, "Fabi Dias", "Gui Nunes")
    fake.fail_after_create = 1  # Chatwoot makes the message, then answers 500
    report = run_send(world, fake)
    assert [i.outcome for i in report.items] == ["left sending"]  # stops: Chatwoot failing
    assert len(fake.created_messages) == 1
    retry = run_send(world, fake, stale_after=timedelta(0))
    assert retry.reconciled == 1
    assert [i.outcome for i in retry.items] == ["sent"]
    assert sorted(b["display_id"] for b in fake.created_messages) == sorted(
        [world.displays["Fabi Dias"], world.displays["Gui Nunes"]]
    )
    assert status_of(local, first)[0] == status_of(local, second)[0] == "sent"
    run_send(world, fake, stale_after=timedelta(0))
    assert len(fake.created_messages) == 2


def test_a_rate_limited_create_is_retried_and_sent_once(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Hugo Paz", hours_ago=2)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Hugo Paz")
    fake.fail_next(429, only="POST", retry_after="0")  # refused before anything was made
    run_send(world, fake)
    posts = [r for r in fake.requests if r.method == "POST"]
    assert len(posts) == 2  # the 429, then the retry
    assert len(fake.created_messages) == 1
    assert status_of(local, fid)[0] == "sent"


def test_nothing_found_when_reconciling_is_left_for_a_person(
    world: World, fake: FakeChatwoot, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.lead("Iara Luz", hours_ago=2)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Iara Luz")
    with api_for(fake) as api:
        # Crash right after the claim, before the call.
        def crash(*args: object, **kwargs: object) -> None:
            raise SystemExit("killed before the call")

        monkeypatch.setattr(api, "create_message", crash)
        with pytest.raises(SystemExit):
            send.send_due(world.local_url, default_tenant(world.local_url), world.settings, api)
    monkeypatch.undo()
    report = run_send(world, fake, stale_after=timedelta(0))
    assert report.needs_review == 1
    assert fake.created_messages == []
    assert status_of(local, fid)[0] == "needs_review"
    # A person checked Chatwoot: approving again sends it.
    assert review.approve(world.local_url, 1, [fid], "gerente@academia.com").changed == [fid]
    run_send(world, fake)
    assert len(fake.created_messages) == 1


def test_two_senders_at_once_send_each_message_once(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    names = [f"Lead {i} Silva" for i in range(6)]
    for name in names:
        world.lead(name, hours_ago=2)
    world.sync_and_profile()
    ids = approved_step_one(world, local, *names)
    fake.latency = 0.05  # widen the race
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def sender() -> None:
        try:
            start.wait(timeout=10)
            run_send(world, fake)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors
    displays = [b["display_id"] for b in fake.created_messages]
    assert sorted(displays) == sorted(world.displays[n] for n in names)
    assert len(displays) == len(set(displays)) == 6
    assert {status_of(local, fid)[0] for fid in ids} == {"sent"}


def test_the_daily_cap_holds(world: World, fake: FakeChatwoot, local: psycopg.Connection) -> None:
    names = ["Ana Um", "Bia Dois", "Cris Tres"]
    for name in names:
        world.lead(name, hours_ago=2)
    world.sync_and_profile()
    with db.tenant_transaction(world.local_url, 1) as conn:
        rules.save_settings(conn, {"daily_cap": 2}, "test")
    approved_step_one(world, local, *names)
    report = run_send(world, fake)
    assert [i.outcome for i in report.items] == ["sent", "sent", "capped"]
    assert len(fake.created_messages) == 2
    run_send(world, fake)
    assert len(fake.created_messages) == 2
    assert local.execute("SELECT count(*) FROM followups WHERE status = 'approved'").fetchone() == (
        1,
    )


def test_send_time_rechecks_opt_out_and_a_new_message(
    world: World, fake: FakeChatwoot, local: psycopg.Connection
) -> None:
    world.lead("Joana Stop", hours_ago=3)
    world.lead("Kiko Volta", hours_ago=3)
    world.sync_and_profile()
    stop, back = approved_step_one(world, local, "Joana Stop", "Kiko Volta")
    # After the approval: Joana asks to stop (a later conversation classified opt_out) ...
    world.lead("Joana Stop 2", hours_ago=1, contact="Joana Stop", text="Parem de me mandar")
    world.sync_and_profile({"Joana Stop 2": "opt_out"})
    # ... and Kiko writes again in his conversation (only Chatwoot knows it yet).
    world.cw.message(
        world.leads["Kiko Volta"], "Oi, ainda tem vaga?",
        sender_type="Contact", sender_id=world.contacts["Kiko Volta"],
        at=naive(utcnow() - timedelta(minutes=5)),
    )  # fmt: skip
    report = run_send(world, fake)
    assert fake.created_messages == []
    assert sorted(i.outcome for i in report.items) == ["cancelled", "withdrawn"]
    assert status_of(local, stop) == ("cancelled", None, "the contact asked not to be contacted")
    assert status_of(local, back) == ("proposed", None, send.WROTE_AGAIN)


def test_dry_run_prints_what_would_be_sent_and_sends_nothing(
    world: World, fake: FakeChatwoot, local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.lead("Lara Costa", hours_ago=2)
    world.sync_and_profile()
    [fid] = approved_step_one(world, local, "Lara Costa")
    monkeypatch.setenv("DATABASE_URL", world.local_url)
    monkeypatch.setenv("SOURCE_DATABASE_URL", world.source_url)
    monkeypatch.setenv("SOURCE_ACCOUNT_ID", str(world.cw.account_id))
    monkeypatch.setenv("CHATWOOT_URL", fake.url)
    monkeypatch.setenv("CHATWOOT_API_TOKEN", fake.token)
    monkeypatch.setenv("DATA_DIR", str(world.settings.data_dir))
    result = runner.invoke(app, ["followups", "send", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert f"[would send] follow-up {fid}, conversation #{world.displays['Lara Costa']}" in (
        result.output
    )
    assert "message" in result.output
    assert "Oi Lara! Vi que você perguntou dos planos." in result.output
    assert "1 follow-up(s) would be sent (dry run: nothing sent)." in result.output
    assert fake.created_messages == []
    assert status_of(local, fid)[0] == "approved"
    assert fake.token not in result.output
    # Then for real, through the same command.
    result = runner.invoke(app, ["followups", "send"])
    assert result.exit_code == 0, result.output
    assert "1 follow-up(s) sent." in result.output
    assert len(fake.created_messages) == 1


def test_sending_without_chatwoot_credentials_is_a_clear_error(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", world.local_url)
    monkeypatch.setenv("DATA_DIR", str(world.settings.data_dir))
    result = runner.invoke(app, ["followups", "send"])
    assert result.exit_code == 2
    assert "has no Chatwoot URL, access token, account id to send follow-ups" in result.output
    assert "CHATWOOT_API_TOKEN" in result.output and "Traceback" not in result.output


def test_a_database_source_tenant_sends_with_its_own_credentials(
    cli_env: dict[str, str], local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GYM2_CW_TOKEN", "tok-gym2-SECRET")
    result = runner.invoke(
        app,
        ["tenant", "add", "gym2", "--name", "Gym 2", "--account-id", "7",
         "--chatwoot-url", "https://chat.gym2.example", "--chatwoot-token-env", "GYM2_CW_TOKEN"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["tenant", "list"])
    assert "https://chat.gym2.example" in result.output and "SECRET" not in result.output
    with psycopg.connect(cli_env["DATABASE_URL"]) as conn:
        from allpfit.tenants import get_tenant

        tenant = get_tenant(conn, "gym2")
    assert tenant.source_kind == "database"
    settings = Settings(_env_file=None)
    assert send.credentials(tenant, settings) == (
        "https://chat.gym2.example", 7, "tok-gym2-SECRET",
    )  # fmt: skip
