"""`allpfit deploy systemd|cron` and the scheduler's timetable."""

from __future__ import annotations

import configparser
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.ops.schedule import next_run

runner = CliRunner()


@pytest.mark.parametrize(
    ("now", "minute", "every", "expected"),
    [
        (datetime(2026, 11, 25, 10, 0, 0), 2, 1, datetime(2026, 11, 25, 10, 2)),
        (datetime(2026, 11, 25, 10, 2, 0), 2, 1, datetime(2026, 11, 25, 11, 2)),
        (datetime(2026, 11, 25, 10, 3, 0), 2, 1, datetime(2026, 11, 25, 11, 2)),
        (datetime(2026, 11, 25, 23, 30, 0), 2, 1, datetime(2026, 11, 26, 0, 2)),
        (datetime(2026, 11, 25, 10, 30, 0), 15, 3, datetime(2026, 11, 25, 12, 15)),
    ],
)
def test_next_run_is_the_next_scheduled_minute(
    now: datetime, minute: int, every: int, expected: datetime
) -> None:
    assert next_run(now, minute, every) == expected


def test_systemd_units_are_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SCHEDULE_MINUTE", "7")
    result = runner.invoke(app, ["deploy", "systemd", "--output", "units", "--user", "allpfit"])
    assert result.exit_code == 0, result.output
    timer = (tmp_path / "units" / "allpfit-pipeline.timer").read_text()
    service = (tmp_path / "units" / "allpfit-pipeline.service").read_text()
    assert "OnCalendar=*-*-* *:07:00" in timer
    assert "pipeline --triggered-by scheduler" in service
    assert "User=allpfit" in service
    assert (tmp_path / "units" / "allpfit-dashboard.service").exists()


def test_every_service_restarts_on_failure_a_bounded_number_of_times(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["deploy", "systemd", "--output", "units"])
    assert result.exit_code == 0, result.output
    services = sorted((tmp_path / "units").glob("*.service"))
    assert [s.name for s in services] == [
        "allpfit-dashboard.service",
        "allpfit-pipeline.service",
        "allpfit-schedule.service",
    ]
    for path in services:
        unit = configparser.ConfigParser(strict=False)
        unit.optionxform = str  # type: ignore[assignment,method-assign]
        unit.read(path)
        assert unit["Service"]["Restart"] == "on-failure", path.name
        assert int(unit["Service"]["RestartSec"]) > 0
        assert int(unit["Unit"]["StartLimitBurst"]) >= 2
        # the limit window is shorter than the hour between two timer runs, so a unit that hit
        # it is started again by the next run
        assert 0 < int(unit["Unit"]["StartLimitIntervalSec"]) < 3600
    schedule = (tmp_path / "units" / "allpfit-schedule.service").read_text()
    assert "schedule\n" in schedule
    if shutil.which("systemd-analyze"):  # systemd's own check of every unit, where installed
        check = subprocess.run(
            ["systemd-analyze", "verify", *map(str, sorted((tmp_path / "units").iterdir()))],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert check.returncode == 0 and not check.stderr.strip(), check.stderr


def test_cron_line_runs_the_pipeline_at_minute_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["deploy", "cron"])
    assert result.exit_code == 0, result.output
    line = result.output.strip().replace("\n", "")
    assert line.startswith("2 * * * * cd ")
    assert "pipeline --triggered-by scheduler >>" in line
