"""The scheduler never stops: a failing step fails alone, and anything a cycle throws is
logged once, backed off from, and followed by the next cycle."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, NoReturn

import psycopg
import pytest
from pydantic import SecretStr

from allpfit.analysis import run as analysis_run
from allpfit.config import Settings
from allpfit.ops import schedule
from allpfit.ops.logs import setup_logging
from allpfit.ops.pipeline import PipelineResult, run_pipeline
from allpfit.ops.schedule import backoff, run_schedule
from tests.factories import Chatwoot
from tests.fakes.evo_server import FakeEvo, member, serve

DB_DOWN = "terminating connection due to administrator command\nDETAIL: server shutting down"


@pytest.fixture
def leads(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        Chatwoot(conn).leads(3, "Oi! Quanto custa a mensalidade? Quero agendar uma visita")


@pytest.fixture
def evo() -> Iterator[FakeEvo]:
    fake = FakeEvo(members=[member(1, "Ana", "Souza", cellphone="11987654321")])
    with serve(fake) as running:
        yield running


@pytest.fixture
def with_evo(settings: Settings, evo: FakeEvo) -> Settings:
    return settings.model_copy(
        update={
            "evo_dns": evo.dns,
            "evo_api_token": SecretStr(evo.token),
            "evo_base_url": evo.url,
            "evo_requests_per_minute": 10_000,
        }
    )


@pytest.fixture
def log_file(settings: Settings) -> Iterator[Callable[[], str]]:
    path = setup_logging(settings)
    yield path.read_text
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_allpfit", False)]:
        root.removeHandler(handler)
        handler.close()


def hourly_clock(start: datetime = datetime(2026, 11, 25, 10, 0)) -> Callable[[], datetime]:
    """A clock an hour further on every reading: every wait is over at once."""
    ticks = iter(range(10_000))
    return lambda: start + timedelta(hours=next(ticks))


def broken_analysis(*args: Any, **kwargs: Any) -> NoReturn:
    raise psycopg.OperationalError(DB_DOWN)


def test_a_database_error_in_the_analysis_does_not_stop_the_scheduler(
    with_evo: Settings,
    leads: None,
    local_url: str,
    log_file: Callable[[], str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(analysis_run, "run_analysis", broken_analysis)
    seen: list[PipelineResult] = []
    done = run_schedule(
        with_evo, cycles=3, run_now=True, clock=hourly_clock(), on_cycle=seen.append
    )
    assert done == 3 and len(seen) == 3
    for result in seen:
        outcome = {step.name: step.ok for step in result.steps}
        assert outcome == {"sync": True, "analysis": False, "crm sync": True, "crm match": True}
        failed = result.steps[1]
        assert failed.detail == (
            "unexpected OperationalError: terminating connection due to administrator command"
        )
    with psycopg.connect(local_url) as conn:
        kinds = conn.execute("SELECT kind, status FROM crm_sync_runs ORDER BY id").fetchall()
        members = conn.execute("SELECT count(*) FROM crm_customers").fetchone()
    assert kinds == [("evo", "success"), ("match", "success")] * 3
    assert members == (1,)
    text = log_file()
    assert text.count("pipeline step analysis failed") == 3
    assert text.count("Traceback (most recent call last)") == 3
    assert "DETAIL: server shutting down" in text  # the file keeps the full text


def test_a_failed_sync_does_not_skip_the_steps_that_do_not_need_it(
    settings: Settings, leads: None
) -> None:
    run_pipeline(settings, analyze=False, crm=False)  # some data already there
    broken = settings.model_copy(
        update={"source_database_url": SecretStr("postgresql://u:pw@127.0.0.1:1/cw")}
    )
    result = run_pipeline(broken)
    assert [(step.name, step.ok) for step in result.steps] == [
        ("sync", False),
        ("analysis", True),
        ("crm match", True),
    ]
    assert "Cannot connect to the Chatwoot database" in result.steps[0].detail
    assert "\n" not in result.steps[0].detail and "pw@" not in result.steps[0].detail
    assert result.steps[1].detail.startswith("3 analysed")  # on the data already synced
    assert not result.ok


def test_anything_a_cycle_throws_is_logged_backed_off_and_followed_by_the_next(
    settings: Settings, leads: None, log_file: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failures = [psycopg.OperationalError(DB_DOWN), RuntimeError("a bug\nsecond line")]

    def flaky(*args: Any, **kwargs: Any) -> PipelineResult:
        if failures:
            raise failures.pop(0)
        return run_pipeline(*args, **kwargs)

    monkeypatch.setattr(schedule, "run_pipeline", flaky)
    errors: list[tuple[str, float]] = []
    seen: list[PipelineResult] = []
    done = run_schedule(
        settings,
        cycles=3,
        run_now=True,
        clock=hourly_clock(),
        on_cycle=seen.append,
        on_error=lambda message, wait: errors.append((message, wait)),
    )
    assert done == 3
    assert errors == [
        ("unexpected OperationalError: terminating connection due to administrator command", 30),
        ("unexpected RuntimeError: a bug", 60),
    ]
    assert [result.ok for result in seen] == [True]  # the third cycle ran, and worked
    text = log_file()
    assert text.count("pipeline cycle failed") == 2
    assert text.count("Traceback (most recent call last)") == 2


def test_back_off_doubles_from_30_seconds_up_to_the_cadence() -> None:
    assert [backoff(n, every_hours=1) for n in (1, 2, 3, 7, 8, 50)] == [
        30,
        60,
        120,
        1920,
        3600,
        3600,
    ]
    assert backoff(9, every_hours=3) == 7680


def test_stop_cuts_the_back_off_short(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> NoReturn:
        raise psycopg.OperationalError(DB_DOWN)

    monkeypatch.setattr(schedule, "run_pipeline", down)
    stop = threading.Event()
    fixed = datetime(2026, 11, 25, 10, 0)  # a clock that never moves: only `stop` ends a wait
    started = datetime.now()
    done = run_schedule(
        settings,
        run_now=True,
        clock=lambda: fixed,
        stop=stop,
        on_error=lambda message, wait: stop.set(),
    )
    assert done == 1
    assert datetime.now() - started < timedelta(seconds=10)


def test_ctrl_c_still_ends_the_loop(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> NoReturn:
        raise KeyboardInterrupt

    monkeypatch.setattr(schedule, "run_pipeline", interrupted)
    with pytest.raises(KeyboardInterrupt):
        run_schedule(settings, run_now=True, clock=hourly_clock())
