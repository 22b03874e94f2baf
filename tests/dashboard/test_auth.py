"""Login rules: which login applies, shared password, users file of PBKDF2 hashes, and the
hash-password command. Database users: tests/test_users.py and test_login_users.py."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from allpfit import users
from allpfit.cli import app
from allpfit.config import Settings
from allpfit.dashboard import auth
from allpfit.errors import ConfigError


def settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_no_password_and_no_file_means_no_login() -> None:
    assert auth.login_mode(settings()) is auth.LoginMode.none
    assert auth.check(settings(), "", "") == ""


def test_shared_password_is_compared_exactly() -> None:
    configured = settings(dashboard_password="s3nha")
    assert auth.login_mode(configured) is auth.LoginMode.password
    assert auth.check(configured, "", "s3nha") == ""
    assert auth.check(configured, "", "S3nha") is None
    assert auth.check(configured, "", "") is None


def test_hash_round_trip_and_tampering() -> None:
    encoded = auth.hash_password("correta", iterations=1000)
    assert encoded.startswith("pbkdf2_sha256$1000$")
    assert auth.verify_password("correta", encoded)
    assert not auth.verify_password("errada", encoded)
    assert not auth.verify_password("correta", encoded.replace("$1000$", "$1001$"))
    assert not auth.verify_password("correta", "not-a-hash")


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_users_file_in_toml_or_json(tmp_path: Path, suffix: str) -> None:
    users = {"maria": auth.hash_password("abc12345", iterations=1000)}
    path = tmp_path / f"users{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(users))
    else:
        path.write_text("[users]\n" + "".join(f'{k} = "{v}"\n' for k, v in users.items()))
    configured = settings(dashboard_users_file=path, dashboard_password="ignored")
    assert auth.login_mode(configured) is auth.LoginMode.users
    assert auth.check(configured, " maria ", "abc12345") == "maria"
    assert auth.check(configured, "maria", "ignored") is None
    assert auth.check(configured, "joao", "abc12345") is None


def test_bad_users_file_names_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text('maria = "plaintext"\n')
    with pytest.raises(ConfigError, match="must map user names to pbkdf2_sha256 hashes"):
        auth.load_users(path)
    with pytest.raises(ConfigError, match="Cannot read DASHBOARD_USERS_FILE"):
        auth.load_users(tmp_path / "missing.toml")


def test_hash_password_command_prints_a_users_file_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["dashboard", "hash-password", "--user", "maria", "--iterations", "10000"],
        input="abc12345\n",
    )
    assert result.exit_code == 0, result.output
    line = result.stdout.strip().splitlines()[-1]
    path = tmp_path / "users.toml"
    path.write_text(line + "\n")
    assert auth.check(settings(dashboard_users_file=path), "maria", "abc12345") == "maria"


def test_hash_password_command_refuses_an_empty_password() -> None:
    result = CliRunner().invoke(app, ["dashboard", "hash-password", "--user", "maria"], input="\n")
    assert result.exit_code == 2
    assert "The password is empty." in result.output


def test_unknown_user_costs_the_same_hash_work_as_a_known_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """User-name enumeration: both answers run PBKDF2 once, with the same round count.

    The real hashlib function runs; the wrapper only records its round counts.
    """
    path = tmp_path / "users.toml"
    path.write_text(
        "".join(
            f'{name} = "{auth.hash_password("abc12345", iterations=20_000)}"\n'
            for name in ("maria", "joao")
        )
    )
    configured = settings(dashboard_users_file=path)
    rounds: list[int] = []
    real = auth.hashlib.pbkdf2_hmac

    def counting(name: str, password: bytes, salt: bytes, iterations: int) -> bytes:
        rounds.append(iterations)
        return real(name, password, salt, iterations)

    monkeypatch.setattr(auth.hashlib, "pbkdf2_hmac", counting)
    assert auth.check(configured, "maria", "errada") is None
    known = list(rounds)
    rounds.clear()
    assert auth.check(configured, "ninguem", "errada") is None
    assert auth.check(configured, "ninguem", "abc12345") is None  # no password opens the dummy
    assert known == [20_000] and rounds == [20_000, 20_000]
    rounds.clear()
    assert auth.check(configured, "maria", "abc12345") == "maria"
    assert rounds == [20_000]


def test_database_users_win_over_the_password_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text("")
    both = settings(dashboard_users_file=path, dashboard_password="s3nha")
    assert auth.login_mode(both) is auth.LoginMode.users
    assert auth.login_mode(both, has_users=True) is auth.LoginMode.accounts
    assert auth.login_mode(settings(), has_users=True) is auth.LoginMode.accounts
    assert auth.login_mode(settings(dashboard_password="")) is auth.LoginMode.none


def test_a_session_is_valid_only_under_the_login_it_was_opened_with(tmp_path: Path) -> None:
    path = tmp_path / "users.toml"
    path.write_text(f'maria = "{auth.hash_password("abc12345", iterations=1000)}"\n')
    configured = settings(dashboard_users_file=path)
    person = users.User(3, "maria@gym.com", users.Role.manager, 1)
    shared, maria = users.legacy_user("password"), users.legacy_user("file", "maria")
    assert auth.session_matches(person, auth.LoginMode.accounts, configured)
    assert not auth.session_matches(shared, auth.LoginMode.accounts, configured)
    assert auth.session_matches(shared, auth.LoginMode.password, configured)
    assert auth.session_matches(maria, auth.LoginMode.users, configured)
    path.write_text("")  # maria left the file: her session ends
    assert not auth.session_matches(maria, auth.LoginMode.users, configured)
    assert not auth.session_matches(person, auth.LoginMode.none, configured)
