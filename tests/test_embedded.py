"""The embedded PostgreSQL: new folders on PostgreSQL 18, folders made by an older allpfit (PG 16)
keep working, and `allpfit db upgrade-embedded` copies them to 18 without losing a row."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit import db, embedded
from allpfit.cli import app
from allpfit.config import Settings
from allpfit.errors import ConfigError, LocalDatabaseError

runner = CliRunner()


@pytest.fixture
def data_dir(embedded_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    return embedded_dir


def _major(url: str) -> int:
    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT current_setting('server_version_num')::int / 10000").fetchone()
    assert row is not None
    return int(row[0])


def _pg16_folder_with_paid_work(data_dir: Path) -> None:
    """What allpfit 0.1 (pgserver, PostgreSQL 16) left behind: a migrated database with an
    imported CRM customer."""
    admin = str(embedded.start(data_dir, version=16).get_uri())
    db.ensure_database(admin, "allpfit_analytics")
    with psycopg.connect(embedded.with_database(admin, "allpfit_analytics"), autocommit=True) as c:
        db.upgrade(c)
        c.execute(
            "INSERT INTO crm_customers (source, external_id, name, phone_raw) "
            "VALUES ('excel', '1', 'Ana Souza', '11 98765-4321')"
        )
    embedded.stop(data_dir)


def test_a_new_folder_runs_on_postgresql_18_over_a_unix_socket(data_dir: Path) -> None:
    url = embedded.server_url(data_dir)
    assert "host=/" in url and "@/" in url  # a socket folder, no host, no password
    assert _major(url) == embedded.CURRENT_VERSION == 18
    assert embedded.data_version(data_dir) == 18


def test_an_old_folder_keeps_working_then_upgrades_with_one_command(data_dir: Path) -> None:
    _pg16_folder_with_paid_work(data_dir)
    assert _major(embedded.server_url(data_dir)) == 16  # still usable as it is
    embedded.stop(data_dir)

    result = runner.invoke(app, ["db", "upgrade-embedded"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "from PostgreSQL 16 to PostgreSQL 18" in result.output
    assert (data_dir / "pgdata.pg16" / "PG_VERSION").read_text().strip() == "16"  # kept
    assert not (data_dir / ".upgrade-embedded").exists()

    local = embedded.with_database(embedded.server_url(data_dir), "allpfit_analytics")
    assert _major(local) == 18
    with psycopg.connect(local) as conn:
        customer = conn.execute("SELECT name, phone_raw FROM crm_customers").fetchall()
        versions = conn.execute("SELECT count(*) FROM schema_migrations").fetchone()
    assert customer == [("Ana Souza", "11 98765-4321")]
    assert versions == (len(db.migrations()),)
    embedded.stop(data_dir)

    again = runner.invoke(app, ["db", "upgrade-embedded"], env={"COLUMNS": "200"})
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_the_upgrade_waits_for_other_processes_to_let_go(data_dir: Path) -> None:
    _pg16_folder_with_paid_work(data_dir)
    holder = subprocess.Popen(
        [
            sys.executable, "-c",
            "import sys; from pathlib import Path; from allpfit import embedded; "
            f"embedded.server_url(Path({str(data_dir)!r})); print('ready', flush=True); "
            "sys.stdin.read()",
        ],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        refused = runner.invoke(app, ["db", "upgrade-embedded"], env={"COLUMNS": "200"})
        assert refused.exit_code == LocalDatabaseError.exit_code
        assert f"in use by process {holder.pid}" in refused.output
        assert embedded.data_version(data_dir) == 16  # nothing changed
    finally:
        holder.communicate("", timeout=30)
    assert runner.invoke(app, ["db", "upgrade-embedded"]).exit_code == 0
    assert embedded.data_version(data_dir) == 18


def test_a_folder_from_an_unknown_engine_gets_a_clear_error(data_dir: Path) -> None:
    (data_dir / "pgdata").mkdir(parents=True)
    (data_dir / "pgdata" / "PG_VERSION").write_text("12\n")
    with pytest.raises(LocalDatabaseError, match="created by PostgreSQL 12"):
        embedded.server_url(data_dir)
    nothing = runner.invoke(app, ["db", "upgrade-embedded"])
    assert nothing.exit_code == LocalDatabaseError.exit_code


def _settings(data_dir: Path, **values: Any) -> Settings:
    return Settings(_env_file=None, data_dir=data_dir, **values)  # type: ignore[call-arg]


def test_a_recorded_demo_source_is_used_only_when_nothing_is_configured(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with pytest.raises(ConfigError, match="not configured"):
        _settings(data_dir).source_url()
    embedded.record_source(data_dir, "chatwoot_demo")
    explicit = "postgresql://reader:pw@chatwoot.example:5432/chatwoot"
    assert _settings(data_dir, source_database_url=explicit).source_url() == explicit
    parts = _settings(data_dir, source_db_host="cw.example", source_db_user="ro").source_url()
    assert parts == "postgresql://ro@cw.example:5432/chatwoot"
    # analytics in a server of the user's own never receive the demo's conversations
    configured_local = _settings(data_dir, database_url="postgresql://u@db.example/allpfit")
    assert not configured_local.source_configured
    with pytest.raises(ConfigError, match="not configured"):
        configured_local.source_url()
    assert _settings(data_dir).source_configured


def test_the_recorded_source_resolves_to_the_embedded_database(embedded_dir: Path) -> None:
    embedded.record_source(embedded_dir, "chatwoot_demo")
    url = _settings(embedded_dir).source_url()
    assert url == embedded.with_database(embedded.server_url(embedded_dir), "chatwoot_demo")
    (embedded_dir / "source.json").write_text('{"embedded_database": "x; DROP TABLE"}')
    with pytest.raises(ConfigError, match="names no valid database"):
        _settings(embedded_dir).source_url()
    (embedded_dir / "source.json").write_text("not json")
    with pytest.raises(ConfigError, match="Cannot read the recorded Chatwoot source"):
        _settings(embedded_dir).source_url()
