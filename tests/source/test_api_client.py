"""The real Chatwoot API client (httpx) against the fake Chatwoot API, which serves rows of a
real Chatwoot-shaped PostgreSQL database (the `source_url` fixture)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, timedelta
from typing import Any

import psycopg
import pytest

from allpfit.config import Settings
from allpfit.errors import SourceError
from allpfit.source.api_client import (
    ChatwootApi,
    ChatwootApiAuthError,
    ChatwootApiUnavailable,
)
from tests.factories import T0, Chatwoot
from tests.fakes.chatwoot_api import FakeChatwoot, Scripted, serve


class Sleeps(list[float]):
    """An (async) `sleep` that records instead of waiting, so backoff is asserted, not endured."""

    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def cw(source_url: str) -> Iterator[Chatwoot]:
    with psycopg.connect(source_url, autocommit=True) as conn:
        yield Chatwoot(conn)


@pytest.fixture
def fake(source_url: str, cw: Chatwoot) -> Iterator[FakeChatwoot]:
    with serve(FakeChatwoot(source_url, account_id=cw.account_id)) as server:
        yield server


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


def client(fake: FakeChatwoot, sleeps: Sleeps, **kwargs: Any) -> ChatwootApi:
    options: dict[str, Any] = {"requests_per_minute": 60_000, "sleep": sleeps, "timeout": 5.0}
    options.update(kwargs)
    token = options.pop("token", fake.token)
    return ChatwootApi(fake.url, fake.account_id, token, **options)


def _conversations(cw: Chatwoot, n: int) -> list[int]:
    """`n` conversations, conversation i last active i minutes after T0; their ids."""
    ids = []
    for i in range(n):
        at = T0 + timedelta(minutes=i)
        conv = cw.conversation(cw.contact(f"Lead {i}", f"+5511900000{i:03d}"), created_at=at)
        ids.append(conv)
    return ids


def _display_ids(cw: Chatwoot) -> dict[int, int]:
    rows = cw.conn.execute("SELECT id, display_id FROM conversations").fetchall()
    return {row[0]: row[1] for row in rows}


def test_conversations_are_paged_completely_newest_activity_first(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    ids = _conversations(cw, 60)
    cw.execute("UPDATE conversations SET status = 1 WHERE id = %s", (ids[3],))  # resolved too
    display = _display_ids(cw)
    progress: list[tuple[str, int, int | None]] = []
    with client(fake, sleeps) as api:
        got = list(api.conversations(progress=lambda *a: progress.append(a)))
    assert [c["id"] for c in got] == [display[i] for i in reversed(ids)]
    calls = fake.calls("/conversations")
    assert [c.params["page"] for c in calls] == ["1", "2", "3"]
    assert {c.params["status"] for c in calls} == {"all"}
    assert {c.params["sort_by"] for c in calls} == {"last_activity_at_desc"}
    assert all(c.authorized for c in calls)
    assert progress[-1] == ("conversations", 60, 60)


def test_conversations_since_stops_at_older_activity(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    ids = _conversations(cw, 60)
    display = _display_ids(cw)
    since = int((T0 + timedelta(minutes=50)).replace(tzinfo=UTC).timestamp())
    with client(fake, sleeps) as api:
        got = list(api.conversations(since=since))
    assert [c["id"] for c in got] == [display[i] for i in reversed(ids[50:])]
    assert len(fake.calls("/conversations")) == 1  # stopped on the first page


def test_conversation_has_chatwoot_api_shape(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    agent = cw.user("ana", "Ana Paula")
    team = cw.team("Vendas")
    contact = cw.contact("Maria Souza", "+5511987654321", email="maria@x.test")
    conv = cw.conversation(contact, status=2, assignee_id=agent, team_id=team, priority=2)
    cw.message(conv, "Oi, quero saber o preço", sender_type="Contact", sender_id=contact)
    cw.message(conv, "Olá!", message_type=1, sender_type="User", sender_id=agent,
               at=T0 + timedelta(minutes=1))  # fmt: skip
    cw.tag(conv, "lead_quente")
    display = _display_ids(cw)[conv]
    with client(fake, sleeps) as api:
        one = api.conversation(display)
        listed = list(api.conversations())
    assert listed == [one]
    assert one["id"] == display
    assert one["status"] == "pending" and one["priority"] == "high"
    assert one["inbox_id"] == cw.inbox_id
    assert one["labels"] == ["lead_quente"]
    assert one["meta"]["sender"]["name"] == "Maria Souza"
    assert one["meta"]["sender"]["phone_number"] == "+5511987654321"
    assert one["meta"]["assignee"]["available_name"] == "Ana Paula"
    assert one["meta"]["team"]["name"] == "Vendas"
    assert one["created_at"] == int(T0.replace(tzinfo=UTC).timestamp())
    assert one["agent_last_seen_at"] == 0  # Chatwoot renders an unset time as nil.to_i
    assert one["messages"][0]["content"] == "Olá!"


def test_messages_are_paged_with_before_until_the_first(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    contact = cw.contact()
    conv = cw.conversation(contact)
    ids = [
        cw.message(conv, f"m{i}", message_type=i % 2, at=T0 + timedelta(seconds=i),
                   sender_type="Contact" if i % 2 == 0 else None,
                   sender_id=contact if i % 2 == 0 else None)
        for i in range(45)
    ]  # fmt: skip
    display = _display_ids(cw)[conv]
    with client(fake, sleeps) as api:
        got = api.messages(display)
    assert [m["id"] for m in got] == ids
    assert [m["content"] for m in got[:2]] == ["m0", "m1"]
    assert got[0]["message_type"] == 0 and got[1]["message_type"] == 1
    assert got[0]["sender"]["type"] == "contact" and "sender" not in got[1]
    assert got[0]["content_type"] == "text" and got[0]["status"] == "sent"
    assert got[0]["conversation_id"] == display
    calls = fake.calls("/messages")
    assert [c.params.get("before") for c in calls] == [None, str(ids[25]), str(ids[5])]


def test_wrong_token_is_a_clear_error_without_the_token(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    api = client(fake, sleeps, token="wrong-token-XYZ")
    with api, pytest.raises(ChatwootApiAuthError) as err:
        api.inboxes()
    assert "401" in str(err.value) and "access token" in (err.value.hint or "")
    assert "wrong-token-XYZ" not in str(err.value) + (err.value.hint or "")
    assert err.value.exit_code == 3
    assert len(fake.requests) == 1  # not retried


def test_429_is_retried_honouring_retry_after(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    cw.team("Vendas")
    fake.fail_next(429, retry_after="7")
    with client(fake, sleeps) as api:
        teams = api.teams()
    assert [t["name"] for t in teams] == ["Vendas"]
    assert sleeps == [7.0]
    assert len(fake.calls("/teams")) == 2


def test_rate_limit_every_n_calls_is_absorbed(
    cw: Chatwoot, source_url: str, sleeps: Sleeps
) -> None:
    _conversations(cw, 60)
    fake = FakeChatwoot(source_url, cw.account_id, rate_limit_every=2, retry_after="3")
    with serve(fake), client(fake, sleeps) as api:
        got = list(api.conversations())
    assert len(got) == 60
    assert sleeps == [3.0, 3.0]  # calls 2 and 4 were refused, each retried once


def test_500_is_retried_then_gives_up_clearly(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    cw.team("Vendas")
    fake.fail_next(500)
    with client(fake, sleeps, max_retries=2) as api:
        assert [t["name"] for t in api.teams()] == ["Vendas"]
        assert len(sleeps) == 1
        fake.fail_next(503, times=3)
        with pytest.raises(ChatwootApiUnavailable) as err:
            api.teams()
    assert "3 times" in str(err.value) and "HTTP 503" in str(err.value)


def test_never_ending_listing_stops_at_the_page_cap(
    cw: Chatwoot, source_url: str, sleeps: Sleeps
) -> None:
    fake = FakeChatwoot(source_url, cw.account_id, endless_conversations=True)
    with serve(fake), client(fake, sleeps, max_pages=4) as api, pytest.raises(SourceError) as err:
        list(api.conversations())
    assert "more than 4 pages" in str(err.value)
    assert "CHATWOOT_API_MAX_PAGES" in (err.value.hint or "")
    assert len(fake.calls("/conversations")) == 4


def test_a_server_ignoring_paging_is_detected(
    cw: Chatwoot, source_url: str, sleeps: Sleeps
) -> None:
    _conversations(cw, 30)
    conv = cw.conversation(cw.contact("Muitas", "+5511911112222"))
    for i in range(25):
        cw.message(conv, f"m{i}", at=T0 + timedelta(seconds=i))
    fake = FakeChatwoot(source_url, cw.account_id, ignore_paging=True)
    with serve(fake), client(fake, sleeps) as api:
        with pytest.raises(SourceError, match="already seen.*page=2"):
            list(api.conversations())
        with pytest.raises(SourceError, match="already seen.*before="):
            api.messages(_display_ids(cw)[conv])


def test_unknown_account_and_non_json_answers_name_the_endpoint(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    other = ChatwootApi(fake.url, cw.account_id + 99, fake.token, sleep=sleeps)
    with other, pytest.raises(SourceError, match="404") as err:
        other.labels()
    assert "account id" in (err.value.hint or "")
    fake.script.append(Scripted(200, body="<html>login</html>"))
    fake.script.append(Scripted(200, body='{"unexpected": true}'))
    with client(fake, sleeps) as api:
        with pytest.raises(SourceError, match=r"/inboxes with something that is not JSON"):
            api.inboxes()
        with pytest.raises(SourceError, match=r"/labels with JSON without payload"):
            api.labels()


def test_request_deadline_covers_a_trickling_body(
    cw: Chatwoot, source_url: str, sleeps: Sleeps
) -> None:
    fake = FakeChatwoot(source_url, cw.account_id, trickle=0.05)
    started = time.monotonic()
    with (
        serve(fake),
        client(fake, sleeps, timeout=0.5, max_retries=1) as api,
        pytest.raises(ChatwootApiUnavailable, match="within 0.5 s"),
    ):
        api.teams()
    assert time.monotonic() - started < 5


def test_account_listings_and_webhooks(cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps) -> None:
    agent = cw.user("ana", "Ana Paula")
    cw.execute(
        "INSERT INTO account_users (account_id, user_id, role, created_at, updated_at) "
        "VALUES (%s, %s, 1, now(), now())",
        (cw.account_id, agent),
    )
    cw.execute(
        "INSERT INTO labels (title, account_id, created_at, updated_at) "
        "VALUES ('lead_quente', %s, now(), now())",
        (cw.account_id,),
    )
    contacts = [cw.contact(f"C{i}", f"+55119{i:08d}") for i in range(20)]
    hidden = cw.contact("Sem telefone", None)  # Chatwoot lists only contacts it can reach
    conv = cw.conversation(contacts[0])
    cw.csat(conv, contacts[0], 5, "Ótimo")
    with client(fake, sleeps) as api:
        assert [i["name"] for i in api.inboxes()] == ["WhatsApp AllpFit"]
        agents = api.agents()
        assert [(a["name"], a["role"]) for a in agents] == [("ana", "administrator")]
        assert [label["title"] for label in api.labels()] == ["lead_quente"]
        listed = list(api.contacts())
        assert [c["name"] for c in listed] == sorted(f"C{i}" for i in range(20))
        assert sorted(c["id"] for c in listed) == contacts
        assert api.contact(hidden)["name"] == "Sem telefone"
        csat = list(api.csat_responses())
        assert [(r["rating"], r["feedback_message"]) for r in csat] == [(5, "Ótimo")]
        assert csat[0]["conversation_id"] == _display_ids(cw)[conv]
        assert api.webhooks() == []
        hook = api.create_webhook("https://example.test/hook")
        assert hook["secret"] and "message_created" in hook["subscriptions"]
        assert [w["url"] for w in api.webhooks()] == ["https://example.test/hook"]
    assert [c.params["page"] for c in fake.calls("/contacts")] == ["1", "2"]


def test_from_settings_uses_the_chatwoot_api_limits(tmp_path: Any) -> None:
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        chatwoot_api_timeout_seconds=12,
        chatwoot_api_requests_per_minute=30,
        chatwoot_api_max_pages=7,
    )
    with ChatwootApi.from_settings(settings, "https://cw.example/", 3, "t") as api:
        assert (api.timeout, api.max_pages, api.limit.per_minute) == (12, 7, 30)
        assert api.base_url == "https://cw.example" and api.prefix == "/api/v1/accounts/3"


def test_reporting_events_account_wide_and_per_conversation(
    cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps
) -> None:
    convs = _conversations(cw, 3)
    ids = [
        cw.event(conv, "first_response", 60.0 * (i + 1), at=T0 + timedelta(minutes=i))
        for i in range(30)
        for conv in [convs[i % 3]]
    ]
    display = _display_ids(cw)
    with client(fake, sleeps) as api:
        events = list(api.reporting_events())
        one = api.conversation_reporting_events(display[convs[1]])
        since = int((T0 + timedelta(minutes=25)).replace(tzinfo=UTC).timestamp())
        recent = list(api.reporting_events(since=since))
    assert [e["id"] for e in events] == ids
    assert [c.params["page"] for c in fake.calls("/reporting_events")[:2]] == ["1", "2"]
    assert events[0]["name"] == "first_response" and events[0]["value"] == 60.0
    assert events[0]["created_at"] == "2026-06-10T13:00:00.000Z"
    assert [e["id"] for e in one] == ids[1::3]
    assert [e["id"] for e in recent] == ids[25:]


def test_a_failed_create_is_not_retried(cw: Chatwoot, fake: FakeChatwoot, sleeps: Sleeps) -> None:
    fake.fail_next(500)
    with client(fake, sleeps) as api, pytest.raises(ChatwootApiUnavailable, match="not retried"):
        api.create_webhook("https://example.test/hook")
    assert len(fake.calls("/webhooks")) == 1 and sleeps == []
    fake.fail_next(429, retry_after="1")
    with client(fake, sleeps) as api:
        assert api.create_webhook("https://example.test/hook")["id"] == 1
    assert sleeps == [1.0]
