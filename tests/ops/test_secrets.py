"""A hostile password never shows: not on stderr, not in etl_control.error_message, not in
`allpfit status`, the pipeline summary, the log file or the dashboard's "database unreachable"
screen, whatever form the connection string takes."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.dashboard import texts

APP = Path(__file__).resolve().parents[2] / "src" / "allpfit" / "dashboard" / "app.py"
HOSTILE = "p#ss/w?rd@x%zz"
ENCODED = quote(HOSTILE, safe="")
# What must never appear: the password and every piece a parser or a driver could cut from it.
PIECES = ("p#ss", "w?rd", "x%zz", "rd@x", "p%23ss", "rd%40x", "x%25zz")

# Unreachable servers (port 1), so every path has an error message to leak into.
SOURCES = {
    "uri, raw": f"postgresql://reader:{HOSTILE}@127.0.0.1:1/chatwoot",
    "uri, encoded": f"postgresql://reader:{ENCODED}@127.0.0.1:1/chatwoot",
    "query parameter": f"postgresql://reader@127.0.0.1:1/chatwoot?password={ENCODED}",
    "keyword dsn": f"host=127.0.0.1 port=1 user=reader password='{HOSTILE}' dbname=chatwoot",
}


@pytest.fixture(autouse=True)
def _no_leftover_handlers() -> Iterator[None]:
    yield
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, "_allpfit", False)]:
        root.removeHandler(handler)
        handler.close()


def assert_clean(where: str, text: str) -> None:
    leaked = [piece for piece in PIECES if piece in text]
    assert not leaked, f"{where} shows {leaked}:\n{text}"


@pytest.mark.parametrize("source", list(SOURCES.values()), ids=list(SOURCES))
def test_a_hostile_source_password_reaches_no_output(
    source: str, cli_env: dict[str, str], local_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATABASE_URL", source)
    runner = CliRunner()

    sync = runner.invoke(app, ["etl", "run"])
    assert sync.exit_code != 0
    assert len([line for line in sync.stderr.splitlines() if line.startswith("Error:")]) == 1
    assert_clean("stderr of etl run", sync.output)

    pipeline = runner.invoke(app, ["pipeline", "--no-analyze"])
    assert pipeline.exit_code == 1
    assert "sync" in pipeline.stdout and "failed" in pipeline.stdout
    assert_clean("pipeline summary", pipeline.output)

    status = runner.invoke(app, ["status"])
    assert status.exit_code == 1, status.output
    assert "the last sync failed" in status.stdout
    assert_clean("allpfit status", status.output)

    with psycopg.connect(local_url) as conn:
        messages = [m for (m,) in conn.execute("SELECT error_message FROM etl_control")]
    assert len(messages) == 2 and all(messages)
    assert_clean("etl_control.error_message", "\n".join(messages))

    log = (Path(cli_env["DATA_DIR"]) / "logs" / "allpfit.log").read_text()
    assert "ERROR" in log
    assert_clean("the log file", log)


@pytest.mark.parametrize("local", list(SOURCES.values()), ids=list(SOURCES))
def test_the_database_unreachable_screen_shows_no_password(
    local: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", local)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    st.cache_resource.clear()
    at = AppTest.from_file(str(APP), default_timeout=30).run()
    assert not at.exception
    assert at.error[0].value == texts.DB_UNREACHABLE
    shown = "\n".join(
        [e.value for e in at.error] + [i.value for i in at.info] + [c.value for c in at.code]
    )
    assert_clean("the dashboard", shown)
    st.cache_resource.clear()
