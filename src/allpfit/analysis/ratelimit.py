"""Requests-per-minute and tokens-per-minute limits for the LLM calls of one run.

Two token buckets refilled continuously at limit/60 per second. Each holds ten seconds' worth,
so a run starts quickly but cannot fire a whole minute's budget in its first second (providers
enforce their limits over short windows too). Token costs are not known until the answer comes
back, so a call reserves an estimate and `settle` corrects the bucket with the real usage; the
bucket may go negative, which simply makes the next callers wait.

Waiters are served in arrival order (one lock), which keeps a large conversation from starving.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

BURST_SECONDS = 10.0


class _Bucket:
    def __init__(self, per_minute: float, now: float) -> None:
        self.rate = per_minute / 60.0
        self.capacity = max(1.0, self.rate * BURST_SECONDS)
        self.level = self.capacity
        self.updated = now

    def refill(self, now: float) -> None:
        self.level = min(self.capacity, self.level + (now - self.updated) * self.rate)
        self.updated = now

    def wait_for(self, amount: float) -> float:
        """Seconds until `amount` (capped at the capacity) is available."""
        need = min(amount, self.capacity) - self.level
        return max(0.0, need / self.rate)


class RateLimiter:
    """Async limiter shared by every concurrent call of a run."""

    def __init__(
        self,
        requests_per_minute: float,
        tokens_per_minute: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        now = clock()
        self._requests = _Bucket(requests_per_minute, now)
        self._tokens = _Bucket(tokens_per_minute, now)
        self._lock = asyncio.Lock()
        self.waited_seconds = 0.0

    async def acquire(self, tokens: int) -> None:
        """Wait until one request and about `tokens` tokens fit in the limits, then take them."""
        async with self._lock:
            while True:
                now = self._clock()
                self._requests.refill(now)
                self._tokens.refill(now)
                delay = max(self._requests.wait_for(1), self._tokens.wait_for(tokens))
                if delay <= 0:
                    break
                self.waited_seconds += delay
                await self._sleep(delay)
            self._requests.level -= 1
            self._tokens.level -= min(tokens, self._tokens.capacity)

    def settle(self, reserved: int, used: int) -> None:
        """Correct the token bucket once the real usage of a call is known."""
        self._tokens.level -= used - min(reserved, self._tokens.capacity)
