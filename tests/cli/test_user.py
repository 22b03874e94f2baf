"""`allpfit user ...`: passwords shown once and never stored or printed as hashes, the audit
log, clear errors, and the import of the old DASHBOARD_USERS_FILE."""

from __future__ import annotations

import getpass
import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from allpfit import passwords, users
from allpfit.cli import app
from allpfit.users import LoginFailed, Role

runner = CliRunner()
SHOWN = re.compile(r"^Password \(shown once, not stored anywhere\): (\S+)$", re.MULTILINE)


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(
        passwords, "HASHER", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    )
    yield


@pytest.fixture
def pilates(cli_env: dict[str, str], local: psycopg.Connection) -> str:
    local.execute(
        "INSERT INTO tenants (slug, name, account_id) VALUES ('pilates', 'Studio Pilates', 2)"
    )
    return "pilates"


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), input=stdin)
    return result.exit_code, result.stdout, result.stderr


def no_hash_in(text: str) -> bool:
    return "$argon2" not in text and "pbkdf2" not in text


def test_add_prints_a_generated_password_once_and_it_logs_in(
    pilates: str, local: psycopg.Connection
) -> None:
    code, out, err = invoke(
        "user", "add", "Ana@Pilates.com", "--tenant", "pilates", "--role", "viewer"
    )
    assert code == 0, err
    assert "Added viewer Ana@Pilates.com (tenant pilates)." in out
    found = SHOWN.findall(out)
    assert len(found) == 1 and len(found[0]) >= 16 and no_hash_in(out)
    user = users.authenticate(local, "ana@pilates.com", found[0], None)
    assert user.role is Role.viewer and user.tenant_id != 1
    actor, action, detail = local.execute(
        "SELECT actor, action, detail FROM audit_log WHERE action = 'user.add'"
    ).fetchone() or ("", "", "")
    assert (actor, action, detail) == (
        f"cli:{getpass.getuser()}",
        "user.add",
        "Ana@Pilates.com (viewer)",
    )


def test_add_with_password_stdin_prints_no_password(
    cli_env: dict[str, str], local: psycopg.Connection
) -> None:
    code, out, err = invoke(
        "user",
        "add",
        "boss@agency.com",
        "--role",
        "admin",
        "--password-stdin",
        stdin="senha-forte-1\n",
    )
    assert code == 0, err
    assert "Added admin boss@agency.com (every tenant)." in out
    assert "senha-forte-1" not in out and not SHOWN.search(out)
    assert users.authenticate(local, "boss@agency.com", "senha-forte-1", None).tenant_id is None


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["maria@gym.com", "--tenant", "nope", "--role", "manager"], None, "no tenant 'nope'"),
        (["maria@gym.com", "--role", "manager"], None, "belongs to one tenant"),
        (["maria@gym.com", "--tenant", "default", "--role", "boss"], None, "Unknown role"),
        (["maria", "--tenant", "default", "--role", "viewer"], None, "not an e-mail"),
        (
            ["maria@gym.com", "--tenant", "default", "--role", "viewer", "--password-stdin"],
            "curta\n",
            "shorter than 8",
        ),
        (
            ["maria@gym.com", "--tenant", "default", "--role", "viewer", "--password-stdin"],
            "\n",
            "holds no password",
        ),
    ],
)
def test_add_refuses_bad_input_clearly_and_writes_nothing(
    cli_env: dict[str, str],
    local: psycopg.Connection,
    args: list[str],
    stdin: str | None,
    message: str,
) -> None:
    code, out, err = invoke("user", "add", *args, stdin=stdin)
    assert code == 2
    assert message in err and "Traceback" not in err + out
    assert local.execute("SELECT count(*) FROM dashboard_users").fetchone() == (0,)
    assert local.execute("SELECT count(*) FROM audit_log").fetchone() == (0,)


def test_list_disable_and_reset_password(pilates: str, local: psycopg.Connection) -> None:
    users.add_user(local, "maria@gym.com", Role.manager, 1, "senha-forte-1", actor="t")
    users.add_user(local, "ana@pilates.com", Role.viewer, 2, "senha-forte-2", actor="t")
    code, out, _ = invoke("user", "list")
    assert code == 0 and "maria@gym.com" in out and "ana@pilates.com" in out and no_hash_in(out)
    code, out, _ = invoke("user", "list", "--tenant", "pilates")
    assert code == 0 and "ana@pilates.com" in out and "maria@gym.com" not in out
    assert "never" in out and "active" in out

    token = users.create_session(
        local, users.get_user(local, "maria@gym.com"), address=None, hours=1
    )
    code, out, err = invoke("user", "reset-password", "MARIA@gym.com")
    assert code == 0, err
    new = SHOWN.findall(out)
    assert len(new) == 1 and users.get_session(local, token) is None
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", "senha-forte-1", None)
    assert users.authenticate(local, "maria@gym.com", new[0], None).email == "maria@gym.com"

    code, out, err = invoke("user", "disable", "maria@gym.com")
    assert code == 0 and "Disabled maria@gym.com" in out
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", new[0], None)
    code, out, _ = invoke("user", "list", "--tenant", "default")
    assert "disabled" in out
    code, _, err = invoke("user", "disable", "ninguem@gym.com")
    assert code == 2 and "no dashboard user 'ninguem@gym.com'" in err
    code, _, _ = invoke("user", "enable", "maria@gym.com")
    assert code == 0 and users.authenticate(local, "maria@gym.com", new[0], None)

    actions = [
        r[0]
        for r in local.execute(
            "SELECT action FROM audit_log WHERE actor LIKE 'cli:%%' ORDER BY id"
        ).fetchall()
    ]
    assert actions == ["user.reset_password", "user.disable", "user.enable"]


def test_import_file_keeps_passwords_and_upgrades_them_at_login(
    cli_env: dict[str, str], local: psycopg.Connection, tmp_path: Path
) -> None:
    path = tmp_path / "users.toml"
    path.write_text(
        f'maria = "{passwords.pbkdf2_hash("abc12345", iterations=1000)}"\n'
        f'"joao@gym.com" = "{passwords.pbkdf2_hash("def67890", iterations=1000)}"\n'
    )
    code, _, err = invoke("user", "import-file", str(path), "--tenant", "default")
    assert code == 2 and "'maria'" in err and "--domain" in err
    assert local.execute("SELECT count(*) FROM dashboard_users").fetchone() == (0,)  # nothing

    code, out, err = invoke(
        "user", "import-file", str(path), "--tenant", "default", "--domain", "gym.com"
    )
    assert code == 0, err
    assert "Imported 2 user(s) as manager of default." in out and no_hash_in(out + err)
    assert users.authenticate(local, "maria@gym.com", "abc12345", None).role is Role.manager
    stored = dict(
        local.execute("SELECT email, left(password_hash, 10) FROM dashboard_users").fetchall()
    )
    assert stored == {"maria@gym.com": "$argon2id$", "joao@gym.com": "pbkdf2_sha"}

    code, out, _ = invoke(
        "user", "import-file", str(path), "--tenant", "default", "--domain", "gym.com"
    )
    assert code == 0 and "Imported 0 user(s)" in out and "skipped 2 existing" in out
