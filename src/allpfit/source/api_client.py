"""The Chatwoot Application API client (httpx): what the API source reads, returned faithfully.

Why a client that only fetches: the API source copies what Chatwoot's API returns into a local
Chatwoot-shaped mirror and runs the existing extraction SQL on it (one definition of every
column), so this module does not interpret rows; it returns the API's JSON (dicts) as Chatwoot
sent it, with the paging, bounds and error handling every caller needs.

- Auth: header `api_access_token` (a user's or agent bot's access token). The token never
  appears in a message or a log line.
- Endpoints (paths, parameters and field names from Chatwoot's published reference,
  `swagger/swagger.json` of chatwoot/chatwoot), all under `{base}/api/v1/accounts/{account}`:
  `conversations` (`status=all`, `assignee_type=all`, `page`, `sort_by=last_activity_at_desc`;
  25 per page, `data.meta.all_count`, `data.payload`), `conversations/{display_id}`,
  `conversations/{display_id}/messages` (20 per call, older ones with `before=<message id>`),
  `contacts` (`page`, `sort=name`, 15 per page, `meta.count`), `inboxes`, `agents`, `teams`,
  `labels`, `reporting_events` (account: `page`, 25 a page, `since`/`until`; and per
  conversation), `webhooks` (list and create), `conversations/{display_id}/messages` (create:
  follow-ups, `allpfit.followups.send`) and `csat_survey_responses` (`page`, `since`,
  `until`; served by Chatwoot's CSAT controller but not in swagger.json). `sort_by` on
  conversations and `before` on messages are Chatwoot's finder parameters, not listed in
  swagger.json either.
- Paging is bounded: at most `max_pages` pages per listing (CHATWOOT_API_MAX_PAGES); a page
  whose records were all seen already (a server ignoring `page` or `before`) stops the listing
  with SourceError instead of looping.
- Rate, retries, deadlines: `allpfit.resilience`, the layer the EVO and LLM clients use.
  Requests start evenly spaced, at most `requests_per_minute` a minute; 429, 5xx, timeouts and
  connection errors are retried with exponential backoff and jitter (Retry-After, seconds or an
  HTTP date, wins); 401/403 fail at once naming the token; 404 names the account or record;
  a 200 whose body is not the expected JSON fails naming the endpoint.
- `timeout` (CHATWOOT_API_TIMEOUT_SECONDS) bounds each request as a whole, body included
  (httpx's own timeouts are per read; a server trickling bytes never trips them).
  `job_timeout` bounds everything one client does (all pages, waits and retries).

Synchronous to its callers; inside, one asyncio event loop per client (an `asyncio.Runner`)
runs httpx's async client, because only cancellation gives a hard deadline on a read in
progress. `sleep` (the waits between retries) is injectable so tests do not endure backoff.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from allpfit import __version__
from allpfit.errors import Retryable, SourceError
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

CONVERSATIONS_PER_PAGE = 25  # Chatwoot's ConversationFinder page size
MESSAGES_PER_CALL = 20  # Chatwoot's messages index: 20 before the `before` id
MAX_RETRY_WAIT = 600.0
MAX_BODY_BYTES = 64 * 1024 * 1024
DEFAULT_JOB_TIMEOUT = 24 * 3600.0
WEBHOOK_EVENTS = (
    "conversation_created",
    "conversation_status_changed",
    "conversation_updated",
    "contact_created",
    "contact_updated",
    "message_created",
    "message_updated",
    "webwidget_triggered",
)

Progress = Callable[[str, int, int | None], None]
"""progress(phase, done, total or None) after each page."""


class ChatwootApiAuthError(SourceError):
    """Chatwoot refused the access token (401) or its permission (403)."""


class ChatwootApiUnavailable(SourceError, Retryable):
    """Chatwoot kept failing (429/5xx/network/timeouts) after every retry, or the client ran
    out of its whole-job time."""


class _Transient(Exception):
    """One attempt failed in a way worth retrying; `retry_after` is the server's wish."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class ChatwootApi:
    """Reads one Chatwoot account through the Application API; one instance per run."""

    def __init__(
        self,
        base_url: str,
        account_id: int,
        token: str,
        *,
        timeout: float = 30.0,
        max_retries: int = 5,
        requests_per_minute: float = 120,
        max_pages: int = 50_000,
        backoff: float = 1.0,
        job_timeout: float = DEFAULT_JOB_TIMEOUT,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.account_id = int(account_id)
        self.timeout = timeout
        self.max_pages = max_pages
        self.prefix = f"/api/v1/accounts/{self.account_id}"
        self.policy = RetryPolicy(
            retries=max_retries, backoff=backoff, max_retry_after=MAX_RETRY_WAIT, sleep=sleep
        )
        self.limit = RateLimit(requests_per_minute, burst_seconds=60.0 / requests_per_minute)
        self.deadline = Deadline(job_timeout)
        self.requests_made = 0
        self._runner = asyncio.Runner()
        self._closed = False
        self._http = httpx.AsyncClient(
            base_url=self.base_url,
            timeout=timeout,
            headers={
                "Accept": "application/json",
                "User-Agent": f"allpfit/{__version__}",
                "api_access_token": token,
            },
        )

    @classmethod
    def from_settings(
        cls, settings: Any, base_url: str, account_id: int, token: str, **overrides: Any
    ) -> ChatwootApi:
        """A client with the CHATWOOT_API_* limits of `settings` (a `Settings`)."""
        kwargs: dict[str, Any] = {
            "timeout": settings.chatwoot_api_timeout_seconds,
            "requests_per_minute": settings.chatwoot_api_requests_per_minute,
            "max_pages": settings.chatwoot_api_max_pages,
        }
        kwargs.update(overrides)
        return cls(base_url, account_id, token, **kwargs)

    def __enter__(self) -> ChatwootApi:
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
        """GET `path` (relative to the account, e.g. "/inboxes"), retrying transient
        failures; the decoded JSON body."""
        return self._runner.run(self._call("GET", self.prefix + path, params, None))

    def post_json(self, path: str, body: dict[str, Any]) -> Any:
        """POST JSON to `path` (relative to the account). Only 429 and failures to connect are
        retried: after a 5xx or a timeout the server may have created the record, and a retry
        would create it twice."""
        return self._runner.run(self._call("POST", self.prefix + path, None, body))

    async def _call(self, method: str, path: str, params: dict[str, Any] | None, body: Any) -> Any:
        remaining = self.deadline.remaining()
        if remaining <= 0:
            raise self._out_of_time(path)
        try:
            async with asyncio.timeout(remaining):
                return await call_with_retries(
                    lambda: self._attempt(method, path, params, body),
                    policy=self.policy,
                    transient=lambda exc: isinstance(exc, _Transient),
                    retry_after=lambda exc: getattr(exc, "retry_after", None),
                    what=f"Chatwoot API {method} {path}",
                )
        except TimeoutError:
            raise self._out_of_time(path) from None
        except GaveUp as exc:
            raise ChatwootApiUnavailable(
                f"The Chatwoot API failed {method} {path} {exc.attempts} times (last: {exc.last}).",
                hint=f"Chatwoot at {self.base_url} may be down or limiting requests; try again "
                "later, and lower CHATWOOT_API_REQUESTS_PER_MINUTE if this repeats.",
            ) from None

    async def _attempt(
        self, method: str, path: str, params: dict[str, Any] | None, body: Any
    ) -> Any:
        """One request under the rate limit and the whole-request deadline."""
        await self.limit.acquire()
        self.requests_made += 1
        try:
            async with asyncio.timeout(self.timeout):
                async with self._http.stream(method, path, params=params, json=body) as response:
                    status = response.status_code
                    if status in (401, 403):
                        raise self._auth_error(status, path)
                    raw = await read_capped(
                        response,
                        MAX_BODY_BYTES,
                        lambda: SourceError(
                            f"The Chatwoot API answered {path} with more than "
                            f"{MAX_BODY_BYTES // (1024 * 1024)} MiB; refused.",
                            hint="Check the tenant's Chatwoot base URL; one page is far smaller.",
                        ),
                    )
        except TimeoutError:
            if method != "GET":  # the server may have acted: retrying could act twice
                raise self._not_retried(method, path, "no answer in time") from None
            raise _Transient(f"no complete answer within {self.timeout:g} s") from None
        except httpx.TransportError as exc:
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            if method != "GET" and not isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
                raise self._not_retried(method, path, reason) from None
            raise _Transient(reason) from None
        if status >= 500 and method != "GET":
            raise self._not_retried(method, path, f"HTTP {status}")
        if status == 429 or status >= 500:
            raise _Transient(f"HTTP {status}", retry_after_seconds(response.headers))
        if status == 404:
            raise SourceError(
                f"The Chatwoot API answered 404 for {method} {path}: no such account "
                f"({self.account_id}) or record at {self.base_url}.",
                hint="Check the tenant's Chatwoot base URL and account id (the number in "
                "/app/accounts/<id>/ of Chatwoot's address bar).",
            )
        if status >= 400:
            text = raw[:200].decode("utf-8", "replace").strip()
            raise SourceError(
                f"The Chatwoot API rejected {method} {path} with HTTP {status}: "
                f"{text or '(empty body)'}",
                hint="Check the tenant's Chatwoot base URL and that this Chatwoot version "
                "offers the endpoint.",
            )
        try:
            return without_nul(json.loads(raw))
        except (ValueError, RecursionError):
            raise self._unexpected(path, "something that is not JSON") from None

    def _not_retried(self, method: str, path: str, reason: str) -> ChatwootApiUnavailable:
        return ChatwootApiUnavailable(
            f"The Chatwoot API failed {method} {path} ({reason}); not retried.",
            hint="Chatwoot may have done it anyway: check (e.g. its webhook list) before "
            "trying again.",
        )

    def _unexpected(self, path: str, what: str) -> SourceError:
        return SourceError(
            f"The Chatwoot API answered {path} with {what}.",
            hint=f"Check the tenant's Chatwoot base URL (now {self.base_url}): it must be the "
            "address of Chatwoot itself, without /app or /api.",
        )

    def _out_of_time(self, path: str) -> ChatwootApiUnavailable:
        return ChatwootApiUnavailable(
            f"The Chatwoot API client ran past its deadline ({self.deadline.seconds:g} s) "
            f"during {path} after {self.requests_made} requests.",
            hint="Chatwoot is answering very slowly; try again later (the sync resumes).",
        )

    def _auth_error(self, status: int, path: str) -> ChatwootApiAuthError:
        if status == 401:
            return ChatwootApiAuthError(
                f"The Chatwoot API refused the access token (HTTP 401 on {path}).",
                hint="Check the tenant's Chatwoot access token (Profile settings → Access "
                "token in Chatwoot) and that it belongs to this account; it is not shown here.",
            )
        return ChatwootApiAuthError(
            f"The Chatwoot access token may not read {path} (HTTP 403).",
            hint="Use the access token of an administrator of this Chatwoot account (agents "
            "see only their inboxes; webhooks need an administrator).",
        )

    # --- listings ----------------------------------------------------------------------
    def conversations(
        self,
        *,
        since: int | None = None,
        inbox_id: int | None = None,
        progress: Progress | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Every conversation (`status=all`), newest activity first, each once.

        `since` (Unix seconds): stop at the first conversation whose `last_activity_at` is
        older, for incremental runs (the caller subtracts its overlap). Conversations moving to
        the top while we page push others down, so a record may come twice: it is yielded
        once. The objects are the list endpoint's (`id` = display_id, `meta.sender`, ...)."""
        seen: set[int] = set()
        total: int | None = None
        for page in range(1, self.max_pages + 1):
            params: dict[str, Any] = {
                "status": "all",
                "assignee_type": "all",
                "sort_by": "last_activity_at_desc",
                "page": page,
            }
            if inbox_id is not None:
                params["inbox_id"] = inbox_id
            path = "/conversations"
            body = self.get_json(path, params)
            data = body.get("data") if isinstance(body, dict) else None
            records = _records(data.get("payload") if isinstance(data, dict) else None)
            if records is None:
                raise self._unexpected(
                    self.prefix + path, "JSON without data.payload, the list of conversations"
                )
            meta = data.get("meta") if isinstance(data, dict) else None
            if isinstance(meta, dict) and isinstance(meta.get("all_count"), int):
                total = meta["all_count"]
            if not records:
                return
            fresh = [r for r in records if _int(r.get("id")) not in seen]
            if not fresh:
                raise self._same_page(path, f"page={page}")
            for record in fresh:
                seen.add(_int(record.get("id")))
                activity = record.get("last_activity_at", record.get("timestamp"))
                if since is not None and isinstance(activity, int | float) and activity < since:
                    return
                yield record
            if progress is not None:
                progress("conversations", len(seen), total)
            if len(records) < CONVERSATIONS_PER_PAGE or (total is not None and len(seen) >= total):
                return
        raise self._too_many_pages("/conversations", len(seen))

    def conversation(self, display_id: int) -> dict[str, Any]:
        """One conversation by its display id (the number in Chatwoot's address bar)."""
        path = f"/conversations/{int(display_id)}"
        body = self.get_json(path)
        if not isinstance(body, dict) or "id" not in body:
            raise self._unexpected(self.prefix + path, "JSON that is not a conversation")
        return body

    def messages(self, display_id: int) -> list[dict[str, Any]]:
        """Every message of one conversation, oldest first (`before` paging, 20 a call)."""
        path = f"/conversations/{int(display_id)}/messages"
        collected: dict[int, dict[str, Any]] = {}
        before: int | None = None
        for _ in range(self.max_pages):
            body = self.get_json(path, None if before is None else {"before": before})
            records = _records(body.get("payload") if isinstance(body, dict) else None)
            if records is None:
                raise self._unexpected(self.prefix + path, "JSON without payload, the messages")
            ids = [_int(r.get("id")) for r in records]
            if not records:
                break
            if before is not None and min(ids) >= before:
                raise self._same_page(path, f"before={before}")
            for record in records:
                collected[_int(record.get("id"))] = record
            if len(records) < MESSAGES_PER_CALL:
                break
            before = min(ids)
        else:
            raise self._too_many_pages(path, len(collected))
        return [collected[key] for key in sorted(collected)]

    def contacts(self, progress: Progress | None = None) -> Iterator[dict[str, Any]]:
        """Every contact of the account, each once (`page`, `sort=name`, one of the sorts
        swagger.json documents, 15 a page, `meta.count`). Chatwoot lists only contacts with an
        email, phone number or identifier; the others arrive as `meta.sender` of their
        conversations."""
        yield from self._paged(
            "/contacts", {"sort": "name"}, "contacts", "the contacts", progress, stop_at_count=True
        )

    def contact(self, contact_id: int) -> dict[str, Any]:
        """One contact (`GET /contacts/{id}`, swagger.json's `contact_show_response`:
        `payload`), including one `/contacts` does not list (no email, phone or identifier)."""
        path = f"/contacts/{int(contact_id)}"
        body = self.get_json(path)
        payload = body.get("payload") if isinstance(body, dict) else None
        if not isinstance(payload, dict) or "id" not in payload:
            raise self._unexpected(self.prefix + path, "JSON without payload, the contact")
        return payload

    def inboxes(self) -> list[dict[str, Any]]:
        """The account's inboxes (`payload`)."""
        return self._list("/inboxes", "payload")

    def agents(self) -> list[dict[str, Any]]:
        """The account's agents and administrators (a bare list)."""
        return self._list("/agents", None)

    def teams(self) -> list[dict[str, Any]]:
        """The account's teams (a bare list)."""
        return self._list("/teams", None)

    def labels(self) -> list[dict[str, Any]]:
        """The account's labels (`payload`)."""
        return self._list("/labels", "payload")

    def csat_responses(
        self, *, since: int | None = None, until: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """CSAT survey responses (rating, feedback_message, conversation_id, contact,
        assigned_agent, created_at), `since`/`until` in Unix seconds, paged 25 a page."""
        path = "/csat_survey_responses"
        seen: set[int] = set()
        for page in range(1, self.max_pages + 1):
            params: dict[str, Any] = {"page": page}
            if since is not None:
                params["since"] = since
            if until is not None:
                params["until"] = until
            records = _records(self.get_json(path, params))
            if records is None:
                raise self._unexpected(self.prefix + path, "JSON that is not a list")
            if not records:
                return
            fresh = [r for r in records if _int(r.get("id")) not in seen]
            if not fresh:
                raise self._same_page(path, f"page={page}")
            for record in fresh:
                seen.add(_int(record.get("id")))
                yield record
            if len(records) < CONVERSATIONS_PER_PAGE:
                return
        raise self._too_many_pages(path, len(seen))

    def reporting_events(
        self,
        *,
        since: int | None = None,
        until: int | None = None,
        name: str | None = None,
        progress: Progress | None = None,
    ) -> Iterator[dict[str, Any]]:
        """The account's reporting events (first_response, reply_time, resolution, ...):
        `GET /reporting_events` (`page`, 25 a page, `meta.count`/`total_pages`, `payload`;
        `since`/`until` in Unix seconds; administrators only, 403 otherwise). Each event has
        id, name, value, value_in_business_hours, event_start_time, event_end_time,
        account_id, conversation_id, inbox_id, user_id, created_at, updated_at (times as
        ISO 8601 strings)."""
        filters = {"since": since, "until": until, "name": name}
        params = {key: value for key, value in filters.items() if value is not None}
        yield from self._paged(
            "/reporting_events",
            params,
            "reporting_events",
            "the events",
            progress,
            stop_at_count=False,
        )

    def _paged(
        self,
        path: str,
        params: dict[str, Any],
        label: str,
        noun: str,
        progress: Progress | None,
        *,
        stop_at_count: bool,
    ) -> Iterator[dict[str, Any]]:
        """Records of a `page`-numbered listing answering `{payload: [...], meta: {...}}`,
        each once, bounded by `max_pages`; a page of nothing but records already seen is an
        error, not a loop (`label` names the progress, `noun` the records in an error). It
        ends on an empty page, or when `meta.count` records were seen
        (`stop_at_count`, the contacts' meta) or the page reached `meta.total_pages`."""
        seen: set[int] = set()
        for page in range(1, self.max_pages + 1):
            body = self.get_json(path, {"page": page, **params})
            records = _records(body.get("payload") if isinstance(body, dict) else None)
            if records is None:
                raise self._unexpected(self.prefix + path, f"JSON without payload, {noun}")
            meta = body.get("meta") if isinstance(body, dict) else None
            pages = meta.get("total_pages") if isinstance(meta, dict) else None
            total = meta.get("count") if isinstance(meta, dict) else None
            if not records:
                return
            fresh = [r for r in records if _int(r.get("id")) not in seen]
            if not fresh:
                raise self._same_page(path, f"page={page}")
            for record in fresh:
                seen.add(_int(record.get("id")))
                yield record
            if progress is not None:
                progress(label, len(seen), total if isinstance(total, int) else None)
            if stop_at_count:
                if isinstance(total, int) and len(seen) >= total:
                    return
            elif isinstance(pages, int) and page >= pages:
                return
        raise self._too_many_pages(path, len(seen))

    def conversation_reporting_events(self, display_id: int) -> list[dict[str, Any]]:
        """One conversation's reporting events, oldest first (a bare list)."""
        return self._list(f"/conversations/{int(display_id)}/reporting_events", None)

    def webhooks(self) -> list[dict[str, Any]]:
        """The account's webhooks. swagger.json documents a bare list; Chatwoot's view wraps
        it as `payload.webhooks`: both are accepted."""
        path = "/webhooks"
        body = self.get_json(path)
        if isinstance(body, dict):
            payload = body.get("payload")
            body = payload.get("webhooks") if isinstance(payload, dict) else None
        records = _records(body)
        if records is None:
            raise self._unexpected(self.prefix + path, "JSON that is not a list of webhooks")
        return records

    def create_webhook(
        self, url: str, subscriptions: tuple[str, ...] = WEBHOOK_EVENTS, name: str = "AllpFit"
    ) -> dict[str, Any]:
        """Create an account webhook; the webhook as Chatwoot returns it (swagger.json: the
        object itself; Chatwoot's view: `payload.webhook`; both accepted), with `secret` on
        Chatwoot versions that sign deliveries (v4.11.2+)."""
        path = "/webhooks"
        body = self.post_json(
            path, {"url": url, "subscriptions": list(subscriptions), "name": name}
        )
        if isinstance(body, dict) and isinstance(body.get("payload"), dict):
            body = body["payload"].get("webhook", body["payload"])
        if not isinstance(body, dict) or "id" not in body:
            raise self._unexpected(self.prefix + path, "JSON that is not a webhook")
        return body

    def create_message(
        self,
        display_id: int,
        content: str,
        *,
        private: bool = False,
        template_params: dict[str, Any] | None = None,
        echo_id: str | None = None,
    ) -> dict[str, Any]:
        """Write one message into a conversation: `POST /conversations/{display_id}/messages`
        (swagger.json `conversation_message_create`: `content` required, `message_type`
        "outgoing", `private` true = a note only agents see, `template_params` {name,
        category, language, processed_params} = an approved WhatsApp template). `echo_id` is
        Chatwoot's client-side id, echoed in its events (not stored). Returns the message.

        Never retried after the request may have reached Chatwoot (`post_json`): a second
        attempt could deliver the message twice; the caller reconciles instead."""
        path = f"/conversations/{int(display_id)}/messages"
        body: dict[str, Any] = {"content": content, "message_type": "outgoing", "private": private}
        if template_params is not None:
            body["template_params"] = template_params
        if echo_id is not None:
            body["echo_id"] = echo_id
        answer = self.post_json(path, body)
        if not isinstance(answer, dict) or "id" not in answer:
            raise self._unexpected(self.prefix + path, "JSON that is not a message")
        return answer

    # --- helpers -----------------------------------------------------------------------
    def _list(self, path: str, key: str | None) -> list[dict[str, Any]]:
        body = self.get_json(path)
        if key is not None:
            body = body.get(key) if isinstance(body, dict) else None
        records = _records(body)
        if records is None:
            where = f"JSON without {key}" if key else "JSON that is not a list"
            raise self._unexpected(self.prefix + path, where)
        return records

    def _same_page(self, path: str, cursor: str) -> SourceError:
        return SourceError(
            f"The Chatwoot API returned records already seen for {self.prefix}{path} "
            f"({cursor}); stopped instead of looping.",
            hint=f"Check the tenant's Chatwoot base URL (now {self.base_url}); a proxy or "
            "server ignoring the paging parameters answers like this.",
        )

    def _too_many_pages(self, path: str, count: int) -> SourceError:
        return SourceError(
            f"The Chatwoot API listed more than {self.max_pages} pages of {self.prefix}{path} "
            f"({count} records) without reaching the end; stopped.",
            hint="Check the tenant's Chatwoot base URL. If the listing is real, raise "
            "CHATWOOT_API_MAX_PAGES.",
        )


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1


def _records(body: Any) -> list[dict[str, Any]] | None:
    """`body` if it is a list of objects, else None (the caller names the endpoint)."""
    if isinstance(body, list) and all(isinstance(item, dict) for item in body):
        return body
    return None
