"""The API source: Chatwoot's API copied into a tenant's mirror, then the ordinary sync.

Real parts throughout: the fake Chatwoot API (tests/fakes/chatwoot_api.py) serves the tests'
Chatwoot database over HTTP on 127.0.0.1, the real client (httpx) reads it, the mirror and
the analytics tables are real PostgreSQL. The fake records every request, so the tests can
say what was asked for: a resumed backfill does not ask for finished pages again, and an
incremental run asks only for the conversations that changed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit import db
from allpfit.cli import app
from allpfit.config import Settings
from allpfit.ops.tenant_jobs import sync_tenant
from allpfit.source.api_client import ChatwootApi
from allpfit.source.api_mirror import mirror_schema, read_state, refresh_mirror
from allpfit.tenants import Tenant, get_tenant
from tests.factories import T0, Chatwoot
from tests.fakes.chatwoot_api import FakeChatwoot, serve

TOKEN_ENV = "TEST_CHATWOOT_API_TOKEN"
runner = CliRunner()


class Killed(Exception):
    """Stands for the process dying between two pages."""


async def _no_sleep(_seconds: float) -> None:
    return None


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


@pytest.fixture
def fake(source_url: str, cw: Chatwoot) -> Iterator[FakeChatwoot]:
    with serve(FakeChatwoot(source_url, account_id=cw.account_id)) as running:
        yield running


@pytest.fixture
def tenant(
    local: psycopg.Connection, fake: FakeChatwoot, monkeypatch: pytest.MonkeyPatch
) -> Tenant:
    monkeypatch.setenv(TOKEN_ENV, fake.token)
    local.execute(
        "INSERT INTO tenants (slug, name, account_id, source_kind, chatwoot_url, "
        "chatwoot_token_ref) VALUES ('cloud', 'Studio na nuvem', %s, 'api', %s, %s)",
        (fake.account_id, fake.url, f"env:{TOKEN_ENV}"),
    )
    return get_tenant(local, "cloud")


def _dataset(cw: Chatwoot, n: int) -> list[int]:
    """`n` conversations, oldest first, each a lead's question and an agent's answer; every
    third labelled, the first with a CSAT answer. Returns their display ids."""
    agent = cw.user("Ana", display_name="Ana Recepção")
    ids = []
    for i in range(n):
        at = T0 + timedelta(minutes=i)
        contact = cw.contact(f"Lead {i}", f"+55119000{i:05d}")
        conv = cw.conversation(contact, created_at=at, assignee_id=agent)
        cw.message(conv, "Oi, quanto custa o plano?", at=at)
        cw.message(
            conv, "R$ 99 por mês", message_type=1, sender_type="User", sender_id=agent,
            at=at + timedelta(seconds=90),
        )  # fmt: skip
        cw.execute(
            "UPDATE conversations SET last_activity_at = %s WHERE id = %s",
            (at + timedelta(seconds=90), conv),
        )
        if i % 3 == 0:
            cw.tag(conv, "interessado")
            cw.execute(
                "UPDATE conversations SET cached_label_list = 'interessado' WHERE id = %s",
                (conv,),
            )
        ids.append(conv)
    cw.csat(ids[0], 1, 5, "Ótimo atendimento", at=T0 + timedelta(hours=1))
    display = cw.conn.execute(
        "SELECT display_id FROM conversations WHERE id = ANY(%s) ORDER BY id", (ids,)
    ).fetchall()
    return [r[0] for r in display]


def _rows(local: psycopg.Connection, tenant: Tenant) -> dict[int, tuple]:
    return {
        r[0]: r[1:]
        for r in local.execute(
            "SELECT conversation_id, contact_name, total_messages, agent_messages, "
            "assignee_name, labels, csat_rating, first_response_time_seconds "
            "FROM conversas_analytics WHERE tenant_id = %s",
            (tenant.id,),
        )
    }


def _pages(fake: FakeChatwoot) -> list[int]:
    """The backfill listing pages asked for (oldest first)."""
    return [
        int(r.params["page"])
        for r in fake.calls("/conversations")
        if r.params.get("sort_by") == "created_at_asc"
    ]


def _message_calls(fake: FakeChatwoot) -> list[int]:
    return [int(r.path.split("/")[-2]) for r in fake.calls("/messages")]


def test_an_api_tenant_backfills_through_the_api_and_gets_its_rows(
    cw: Chatwoot,
    fake: FakeChatwoot,
    tenant: Tenant,
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
) -> None:
    display_ids = _dataset(cw, 30)
    result = sync_tenant(local_url, None, tenant, settings)

    assert result.rows_extracted == 30 and result.load_type == "full"
    rows = _rows(local, tenant)
    assert sorted(rows) == sorted(display_ids)  # the API's ids are display ids
    first = rows[display_ids[0]]
    assert first[:5] == ("Lead 0", 3, 1, "Ana Recepção", ["interessado"])  # + CSAT prompt
    assert first[5] == 5  # CSAT, through the reports endpoint
    assert first[6] == 90.0  # first response, from the events rebuilt from the messages
    assert rows[display_ids[1]][1] == 2 and rows[display_ids[1]][4] == []
    assert all(call.authorized for call in fake.requests)
    state = read_state(local, tenant.id)
    assert state.backfill_page == 2 and state.backfill_done_at is not None
    assert state.conversations_done == 30


def test_a_killed_backfill_resumes_without_asking_for_finished_pages_again(
    cw: Chatwoot, fake: FakeChatwoot, tenant: Tenant, local: psycopg.Connection, local_url: str
) -> None:
    _dataset(cw, 60)  # three pages of 25

    def die_after_two_pages(phase: str, done: int, total: int | None) -> None:
        if phase == "api_conversations" and done >= 50:
            raise Killed

    with (
        ChatwootApi(fake.url, fake.account_id, fake.token, sleep=_no_sleep) as api,
        pytest.raises(Killed),
    ):
        refresh_mirror(local_url, tenant, api, progress=die_after_two_pages)
    assert _pages(fake) == [1, 2]
    state = read_state(local, tenant.id)
    assert (state.backfill_page, state.conversations_done) == (2, 50)
    assert state.backfill_done_at is None
    fetched_before = set(_message_calls(fake))
    assert len(fetched_before) == 50

    fake.requests.clear()
    seen: list[tuple[int, int | None]] = []
    with ChatwootApi(fake.url, fake.account_id, fake.token, sleep=_no_sleep) as api:
        result = refresh_mirror(
            local_url, tenant, api, progress=lambda _p, done, total: seen.append((done, total))
        )
    assert _pages(fake) == [3]  # pages 1 and 2 are not asked for again
    assert result.mode == "backfill" and result.conversations == 10
    assert not fetched_before & set(_message_calls(fake))
    assert seen[-1] == (60, 60)
    mirrored = local.execute(
        f"SELECT count(*), count(DISTINCT m.conversation_id) FROM {mirror_schema(tenant.id)}"
        ".messages m"
    ).fetchone()
    assert mirrored == (121, 60)  # two each, and the CSAT prompt
    assert read_state(local, tenant.id).backfill_done_at is not None


def test_an_incremental_run_asks_only_for_the_changed_conversations(
    cw: Chatwoot,
    fake: FakeChatwoot,
    tenant: Tenant,
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
) -> None:
    display_ids = _dataset(cw, 30)
    sync_tenant(local_url, None, tenant, settings)
    changed = display_ids[7]
    now = datetime.now(UTC).replace(tzinfo=None)
    internal = cw.conn.execute(
        "SELECT id, contact_id FROM conversations WHERE display_id = %s", (changed,)
    ).fetchone()
    assert internal is not None
    cw.message(internal[0], "Posso visitar amanhã?", at=now, sender_type="Contact")
    cw.execute(
        "UPDATE conversations SET last_activity_at = %s, updated_at = %s WHERE id = %s",
        (now, now, internal[0]),
    )
    fake.requests.clear()

    result = sync_tenant(local_url, None, tenant, settings)

    assert result.load_type == "incremental"
    assert _message_calls(fake) == [changed]  # one conversation's messages, nothing else
    assert not _pages(fake)  # no backfill listing
    assert not fake.calls(f"/contacts/{internal[1]}")  # a known contact is not read again
    assert result.rows_extracted == 1 and result.rows_updated == 1
    assert _rows(local, tenant)[changed][1] == 3


def test_a_full_run_relists_cheaply_and_marks_conversations_chatwoot_deleted(
    cw: Chatwoot,
    fake: FakeChatwoot,
    tenant: Tenant,
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
) -> None:
    display_ids = _dataset(cw, 30)
    sync_tenant(local_url, None, tenant, settings)
    gone = display_ids[4]
    cw.execute("DELETE FROM messages WHERE conversation_id = %s", (gone,))
    cw.execute("DELETE FROM conversations WHERE display_id = %s", (gone,))
    fake.requests.clear()

    result = sync_tenant(local_url, None, tenant, settings, mode="full")

    assert _pages(fake) == [1, 2]  # the whole listing again...
    assert _message_calls(fake) == []  # ...but no conversation changed: no messages asked for
    assert result.rows_deleted == 1
    marked = local.execute(
        "SELECT conversation_id FROM conversas_analytics "
        "WHERE tenant_id = %s AND deleted_in_source_at IS NOT NULL",
        (tenant.id,),
    ).fetchall()
    assert marked == [(gone,)]
    assert read_state(local, tenant.id).backfill_done_at is not None


def test_the_mirror_is_not_readable_from_tenant_sessions(
    cw: Chatwoot, tenant: Tenant, local_url: str, settings: Settings
) -> None:
    _dataset(cw, 2)
    sync_tenant(local_url, None, tenant, settings)
    for role in ("app", "reader"):
        with (
            db.tenant_connection(local_url, tenant.id, role=role) as conn,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            conn.execute(f"SELECT count(*) FROM {mirror_schema(tenant.id)}.messages")
        with db.tenant_connection(local_url, tenant.id, role=role) as conn:
            assert conn.execute("SELECT count(*) FROM api_sync_state").fetchone() == (1,)
        with db.tenant_connection(local_url, 1, role=role) as conn:
            assert conn.execute("SELECT count(*) FROM api_sync_state").fetchone() == (0,)


def test_a_refused_token_fails_the_run_and_is_recorded(
    cw: Chatwoot,
    fake: FakeChatwoot,
    tenant: Tenant,
    local: psycopg.Connection,
    local_url: str,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from allpfit.source.api_client import ChatwootApiAuthError

    _dataset(cw, 2)
    monkeypatch.setenv(TOKEN_ENV, "wrong-token")
    with pytest.raises(ChatwootApiAuthError):
        sync_tenant(local_url, None, tenant, settings)
    failed = local.execute(
        "SELECT status, error_message FROM etl_control WHERE tenant_id = %s", (tenant.id,)
    ).fetchall()
    assert len(failed) == 1 and failed[0][0] == "failed"
    assert "401" in failed[0][1] and "wrong-token" not in failed[0][1]


def test_tenant_add_and_etl_run_through_the_cli(
    cw: Chatwoot,
    fake: FakeChatwoot,
    cli_env: dict[str, str],
    local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    display_ids = _dataset(cw, 3)
    monkeypatch.setenv(TOKEN_ENV, fake.token)
    monkeypatch.delenv("SOURCE_DATABASE_URL")  # an install that reads only the API
    missing = runner.invoke(
        app, ["tenant", "add", "nuvem", "--name", "Nuvem", "--account-id", "1", "--source", "api"]
    )
    assert missing.exit_code == 2
    assert "--chatwoot-url" in missing.output
    added = runner.invoke(
        app,
        ["tenant", "add", "nuvem", "--name", "Nuvem", "--account-id", str(fake.account_id),
         "--source", "api", "--chatwoot-url", fake.url + "/", "--chatwoot-token-env", TOKEN_ENV],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    row = local.execute(
        "SELECT source_kind, chatwoot_url, chatwoot_token_ref FROM tenants WHERE slug = 'nuvem'"
    ).fetchone()
    assert row == ("api", fake.url, f"env:{TOKEN_ENV}")
    listed = runner.invoke(app, ["tenant", "list"])
    assert f"API {fake.url}" in listed.output and fake.token not in listed.output

    synced = runner.invoke(app, ["etl", "run", "--tenant", "nuvem", "--no-analyze"])
    assert synced.exit_code == 0, synced.output
    ids = {
        r[0]
        for r in local.execute(
            "SELECT conversation_id FROM conversas_analytics ca JOIN tenants t "
            "ON t.id = ca.tenant_id WHERE t.slug = 'nuvem'"
        )
    }
    assert ids == set(display_ids)
    status = runner.invoke(app, ["status", "--tenant", "nuvem"])
    assert "success" in status.output and "nuvem" in status.output
    assert "Problems" not in status.output, status.output
