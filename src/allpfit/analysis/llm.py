"""LlmAnalyzer: any OpenAI-compatible chat-completions API through the official `openai` client.

One conversation = one chat completion asking for a JSON object, validated into a LeadProfile.
- Invalid answer (not JSON, value out of range, wrong enum, not 5 paragraphs, a `data_visita`
  that is not YYYY-MM-DD or falls outside the conversation's dates): ONE re-ask that quotes
  the validation error; a second invalid answer fails the conversation.
- Transient HTTP failures (429, 408, 409, 5xx, timeouts, connection errors): retried up to
  ANALYSIS_MAX_RETRIES times, waiting what the server's Retry-After / retry-after-ms says, or
  else exponential backoff with jitter. The client's own retries are off so that every attempt
  goes through the run's rate limiter and is counted.
- Bad key, no permission, unknown model, exhausted quota: `AnalysisError`, which stops the run,
  since no other conversation could succeed either.
- A server that rejects `response_format` (some local servers) is asked again without it; the
  prompt already demands JSON and the validator checks it anyway.
Tokens of every call, invalid answers included, are counted and priced.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import openai
from openai import AsyncOpenAI

from allpfit.analysis.analyzer import Analysis, Conversation, ConversationFailed, Usage
from allpfit.analysis.names import lead_name
from allpfit.analysis.profile import LeadProfile, ProfileInvalid, parse_profile
from allpfit.analysis.prompt import (
    DEFAULT_TIMEZONE,
    build_messages,
    estimate_tokens,
    reask_messages,
)
from allpfit.analysis.ratelimit import RateLimiter
from allpfit.analysis.visit_date import local_day
from allpfit.config import Settings
from allpfit.errors import AnalysisError, ConfigError

log = logging.getLogger(__name__)

MAX_ANSWER_TOKENS = 1500
MAX_BACKOFF_SECONDS = 60.0
MAX_RETRY_AFTER_SECONDS = 120.0
RETRY_STATUSES = {408, 409, 429}
VISIT_HORIZON = timedelta(days=366)  # a visit booked further ahead than this is a model error


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
        limiter: RateLimiter | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> None:
        self.model = model
        self.timezone = timezone
        self.max_retries = max_retries
        self.backoff = backoff
        self.prices = (price_input_per_mtok, price_output_per_mtok)
        self.limiter = limiter
        self.json_mode = True
        self._sleep = sleep
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
            limiter=RateLimiter(
                settings.analysis_requests_per_minute, settings.analysis_tokens_per_minute
            ),
            timezone=settings.timezone,
        )

    async def aclose(self) -> None:
        await self._client.close()

    async def analyze(self, conversation: Conversation) -> Analysis:
        usage = Usage()
        messages = build_messages(conversation, self.timezone)
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
        """One successful completion's text, after retries; failures raise."""
        last: Exception | None = None
        attempt = 0
        while attempt <= self.max_retries:
            reserved = estimate_tokens(messages, MAX_ANSWER_TOKENS // 2)
            if self.limiter is not None:
                await self.limiter.acquire(reserved)
            request = self._request(messages)
            try:
                response = await self._client.chat.completions.create(**request)
            except openai.BadRequestError as exc:
                if "response_format" in request and _about_response_format(exc):
                    log.info("the LLM server rejected response_format; asking without it")
                    self.json_mode = False
                    continue
                raise ConversationFailed(
                    f"the LLM server rejected the request: {_describe(exc)}",
                    usage=usage,
                    attempts=attempt + 1,
                ) from None
            except openai.APIStatusError as exc:
                self._raise_if_fatal(exc)
                if exc.status_code not in RETRY_STATUSES and exc.status_code < 500:
                    raise ConversationFailed(
                        f"the LLM server answered {_describe(exc)}",
                        usage=usage,
                        attempts=attempt + 1,
                    ) from None
                last = exc
            except (openai.APITimeoutError, openai.APIConnectionError) as exc:
                last = exc
            else:
                self._count(response, reserved, usage)
                if not response.choices:
                    return None
                return response.choices[0].message.content
            attempt += 1
            if attempt <= self.max_retries:
                delay = self._delay(attempt, last)
                log.debug(
                    "LLM call failed (%s); retry %d in %.2fs", _describe(last), attempt, delay
                )
                await self._sleep(delay)
        raise ConversationFailed(
            f"gave up after {attempt} attempts: {_describe(last)}", usage=usage, attempts=attempt
        )

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

    def _count(self, response: Any, reserved: int, usage: Usage) -> None:
        prompt = getattr(response.usage, "prompt_tokens", 0) or 0
        completion = getattr(response.usage, "completion_tokens", 0) or 0
        usage.prompt_tokens += prompt
        usage.completion_tokens += completion
        usage.cost_usd += (prompt * self.prices[0] + completion * self.prices[1]) / 1_000_000
        usage.calls += 1
        if self.limiter is not None:
            self.limiter.settle(reserved, prompt + completion or reserved)

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

    def _delay(self, attempt: int, exc: Exception | None) -> float:
        """Retry-After from the server if given, else exponential backoff with full jitter."""
        told = _retry_after(exc)
        if told is not None:
            return min(told, MAX_RETRY_AFTER_SECONDS)
        ceiling = min(MAX_BACKOFF_SECONDS, self.backoff * 2 ** (attempt - 1))
        return ceiling * (0.5 + random.random() / 2)


def _retry_after(exc: Exception | None) -> float | None:
    if not isinstance(exc, openai.APIStatusError):
        return None
    headers = exc.response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue  # an HTTP date: fall back to our own backoff
    return None


def _about_response_format(exc: openai.BadRequestError) -> bool:
    text = str(exc).lower()
    return "response_format" in text or "json" in text


def _describe(exc: Exception | None) -> str:
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        return f"HTTP {exc.status_code}: {str(message or exc.message)[:200]}"
    if isinstance(exc, openai.APITimeoutError):
        return "timed out"
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return f"connection error: {type(cause).__name__}: {str(cause)[:200]}"
    return str(exc)[:200] if exc else "unknown error"
