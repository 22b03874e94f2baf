"""allpfit.resilience: the retry, Retry-After, rate-limit and deadline layer of the LLM and EVO
clients (each client's own tests exercise it again against its fake server)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from allpfit.resilience import (
    CallLimits,
    Deadline,
    GaveUp,
    RateLimit,
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)

NOW = datetime(2026, 6, 10, 12, 0, tzinfo=UTC)


def test_retry_after_reads_milliseconds_seconds_and_http_dates() -> None:
    clock = NOW.timestamp
    in_30s = format_datetime(NOW + timedelta(seconds=30), usegmt=True)
    assert retry_after_seconds({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert retry_after_seconds({"retry-after": "7"}) == 7.0
    assert retry_after_seconds({"retry-after": in_30s}, now=clock) == pytest.approx(30.0)
    past = format_datetime(NOW - timedelta(minutes=5), usegmt=True)
    assert retry_after_seconds({"retry-after": past}, now=clock) == 0.0
    assert retry_after_seconds({"retry-after": "soon"}) is None
    assert retry_after_seconds({}) is None


class Flaky(Exception):
    def __init__(self, wait: float | None = None) -> None:
        super().__init__("flaky")
        self.wait = wait


class Sleeps(list[float]):
    async def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(failures: list[Exception], policy: RetryPolicy) -> tuple[str, int]:
    calls = 0

    async def attempt() -> str:
        nonlocal calls
        calls += 1
        if failures:
            raise failures.pop(0)
        return "ok"

    result = asyncio.run(
        call_with_retries(
            attempt,
            policy=policy,
            transient=lambda exc: isinstance(exc, Flaky),
            retry_after=lambda exc: exc.wait if isinstance(exc, Flaky) else None,
        )
    )
    return result, calls


def test_transient_failures_back_off_exponentially_with_jitter() -> None:
    sleeps = Sleeps()
    result, calls = run([Flaky(), Flaky(), Flaky()], RetryPolicy(3, backoff=1.0, sleep=sleeps))
    assert (result, calls) == ("ok", 4)
    for delay, ceiling in zip(sleeps, [1.0, 2.0, 4.0], strict=True):
        assert ceiling / 2 <= delay <= ceiling


def test_the_servers_wait_wins_but_is_capped() -> None:
    sleeps = Sleeps()
    policy = RetryPolicy(3, backoff=1.0, max_retry_after=10.0, sleep=sleeps)
    assert run([Flaky(wait=3.0), Flaky(wait=500.0)], policy) == ("ok", 3)
    assert sleeps == [3.0, 10.0]


def test_backoff_is_capped_at_the_maximum() -> None:
    policy = RetryPolicy(20, backoff=1.0, max_backoff=60.0)
    assert 30.0 <= policy.delay(12, None) <= 60.0


def test_attempts_are_bounded_and_the_last_failure_is_reported() -> None:
    sleeps = Sleeps()
    with pytest.raises(GaveUp) as err:
        run([Flaky()] * 10, RetryPolicy(2, sleep=sleeps))
    assert err.value.attempts == 3 and isinstance(err.value.last, Flaky)
    assert len(sleeps) == 2


def test_a_failure_that_is_not_transient_is_not_retried() -> None:
    sleeps = Sleeps()
    with pytest.raises(KeyError):
        run([KeyError("fatal"), Flaky()], RetryPolicy(5, sleep=sleeps))
    assert sleeps == []


def test_rate_limit_allows_a_burst_then_the_steady_rate() -> None:
    limit = RateLimit(1200, burst_seconds=0.1)  # 20/s, bursts of 2

    async def go() -> list[float]:
        start = time.monotonic()
        starts = []
        for _ in range(6):
            await limit.acquire()
            starts.append(time.monotonic() - start)
        return starts

    starts = asyncio.run(go())
    assert starts[1] < 0.03  # the burst goes at once
    assert starts[5] == pytest.approx(0.2, abs=0.06)  # then one every 50 ms


def test_rate_limit_without_burst_spaces_every_acquisition() -> None:
    limit = RateLimit(600, burst_seconds=60 / 600)  # one every 100 ms, never two at once

    async def go() -> list[float]:
        start = time.monotonic()
        starts = []
        for _ in range(4):
            await limit.acquire()
            starts.append(time.monotonic() - start)
        return starts

    starts = asyncio.run(go())
    gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
    assert all(gap >= 0.09 for gap in gaps)


def test_tokens_used_beyond_the_reservation_are_charged_to_later_calls() -> None:
    limits = CallLimits(100_000, 60_000, burst_seconds=0.1)  # 1,000 tokens/s, 100 per burst

    async def go() -> float:
        await limits.acquire(100)  # the whole burst
        start = time.monotonic()
        await limits.settle(100, 200)  # the call really used 200: 100 more, 0.1 s of refill
        await limits.acquire(100)  # and the next call waits for its own 100
        return time.monotonic() - start

    assert asyncio.run(go()) == pytest.approx(0.2, abs=0.07)


def test_a_request_larger_than_the_burst_still_goes_through() -> None:
    limits = CallLimits(1_000, 600, burst_seconds=10)  # burst of 100 tokens

    async def go() -> float:
        start = time.monotonic()
        await limits.acquire(10_000)
        return time.monotonic() - start

    assert asyncio.run(go()) < 0.05


def test_deadline_counts_down_on_its_clock() -> None:
    now = [100.0]
    deadline = Deadline(5.0, clock=lambda: now[0])
    assert deadline.remaining() == 5.0 and not deadline.expired
    now[0] = 106.0
    assert deadline.remaining() == 0.0 and deadline.expired
