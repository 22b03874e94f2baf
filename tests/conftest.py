"""Shared fixtures: a real PostgreSQL for the whole session, fresh databases per test.

The server is TEST_DATABASE_URL when set (any PostgreSQL 13+ where the user may create
databases), otherwise an embedded PostgreSQL started under a temporary folder. Each test gets
its own Chatwoot-shaped source database (cloned from a template built from the Chatwoot schema)
and its own migrated local analytics database, so tests never see each other's rows.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from allpfit import db
from allpfit.config import Settings
from allpfit.demo.schema import create_chatwoot_schema
from allpfit.embedded import server_url, stop, with_database

SOURCE_TEMPLATE = "allpfit_test_chatwoot_template"
LOCAL_TEMPLATE = "allpfit_test_local_template"


def _admin(url: str) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True)


def _recreate(admin_url: str, name: str) -> None:
    with _admin(admin_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """Admin URL of the session's PostgreSQL server.

    The embedded server's folder is a private temp dir, not pytest's numbered tmp folders,
    which a concurrent pytest session may prune while this one still runs."""
    configured = os.environ.get("TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    folder = Path(tempfile.mkdtemp(prefix="allpfit-test-pg-"))
    yield server_url(folder / "data")
    stop(folder / "data")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def embedded_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """DATA_DIR (also set in the environment) for a test that starts its own embedded server.

    Outside pytest's tmp folders: as root the server runs as user `pgserver`, which must be able
    to walk the path, and every pytest session that starts meanwhile (a second terminal, CI)
    resets pytest's base folder to mode 0700, failing initdb halfway."""
    folder = Path(tempfile.mkdtemp(prefix="allpfit-test-data-"))
    monkeypatch.setenv("DATA_DIR", str(folder / "data"))
    yield folder / "data"
    stop(folder / "data")
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def _templates(pg_admin_url: str) -> None:
    _recreate(pg_admin_url, SOURCE_TEMPLATE)
    with _admin(with_database(pg_admin_url, SOURCE_TEMPLATE)) as conn:
        create_chatwoot_schema(conn)
    _recreate(pg_admin_url, LOCAL_TEMPLATE)
    with _admin(with_database(pg_admin_url, LOCAL_TEMPLATE)) as conn:
        db.upgrade(conn)


def _clone(admin_url: str, template: str, prefix: str) -> Iterator[str]:
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with _admin(admin_url) as conn:
        conn.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(template)
            )
        )
    yield with_database(admin_url, name)
    with _admin(admin_url) as conn:
        conn.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )


@pytest.fixture
def source_url(pg_admin_url: str, _templates: None) -> Iterator[str]:
    """A fresh, empty Chatwoot-shaped database."""
    yield from _clone(pg_admin_url, SOURCE_TEMPLATE, "test_cw")


@pytest.fixture
def local_url(pg_admin_url: str, _templates: None) -> Iterator[str]:
    """A fresh local analytics database with every migration applied."""
    yield from _clone(pg_admin_url, LOCAL_TEMPLATE, "test_local")


@pytest.fixture
def local(local_url: str) -> Iterator[psycopg.Connection]:
    """An autocommit connection to the local analytics database."""
    with psycopg.connect(local_url, autocommit=True) as conn:
        yield conn


@pytest.fixture
def settings(tmp_path: Path, source_url: str, local_url: str) -> Settings:
    """Settings pointing at this test's databases, reading no .env file."""
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        source_database_url=source_url,
        database_url=local_url,
        data_dir=tmp_path / "data",
    )


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """Environment for CliRunner tests: this test's databases, no stray .env."""
    monkeypatch.chdir(tmp_path)
    env = {
        "SOURCE_DATABASE_URL": settings.source_url(),
        "DATABASE_URL": settings.local_url() or "",
        "DATA_DIR": str(settings.data_dir),
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No setting leaks in from the developer's environment."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
