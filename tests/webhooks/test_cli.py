"""`allpfit webhooks token | secret | work --once` through the CLI, on real PostgreSQL."""

from __future__ import annotations

import psycopg
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.webhooks.signature import token_hash
from tests.factories import Chatwoot
from tests.webhooks.conftest import Receiver, message_event
from tests.webhooks.test_worker import conversations

runner = CliRunner()


def test_token_is_shown_once_and_stored_hashed(
    cli_env: dict[str, str], local: psycopg.Connection
) -> None:
    done = runner.invoke(app, ["webhooks", "token"])
    assert done.exit_code == 0, done.output
    path = next(line for line in done.output.splitlines() if line.startswith("/webhooks/"))
    token = path.rsplit("/", 1)[1]
    stored = local.execute("SELECT webhook_token_sha256 FROM tenants WHERE id = 1").fetchone()
    assert stored == (token_hash(token),)
    off = runner.invoke(app, ["webhooks", "token", "--off"])
    assert off.exit_code == 0
    assert local.execute("SELECT webhook_token_sha256 FROM tenants WHERE id = 1").fetchone() == (
        None,
    )


def test_secret_is_stored_as_a_reference(
    cli_env: dict[str, str], local: psycopg.Connection
) -> None:
    both = runner.invoke(app, ["webhooks", "secret", "--env", "X", "--stdin"])
    assert both.exit_code == 2
    done = runner.invoke(app, ["webhooks", "secret", "--env", "CHATWOOT_WEBHOOK_SECRET"])
    assert done.exit_code == 0, done.output
    ref = local.execute("SELECT webhook_secret_ref FROM tenants WHERE id = 1").fetchone()
    assert ref == ("env:CHATWOOT_WEBHOOK_SECRET",)
    pasted = runner.invoke(app, ["webhooks", "secret", "--env", "whsec-not-a-name!"])
    assert pasted.exit_code == 2  # a secret pasted where the name belongs is not stored


def test_work_once_processes_the_stored_events(
    cw: Chatwoot, receiver: Receiver, cli_env: dict[str, str], local: psycopg.Connection
) -> None:
    convs = conversations(cw, 2)
    receiver.post(message_event(1, cw.account_id))
    receiver.post(message_event(2, cw.account_id))
    done = runner.invoke(app, ["webhooks", "work", "--once"])
    assert done.exit_code == 0, done.output
    assert "Processed 2 webhook event(s)." in done.output
    rows = local.execute("SELECT conversation_id FROM conversas_analytics ORDER BY 1").fetchall()
    assert rows == [(convs[1],), (convs[2],)]
