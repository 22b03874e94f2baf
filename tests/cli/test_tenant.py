"""`allpfit tenant add / list / edit / disable`: validation, secrets never in clear, audit."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.config import Settings
from allpfit.errors import ConfigError
from allpfit.tenant_secrets import resolve

runner = CliRunner()

EVO_SECRET = "evo-tok-7Hq2-SECRET"
LLM_SECRET = "sk-live-Zx81-SECRET"


@pytest.fixture
def key(cli_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> str:
    value = Fernet.generate_key().decode()
    monkeypatch.setenv("TENANT_SECRET_KEY", value)
    return value


def tenant_row(local_url: str, slug: str) -> dict[str, object]:
    with psycopg.connect(local_url) as conn, conn.cursor(row_factory=psycopg.rows.dict_row) as cur:
        row = cur.execute("SELECT * FROM tenants WHERE slug = %s", (slug,)).fetchone()
    assert row is not None
    return row


def whole_table(local_url: str) -> str:
    """Every byte of the tenants table and the audit log as text: where a secret could leak."""
    with psycopg.connect(local_url) as conn:
        rows = conn.execute("SELECT t::text FROM tenants t").fetchall()
        rows += conn.execute("SELECT a::text FROM audit_log a").fetchall()
    return "\n".join(r[0] for r in rows)


def test_add_list_edit_disable_with_secrets_never_in_clear(
    key: str, local_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    description = tmp_path / "studio.txt"
    description.write_text("Studio Pilates Vila: planos a partir de R$ 290, seg-sex 7h-21h.")
    added = runner.invoke(
        app,
        ["tenant", "add", "pilates", "--name", "Studio Pilates", "--account-id", "7",
         "--inbox-id", "12", "--inbox-id", "11", "--timezone", "America/Manaus",
         "--evo-dns", "studio-vila", "--evo-token-env", "PILATES_EVO_TOKEN",
         "--provider", "openai", "--model", "gpt-4o", "--llm-key-stdin",
         "--description-file", str(description), "--budget", "12.5"],
        input=LLM_SECRET + "\n",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Added tenant pilates" in added.output and "account 7, inbox 11, 12" in added.output
    assert "the default tenant still reads every Chatwoot account" in added.output

    row = tenant_row(local_url, "pilates")
    assert row["evo_token_ref"] == "env:PILATES_EVO_TOKEN"
    assert str(row["llm_api_key_ref"]).startswith("fernet:")
    assert row["crm_source"] == "evo" and row["inbox_ids"] == [11, 12]
    assert row["timezone"] == "America/Manaus" and str(row["llm_monthly_budget_brl"]) == "12.50"
    assert "R$ 290" in str(row["business_description"])
    assert LLM_SECRET not in whole_table(local_url)
    settings = Settings(_env_file=None, tenant_secret_key=SecretStr(key))  # type: ignore[call-arg]
    assert resolve(str(row["llm_api_key_ref"]), settings) == LLM_SECRET

    monkeypatch.setenv("PILATES_EVO_TOKEN", EVO_SECRET)
    listed = runner.invoke(app, ["tenant", "list"])
    assert listed.exit_code == 0, listed.output
    assert "pilates" in listed.output and "Studio Pilates" in listed.output
    assert "env:PILATES_EVO_TOKEN" in listed.output and "encrypted" in listed.output
    assert "R$ 12.50" in listed.output
    assert EVO_SECRET not in listed.output and LLM_SECRET not in listed.output
    assert "fernet:" not in listed.output

    with psycopg.connect(local_url, autocommit=True) as conn:  # as if set before 0082
        conn.execute("UPDATE tenants SET llm_monthly_budget_usd = 4 WHERE slug = 'pilates'")
    edited = runner.invoke(
        app, ["tenant", "edit", "pilates", "--evo-token-stdin", "--budget", "3"],
        input=EVO_SECRET + "\n",
    )  # fmt: skip
    assert edited.exit_code == 0, edited.output
    assert "evo_token_ref" in edited.output and EVO_SECRET not in edited.output
    row = tenant_row(local_url, "pilates")
    assert str(row["evo_token_ref"]).startswith("fernet:")
    assert str(row["llm_monthly_budget_brl"]) == "3.00" and row["name"] == "Studio Pilates"
    assert row["llm_monthly_budget_usd"] is None  # one budget: the one in reais replaces it
    assert EVO_SECRET not in whole_table(local_url)

    disabled = runner.invoke(app, ["tenant", "disable", "pilates"])
    assert disabled.exit_code == 0, disabled.output
    assert tenant_row(local_url, "pilates")["enabled"] is False
    refused = runner.invoke(app, ["etl", "run", "--tenant", "pilates"])
    assert refused.exit_code == 2
    assert "Tenant 'pilates' is disabled" in refused.output
    assert runner.invoke(app, ["tenant", "edit", "pilates", "--enable"]).exit_code == 0
    assert tenant_row(local_url, "pilates")["enabled"] is True
    reset = runner.invoke(
        app, ["tenant", "edit", "pilates", "--all-inboxes", "--no-budget", "--no-evo"]
    )
    assert reset.exit_code == 0, reset.output
    row = tenant_row(local_url, "pilates")
    assert row["inbox_ids"] == [] and row["llm_monthly_budget_brl"] is None
    assert row["evo_dns"] is None and row["evo_token_ref"] is None
    assert row["crm_source"] == "spreadsheet" and row["timezone"] == "America/Manaus"

    with psycopg.connect(local_url) as conn:
        audit = conn.execute(
            "SELECT action, actor, tenant_id, detail FROM audit_log ORDER BY id"
        ).fetchall()
    assert [a[0] for a in audit] == [
        "tenant.add", "tenant.edit", "tenant.disable", "tenant.edit", "tenant.edit"
    ]  # fmt: skip
    assert "budget cleared" in audit[-1][3]
    assert all(a[1].startswith("cli:") and a[2] == row["id"] for a in audit)
    assert "evo_token_ref" in audit[1][3] and "llm_monthly_budget_brl" in audit[1][3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["tenant", "add", "Bad Slug!", "--name", "X", "--account-id", "3"],
         "'Bad Slug!' is not a valid tenant slug"),
        (["tenant", "add", "studio", "--name", "X", "--account-id", "3", "--timezone", "Mars/Base"],
         "Unknown time zone 'Mars/Base'"),
        (["tenant", "add", "studio", "--name", "X"], "A tenant needs the Chatwoot account"),
        (["tenant", "add", "studio", "--name", "X", "--account-id", "3", "--evo-token-env",
          "tok-3f9a"], "The environment variable name is not valid"),
        (["tenant", "add", "studio", "--name", "X", "--account-id", "3", "--budget", "lots"],
         "The monthly LLM budget must be an amount in reais"),
        (["tenant", "add", "studio", "--name", "X", "--account-id", "3", "--provider", "gpt"],
         "Unknown analysis provider 'gpt'"),
        (["tenant", "edit", "nobody", "--name", "X"], "There is no tenant 'nobody'"),
        (["tenant", "edit", "default"], "Nothing to change for tenant 'default'"),
    ],
)  # fmt: skip
def test_bad_input_is_refused_with_a_clear_error(
    cli_env: dict[str, str], local_url: str, args: list[str], message: str
) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Hint:" in result.output and "Traceback" not in result.output
    with psycopg.connect(local_url) as conn:
        assert conn.execute("SELECT slug FROM tenants").fetchall() == [("default",)]


def test_duplicate_slug_and_account_are_refused(cli_env: dict[str, str], local_url: str) -> None:
    first = runner.invoke(app, ["tenant", "add", "gym", "--name", "Gym", "--account-id", "4"])
    assert first.exit_code == 0, first.output
    again = runner.invoke(app, ["tenant", "add", "gym", "--name", "Other", "--account-id", "5"])
    assert again.exit_code == 2 and "A tenant named 'gym' already exists" in again.output
    same = runner.invoke(app, ["tenant", "add", "gym2", "--name", "Gym 2", "--account-id", "4"])
    assert same.exit_code == 2
    assert "Chatwoot account 4 is already served by tenant 'gym'" in same.output
    # a disabled tenant frees its account
    assert runner.invoke(app, ["tenant", "disable", "gym"]).exit_code == 0
    freed = runner.invoke(app, ["tenant", "add", "gym2", "--name", "Gym 2", "--account-id", "4"])
    assert freed.exit_code == 0, freed.output
    back = runner.invoke(app, ["tenant", "edit", "gym", "--enable"])
    assert back.exit_code == 2 and "already served by tenant 'gym2'" in back.output
    with psycopg.connect(local_url) as conn:
        rows = conn.execute("SELECT slug, enabled FROM tenants ORDER BY id").fetchall()
    assert rows == [("default", True), ("gym", False), ("gym2", True)]


def test_a_stdin_secret_without_a_key_says_how_to_make_one(
    cli_env: dict[str, str], local_url: str
) -> None:
    result = runner.invoke(
        app,
        ["tenant", "add", "gym", "--name", "Gym", "--account-id", "4", "--evo-token-stdin"],
        input=EVO_SECRET,
    )
    assert result.exit_code == 2
    assert "needs TENANT_SECRET_KEY, which is not set" in result.output
    assert "Fernet.generate_key()" in result.output
    assert EVO_SECRET not in result.output
    with psycopg.connect(local_url) as conn:
        assert conn.execute("SELECT count(*) FROM tenants").fetchone() == (1,)


def test_secret_references_resolve_or_fail_without_showing_the_secret(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError, match="environment variable GYM_TOKEN, which is not set"):
        resolve("env:GYM_TOKEN", settings)
    (tmp_path / ".env").write_text("GYM_TOKEN=from-dotenv\n")
    assert resolve("env:GYM_TOKEN", settings) == "from-dotenv"
    monkeypatch.setenv("GYM_TOKEN", "from-env")
    assert resolve("env:GYM_TOKEN", settings) == "from-env"

    one = Settings(_env_file=None, tenant_secret_key=SecretStr(Fernet.generate_key().decode()))  # type: ignore[call-arg]
    other = Settings(_env_file=None, tenant_secret_key=SecretStr(Fernet.generate_key().decode()))  # type: ignore[call-arg]
    token = (
        "fernet:"
        + Fernet(
            one.tenant_secret_key.get_secret_value().encode()  # type: ignore[union-attr]
        )
        .encrypt(b"s3cret")
        .decode()
    )
    assert resolve(token, one) == "s3cret"
    with pytest.raises(ConfigError, match="TENANT_SECRET_KEY cannot decrypt it") as caught:
        resolve(token, other)
    assert "s3cret" not in str(caught.value.message) + str(caught.value.hint)
