"""The one HTTP resilience layer of the outside clients (LLM and EVO): retries, limits, deadlines.

Both clients talk to services we do not control, so every call is bounded the same way:

- Retries (tenacity): only failures the caller marks transient (429, 5xx, timeouts, connection
  errors) are retried, at most `retries` times. The wait is what the server asked for
  (`retry-after-ms`, or `Retry-After` in seconds or as an HTTP date), capped, or else
  exponential backoff from `backoff` seconds (doubling, capped at 60 s) with jitter (a random
  50-100 % of the step, so concurrent callers do not retry in lockstep). When the retries run
  out, `GaveUp` carries the attempt count and the last failure.
- Rate limits (aiolimiter, a leaky bucket): `RateLimit(per_minute, burst_seconds=...)` lets
  through at most `burst_seconds` worth of acquisitions at once, then the steady rate. The LLM
  uses ten-second bursts (providers enforce their limits over short windows too); EVO uses no
  burst at all: requests are evenly spaced, so no 60-second window ever holds more than the limit.
- Deadlines: the clients run each attempt under `asyncio.timeout` (a whole-call deadline: a
  server trickling one byte per second cannot stretch a 2 s timeout, which in httpx is per
  read), and a `Deadline` bounds a whole job (every page of an EVO sync).
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

import httpx
from aiolimiter import AsyncLimiter
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt
from tenacity.wait import wait_base

log = logging.getLogger(__name__)

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]

MAX_BACKOFF_SECONDS = 60.0


def retry_after_seconds(
    headers: Mapping[str, str], *, now: Callable[[], float] = time.time
) -> float | None:
    """Seconds the server asked us to wait: `retry-after-ms` (OpenAI's, milliseconds) wins,
    then `Retry-After` as seconds or as an HTTP date (RFC 9110); None when absent or unreadable.
    """
    value = headers.get("retry-after-ms")
    if value is not None:
        try:
            return max(0.0, float(value) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - now())


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently one call is retried (from ANALYSIS_* / EVO_* settings)."""

    retries: int
    backoff: float = 1.0
    max_backoff: float = MAX_BACKOFF_SECONDS
    max_retry_after: float = 120.0
    sleep: Sleep = field(default=asyncio.sleep)

    def delay(self, attempt: int, told: float | None) -> float:
        """The wait before retry number `attempt` (1-based): the server's wish if it said
        one (capped), else exponential backoff with jitter (50-100 % of the step)."""
        if told is not None:
            return min(told, self.max_retry_after)
        ceiling = min(self.max_backoff, self.backoff * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)


class _Wait(wait_base):
    """tenacity wait strategy: RetryPolicy.delay with the failed attempt's Retry-After."""

    def __init__(
        self, policy: RetryPolicy, retry_after: Callable[[BaseException], float | None]
    ) -> None:
        self.policy = policy
        self.retry_after = retry_after

    def __call__(self, retry_state: RetryCallState) -> float:
        outcome = retry_state.outcome
        exc = outcome.exception() if outcome is not None else None
        told = self.retry_after(exc) if exc is not None else None
        return self.policy.delay(retry_state.attempt_number, told)


class GaveUp(Exception):
    """Every attempt of a call failed transiently; `last` is the final failure."""

    def __init__(self, attempts: int, last: BaseException) -> None:
        super().__init__(f"gave up after {attempts} attempts: {last}")
        self.attempts = attempts
        self.last = last


async def call_with_retries(
    attempt: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    transient: Callable[[BaseException], bool],
    retry_after: Callable[[BaseException], float | None] = lambda exc: None,
    describe: Callable[[BaseException], str] = str,
    what: str = "call",
) -> T:
    """Await `attempt()` until it succeeds, retrying transient failures per `policy`.

    A failure `transient` rejects propagates at once, unchanged; transient failures beyond
    the last retry raise `GaveUp`."""
    attempts = 0

    async def counted() -> T:
        nonlocal attempts
        attempts += 1
        return await attempt()

    def before_sleep(state: RetryCallState) -> None:
        outcome = state.outcome
        exc = outcome.exception() if outcome is not None else None
        log.info(
            "%s failed (%s); retry %d/%d in %.2f s",
            what,
            describe(exc) if exc is not None else "?",
            state.attempt_number,
            policy.retries,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        stop=stop_after_attempt(policy.retries + 1),
        wait=_Wait(policy, retry_after),
        retry=retry_if_exception(transient),
        sleep=policy.sleep,
        before_sleep=before_sleep,
        reraise=True,
    )
    try:
        return await retrying(counted)
    except Exception as exc:
        if transient(exc):
            raise GaveUp(attempts, exc) from exc
        raise


class RateLimit:
    """At most `per_minute` acquisitions a minute, `burst_seconds` worth of them at once.

    `burst_seconds=60 / per_minute` means no burst: one acquisition every 60/per_minute s."""

    def __init__(self, per_minute: float, *, burst_seconds: float) -> None:
        if per_minute <= 0:
            raise ValueError("per_minute must be positive")
        self.per_minute = per_minute
        self.capacity = max(1.0, per_minute * burst_seconds / 60.0)
        self._bucket = AsyncLimiter(self.capacity, self.capacity * 60.0 / per_minute)

    async def acquire(self, amount: float = 1.0) -> None:
        """Wait until `amount` fits, then take it. More than the burst is taken as a whole
        burst, so one oversized request waits for a full bucket instead of forever."""
        await self._bucket.acquire(min(max(amount, 0.0), self.capacity))


class CallLimits:
    """Requests-per-minute and tokens-per-minute limits shared by every call of an LLM run.

    Token costs are known only when the answer comes back, so a call reserves an estimate (its
    prompt) before it starts and `settle` charges what it used beyond that (waiting for it), so
    the following calls see the real consumption. A bucket cannot go below empty, so an
    over-estimate is not refunded: reserve low and let `settle` charge the rest."""

    def __init__(
        self, requests_per_minute: float, tokens_per_minute: float, *, burst_seconds: float = 10
    ) -> None:
        self.requests = RateLimit(requests_per_minute, burst_seconds=burst_seconds)
        self.tokens = RateLimit(tokens_per_minute, burst_seconds=burst_seconds)

    async def acquire(self, tokens: int) -> None:
        await self.requests.acquire()
        await self.tokens.acquire(tokens)

    async def settle(self, reserved: int, used: int) -> None:
        extra = used - reserved
        if extra > 0:
            await self.tokens.acquire(extra)


class Deadline:
    """A point in time a whole job must finish by (monotonic clock)."""

    def __init__(self, seconds: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self._clock = clock
        self._ends = clock() + seconds

    def remaining(self) -> float:
        return max(0.0, self._ends - self._clock())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0


async def read_capped(
    response: httpx.Response, limit: int, too_large: Callable[[], Exception]
) -> bytes:
    """The body of a streamed response, refused with `too_large()` past `limit` bytes, so a
    hostile server cannot fill our memory (every client of an outside HTTP service)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large()
        chunks.append(chunk)
    return b"".join(chunks)


def without_nul(data: Any) -> Any:
    """`data` with NUL characters removed from every string, keys included (in place for
    lists and dicts). PostgreSQL text cannot store NUL; fields typed by people can hold one.
    Iterative, so deeply nested JSON cannot exhaust the stack."""
    root = [data]
    stack: list[list[Any] | dict[Any, Any]] = [root]
    while stack:
        node = stack.pop()
        items = list(node.items()) if isinstance(node, dict) else list(enumerate(node))
        for key, value in items:
            if isinstance(value, str) and "\x00" in value:
                value = value.replace("\x00", "")
            elif isinstance(value, list | dict):
                stack.append(value)
            if isinstance(node, dict) and isinstance(key, str) and "\x00" in key:
                del node[key]
                key = key.replace("\x00", "")
            node[key] = value
    return root[0]
