"""One analysis run: pick the leads that need it, analyse them concurrently, store the results.

`run_analysis` is the public entry point (the CLI's `allpfit analyze`, and the sync right after
each run). It is a plain function: it runs its own asyncio loop (in a worker thread when called
from code that already has one).

- Selection: leads (conversations with a contact message) never analysed, or whose transcript
  hash changed, or every lead with `reanalyze`; most recent first; `limit` caps the count.
- Concurrency: ANALYSIS_CONCURRENCY workers; the LLM analyzer adds the requests/tokens-per-minute
  limiter and its retries. A conversation that fails is recorded in analysis_failures and the
  batch carries on; only an `AnalysisError` (bad key, unknown model) stops the run.
- Writes: results are upserted in batches of FLUSH_EVERY, each batch in one transaction with
  the run's running totals, so an interrupted run keeps what it finished and the next run picks
  up the rest.
- Tenants: a run is one tenant's (`tenant`, default: the default tenant). It holds the analysis
  lock for that tenant only and reads and writes through tenant sessions, so it sees only the
  tenant's leads; the offline analyzer dates visits in the tenant's time zone.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import time
from collections.abc import Collection
from dataclasses import dataclass, field

from allpfit import db
from allpfit.analysis import store
from allpfit.analysis.analyzer import Analysis, Analyzer, Conversation, ConversationFailed
from allpfit.analysis.llm import LlmAnalyzer
from allpfit.analysis.rules import RuleAnalyzer
from allpfit.config import Settings
from allpfit.errors import AllpfitError, ConfigError
from allpfit.progress import Progress
from allpfit.tenants import Tenant

log = logging.getLogger(__name__)

PROVIDERS = ("auto", "openai", "rules")
FETCH_CHUNK = 100
FLUSH_EVERY = 50


@dataclass
class AnalysisSummary:
    """What a run did; also recorded in analysis_runs (row `run_id`)."""

    run_id: int
    provider: str
    model: str
    status: str
    leads: int
    selected: int
    analyzed: int
    failed: int
    skipped_unchanged: int
    skipped_given_up: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    seconds: float
    failures: list[tuple[int, str]] = field(default_factory=list)  # first few, for the CLI


def resolve_provider(settings: Settings, provider: str | None = None) -> str:
    """'openai' or 'rules': `provider` (e.g. --provider) wins over ANALYSIS_PROVIDER;
    'auto' means openai when OPENAI_API_KEY is set."""
    choice = (provider or settings.analysis_provider).strip().lower()
    if choice not in PROVIDERS:
        raise ConfigError(
            f"Unknown analysis provider {choice!r}.",
            hint="Use one of: " + ", ".join(PROVIDERS) + ".",
        )
    if choice == "auto":
        return "openai" if settings.openai_api_key is not None else "rules"
    return choice


def make_analyzer(
    settings: Settings, provider: str | None = None, tenant: Tenant | None = None
) -> Analyzer:
    if resolve_provider(settings, provider) == "rules":
        return RuleAnalyzer(tenant.tz(settings) if tenant else settings.timezone)
    if settings.openai_api_key is None:
        raise ConfigError(
            "The openai analysis provider needs an API key, and OPENAI_API_KEY is not set.",
            hint="Set OPENAI_API_KEY in the environment or .env (any value for servers without "
            "keys, e.g. Ollama), or use --provider rules / ANALYSIS_PROVIDER=rules.",
        )
    return LlmAnalyzer.from_settings(settings)


def run_analysis(
    local_url: str,
    settings: Settings,
    *,
    limit: int | None = None,
    reanalyze: bool = False,
    provider: str | None = None,
    triggered_by: str = "manual",
    progress: Progress | None = None,
    analyzer: Analyzer | None = None,
    tenant: Tenant | None = None,
    conversation_ids: Collection[int] | None = None,
) -> AnalysisSummary:
    """Analyse the leads of the local database at `local_url` that need it.

    `provider` overrides ANALYSIS_PROVIDER ("auto", "openai" or "rules"). `progress(phase,
    done, total)` is called with phase "analyze" after each conversation. `analyzer` replaces
    the configured one (tests and benchmarks). `conversation_ids` restricts the run to those
    conversations (same selection rules, same ledger row; the webhook worker's). Raises
    ConfigError before touching the database when the provider cannot be used,
    AlreadyRunningError when another analysis holds the lock, AnalysisError when the LLM
    service refuses every call.
    """
    if limit is not None and limit < 0:
        raise ConfigError(f"limit must be 0 or more, not {limit}.")
    chosen = analyzer or make_analyzer(settings, provider, tenant)
    tenant_id = db.resolve_tenant(local_url, tenant).id

    def go() -> AnalysisSummary:
        return asyncio.run(
            _run(
                local_url,
                tenant_id,
                chosen,
                concurrency=settings.analysis_concurrency,
                limit=limit,
                reanalyze=reanalyze,
                triggered_by=triggered_by,
                progress=progress,
                ids=conversation_ids,
            )
        )

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return go()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(go).result()


async def _run(
    local_url: str,
    tenant_id: int,
    analyzer: Analyzer,
    *,
    concurrency: int,
    limit: int | None,
    reanalyze: bool,
    triggered_by: str,
    progress: Progress | None,
    ids: Collection[int] | None = None,
) -> AnalysisSummary:
    started = time.perf_counter()
    tally = store.Tally()
    try:
        with store.ANALYSIS_RUNS.locked(local_url, tenant_id=tenant_id) as control:
            plan = store.plan(control, reanalyze=reanalyze, limit=limit, ids=ids)
            with store.ANALYSIS_RUNS.recording(
                control,
                urls=(local_url,),
                provider=analyzer.provider,
                model=analyzer.model,
                triggered_by=triggered_by,
                conversations_selected=len(plan.pending),
            ) as run:
                try:
                    await _analyse_all(
                        local_url,
                        tenant_id,
                        run.id,
                        analyzer,
                        plan.pending,
                        concurrency,
                        tally,
                        progress,
                    )
                finally:  # the totals of what was done, whatever happened
                    store.update_run(control, run.id, tally)
                status, error = "success", None
                if tally.failed and not tally.analyzed:
                    status, error = "failed", "every selected conversation failed"
                run.finish(status=status, total_seconds=round(run.seconds, 3), error_message=error)
                run_id = run.id
    finally:
        await analyzer.aclose()
    summary = AnalysisSummary(
        run_id=run_id,
        provider=analyzer.provider,
        model=analyzer.model,
        status=status,
        leads=plan.leads,
        selected=len(plan.pending),
        analyzed=tally.analyzed,
        failed=tally.failed,
        skipped_unchanged=plan.unchanged,
        skipped_given_up=plan.given_up,
        prompt_tokens=tally.prompt_tokens,
        completion_tokens=tally.completion_tokens,
        cost_usd=round(tally.cost_usd, 6),
        seconds=round(time.perf_counter() - started, 3),
        failures=tally.failures,
    )
    log.info(
        "analysis run %d (%s/%s): %d analysed, %d failed, %d unchanged, %d tokens, $%.4f, %.1fs",
        run_id,
        summary.provider,
        summary.model,
        summary.analyzed,
        summary.failed,
        summary.skipped_unchanged,
        summary.prompt_tokens + summary.completion_tokens,
        summary.cost_usd,
        summary.seconds,
    )
    return summary


async def _analyse_all(
    local_url: str,
    tenant_id: int,
    run_id: int,
    analyzer: Analyzer,
    pending: list[int],
    concurrency: int,
    tally: store.Tally,
    progress: Progress | None,
) -> None:
    """Feed `pending` to `concurrency` workers; flush results in batches as they come."""
    total = len(pending)
    if progress:
        progress("analyze", 0, total)
    if not pending:
        return
    queue: asyncio.Queue[Conversation | None] = asyncio.Queue(maxsize=2 * concurrency)
    done: list[tuple[Conversation, Analysis]] = []
    failed: list[tuple[Conversation, ConversationFailed]] = []
    counter = {"done": 0}

    with db.tenant_connection(local_url, tenant_id) as conn:

        def flush() -> None:
            if not done and not failed:
                return
            with conn.transaction():
                store.save(conn, run_id, analyzer.provider, analyzer.model, done, failed, tally)
            done.clear()
            failed.clear()

        async def feed() -> None:
            for start in range(0, total, FETCH_CHUNK):
                chunk = pending[start : start + FETCH_CHUNK]
                with conn.transaction():
                    conversations = store.fetch(conn, chunk)
                counter["done"] += len(chunk) - len(conversations)  # deleted meanwhile
                for conversation in conversations:
                    await queue.put(conversation)
            for _ in range(concurrency):
                await queue.put(None)

        async def work() -> None:
            while (conversation := await queue.get()) is not None:
                await _analyse_one(analyzer, conversation, tally, done, failed)
                counter["done"] += 1
                if progress:
                    progress("analyze", counter["done"], total)
                if len(done) + len(failed) >= FLUSH_EVERY:
                    flush()

        tasks = [asyncio.create_task(feed())]
        tasks += [asyncio.create_task(work()) for _ in range(concurrency)]
        try:
            await _all_or_first_error(tasks)
        finally:
            flush()


async def _analyse_one(
    analyzer: Analyzer,
    conversation: Conversation,
    tally: store.Tally,
    done: list[tuple[Conversation, Analysis]],
    failed: list[tuple[Conversation, ConversationFailed]],
) -> None:
    try:
        analysis = await analyzer.analyze(conversation)
    except ConversationFailed as exc:
        failure = exc
    except AllpfitError:
        raise  # the service refuses everything: stop the run
    except Exception as exc:  # a bug or an unexpected answer must not stop the batch
        log.exception("unexpected error analysing conversation %s", conversation.conversation_id)
        failure = ConversationFailed(f"unexpected error: {type(exc).__name__}: {exc}"[:500])
    else:
        tally.analyzed += 1
        _add_usage(tally, analysis.usage.prompt_tokens, analysis.usage.completion_tokens)
        tally.cost_usd += analysis.usage.cost_usd
        done.append((conversation, analysis))
        return
    tally.failed += 1
    _add_usage(tally, failure.usage.prompt_tokens, failure.usage.completion_tokens)
    tally.cost_usd += failure.usage.cost_usd
    if len(tally.failures) < 20:
        tally.failures.append((conversation.conversation_id, failure.message))
    log.warning("conversation %s not analysed: %s", conversation.conversation_id, failure.message)
    failed.append((conversation, failure))


def _add_usage(tally: store.Tally, prompt: int, completion: int) -> None:
    tally.prompt_tokens += prompt
    tally.completion_tokens += completion


async def _all_or_first_error(tasks: list[asyncio.Task[None]]) -> None:
    """Wait for every task; on the first exception cancel the others and re-raise it."""
    try:
        finished, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in finished:
        if not task.cancelled() and task.exception() is not None:
            for other in tasks:
                other.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise task.exception()  # type: ignore[misc]
