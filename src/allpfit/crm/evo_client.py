"""The EVO (W12) integration API client (httpx): polite, patient, bounded, clear about failures.

- Auth: HTTP Basic, user name = the gym's DNS (`EVO_DNS`), password = the API token
  (`EVO_API_TOKEN`). The token never appears in a message or a log line.
- Paging: `take`/`skip`; a page shorter than `take` is the last one. EVO caps `take` at 50 for
  members and 100 for sales, so the page size is clipped per endpoint. A listing longer than
  `max_pages` pages (EVO_MAX_PAGES) is refused, so a server that keeps returning full pages
  cannot keep us reading (and holding its records in memory) forever.
- Rate, retries, deadlines: `allpfit.resilience`, the layer the LLM client uses too. Requests
  start evenly spaced, at most `requests_per_minute` a minute (EVO allows 40); 429, 5xx,
  timeouts and connection errors are retried with exponential backoff and jitter (a
  `Retry-After` header, seconds or HTTP date, wins); 401/403 fail at once with an error naming
  EVO_DNS and EVO_API_TOKEN; other 4xx fail at once with the status and the start of the body.
- `timeout` (EVO_TIMEOUT_SECONDS) bounds each request as a whole, body included: httpx's own
  timeouts are per read, and a server trickling a byte a second never trips them.
  `sync_timeout` (EVO_SYNC_TIMEOUT_SECONDS) bounds everything one client does (all pages, waits
  and retries of a sync): past it, the call in flight is cancelled and CrmError is raised.
- A body larger than MAX_BODY_BYTES is refused; NUL characters (which PostgreSQL text cannot
  hold) are removed from every string of a decoded body, so one odd field cannot abort a sync.

The client is synchronous to its callers; inside, one asyncio event loop per client (an
`asyncio.Runner`) runs httpx's async client, because only cancellation gives a hard deadline
on a read in progress. `sleep` (the waits between retries) is injectable so tests assert the
backoff without enduring it.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from allpfit import __version__
from allpfit.config import Settings
from allpfit.errors import ConfigError, CrmError, Retryable
from allpfit.resilience import (
    Deadline,
    GaveUp,
    RateLimit,
    RetryPolicy,
    Sleep,
    call_with_retries,
    read_capped,
    retry_after_seconds,
    without_nul,
)

log = logging.getLogger(__name__)

MEMBERS_PATH = "/api/v2/members"
SALES_PATH = "/api/v2/sales"
MEMBERS_MAX_TAKE = 50
SALES_MAX_TAKE = 100
MAX_RETRY_WAIT = 600.0
MAX_BODY_BYTES = 32 * 1024 * 1024  # a page of 100 sales is well under 1 MiB

Progress = Callable[[str, int, int | None], None]


class EvoAuthError(CrmError):
    """EVO refused the credentials (401) or the permission (403)."""

    exit_code = 2


class EvoUnavailableError(CrmError, Retryable):
    """EVO kept failing (429/5xx/network/timeouts) after every retry, or the sync ran out of
    time (EVO_SYNC_TIMEOUT_SECONDS)."""


class _Transient(Exception):
    """One attempt failed in a way worth retrying; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class EvoClient:
    """Reads members and sales from the EVO API; one instance per run."""

    def __init__(
        self,
        dns: str,
        token: str,
        *,
        base_url: str = "https://evo-integracao-api.w12app.com.br",
        requests_per_minute: int = 40,
        page_size: int = 50,
        timeout: float = 30.0,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_pages: int = 2000,
        sync_timeout: float = 7200.0,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.dns = dns
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.timeout = timeout
        self.max_pages = max_pages
        self.policy = RetryPolicy(
            retries=max_retries, backoff=backoff, max_retry_after=MAX_RETRY_WAIT, sleep=sleep
        )
        self.limit = RateLimit(requests_per_minute, burst_seconds=60.0 / requests_per_minute)
        self.deadline = Deadline(sync_timeout)
        self.requests_made = 0
        self._runner = asyncio.Runner()
        self._closed = False
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            auth=httpx.BasicAuth(dns, token),
            timeout=timeout,
            headers={"Accept": "application/json", "User-Agent": f"allpfit/{__version__}"},
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> EvoClient:
        dns = (settings.evo_dns or "").strip()
        token = settings.evo_api_token.get_secret_value() if settings.evo_api_token else ""
        missing = [
            name for name, value in (("EVO_DNS", dns), ("EVO_API_TOKEN", token)) if not value
        ]
        if missing:
            raise ConfigError(
                f"The EVO API is not configured: {' and '.join(missing)} not set.",
                hint="Set EVO_DNS (your gym's DNS in EVO) and EVO_API_TOKEN (the API key EVO "
                "issued for integrations) in the environment or .env, or import a CRM export "
                "with `allpfit crm import FILE` instead.",
            )
        return cls(
            dns,
            token,
            base_url=settings.evo_base_url,
            requests_per_minute=settings.evo_requests_per_minute,
            page_size=settings.evo_page_size,
            timeout=settings.evo_timeout_seconds,
            max_retries=settings.evo_max_retries,
            max_pages=settings.evo_max_pages,
            sync_timeout=settings.evo_sync_timeout_seconds,
        )

    def __enter__(self) -> EvoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._runner.run(self._http.aclose())
        finally:
            self._runner.close()

    # --- one request -------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path`, retrying transient failures; return the decoded JSON body (NULs gone)."""
        return self._runner.run(self._get_json(path, params))

    async def _get_json(self, path: str, params: dict[str, Any] | None) -> Any:
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise self._out_of_time(path)
        try:
            async with asyncio.timeout(remaining):
                return await call_with_retries(
                    lambda: self._attempt(path, params),
                    policy=self.policy,
                    transient=lambda exc: isinstance(exc, _Transient),
                    retry_after=lambda exc: getattr(exc, "retry_after", None),
                    what=f"EVO GET {path}",
                )
        except TimeoutError:
            raise self._out_of_time(path) from None
        except GaveUp as exc:
            raise EvoUnavailableError(
                f"The EVO API failed GET {path} {exc.attempts} times (last: {exc.last}).",
                hint=f"EVO may be down or limiting requests; try again later. Check "
                f"EVO_BASE_URL (now {self.base_url}) and lower EVO_REQUESTS_PER_MINUTE if this "
                "repeats.",
            ) from None

    async def _attempt(self, path: str, params: dict[str, Any] | None) -> Any:
        """One request under the rate limit and the whole-request deadline."""
        await self.limit.acquire()
        self.requests_made += 1
        try:
            async with asyncio.timeout(self.timeout):
                async with self._http.stream("GET", path, params=params) as response:
                    status = response.status_code
                    if status in (401, 403):
                        raise self._auth_error(status, path)
                    body = await read_capped(
                        response,
                        MAX_BODY_BYTES,
                        lambda: CrmError(
                            f"The EVO API answered GET {path} with more than "
                            f"{MAX_BODY_BYTES // (1024 * 1024)} MiB; refused.",
                            hint="Check EVO_BASE_URL; one page of EVO records is far smaller.",
                        ),
                    )
        except TimeoutError:
            raise _Transient(f"no complete answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            raise _Transient(
                f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            ) from None
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", retry_after_seconds(response.headers))
        if status >= 400:
            text = body[:200].decode("utf-8", "replace").strip()
            raise CrmError(
                f"The EVO API rejected GET {path} with HTTP {status}: {text or '(empty body)'}",
                hint="Check EVO_BASE_URL and that your EVO plan includes this API.",
            )
        try:
            return without_nul(json.loads(body))
        except (ValueError, RecursionError):
            raise CrmError(
                f"The EVO API answered GET {path} with something that is not JSON "
                f"({response.headers.get('content-type', 'no content type')}).",
                hint=f"Check EVO_BASE_URL (now {self.base_url}).",
            ) from None

    def _out_of_time(self, path: str) -> EvoUnavailableError:
        return EvoUnavailableError(
            f"The EVO sync did not finish within EVO_SYNC_TIMEOUT_SECONDS "
            f"({self.deadline.seconds:g} s); stopped during GET {path} after "
            f"{self.requests_made} requests, nothing was written.",
            hint="EVO is answering very slowly or the listing is far longer than expected; try "
            "again later, or raise EVO_SYNC_TIMEOUT_SECONDS.",
        )

    def _auth_error(self, status: int, path: str) -> EvoAuthError:
        if status == 401:
            return EvoAuthError(
                f"The EVO API refused the credentials (HTTP 401 on {path}) for "
                f"EVO_DNS={self.dns!r}.",
                hint="Check EVO_DNS (your gym's DNS in EVO) and EVO_API_TOKEN (the API key "
                "EVO issued for integrations); the token is not shown here.",
            )
        return EvoAuthError(
            f"The EVO API token of EVO_DNS={self.dns!r} may not read {path} (HTTP 403).",
            hint="Ask the gym's EVO administrator to allow this API key to read members and "
            "sales, or use a key with that permission in EVO_API_TOKEN.",
        )

    # --- pages -------------------------------------------------------------------------
    def paginate(
        self,
        path: str,
        *,
        max_take: int,
        params: dict[str, Any] | None = None,
        progress: Progress | None = None,
        phase: str = "",
    ) -> Iterator[dict[str, Any]]:
        """Yield every record of a take/skip endpoint, page after page, at most max_pages."""
        take = max(1, min(self.page_size, max_take))
        skip = 0
        previous: list[dict[str, Any]] | None = None
        for _ in range(self.max_pages):
            body = self.get_json(path, {**(params or {}), "take": take, "skip": skip})
            page = _records(body, path)
            if page and page == previous:  # a server ignoring `skip` would loop forever
                raise CrmError(
                    f"The EVO API returned the same page of {path} twice (skip={skip}).",
                    hint=f"Check EVO_BASE_URL (now {self.base_url}); paging must honour skip.",
                )
            previous = page
            yield from page
            skip += len(page)
            if progress is not None:
                progress(phase, skip, None)
            if len(page) < take:
                return
        raise CrmError(
            f"The EVO API listed more than {self.max_pages} full pages of {path} "
            f"({skip} records, {take} per page) without reaching the end; stopped, nothing "
            "was written.",
            hint="A gym this large is unlikely: check EVO_BASE_URL. If the listing is real, "
            "raise EVO_MAX_PAGES.",
        )

    def members(self, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate(
            MEMBERS_PATH, max_take=MEMBERS_MAX_TAKE, progress=progress, phase="members"
        )

    def sales(self, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        return self.paginate(SALES_PATH, max_take=SALES_MAX_TAKE, progress=progress, phase="sales")


def _records(body: Any, path: str) -> list[dict[str, Any]]:
    """The list of records in a page: EVO answers a bare list; tolerate a wrapping object."""
    if isinstance(body, dict):
        for key in ("list", "data", "items", "results", "members", "sales"):
            if isinstance(body.get(key), list):
                body = body[key]
                break
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise CrmError(
            f"The EVO API answered GET {path} with JSON that is not a list of records.",
            hint="Check EVO_BASE_URL; it must point at the EVO integration API.",
        )
    return body
