"""Login throttling on real PostgreSQL: limits per account and per address, growing waits,
resets, parallel attempts, and nothing stored in clear."""

from __future__ import annotations

import threading
from datetime import timedelta

import psycopg
import pytest

from allpfit.dashboard import throttle
from allpfit.dashboard.throttle import Subject


def attempt(url: str, *subjects: Subject) -> throttle.Verdict:
    with psycopg.connect(url, autocommit=True) as conn:
        return throttle.begin(conn, list(subjects))


def test_an_account_waits_after_five_failures_and_the_wait_doubles(local_url: str) -> None:
    maria, here = throttle.account("maria"), throttle.address("203.0.113.7")
    for n in range(1, throttle.ACCOUNT_LIMIT):
        verdict = attempt(local_url, maria, here)
        assert verdict.allowed and verdict.wait == timedelta(0), n
    fifth = attempt(local_url, maria, here)
    assert fifth.allowed and fifth.wait == throttle.BASE_DELAY  # allowed, starts the wait
    refused = attempt(local_url, maria, here)
    assert not refused.allowed
    assert timedelta(seconds=25) < refused.wait <= throttle.BASE_DELAY
    # Another address is refused too: the limit is the account's, wherever it is tried from.
    elsewhere = throttle.address("198.51.100.1")
    assert not attempt(local_url, maria, elsewhere).allowed
    with psycopg.connect(local_url) as conn:  # a refusal leaves no row behind
        assert not conn.execute(
            "SELECT 1 FROM dashboard_login_throttle WHERE subject = %s", (elsewhere.key,)
        ).fetchone()
    # Another account from the same address is not (20 failures per address).
    assert attempt(local_url, throttle.account("joao"), here).allowed

    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute("UPDATE dashboard_login_throttle SET locked_until = clock_timestamp()")
        sixth = throttle.begin(conn, [maria, here])
        assert sixth.allowed and sixth.wait == 2 * throttle.BASE_DELAY
        conn.execute("UPDATE dashboard_login_throttle SET locked_until = clock_timestamp()")
        assert throttle.begin(conn, [maria, here]).wait == 4 * throttle.BASE_DELAY
        failures = conn.execute(
            "SELECT failures FROM dashboard_login_throttle WHERE subject = %s", (maria.key,)
        ).fetchone()
    assert failures == (7,)  # refused attempts are not counted


def test_the_wait_is_capped() -> None:
    assert throttle.delay(throttle.ACCOUNT_LIMIT - 1, throttle.ACCOUNT_LIMIT) is None
    assert throttle.delay(throttle.ACCOUNT_LIMIT, throttle.ACCOUNT_LIMIT) == throttle.BASE_DELAY
    assert throttle.delay(10_000, throttle.ACCOUNT_LIMIT) == throttle.MAX_DELAY


def test_one_address_trying_many_names_waits(local_url: str) -> None:
    here = throttle.address("203.0.113.9")
    verdicts = [
        attempt(local_url, throttle.account(f"user{i}"), here)
        for i in range(throttle.ADDRESS_LIMIT + 1)
    ]
    assert all(v.allowed for v in verdicts[: throttle.ADDRESS_LIMIT])
    assert not verdicts[-1].allowed
    assert attempt(local_url, throttle.account("other"), throttle.address("192.0.2.1")).allowed


def test_success_clears_the_account_and_takes_back_its_own_attempt(local_url: str) -> None:
    maria, here = throttle.account("maria"), throttle.address("203.0.113.7")
    for _ in range(3):
        attempt(local_url, maria, here)
    with psycopg.connect(local_url, autocommit=True) as conn:
        throttle.begin(conn, [maria, here])  # the 4th attempt, with the right password
        throttle.succeeded(conn, maria, [here])
        rows = dict(conn.execute("SELECT subject, failures FROM dashboard_login_throttle"))
    assert rows == {here.key: 3}


def test_old_failures_stop_counting_and_are_deleted(local_url: str) -> None:
    maria, here = throttle.account("maria"), throttle.address(None)
    for _ in range(4):
        attempt(local_url, maria, here)
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute(
            "UPDATE dashboard_login_throttle SET last_failure_at = last_failure_at - %s",
            (throttle.WINDOW + timedelta(minutes=1),),
        )
        conn.execute(
            "INSERT INTO dashboard_login_throttle VALUES ('stale', 3, now() - interval '2 days')"
        )
        assert throttle.begin(conn, [maria, here]).wait == timedelta(0)  # count restarted
        rows = dict(conn.execute("SELECT subject, failures FROM dashboard_login_throttle"))
    assert rows == {maria.key: 1, here.key: 1}


def test_parallel_attempts_cannot_slip_past_the_limit(local_url: str) -> None:
    """50 attempts at once on one account: exactly the limit get a password check."""
    maria = throttle.account("maria")
    barrier = threading.Barrier(10)
    allowed: list[bool] = []

    def worker(i: int) -> None:
        with psycopg.connect(local_url, autocommit=True) as conn:
            barrier.wait()
            for j in range(5):
                verdict = throttle.begin(conn, [maria, throttle.address(f"10.0.{i}.{j}")])
                allowed.append(verdict.allowed)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(allowed) == 50
    assert allowed.count(True) == throttle.ACCOUNT_LIMIT


def test_simultaneous_logins_of_one_account_do_not_deadlock(local_url: str) -> None:
    """Many people logging in at once through one address (behind a proxy): a success locks
    the same rows as a starting attempt, in the same order, so none fails with a deadlock
    (they did when a success locked the account before the address)."""
    account, address = throttle.account(""), throttle.address("127.0.0.1")
    barrier = threading.Barrier(10)
    failures: list[str] = []

    def worker() -> None:
        with psycopg.connect(local_url, autocommit=True) as conn:
            barrier.wait()
            for _ in range(10):
                try:
                    if throttle.begin(conn, [account, address]).allowed:
                        throttle.succeeded(conn, account, [address])
                except psycopg.Error as exc:
                    failures.append(type(exc).__name__)

    threads = [threading.Thread(target=worker) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []


def test_names_and_addresses_are_not_stored_in_clear(local_url: str) -> None:
    attempt(local_url, throttle.account("minha-senha-secreta"), throttle.address("203.0.113.7"))
    with psycopg.connect(local_url) as conn:
        dump = str(conn.execute("SELECT * FROM dashboard_login_throttle").fetchall())
    assert "minha-senha-secreta" not in dump and "203.0.113.7" not in dump


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 segundo"), (29.2, "30 segundos"), (60, "1 minuto"), (61, "2 minutos")],
)
def test_wait_is_said_in_portuguese(seconds: float, text: str) -> None:
    from allpfit.dashboard.login import wait_text

    assert wait_text(timedelta(seconds=seconds)) == text
