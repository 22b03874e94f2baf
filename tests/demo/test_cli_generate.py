"""`allpfit demo generate`: exit codes and messages."""

from __future__ import annotations

import re

from typer.testing import CliRunner

from allpfit.cli import app
from tests.demo.conftest import query

ARGS = ["demo", "generate", "--conversations", "25", "--end", "2026-06-10 15:00:00"]


def test_generate_fills_the_given_database_and_prints_a_summary(
    cli_env: dict[str, str], source_url: str
) -> None:
    result = CliRunner().invoke(app, [*ARGS, "--database-url", source_url, "--accounts", "3"])
    assert result.exit_code == 0, result.output
    assert "Generated Chatwoot data" in result.output
    assert "conversations" in result.output and "25" in result.output
    assert re.search(r"accounts\s+│\s+3\b", result.output), result.output
    assert query(source_url, "SELECT count(*) FROM conversations") == [(25,)]
    assert query(source_url, "SELECT count(DISTINCT account_id) FROM conversations") == [(3,)]


def test_generate_refuses_a_database_with_conversations_unless_replace(
    cli_env: dict[str, str], source_url: str
) -> None:
    runner = CliRunner()
    assert runner.invoke(app, [*ARGS, "--database-url", source_url]).exit_code == 0
    refused = runner.invoke(app, [*ARGS, "--database-url", source_url, "-n", "5"])
    assert refused.exit_code == 2
    assert "already holds 25 conversations" in refused.output
    assert "--replace" in refused.output
    assert "Traceback" not in refused.output
    replaced = runner.invoke(app, [*ARGS, "--database-url", source_url, "-n", "5", "--replace"])
    assert replaced.exit_code == 0, replaced.output
    assert query(source_url, "SELECT count(*) FROM conversations") == [(5,)]
