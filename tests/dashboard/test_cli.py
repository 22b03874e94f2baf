"""`allpfit dashboard` builds the right Streamlit command (the browser test runs it for real)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from allpfit.cli import app, dashboard


def test_command_runs_the_packaged_app_with_the_dark_theme() -> None:
    command = dashboard.streamlit_command(8600, "0.0.0.0")
    assert command[1:4] == ["-m", "streamlit", "run"]
    assert command[4] == str(dashboard.app_path()) and dashboard.app_path().is_file()
    assert "--server.port=8600" in command and "--server.address=0.0.0.0" in command
    assert "--server.headless=true" in command  # no first-run e-mail prompt on the terminal
    assert "--theme.base=dark" in command and "--browser.gatherUsageStats=false" in command


def test_bad_configuration_fails_in_the_terminal_before_starting_streamlit(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TIMEZONE", "Mars/Olympus")
    result = CliRunner().invoke(app, ["dashboard", "--no-browser", "--port", "8599"])
    assert result.exit_code == 2
    assert "TIMEZONE" in result.output and "unknown time zone" in result.output
