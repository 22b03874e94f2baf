"""`allpfit crm sync|import|match` as a user runs them: exit codes and messages."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.sync.run import run_sync
from tests.crm.test_excel import HEADERS, base_evo, write_xlsx
from tests.factories import T0, Chatwoot
from tests.fakes.evo_server import FakeEvo, member

runner = CliRunner()


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, local_url: str) -> Path:
    """This test's local database and data folder; no .env; returns DATA_DIR."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", local_url)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_import_prints_a_summary_and_the_rejected_rows(env: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ["crm", "import", str(base_evo(tmp_path))])
    assert result.exit_code == 0, result.output
    assert "Import of base_evo.xlsx" in result.output
    assert "4 row(s) rejected" in result.output
    assert "row 7: Data Cadastro: not a date: '31/02/2026'" in result.output
    assert "crm_import_rejects_" in result.output and str(env / "reports") in result.output
    assert "Traceback" not in result.output


def test_import_with_missing_columns_exits_2_with_the_list(env: Path, tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "x.xlsx", [["Nome", "Telefone"], ["Ana", "11987654321"]])
    result = runner.invoke(app, ["crm", "import", str(path)])
    assert result.exit_code == 2
    assert "Error:" in result.output and "missing column(s): a date" in result.output
    assert "Hint:" in result.output and "Traceback" not in result.output


def test_import_strict_exits_2_and_imports_nothing(
    env: Path, tmp_path: Path, local: psycopg.Connection
) -> None:
    result = runner.invoke(app, ["crm", "import", "--strict", str(base_evo(tmp_path))])
    assert result.exit_code == 2
    assert "nothing was imported (--strict)" in result.output
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)


def test_import_of_a_missing_file_exits_2(env: Path) -> None:
    result = runner.invoke(app, ["crm", "import", "nada.xlsx"])
    assert result.exit_code == 2 and "File not found" in result.output


def test_sync_without_credentials_exits_2_naming_the_settings(env: Path) -> None:
    result = runner.invoke(app, ["crm", "sync"])
    assert result.exit_code == 2
    assert "EVO_DNS and EVO_API_TOKEN not set" in result.output


def test_sync_with_a_wrong_token_exits_2_without_showing_it(
    env: Path, evo: FakeEvo, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EVO_BASE_URL", evo.url)
    monkeypatch.setenv("EVO_DNS", evo.dns)
    monkeypatch.setenv("EVO_API_TOKEN", "wrong-SECRET-123")
    result = runner.invoke(app, ["crm", "sync"])
    assert result.exit_code == 2
    assert "refused the credentials (HTTP 401" in result.output
    assert "wrong-SECRET-123" not in result.output
    log = (env / "logs" / "allpfit.log").read_text()
    assert "wrong-SECRET-123" not in log


def test_sync_then_match_on_synced_conversations(
    env: Path,
    evo: FakeEvo,
    monkeypatch: pytest.MonkeyPatch,
    source_url: str,
    local_url: str,
) -> None:
    """The whole path: Chatwoot → etl sync → EVO sync → crossmatch, through the CLI."""
    with psycopg.connect(source_url, autocommit=True) as conn:
        cw = Chatwoot(conn)
        for i, phone in enumerate(["+5511987650001", "+551187650002", "+5511987650003"]):
            conv = cw.conversation(cw.contact(f"Lead {i}", phone))
            cw.message(conv, "quero conhecer a academia", at=T0)
    run_sync(local_url, source_url)
    later = (T0.date().replace(day=T0.day + 3)).isoformat() + "T10:00:00"
    earlier = "2025-01-01T10:00:00"
    evo.members = [
        member(1, "Ana", "A", cellphone="11987650001", conversion=later),
        member(2, "Bia", "B", cellphone="11987650002", conversion=later),  # Chatwoot lacks the 9
        member(3, "Caio", "C", cellphone="11987650003", conversion=earlier),  # old customer
    ]
    monkeypatch.setenv("EVO_BASE_URL", evo.url)
    monkeypatch.setenv("EVO_DNS", evo.dns)
    monkeypatch.setenv("EVO_API_TOKEN", evo.token)
    synced = runner.invoke(app, ["crm", "sync"])
    assert synced.exit_code == 0, synced.output
    assert "EVO sync" in synced.output and "members read" in synced.output
    matched = runner.invoke(app, ["crm", "match"])
    assert matched.exit_code == 0, matched.output
    output = matched.output
    assert "conversions by exact" in output and "conversions by ninth_digit" in output
    assert "already customers" in output
    assert f"Report: {env / 'reports'}" in output
    with psycopg.connect(local_url) as conn:
        rows = conn.execute(
            "SELECT crm_customer_name, match_type, days_to_conversion FROM conversas_crm_match_real"
            " ORDER BY 1"
        ).fetchall()
    assert rows == [("Ana A", "exact", 3), ("Bia B", "ninth_digit", 3)]


def test_match_on_an_empty_database_succeeds_with_zero(env: Path) -> None:
    result = runner.invoke(app, ["crm", "match"])
    assert result.exit_code == 0, result.output
    assert "conversions" in result.output
    assert list((env / "reports").glob("crm_match_*.xlsx"))


def test_headers_are_documented(tmp_path: Path) -> None:
    """The exact headers of the gym's export are the ones docs/crm.md shows."""
    docs = (Path(__file__).resolve().parents[2] / "docs" / "crm.md").read_text()
    for header in HEADERS:
        assert f"`{header}`" in docs


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("base.csv", bytes(range(256)) * 8, "cannot tell the text encoding"),
        ("base.csv", b"ID;Nome;Celular;Data Cadastro\n1;" + b"x" * 140_000 + b";1;1\n", "longer"),
        ("base_evo.xlsx", b"PK\x03\x04 truncated download", "cannot be read as an Excel"),
    ],
)
def test_an_unreadable_export_exits_2_with_one_clear_error(
    env: Path, tmp_path: Path, local: psycopg.Connection, name: str, content: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    result = runner.invoke(app, ["crm", "import", str(path)])
    assert result.exit_code == 2, result.output
    assert "Error:" in result.output and name in result.output and expected in result.output
    assert "Hint:" in result.output and "Traceback" not in result.output
    assert local.execute("SELECT count(*) FROM crm_customers").fetchone() == (0,)
    assert not (env / "reports").exists()


def test_match_whose_report_cannot_be_written_is_a_failed_run(
    env: Path, local: psycopg.Connection
) -> None:
    env.mkdir(parents=True)
    (env / "reports").write_text("a file where the reports folder should be")
    result = runner.invoke(app, ["crm", "match"])
    assert result.exit_code == 2, result.output
    assert "Cannot write" in result.output and "DATA_DIR" in result.output
    assert "Traceback" not in result.output
    runs = local.execute("SELECT kind, status FROM crm_sync_runs").fetchall()
    assert runs == [("match", "failed")]
