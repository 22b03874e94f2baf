"""The EVO (W12) integration API client (httpx): polite, patient and clear about failures.

- Auth: HTTP Basic, user name = the gym's DNS (`EVO_DNS`), password = the API token
  (`EVO_API_TOKEN`). The token never appears in a message or a log line.
- Paging: `take`/`skip`; a page shorter than `take` is the last one. EVO caps `take` at 50 for
  members and 100 for sales, so the page size is clipped per endpoint.
- Rate: at most `requests_per_minute` request starts in any 60-second window (EVO allows 40).
- Failures: 429, 5xx, timeouts and connection errors are retried with exponential backoff
  (a `Retry-After` header wins); 401/403 fail at once with an error naming EVO_DNS and
  EVO_API_TOKEN; other 4xx fail at once with the status and the start of the body.

Clock and sleep are injectable so tests exercise the limiter and backoff without waiting.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Iterator
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from allpfit import __version__
from allpfit.config import Settings
from allpfit.errors import ConfigError, CrmError, Retryable

log = logging.getLogger(__name__)

MEMBERS_PATH = "/api/v2/members"
SALES_PATH = "/api/v2/sales"
MEMBERS_MAX_TAKE = 50
SALES_MAX_TAKE = 100
MAX_RETRY_WAIT = 600.0

Progress = Callable[[str, int, int | None], None]


class EvoAuthError(CrmError):
    """EVO refused the credentials (401) or the permission (403)."""

    exit_code = 2


class EvoUnavailableError(CrmError, Retryable):
    """EVO kept failing (429/5xx/network) after every retry."""


class RateLimiter:
    """At most `per_minute` acquisitions in any sliding 60-second window."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.per_minute = max(1, per_minute)
        self.clock = clock
        self.sleep = sleep
        self._starts: deque[float] = deque()

    def acquire(self) -> None:
        now = self.clock()
        while self._starts and now - self._starts[0] >= 60.0:
            self._starts.popleft()
        if len(self._starts) >= self.per_minute:
            wait = 60.0 - (now - self._starts[0])
            if wait > 0:
                log.debug("EVO rate limit: waiting %.1f s", wait)
                self.sleep(wait)
            now = self.clock()
            self._starts.popleft()
        self._starts.append(now)


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


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
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.dns = dns
        self.base_url = base_url.rstrip("/")
        self.page_size = page_size
        self.max_retries = max_retries
        self.backoff = backoff
        self.sleep = sleep
        self.limiter = RateLimiter(requests_per_minute, clock=clock, sleep=sleep)
        self.requests_made = 0
        self._http = httpx.Client(
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
        )

    def __enter__(self) -> EvoClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # --- one request -------------------------------------------------------------------
    def get_json(self, path: str, params: dict[str, Any] | None = None) -> Any:
        """GET `path`, retrying transient failures; return the decoded JSON body."""
        last = ""
        for attempt in range(self.max_retries + 1):
            self.limiter.acquire()
            self.requests_made += 1
            delay = self.backoff * (2**attempt)
            try:
                response = self._http.get(path, params=params)
            except httpx.TransportError as exc:
                last = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            else:
                status = response.status_code
                if status in (401, 403):
                    raise self._auth_error(status, path)
                if status == 429 or status >= 500:
                    last = f"HTTP {status}"
                    wanted = _retry_after(response)
                    delay = delay if wanted is None else wanted
                elif status >= 400:
                    raise CrmError(
                        f"The EVO API rejected GET {path} with HTTP {status}: "
                        f"{response.text[:200].strip() or '(empty body)'}",
                        hint="Check EVO_BASE_URL and that your EVO plan includes this API.",
                    )
                else:
                    try:
                        return response.json()
                    except ValueError:
                        raise CrmError(
                            f"The EVO API answered GET {path} with something that is not JSON "
                            f"({response.headers.get('content-type', 'no content type')}).",
                            hint=f"Check EVO_BASE_URL (now {self.base_url}).",
                        ) from None
            if attempt < self.max_retries:
                log.warning(
                    "EVO GET %s failed (%s); retry %d/%d in %.1f s",
                    path,
                    last,
                    attempt + 1,
                    self.max_retries,
                    delay,
                )
                self.sleep(min(delay, MAX_RETRY_WAIT))
        raise EvoUnavailableError(
            f"The EVO API failed GET {path} {self.max_retries + 1} times (last: {last}).",
            hint=f"EVO may be down or limiting requests; try again later. Check EVO_BASE_URL "
            f"(now {self.base_url}) and lower EVO_REQUESTS_PER_MINUTE if this repeats.",
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
        """Yield every record of a take/skip endpoint, page after page."""
        take = max(1, min(self.page_size, max_take))
        skip = 0
        previous: list[dict[str, Any]] | None = None
        while True:
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
