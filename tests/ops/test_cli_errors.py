"""One line, once: an expected error is one `Error:` line and one `Hint:` line on stderr, with
the right exit code and no traceback, in-process and from the real `allpfit` executable. The
log file keeps the full text."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.errors import ConfigError, SourceError

ALLPFIT = str(Path(sys.executable).with_name("allpfit"))
UNREACHABLE = "postgresql://reader:s3cret-Pa55@127.0.0.1:1/chatwoot"


@pytest.fixture(autouse=True)
def _no_leftover_handlers() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_allpfit", False)]:
        root.removeHandler(handler)
        handler.close()


def lines_starting(text: str, prefix: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith(prefix)]


def assert_one_error(stderr: str, message: str) -> None:
    lines = stderr.splitlines()
    errors = lines_starting(stderr, "Error:")
    assert len(errors) == 1, stderr
    assert message in errors[0]
    assert len(lines_starting(stderr, "Hint:")) == 1, stderr
    assert lines[lines.index(errors[0]) + 1].startswith("Hint:")  # the hint on the next line
    assert "Traceback" not in stderr and "ERROR" not in stderr  # no console log copy
    assert "Is the server running" not in stderr  # the driver's second line stays in the file


def test_unreachable_source_is_one_error_line_in_process(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATABASE_URL", UNREACHABLE)
    result = CliRunner().invoke(app, ["etl", "run"])
    assert result.exit_code == SourceError.exit_code, result.output
    assert_one_error(result.stderr, "Cannot connect to the Chatwoot database")
    assert "s3cret-Pa55" not in result.output
    log = (Path(cli_env["DATA_DIR"]) / "logs" / "allpfit.log").read_text()
    assert "Is the server running" in log  # the full text is kept in the file
    assert "s3cret-Pa55" not in log


def test_unreachable_source_is_one_error_line_from_the_real_executable(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **cli_env}
    env["SOURCE_DATABASE_URL"] = UNREACHABLE
    done = subprocess.run(
        [ALLPFIT, "etl", "run"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == SourceError.exit_code, done.stderr
    assert_one_error(done.stderr, "Cannot connect to the Chatwoot database")
    assert "s3cret-Pa55" not in done.stderr + done.stdout


def test_an_unexpected_exception_is_one_line_too_with_its_traceback_in_the_log(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from allpfit.cli import etl

    def bug(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(etl, "sync_tenant", bug)
    result = CliRunner().invoke(app, ["etl", "run"])
    assert result.exit_code == 1
    errors = lines_starting(result.stderr, "Error:")
    assert errors == ["Error: unexpected ZeroDivisionError: division by zero"]
    assert "allpfit.log" in lines_starting(result.stderr, "Hint:")[0]
    assert "Traceback" not in result.stderr
    log = (Path(cli_env["DATA_DIR"]) / "logs" / "allpfit.log").read_text()
    assert "Traceback (most recent call last)" in log and "second line" in log


COMMANDS = [
    ["status"],
    ["monitor", "--iterations", "1"],
    ["etl", "run"],
    ["pipeline"],
    ["schedule", "--cycles", "1"],
    ["analyze"],
    ["crm", "match"],
    ["db", "upgrade"],
    ["source", "check"],
    ["deploy", "cron"],
    ["deploy", "systemd"],
]


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_data_dir_that_is_a_file_is_one_clear_line_in_every_command(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where DATA_DIR should be")
    monkeypatch.setenv("DATA_DIR", str(blocker))
    monkeypatch.setenv("SOURCE_DATABASE_URL", UNREACHABLE)
    result = CliRunner().invoke(app, command)
    assert result.exit_code == ConfigError.exit_code, result.output
    assert_one_error(result.stderr, "DATA_DIR")
    assert "Not a directory" in lines_starting(result.stderr, "Error:")[0]
    assert blocker.read_text() == "a file where DATA_DIR should be"


def test_a_data_dir_that_is_a_file_from_the_real_executable(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATA_DIR": str(blocker)}
    done = subprocess.run(
        [ALLPFIT, "status"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == ConfigError.exit_code, done.stderr
    assert_one_error(done.stderr, "DATA_DIR")


def test_usage_errors_and_exit_codes_still_come_from_typer(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["status", "--no-such-option"])
    assert result.exit_code == 2 and "No such option" in result.output
    assert "unexpected" not in result.output
    assert CliRunner().invoke(app, ["--help"]).exit_code == 0


def test_the_scheduler_starts_while_the_local_database_is_down_and_reports_each_cycle(
    cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DATABASE_URL", "postgresql://allpfit:Sch3d-Pa55@127.0.0.1:1/analytics")
    result = CliRunner().invoke(app, ["schedule", "--now", "--cycles", "1"])
    assert result.exit_code == 0, result.output
    assert len(lines_starting(result.stderr, "Warning: Cannot connect")) == 1
    failed = lines_starting(result.stderr, "Cycle failed:")
    assert len(failed) == 1 and "(retrying in 30 s)" in failed[0]
    assert "Scheduler stopped after 1 cycle(s)." in result.stdout
    assert "Traceback" not in result.output and "Sch3d-Pa55" not in result.output
