"""`allpfit analyze` as a user runs it: exit codes, messages, the summary."""

from __future__ import annotations

import psycopg
import pytest
from click.testing import Result
from typer.testing import CliRunner

from allpfit.cli import app
from tests.analysis.conftest import add_lead
from tests.fakes.llm_server import FakeLLM, Reply

runner = CliRunner()


def text(result: Result) -> str:
    """The output with rich's line wrapping undone."""
    return " ".join(result.output.split())


@pytest.fixture
def leads(local: psycopg.Connection) -> None:
    add_lead(local, 1, [("contact", "oi, qnto custa? e o horário?")])
    add_lead(local, 2, [("contact", "achei caro")])


def test_analyze_with_the_offline_analyzer_prints_a_summary(
    cli_env: dict[str, str], leads: None
) -> None:
    result = runner.invoke(app, ["analyze"])
    assert result.exit_code == 0, result.output
    assert "Analysis run 1 (rules, rules-v2)" in result.output
    assert "analysed" in result.output and "skipped (unchanged)" in result.output
    again = runner.invoke(app, ["analyze", "--limit", "5"])
    assert again.exit_code == 0, again.output
    assert "│ analysed            │ 0" in again.output
    assert "│ skipped (unchanged) │ 2" in again.output


def test_analyze_reanalyze_and_limit(cli_env: dict[str, str], leads: None) -> None:
    assert runner.invoke(app, ["analyze", "--limit", "1"]).exit_code == 0
    result = runner.invoke(app, ["analyze", "--reanalyze", "--provider", "rules"])
    assert result.exit_code == 0, result.output
    assert "│ analysed            │ 2" in result.output


def test_openai_provider_without_a_key_is_a_clear_error(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["analyze", "--provider", "openai"])
    assert result.exit_code == 2
    assert "OPENAI_API_KEY is not set" in text(result)
    assert "--provider rules" in text(result)
    assert "Traceback" not in result.output


def test_invalid_limit_is_rejected(cli_env: dict[str, str]) -> None:
    result = runner.invoke(app, ["analyze", "--limit", "0"])
    assert result.exit_code == 2
    assert "--limit" in result.output


def test_every_conversation_failing_exits_non_zero_with_the_reasons(
    cli_env: dict[str, str],
    leads: None,
    fake_llm: FakeLLM,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.url)
    monkeypatch.setenv("ANALYSIS_MAX_RETRIES", "0")
    fake_llm.handler = lambda request: Reply(status=503, error="overloaded")
    result = runner.invoke(app, ["analyze"])
    assert result.exit_code == 6, result.output
    assert "(openai, gpt-4o-mini)" in result.output
    assert "HTTP 503: overloaded" in text(result)
    assert "Every one of the 2 selected conversation(s) failed" in text(result)
    assert "sk-test" not in result.output


def test_bad_key_exits_with_the_analysis_error_code(
    cli_env: dict[str, str], leads: None, fake_llm: FakeLLM, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-wrong")
    monkeypatch.setenv("OPENAI_BASE_URL", fake_llm.url)
    fake_llm.handler = lambda request: Reply(status=401, error="Incorrect API key provided")
    result = runner.invoke(app, ["analyze"])
    assert result.exit_code == 6
    assert "refused the API key" in text(result) and "Hint:" in result.output
