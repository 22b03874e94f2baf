"""LlmAnalyzer: any OpenAI-compatible chat-completions API through the official `openai` client.

One conversation = one chat completion asking for a JSON object, validated into a LeadProfile.
- Invalid answer (not JSON, value out of range, wrong enum, not 5 paragraphs, a `data_visita`
  that is not YYYY-MM-DD or falls outside the conversation's dates): ONE re-ask that quotes
  the validation error; a second invalid answer fails the conversation.
- Retries, rate limits and deadlines come from `allpfit.resilience`, the layer the EVO client
  uses too: transient failures (429, 408, 409, 5xx, timeouts, connection errors) are retried up
  to ANALYSIS_MAX_RETRIES times, waiting what the server's Retry-After / retry-after-ms says, or
  else exponential backoff with jitter. The client's own retries are off so that every attempt
  goes through the run's rate limits and is counted.
- ANALYSIS_TIMEOUT_SECONDS is a deadline for the WHOLE call (asyncio.timeout), not per read:
  the HTTP library's read timeout restarts with every byte, so a server trickling its answer
  one byte at a time could otherwise hold a call for minutes.
- Bad key, no permission, unknown model, exhausted quota: `AnalysisError`, which stops the run,
  since no other conversation could succeed either.
- A server that says it does not support `response_format` (the 400's `param` is
  `response_format`, or its message names it) is asked again without it; the prompt already
  demands JSON and the validator checks it anyway. Any other 400, even one mentioning "json",
  fails that conversation and leaves JSON mode on.
- A 200 whose body is not a chat completion (an HTML page from a proxy, plain text) fails that
  conversation with a one-line reason; it is not retried.
Tokens of every call, invalid answers included, are counted and priced.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openai
from openai import AsyncOpenAI
from openai.types.chat import ChatCompletion

from allpfit.analysis.analyzer import Analysis, Conversation, ConversationFailed, Usage
from allpfit.analysis.names import lead_name
from allpfit.analysis.profile import LeadProfile, ProfileInvalid, parse_profile
from allpfit.analysis.prompt import (
    DEFAULT_TIMEZONE,
    SYSTEM_PROMPT,
    build_messages,
    estimate_tokens,
    reask_messages,
    system_prompt,
)
from allpfit.analysis.visit_date import local_day
from allpfit.config import Settings
from allpfit.errors import AnalysisError, ConfigError
from allpfit.resilience import (
    CallLimits,
    GaveUp,
    RetryPolicy,
    call_with_retries,
    retry_after_seconds,
)

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 1500
MAX_RETRY_AFTER_SECONDS = 120.0
RETRY_STATUSES = {408, 409, 429}
VISIT_HORIZON = timedelta(days=366)  # a visit booked further ahead than this is a model error


class CallTimedOut(Exception):
    """One call did not complete within its whole-call deadline (transient: retried)."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"timed out (no complete answer within {seconds:g} s)")


class LlmAnalyzer:
    provider = "openai"

    def __init__(
        self,
        *,
        api_key: str,
        model: str,
        base_url: str | None = None,
        timeout: float = 60.0,
        max_retries: int = 4,
        backoff: float = 1.0,
        price_input_per_mtok: float = 0.0,
        price_output_per_mtok: float = 0.0,
        limits: CallLimits | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timezone: str = DEFAULT_TIMEZONE,
        system: str = SYSTEM_PROMPT,
    ) -> None:
        self.model = model
        self.timezone = timezone
        self.system = system
        self.timeout = timeout
        self.policy = RetryPolicy(
            retries=max_retries,
            backoff=backoff,
            max_retry_after=MAX_RETRY_AFTER_SECONDS,
            sleep=sleep,
        )
        self.prices = (price_input_per_mtok, price_output_per_mtok)
        self.limits = limits
        self.json_mode = True
        self._client = AsyncOpenAI(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=0
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> LlmAnalyzer:
        if settings.openai_api_key is None:
            raise ConfigError(
                "The openai analysis provider needs an API key, and OPENAI_API_KEY is not set.",
                hint="Set OPENAI_API_KEY in the environment or .env, or use --provider rules.",
            )
        return cls(
            api_key=settings.openai_api_key.get_secret_value(),
            model=settings.openai_model,
            base_url=settings.openai_base_url,
            timeout=settings.analysis_timeout_seconds,
            max_retries=settings.analysis_max_retries,
            backoff=settings.analysis_backoff_seconds,
            price_input_per_mtok=settings.openai_price_input_per_mtok,
            price_output_per_mtok=settings.openai_price_output_per_mtok,
            limits=CallLimits(
                settings.analysis_requests_per_minute, settings.analysis_tokens_per_minute
            ),
            timezone=settings.timezone,
            system=system_prompt(settings.business_name, settings.business_description),
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def analyze(self, conversation: Conversation) -> Analysis:
        usage = Usage()
        messages = build_messages(conversation, self.timezone, self.system)
        answer = await self._complete(messages, usage)
        try:
            profile = self._validated(answer, conversation)
        except ProfileInvalid as first:
            log.debug(
                "conversation %s: invalid answer, re-asking: %s",
                conversation.conversation_id,
                first,
            )
            answer = await self._complete(reask_messages(messages, answer, str(first)), usage)
            try:
                profile = self._validated(answer, conversation)
            except ProfileInvalid as second:
                raise ConversationFailed(
                    f"invalid answer after one re-ask: {second}", usage=usage, attempts=usage.calls
                ) from None
        if profile.nome_mapeado_bot is None:
            profile = profile.model_copy(update={"nome_mapeado_bot": lead_name(conversation)})
        return Analysis(conversation.conversation_id, profile, usage)

    def _validated(self, answer: str | None, conversation: Conversation) -> LeadProfile:
        """parse_profile, plus the check only the conversation allows: `data_visita` must lie
        between the first message's day and a year after the last one. A visit "booked" before
        the chat began, or in 2031, is the model mis-resolving "sábado" or the year."""
        profile = parse_profile(answer)
        if profile.data_visita is None:
            return profile
        zone = ZoneInfo(self.timezone)
        days = [d for d in (local_day(m.at, zone) for m in conversation.messages) if d]
        if days and not min(days) <= profile.data_visita <= max(days) + VISIT_HORIZON:
            raise ProfileInvalid(
                f"data_visita: {profile.data_visita.isoformat()} is outside the conversation's "
                f"dates ({min(days).isoformat()} to {(max(days) + VISIT_HORIZON).isoformat()}); "
                "resolve it from the 'quando' of the message that booked the visit, or use null"
            )
        return profile

    async def _complete(self, messages: list[dict[str, str]], usage: Usage) -> str | None:
        """One successful completion's text, after retries (allpfit.resilience); failures
        raise ConversationFailed, or AnalysisError when no conversation could succeed."""
        attempts = 0

        async def attempt() -> str | None:
            nonlocal attempts
            attempts += 1
            return await self._attempt(messages, usage, attempts)

        try:
            return await call_with_retries(
                attempt,
                policy=self.policy,
                transient=_transient,
                retry_after=_retry_after,
                describe=_describe,
                what="LLM call",
            )
        except GaveUp as exc:
            raise ConversationFailed(
                f"gave up after {exc.attempts} attempts: {_describe(exc.last)}",
                usage=usage,
                attempts=exc.attempts,
            ) from None

    async def _attempt(
        self, messages: list[dict[str, str]], usage: Usage, attempt: int
    ) -> str | None:
        """One call under the rate limits and the whole-call deadline. A server that says it
        does not support `response_format` is asked again at once without it (not a retry)."""
        reserved = estimate_tokens(messages, answer_tokens=0)  # the answer is charged after
        if self.limits is not None:
            await self.limits.acquire(reserved)
        while True:
            request = self._request(messages)
            try:
                async with asyncio.timeout(self.timeout):
                    response = await self._client.chat.completions.create(**request)
            except TimeoutError:
                raise CallTimedOut(self.timeout) from None
            except openai.BadRequestError as exc:
                if "response_format" in request and _rejects_response_format(exc):
                    log.info("the LLM server does not support response_format; asking without it")
                    self.json_mode = False
                    continue
                raise ConversationFailed(
                    f"the LLM server rejected the request: {_describe(exc)}",
                    usage=usage,
                    attempts=attempt,
                ) from None
            except openai.APIStatusError as exc:
                self._raise_if_fatal(exc)
                if not _transient(exc):
                    raise ConversationFailed(
                        f"the LLM server answered {_describe(exc)}", usage=usage, attempts=attempt
                    ) from None
                raise
            except ValueError as exc:  # a 200 whose body is not JSON (json.JSONDecodeError)
                raise ConversationFailed(
                    f"the LLM server answered HTTP 200 with a body that is not JSON ({exc})"[:300],
                    usage=usage,
                    attempts=attempt,
                ) from None
            break
        content = _content(response, usage, attempt)
        await self._count(response, reserved, usage)
        return content

    def _request(self, messages: list[dict[str, str]]) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": 0.2,
            "max_tokens": MAX_ANSWER_TOKENS,
        }
        if self.json_mode:
            request["response_format"] = {"type": "json_object"}
        return request

    async def _count(self, response: ChatCompletion, reserved: int, usage: Usage) -> None:
        prompt = getattr(response.usage, "prompt_tokens", 0) or 0
        completion = getattr(response.usage, "completion_tokens", 0) or 0
        usage.prompt_tokens += prompt
        usage.completion_tokens += completion
        usage.cost_usd += (prompt * self.prices[0] + completion * self.prices[1]) / 1_000_000
        usage.calls += 1
        if self.limits is not None:
            await self.limits.settle(reserved, prompt + completion or reserved)

    def _raise_if_fatal(self, exc: openai.APIStatusError) -> None:
        where = f"model {self.model!r} at {self._client.base_url}"
        if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
            raise AnalysisError(
                f"The LLM service refused the API key ({_describe(exc)}) for {where}.",
                hint="Check OPENAI_API_KEY (and OPENAI_BASE_URL for non-OpenAI services).",
            ) from None
        if isinstance(exc, openai.NotFoundError):
            raise AnalysisError(
                f"The LLM service does not know {where} ({_describe(exc)}).",
                hint="Check OPENAI_MODEL and OPENAI_BASE_URL (it usually ends in /v1).",
            ) from None
        if exc.status_code == 429 and getattr(exc, "code", None) == "insufficient_quota":
            raise AnalysisError(
                f"The LLM account has no quota left ({_describe(exc)}).",
                hint="Add credit to the account, or run with --provider rules.",
            ) from None


def _transient(exc: BaseException) -> bool:
    """Worth another attempt: a timeout, a connection failure, 408/409/429 or a 5xx."""
    if isinstance(exc, CallTimedOut | openai.APITimeoutError | openai.APIConnectionError):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in RETRY_STATUSES or exc.status_code >= 500
    return False


def _retry_after(exc: BaseException) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    return retry_after_seconds(exc.response.headers)


def _rejects_response_format(exc: openai.BadRequestError) -> bool:
    """True only when the server says `response_format` itself is the problem: the error's
    `param` is response_format, or it names no param and its message mentions response_format.
    A 400 about anything else (even a message that mentions "json") is not a reason to drop
    JSON mode."""
    param = getattr(exc, "param", None)
    if param:
        return str(param) == "response_format"
    body = exc.body
    message = body.get("message") if isinstance(body, dict) else None
    return "response_format" in str(message or exc.message)


def _content(response: object, usage: Usage, attempt: int) -> str | None:
    """The answer's text; a 200 that is not a chat completion fails the conversation."""
    choices = getattr(response, "choices", None) if isinstance(response, ChatCompletion) else None
    if not isinstance(choices, list):
        kind = "text" if isinstance(response, str) else type(response).__name__
        sample = _one_line(response if isinstance(response, str) else "")[:80]
        raise ConversationFailed(
            f"the LLM server answered HTTP 200 with something that is not a chat completion "
            f"({kind}{': ' + repr(sample) if sample else ''})",
            usage=usage,
            attempts=attempt,
        )
    if not choices:
        return None
    message = getattr(choices[0], "message", None)
    content = getattr(message, "content", None)
    return content if isinstance(content, str) else None


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _describe(exc: BaseException | None) -> str:
    """A one-line description of a failure, for messages and analysis_failures."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        return f"HTTP {exc.status_code}: {_one_line(str(message or exc.message))[:200]}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"connection error: {type(cause).__name__}: {_one_line(str(cause))[:200]}"
    return _one_line(str(exc))[:200] if exc else "unknown error"
