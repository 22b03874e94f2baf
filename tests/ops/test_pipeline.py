"""The pipeline (sync → analysis → CRM match) and the scheduler loop that runs it."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.ops.pipeline import nightly_full_due, run_pipeline
from allpfit.ops.schedule import run_schedule
from tests.factories import Chatwoot

runner = CliRunner()


@pytest.fixture
def leads(source_url: str) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        Chatwoot(conn).leads(3, "Oi! Quanto custa a mensalidade? Quero agendar uma visita")


def test_pipeline_runs_every_step_in_order(settings: Settings, leads: None, local_url: str) -> None:
    result = run_pipeline(settings, triggered_by="manual")
    assert [step.name for step in result.steps] == ["sync", "analysis", "crm match"]
    assert result.ok, [step.detail for step in result.steps]
    assert result.steps[0].detail.startswith("3 read, 3 new")
    with psycopg.connect(local_url) as conn:
        assert conn.execute("SELECT count(*) FROM conversas_analytics_ai").fetchone() == (3,)
        assert conn.execute("SELECT kind FROM crm_sync_runs").fetchall() == [("match",)]


def test_scheduler_waits_for_minute_2_then_runs_the_pipeline(
    settings: Settings, leads: None, local_url: str
) -> None:
    times = iter([datetime(2026, 11, 25, 10, 1, 59)])

    def clock() -> datetime:
        return next(times, datetime(2026, 11, 25, 10, 2, 0))

    seen: list[bool] = []
    assert run_schedule(settings, cycles=1, clock=clock, on_cycle=lambda r: seen.append(r.ok)) == 1
    assert seen == [True]
    with psycopg.connect(local_url) as conn:
        assert conn.execute("SELECT triggered_by FROM etl_control").fetchall() == [("scheduler",)]


@pytest.fixture
def cli(cli_env: dict[str, str], leads: None) -> Iterator[None]:
    yield


def test_pipeline_and_schedule_commands(cli: None, local_url: str) -> None:
    result = runner.invoke(app, ["pipeline", "--no-crm"])
    assert result.exit_code == 0, result.output
    assert "analysis" in result.output and "crm match" not in result.output
    result = runner.invoke(app, ["schedule", "--now", "--cycles", "1"])
    assert result.exit_code == 0, result.output
    assert "Scheduler stopped after 1 cycle(s)." in result.output
    with psycopg.connect(local_url) as conn:
        runs = conn.execute("SELECT triggered_by FROM etl_control ORDER BY id").fetchall()
    assert runs == [("manual",), ("scheduler",)]


SP_3AM = datetime(2026, 11, 25, 6, 30, tzinfo=UTC)  # 03:30 in São Paulo


def test_nightly_full_reload_is_due_once_in_the_configured_hour(
    settings: Settings, leads: None, local_url: str
) -> None:
    db_url = local_url
    assert nightly_full_due(db_url, settings, SP_3AM) is True  # never ran a full reload
    assert nightly_full_due(db_url, settings, SP_3AM + timedelta(hours=1)) is False
    never = settings.model_copy(update={"schedule_full_hour": -1})
    assert nightly_full_due(db_url, never, SP_3AM) is False
    run_pipeline(settings, triggered_by="manual", full=True, analyze=False, crm=False)
    now = datetime.now(UTC)
    this_hour = settings.model_copy(
        update={"schedule_full_hour": now.astimezone(ZoneInfo(settings.timezone)).hour}
    )
    assert nightly_full_due(db_url, this_hour, now) is False  # one succeeded moments ago


@pytest.fixture
def frozen_now(monkeypatch: pytest.MonkeyPatch) -> datetime:
    """The pipeline's clock stopped at one instant: the hour a test computes is the hour the
    scheduler sees, even when the wall clock turns an hour in the middle of the test."""
    instant = datetime.now(UTC)

    class Frozen(datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> datetime:  # type: ignore[override]
            return instant.astimezone(tz) if tz else instant.replace(tzinfo=None)

    monkeypatch.setattr("allpfit.ops.pipeline.datetime", Frozen)
    return instant


def test_scheduled_pipeline_picks_full_or_incremental_by_itself(
    settings: Settings, leads: None, local_url: str, frozen_now: datetime
) -> None:
    run_pipeline(settings, triggered_by="manual", analyze=False, crm=False)  # first: full
    hour = frozen_now.astimezone(ZoneInfo(settings.timezone)).hour
    at_this_hour = settings.model_copy(update={"schedule_full_hour": hour})
    other_hour = settings.model_copy(update={"schedule_full_hour": (hour + 1) % 24})
    run_pipeline(other_hour, triggered_by="scheduler", analyze=False, crm=False)
    run_pipeline(at_this_hour, triggered_by="scheduler", analyze=False, crm=False)
    with psycopg.connect(local_url) as conn:
        types = conn.execute("SELECT load_type FROM etl_control ORDER BY id").fetchall()
    # the full reload a few seconds ago makes the nightly one not due yet
    assert types == [("full",), ("incremental",), ("incremental",)]
    with psycopg.connect(local_url, autocommit=True) as conn:
        conn.execute("UPDATE etl_control SET started_at = started_at - interval '13 hours'")
    run_pipeline(at_this_hour, triggered_by="scheduler", analyze=False, crm=False)
    run_pipeline(at_this_hour, triggered_by="manual", analyze=False, crm=False)
    with psycopg.connect(local_url) as conn:
        types = conn.execute("SELECT load_type FROM etl_control ORDER BY id").fetchall()
    assert types[3:] == [("full",), ("incremental",)]  # manual runs never go full by themselves
