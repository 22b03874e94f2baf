"""Webhooks with Chatwoot's API (a fake Chatwoot API server on 127.0.0.1, driven by the real
client): `allpfit webhooks register` creates the webhook and stores its secret encrypted; an
event for a tenant whose source is the API refreshes its conversation through the API mirror."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg
import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.tenant_secrets import resolve
from allpfit.tenants import Tenant, get_tenant
from allpfit.webhooks.credentials import set_secret_ref
from tests.factories import Chatwoot
from tests.fakes.chatwoot_api import FakeChatwoot, serve
from tests.webhooks.conftest import SECRET_ENV, Receiver, message_event
from tests.webhooks.test_worker import conversations, drain

TOKEN_ENV = "TEST_CHATWOOT_API_TOKEN"
runner = CliRunner()


@pytest.fixture
def fake(source_url: str, cw: Chatwoot) -> Iterator[FakeChatwoot]:
    with serve(FakeChatwoot(source_url, account_id=cw.account_id)) as running:
        yield running


@pytest.fixture
def cloud(local: psycopg.Connection, fake: FakeChatwoot, monkeypatch: pytest.MonkeyPatch) -> Tenant:
    monkeypatch.setenv(TOKEN_ENV, fake.token)
    local.execute(
        "INSERT INTO tenants (slug, name, account_id, source_kind, chatwoot_url, "
        "chatwoot_token_ref) VALUES ('cloud', 'Studio na nuvem', %s, 'api', %s, %s)",
        (fake.account_id, fake.url, f"env:{TOKEN_ENV}"),
    )
    return get_tenant(local, "cloud")


def test_register_creates_the_webhook_and_stores_its_secret_encrypted(
    cloud: Tenant, fake: FakeChatwoot, cli_env: dict[str, str], local: psycopg.Connection,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("TENANT_SECRET_KEY", key)
    plain = runner.invoke(
        app, ["webhooks", "register", "--tenant", "cloud", "--url", "http://allpfit.example.com"]
    )
    assert plain.exit_code == 2 and "https://" in plain.output
    assert fake.webhooks == []
    done = runner.invoke(
        app, ["webhooks", "register", "--tenant", "cloud", "--url", "https://allpfit.example.com/"]
    )
    assert done.exit_code == 0, done.output
    assert [w["url"] for w in fake.webhooks] == ["https://allpfit.example.com/webhooks/cloud"]
    assert "message_created" in fake.webhooks[0]["subscriptions"]
    secret = fake.webhooks[0]["secret"]
    assert secret not in done.output
    ref = local.execute("SELECT webhook_secret_ref FROM tenants WHERE slug = 'cloud'").fetchone()
    assert ref is not None and ref[0].startswith("fernet:") and secret not in ref[0]
    settings = Settings(_env_file=None, tenant_secret_key=key)  # type: ignore[call-arg]
    assert resolve(ref[0], settings) == secret
    again = runner.invoke(
        app, ["webhooks", "register", "--tenant", "cloud", "--url", "https://allpfit.example.com"]
    )
    assert again.exit_code == 3 and len(fake.webhooks) == 1  # no second webhook


def test_an_event_of_an_api_tenant_refreshes_through_the_api_mirror(
    cloud: Tenant, cw: Chatwoot, receiver: Receiver, local_url: str, settings: Settings,
    local: psycopg.Connection,
) -> None:  # fmt: skip
    convs = conversations(cw, 3)
    set_secret_ref(local, cloud, f"env:{SECRET_ENV}")
    answer = receiver.post(message_event(2, cw.account_id), path="/webhooks/cloud")
    assert answer.status_code == 200
    assert drain(local_url, settings) == 1
    rows = local.execute(
        "SELECT tenant_id, conversation_id FROM conversas_analytics ORDER BY 2"
    ).fetchall()
    # an API tenant's conversation_id is Chatwoot's display id (source/api_mirror.py)
    assert (cloud.id, 2) in rows
    assert all(tenant == cloud.id for tenant, _ in rows)
    ledger = local.execute(
        "SELECT load_type, status FROM etl_control WHERE tenant_id = %s", (cloud.id,)
    ).fetchall()
    assert ledger == [("webhook", "success")]
    assert len(convs) == 3
