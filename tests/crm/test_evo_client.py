"""The real EVO client (httpx) against a fake EVO server on 127.0.0.1."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from allpfit.config import Settings
from allpfit.crm.evo_client import EvoAuthError, EvoClient, EvoUnavailableError
from allpfit.errors import ConfigError, CrmError
from tests.crm.conftest import Sleeps, client_for
from tests.fakes.evo_server import FakeEvo, Scripted, member, sale


def _members(n: int) -> list[dict[str, object]]:
    return [member(i, f"Aluno{i}", "Teste", cellphone=f"1198765{i:04d}") for i in range(1, n + 1)]


def test_members_are_read_page_by_page_until_a_short_page(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.members = _members(7)
    with client_for(evo, sleeps, page_size=3) as client:
        got = list(client.members())
    assert [m["idMember"] for m in got] == list(range(1, 8))
    calls = evo.calls("/api/v2/members")
    assert [(c.params["take"], c.params["skip"]) for c in calls] == [
        ("3", "0"),
        ("3", "3"),
        ("3", "6"),
    ]
    assert all(c.authorized for c in calls)


def test_an_exact_multiple_of_the_page_size_ends_with_an_empty_page(
    evo: FakeEvo, sleeps: Sleeps
) -> None:
    evo.members = _members(6)
    with client_for(evo, sleeps, page_size=3) as client:
        assert len(list(client.members())) == 6
    assert [c.params["skip"] for c in evo.calls("/api/v2/members")] == ["0", "3", "6"]


def test_page_size_is_clipped_to_evo_caps_per_endpoint(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.members = _members(120)
    evo.sales = [sale(i, i, "2026-02-01T10:00:00") for i in range(1, 151)]
    with client_for(evo, sleeps, page_size=100) as client:
        assert len(list(client.members())) == 120
        assert len(list(client.sales())) == 150
    assert {c.params["take"] for c in evo.calls("/api/v2/members")} == {"50"}
    assert {c.params["take"] for c in evo.calls("/api/v2/sales")} == {"100"}
    assert len(evo.calls("/api/v2/members")) == 3


def test_429_is_retried_after_the_servers_retry_after(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.members = _members(2)
    evo.fail_next(429, times=2, Retry_After="7")
    with client_for(evo, sleeps) as client:
        assert len(list(client.members())) == 2
        assert client.requests_made == 3
    assert sleeps == [7.0, 7.0]


def test_5xx_backs_off_exponentially_then_succeeds(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.members = _members(1)
    evo.fail_next(500, times=2)
    evo.fail_next(503)
    with client_for(evo, sleeps, backoff=0.5) as client:
        assert len(list(client.members())) == 1
    assert len(sleeps) == 3  # doubling steps, each a random 50-100 % of the step (jitter)
    for delay, step in zip(sleeps, [0.5, 1.0, 2.0], strict=True):
        assert step / 2 <= delay <= step


def test_retry_after_as_an_http_date_is_honoured(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.members = _members(1)
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    evo.fail_next(429, Retry_After=when)
    with client_for(evo, sleeps) as client:
        assert len(list(client.members())) == 1
    assert len(sleeps) == 1 and 27.0 <= sleeps[0] <= 30.0


def test_5xx_until_retries_run_out_is_a_clear_retryable_error(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.fail_next(500, times=10)
    with (
        client_for(evo, sleeps, max_retries=2) as client,
        pytest.raises(EvoUnavailableError) as err,
    ):
        list(client.members())
    assert "failed GET /api/v2/members 3 times (last: HTTP 500)" in err.value.message
    assert err.value.hint is not None and "EVO_BASE_URL" in err.value.hint
    assert len(evo.requests) == 3 and len(sleeps) == 2


def test_connection_refused_is_retried_then_reported(sleeps: Sleeps) -> None:
    client = EvoClient("x", "y", base_url="http://127.0.0.1:9", max_retries=1, sleep=sleeps)
    with client, pytest.raises(EvoUnavailableError) as err:
        client.get_json("/api/v2/members")
    assert "ConnectError" in err.value.message
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 1.0


def test_401_is_a_clear_error_naming_the_settings_without_the_token(
    evo: FakeEvo, sleeps: Sleeps
) -> None:
    client = EvoClient(evo.dns, "wrong-token-XYZ", base_url=evo.url, sleep=sleeps)
    with client, pytest.raises(EvoAuthError) as err:
        list(client.members())
    text = f"{err.value.message} {err.value.hint}"
    assert "HTTP 401" in text and "EVO_DNS" in text and "EVO_API_TOKEN" in text
    assert evo.dns in text
    assert "wrong-token-XYZ" not in text and evo.token not in text
    assert len(evo.requests) == 1 and sleeps == []  # no retry on bad credentials
    assert err.value.exit_code == 2


def test_403_says_the_key_lacks_permission(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.fail_next(403)
    with client_for(evo, sleeps) as client, pytest.raises(EvoAuthError) as err:
        list(client.sales())
    assert "HTTP 403" in err.value.message and "/api/v2/sales" in err.value.message
    assert evo.token not in err.value.message


def test_other_4xx_fails_at_once_with_the_status(evo: FakeEvo, sleeps: Sleeps) -> None:
    with client_for(evo, sleeps) as client, pytest.raises(CrmError) as err:
        client.get_json("/api/v2/unknown")
    assert "HTTP 404" in err.value.message and len(evo.requests) == 1


def test_a_body_that_is_not_a_list_of_records_is_refused(evo: FakeEvo, sleeps: Sleeps) -> None:
    evo.script.append(Scripted(200, {}, "5"))
    with client_for(evo, sleeps) as client, pytest.raises(CrmError) as err:
        list(client.members())
    assert "not a list of records" in err.value.message


def test_client_spaces_requests_to_the_requests_per_minute_setting(
    evo: FakeEvo, sleeps: Sleeps
) -> None:
    evo.members = _members(10)
    started = time.monotonic()
    with client_for(evo, sleeps, page_size=2, requests_per_minute=600) as client:
        assert len(list(client.members())) == 10
    # 6 requests (5 full pages + an empty one), one every 60/600 = 0.1 s, never two at once
    assert len(evo.requests) == 6
    assert time.monotonic() - started >= 0.45


def test_missing_credentials_are_a_config_error_naming_both() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError) as err:
        EvoClient.from_settings(settings)
    assert "EVO_DNS and EVO_API_TOKEN" in err.value.message
    settings = Settings(_env_file=None, evo_dns="academia")  # type: ignore[call-arg]
    with pytest.raises(ConfigError) as err:
        EvoClient.from_settings(settings)
    assert "EVO_API_TOKEN not set" in err.value.message


def test_a_server_ignoring_skip_is_stopped_not_looped(evo: FakeEvo, sleeps: Sleeps) -> None:
    page = json.dumps(_members(2))
    evo.script += [Scripted(200, {}, page), Scripted(200, {}, page)]
    with client_for(evo, sleeps, page_size=2) as client, pytest.raises(CrmError) as err:
        list(client.members())
    assert "returned the same page of /api/v2/members twice (skip=2)" in err.value.message


def test_a_trickling_server_is_cut_off_at_the_whole_request_deadline(
    evo: FakeEvo, sleeps: Sleeps
) -> None:
    """One byte every 20 ms: every read succeeds long before httpx's per-read timeout, and
    the ~700-byte answer would take ~15 s per request. EVO_TIMEOUT_SECONDS bounds the whole
    request, so two attempts take about 2 x 0.4 s."""
    evo.members = _members(2)
    evo.trickle = 0.02
    started = time.monotonic()
    with (
        client_for(evo, sleeps, timeout=0.4, max_retries=1) as client,
        pytest.raises(EvoUnavailableError) as err,
    ):
        list(client.members())
    assert time.monotonic() - started < 3.0
    assert "2 times (last: no complete answer within 0.4 s)" in err.value.message
    assert len(evo.requests) == 2


def test_the_whole_sync_has_a_deadline_too(evo: FakeEvo, sleeps: Sleeps) -> None:
    """Each request is allowed 5 s, but the client as a whole only 1 s."""
    evo.members = _members(2)
    evo.trickle = 0.02
    started = time.monotonic()
    with (
        client_for(evo, sleeps, timeout=5.0, sync_timeout=1.0) as client,
        pytest.raises(EvoUnavailableError) as err,
    ):
        list(client.members())
    assert time.monotonic() - started < 2.5
    assert "did not finish within EVO_SYNC_TIMEOUT_SECONDS (1 s)" in err.value.message
    assert err.value.hint is not None and "EVO_SYNC_TIMEOUT_SECONDS" in err.value.hint


def test_a_server_that_never_stops_listing_is_cut_off_at_the_page_cap(
    evo: FakeEvo, sleeps: Sleeps
) -> None:
    evo.endless_members = True
    with (
        client_for(evo, sleeps, page_size=50, max_pages=5) as client,
        pytest.raises(CrmError) as err,
    ):
        for _ in client.members():
            pass
    assert "more than 5 full pages of /api/v2/members (250 records" in err.value.message
    assert err.value.hint is not None and "EVO_MAX_PAGES" in err.value.hint
    assert len(evo.requests) == 5


def test_nul_characters_are_removed_from_every_field(evo: FakeEvo, sleeps: Sleeps) -> None:
    record = member(1, "Ana\u0000", "Sou\u0000za", cellphone="1198765\u00004321")
    record["cust\u0000om"] = ["a\u0000b", {"deep": "x\u0000"}]
    evo.members = [record]
    with client_for(evo, sleeps) as client:
        (got,) = list(client.members())
    assert (got["firstName"], got["lastName"]) == ("Ana", "Souza")
    assert got["contacts"][0]["description"] == "11987654321"
    assert got["custom"] == ["ab", {"deep": "x"}]
    assert "\x00" not in json.dumps(got, ensure_ascii=False)
