"""Dashboard users, sessions and the audit log on real PostgreSQL (allpfit/users.py)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import timedelta

import psycopg
import pytest
from argon2 import PasswordHasher, extract_parameters

from allpfit import passwords, users
from allpfit.dashboard import throttle
from allpfit.errors import InputError
from allpfit.users import LoginFailed, LoginThrottled, Role, User

ADMIN = "cli:test"


@pytest.fixture(autouse=True)
def cheap_hasher(monkeypatch: pytest.MonkeyPatch) -> Iterator[PasswordHasher]:
    """argon2id with small parameters: the tests log in dozens of times."""
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(passwords, "HASHER", hasher)
    yield hasher


@pytest.fixture
def second_tenant(local: psycopg.Connection) -> int:
    row = local.execute(
        "INSERT INTO tenants (slug, name, account_id) VALUES ('pilates', 'Studio Pilates', 2) "
        "RETURNING id"
    ).fetchone()
    assert row is not None
    return int(row[0])


def add(conn: psycopg.Connection, email: str, role: Role, tenant: int | None, pw: str) -> User:
    return users.add_user(conn, email, role, tenant, pw, actor=ADMIN)[0]


def audit_rows(conn: psycopg.Connection) -> list[tuple[str, str, int | None, str]]:
    return conn.execute(
        "SELECT actor, action, tenant_id, detail FROM audit_log ORDER BY id"
    ).fetchall()


def test_add_and_log_in_with_any_case_of_the_email(local: psycopg.Connection) -> None:
    maria = add(local, "Maria@Gym.com.br", Role.manager, 1, "senha-forte-1")
    assert maria == User(maria.id, "Maria@Gym.com.br", Role.manager, 1, False)
    logged = users.authenticate(local, "  maria@GYM.com.br ", "senha-forte-1", "203.0.113.7")
    assert logged == maria
    stored, last_login = local.execute(
        "SELECT password_hash, last_login_at FROM dashboard_users"
    ).fetchone() or ("", None)
    assert stored.startswith("$argon2id$") and "senha-forte-1" not in stored
    assert last_login is not None
    assert audit_rows(local) == [
        (ADMIN, "user.add", 1, "Maria@Gym.com.br (manager)"),
        ("Maria@Gym.com.br", "login", 1, "user"),
    ]
    address = local.execute("SELECT address FROM audit_log WHERE action = 'login'").fetchone()
    assert address == ("203.0.113.7",)


def test_bad_users_are_refused_with_a_clear_error(local: psycopg.Connection) -> None:
    add(local, "maria@gym.com", Role.viewer, 1, "senha-forte-1")
    with pytest.raises(InputError, match="already exists"):
        add(local, "MARIA@gym.com", Role.manager, 1, "outra-senha-2")
    with pytest.raises(InputError, match="belongs to one tenant"):
        add(local, "joao@gym.com", Role.manager, None, "senha-forte-1")
    with pytest.raises(InputError, match="not an e-mail"):
        add(local, "joao", Role.manager, 1, "senha-forte-1")
    with pytest.raises(InputError, match="shorter than 8"):
        add(local, "joao@gym.com", Role.manager, 1, "curta")
    with pytest.raises(InputError, match="Unknown role"):
        users.parse_role("owner")
    # The database holds the same rules, whatever code writes to it.
    with pytest.raises(psycopg.errors.CheckViolation):
        local.execute(
            "INSERT INTO dashboard_users (email, role, password_hash) "
            "VALUES ('x@y.com', 'viewer', '$argon2id$v=19$...')"
        )
    with pytest.raises(psycopg.errors.CheckViolation):
        local.execute(
            "INSERT INTO dashboard_users (email, role, password_hash) "
            "VALUES ('x@y.com', 'admin', 'plain-text-password')"
        )
    assert local.execute("SELECT count(*) FROM dashboard_users").fetchone() == (1,)


def test_generated_password_is_returned_once_and_works(local: psycopg.Connection) -> None:
    user, generated = users.add_user(local, "admin@agency.com", "admin", None, actor=ADMIN)
    assert user.role is Role.admin and user.tenant_id is None
    assert generated is not None and len(generated) >= 16
    assert users.authenticate(local, "admin@agency.com", generated, None) == user
    assert generated not in str(local.execute("SELECT * FROM dashboard_users").fetchall())
    assert generated not in str(audit_rows(local))


def test_wrong_password_unknown_email_and_disabled_user_get_one_answer(
    local: psycopg.Connection,
) -> None:
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    add(local, "joao@gym.com", Role.viewer, 1, "senha-forte-2")
    users.disable_user(local, "joao@gym.com", actor=ADMIN)
    for email, password in [
        ("maria@gym.com", "errada-123"),
        ("minha-senha-secreta", "senha-forte-1"),  # a password typed in the e-mail box
        ("joao@gym.com", "senha-forte-2"),  # right password, disabled user
    ]:
        with pytest.raises(LoginFailed) as failed:
            users.authenticate(local, email, password, "198.51.100.4")
        assert failed.value.message == "Wrong e-mail or password."
    failures = [r for r in audit_rows(local) if r[1] == "login.failed"]
    assert failures == [
        ("maria@gym.com", "login.failed", 1, ""),
        ("unknown", "login.failed", None, ""),
        ("joao@gym.com", "login.failed", 1, ""),
    ]
    everything = str(local.execute("SELECT * FROM audit_log").fetchall())
    assert "minha-senha-secreta" not in everything and "errada" not in everything


def test_unknown_email_costs_the_same_argon2_work_as_a_known_one(
    local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    """E-mail enumeration: a known and an unknown e-mail each run one argon2id verification
    with the same parameters (the real argon2-cffi runs; the wrapper only records)."""
    seen: list[tuple[int, int, int]] = []

    class Recording(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> bool:  # noqa: A002
            p = extract_parameters(hash if isinstance(hash, str) else hash.decode())
            seen.append((p.time_cost, p.memory_cost, p.parallelism))
            return super().verify(hash, password)

    monkeypatch.setattr(
        passwords, "HASHER", Recording(time_cost=1, memory_cost=1024, parallelism=1)
    )
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", "errada-123", None)
    known = list(seen)
    seen.clear()
    with pytest.raises(LoginFailed):
        users.authenticate(local, "ninguem@gym.com", "errada-123", None)
    with pytest.raises(LoginFailed):
        users.authenticate(local, "ninguem@gym.com", "senha-forte-1", None)
    assert known == [(1, 1024, 1)] and seen == [(1, 1024, 1), (1, 1024, 1)]


def test_a_login_upgrades_a_hash_made_with_other_parameters(
    local: psycopg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    before = local.execute("SELECT password_hash FROM dashboard_users").fetchone()
    assert before is not None and extract_parameters(before[0]).time_cost == 1
    monkeypatch.setattr(
        passwords, "HASHER", PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1)
    )
    with pytest.raises(LoginFailed):  # a wrong password changes nothing
        users.authenticate(local, "maria@gym.com", "errada-123", None)
    assert local.execute("SELECT password_hash FROM dashboard_users").fetchone() == before
    users.authenticate(local, "maria@gym.com", "senha-forte-1", None)
    after = local.execute("SELECT password_hash FROM dashboard_users").fetchone()
    assert after is not None and after != before
    params = extract_parameters(after[0])
    assert (params.time_cost, params.memory_cost) == (2, 2048)
    assert users.authenticate(local, "maria@gym.com", "senha-forte-1", None).email


def test_an_imported_pbkdf2_hash_logs_in_once_and_becomes_argon2id(
    local: psycopg.Connection,
) -> None:
    old = passwords.pbkdf2_hash("abc12345", iterations=1000)
    users.add_user(local, "maria@gym.com", "manager", 1, actor=ADMIN, password_hash=old)
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", "abc12346", None)
    users.authenticate(local, "maria@gym.com", "abc12345", None)
    stored = local.execute("SELECT password_hash FROM dashboard_users").fetchone()
    assert stored is not None and stored[0].startswith("$argon2id$")
    assert users.authenticate(local, "maria@gym.com", "abc12345", None).email == "maria@gym.com"


def test_failures_are_throttled_per_account_whatever_the_case(local: psycopg.Connection) -> None:
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    for i in range(throttle.ACCOUNT_LIMIT):
        with pytest.raises(LoginFailed) as failed:
            users.authenticate(local, "MARIA@gym.com" if i % 2 else "maria@gym.com", "x", None)
    assert failed.value.wait == throttle.BASE_DELAY
    with pytest.raises(LoginThrottled) as refused:  # even the right password waits now
        users.authenticate(local, "maria@gym.com", "senha-forte-1", "192.0.2.50")
    assert timedelta(0) < refused.value.wait <= throttle.BASE_DELAY
    # A refused attempt checks no password and is not audited (the count bounds the log).
    assert [r[1] for r in audit_rows(local)].count("login.failed") == throttle.ACCOUNT_LIMIT
    local.execute("UPDATE dashboard_login_throttle SET locked_until = clock_timestamp()")
    users.authenticate(local, "maria@gym.com", "senha-forte-1", None)
    account = throttle.account("maria@gym.com").key
    assert not local.execute(
        "SELECT 1 FROM dashboard_login_throttle WHERE subject = %s", (account,)
    ).fetchone()


def test_sessions_store_only_a_digest_expire_and_end(local: psycopg.Connection) -> None:
    maria = add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    token = users.create_session(local, maria, address="203.0.113.7", hours=12)
    assert len(token) >= 40
    row = local.execute(
        "SELECT token_hash, kind, login, expires_at - created_at, address FROM dashboard_sessions"
    ).fetchone()
    assert row == (
        hashlib.sha256(token.encode()).hexdigest(),
        "user",
        "maria@gym.com",
        timedelta(hours=12),
        "203.0.113.7",
    )
    assert token not in str(local.execute("SELECT * FROM dashboard_sessions").fetchall())
    assert users.get_session(local, token) == maria
    assert users.get_session(local, token + "x") is None
    assert users.get_session(local, "") is None

    local.execute("UPDATE dashboard_sessions SET expires_at = clock_timestamp()")
    assert users.get_session(local, token) is None  # expired

    second = users.create_session(local, maria, address=None, hours=1)
    users.end_session(local, second, address="203.0.113.7")
    assert users.get_session(local, second) is None  # logged out
    users.end_session(local, second)  # twice: nothing more happens
    assert [r[:3] for r in audit_rows(local) if r[1] == "logout"] == [
        ("maria@gym.com", "logout", 1)
    ]


def test_a_session_sees_role_changes_and_ends_on_disable_or_reset(
    local: psycopg.Connection,
) -> None:
    maria = add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    token = users.create_session(local, maria, address=None, hours=12)
    local.execute("UPDATE dashboard_users SET role = 'viewer'")
    seen = users.get_session(local, token)
    assert seen is not None and seen.role is Role.viewer and users.masks_phones(seen)

    new = users.reset_password(local, "MARIA@gym.com", actor=ADMIN)
    assert users.get_session(local, token) is None
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", "senha-forte-1", None)
    assert users.authenticate(local, "maria@gym.com", new, None).email == "maria@gym.com"

    token = users.create_session(local, maria, address=None, hours=12)
    users.disable_user(local, "maria@gym.com", actor=ADMIN)
    assert users.get_session(local, token) is None
    # Enabling again does not revive ended sessions.
    users.enable_user(local, "maria@gym.com", actor=ADMIN)
    assert users.get_session(local, token) is None
    actions = [r[1] for r in audit_rows(local)]
    assert {"user.reset_password", "user.disable", "user.enable"} <= set(actions)
    with pytest.raises(InputError, match="no dashboard user"):
        users.disable_user(local, "ninguem@gym.com", actor=ADMIN)


def test_legacy_sessions_are_a_manager_of_the_default_tenant(local: psycopg.Connection) -> None:
    token = users.create_session(local, users.legacy_user("password"), address=None, hours=1)
    assert users.get_session(local, token) == User(None, "", Role.manager, 1, via="password")
    token = users.create_session(local, users.legacy_user("file", "maria"), address=None, hours=1)
    user = users.get_session(local, token)
    assert user == User(None, "maria", Role.manager, 1, via="file")
    users.end_session(local, token)
    assert audit_rows(local)[-1][:3] == ("maria", "logout", 1)


def test_old_sessions_are_deleted_a_batch_at_a_time(local: psycopg.Connection) -> None:
    maria = add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    for _ in range(3):
        users.create_session(local, maria, address=None, hours=1)
    local.execute(
        "UPDATE dashboard_sessions SET created_at = now() - interval '40 days', "
        "expires_at = now() - interval '39 days'"
    )
    users.create_session(local, maria, address=None, hours=1)
    assert local.execute("SELECT count(*) FROM dashboard_sessions").fetchone() == (1,)


def test_lists_for_a_tenant_show_only_that_tenant(
    local: psycopg.Connection, second_tenant: int
) -> None:
    add(local, "boss@agency.com", Role.admin, None, "senha-forte-0")
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    add(local, "ana@pilates.com", Role.viewer, second_tenant, "senha-forte-2")
    users.authenticate(local, "ana@pilates.com", "senha-forte-2", None)
    everyone = users.list_users(local)
    assert [(u.email, u.tenant_slug) for u in everyone] == [
        ("boss@agency.com", None),
        ("maria@gym.com", "default"),
        ("ana@pilates.com", "pilates"),
    ]
    assert not any("argon2" in str(u) for u in everyone)  # no hash in a listed row
    assert [u.email for u in users.list_users(local, second_tenant)] == ["ana@pilates.com"]
    assert [u.email for u in users.list_users(local, 1)] == ["maria@gym.com"]

    pilates = users.list_audit(local, second_tenant)
    assert [(e.actor, e.action) for e in pilates] == [
        ("ana@pilates.com", "login"),
        (ADMIN, "user.add"),
    ]
    assert all(e.tenant_id == second_tenant for e in pilates)
    assert len(users.list_audit(local)) == 4  # the admin's view: every tenant, and none
    assert len(users.list_audit(local, limit=2)) == 2


@pytest.mark.parametrize(
    ("role", "tenant", "export", "sync", "everything", "masked"),
    [
        (Role.admin, None, True, True, True, False),
        (Role.manager, 1, True, True, False, False),
        (Role.viewer, 1, False, False, False, True),
    ],
)
def test_what_each_role_may_do(
    role: Role, tenant: int | None, export: bool, sync: bool, everything: bool, masked: bool
) -> None:
    user = User(7, "x@y.com", role, tenant)
    assert users.can_export(user) is export
    assert users.can_trigger_sync(user) is sync
    assert users.sees_all_tenants(user) is everything
    assert users.can_admin(user) is everything
    assert users.masks_phones(user) is masked
    assert users.visible_tenant(user) == (None if everything else tenant)


def test_the_default_hasher_is_argon2id_with_rfc_9106_parameters(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The product's own parameters (the other tests use cheaper ones)."""
    monkeypatch.undo()  # the shipped HASHER again
    encoded = passwords.hash_password("senha-forte-1")
    params = extract_parameters(encoded)
    assert encoded.startswith("$argon2id$")
    assert (params.time_cost, params.memory_cost, params.parallelism) == (3, 65536, 4)
    assert passwords.verify("senha-forte-1", encoded) and not passwords.verify("x", encoded)
    assert not passwords.needs_rehash(encoded)
    assert passwords.needs_rehash(passwords.pbkdf2_hash("x", iterations=1000))
    assert not passwords.verify("x", "$argon2id$garbage")


def test_forged_input_gets_an_answer_not_a_database_error(local: psycopg.Connection) -> None:
    """A NUL byte (PostgreSQL text refuses it) or a lone surrogate (a forged form field)."""
    add(local, "maria@gym.com", Role.manager, 1, "senha-forte-1")
    with pytest.raises(LoginFailed):
        users.authenticate(local, "\x00" * 1000, "\udc80senha", None)
    with pytest.raises(LoginFailed):
        users.authenticate(local, "maria@gym.com", "\udc80senha", None)
    assert users.authenticate(local, "ma\x00ria@gym.com", "senha-forte-1", None).id is not None
    with pytest.raises(InputError, match="not an e-mail"):
        users.normalize_email("ana\x00@gym.com")
    users.audit(local, "x\x00y", "test.action", "a\x00b" * 5000)
    assert local.execute(
        "SELECT actor, length(detail) FROM audit_log WHERE action = 'test.action'"
    ).fetchone() == ("xy", 2000)
