"""The requests/tokens-per-minute limiter, on a virtual clock."""

from __future__ import annotations

import asyncio

import pytest

from allpfit.analysis.ratelimit import RateLimiter


class VirtualTime:
    def __init__(self) -> None:
        self.now = 0.0

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def limiter(rpm: float, tpm: float, time: VirtualTime) -> RateLimiter:
    return RateLimiter(rpm, tpm, clock=time.clock, sleep=time.sleep)


def test_requests_per_minute_allow_a_ten_second_burst_then_the_steady_rate() -> None:
    time = VirtualTime()
    limit = limiter(60, 1_000_000, time)  # 1 request/s, burst of 10

    async def go() -> list[float]:
        starts = []
        for _ in range(15):
            await limit.acquire(1)
            starts.append(time.now)
        return starts

    starts = asyncio.run(go())
    assert starts[:10] == [0.0] * 10
    assert starts[10:] == pytest.approx([1.0, 2.0, 3.0, 4.0, 5.0])


def test_tokens_per_minute_are_settled_with_the_real_usage() -> None:
    time = VirtualTime()
    limit = limiter(1_000, 6_000, time)  # 100 tokens/s, burst of 1,000

    async def go() -> None:
        await limit.acquire(500)
        limit.settle(500, 1_000)  # the call really used 1,000: the bucket is now empty
        await limit.acquire(500)  # needs 5 s of refill

    asyncio.run(go())
    assert time.now == pytest.approx(5.0)
    assert limit.waited_seconds == pytest.approx(5.0)


def test_a_request_larger_than_the_burst_still_goes_through() -> None:
    time = VirtualTime()
    limit = limiter(1_000, 600, time)  # 10 tokens/s, burst of 100
    asyncio.run(limit.acquire(10_000))
    assert time.now == 0.0
