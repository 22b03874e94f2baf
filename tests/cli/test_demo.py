"""`allpfit demo`: the whole pipeline end to end on its own embedded PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit.cli import app
from allpfit.embedded import server_url, stop, with_database

runner = CliRunner()


@pytest.fixture
def demo_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-must-not-be-used")
    yield tmp_path / "data"
    stop(tmp_path / "data")


def test_demo_runs_sync_analysis_and_crm_match_then_reuses_its_data(demo_dir: Path) -> None:
    first = runner.invoke(app, ["demo", "--conversations", "80", "--no-dashboard"])
    assert first.exit_code == 0, first.output
    assert "80 conversations (generated now)" in first.output
    for step in ("sync", "analysis", "crm match"):
        assert step in first.output
    local = with_database(server_url(demo_dir), "allpfit_analytics")  # the embedded default
    with psycopg.connect(local) as conn:
        counts = conn.execute(
            """SELECT (SELECT count(*) FROM conversas_analytics),
                      (SELECT count(*) FROM conversas_analytics_ai),
                      (SELECT count(*) FROM crm_customers),
                      (SELECT count(*) FROM conversas_crm_match_real),
                      (SELECT string_agg(DISTINCT provider, ',') FROM conversas_analytics_ai),
                      (SELECT string_agg(DISTINCT triggered_by, ',') FROM etl_control)"""
        ).fetchone()
    assert counts is not None
    conversations, profiles, customers, matches, provider, trigger = counts
    assert conversations == 80
    assert 0 < profiles <= 80  # every lead (a conversation with a contact message)
    assert customers > 0 and matches > 0
    assert (provider, trigger) == ("rules", "demo")  # the demo never calls a paid API

    again = runner.invoke(app, ["demo", "--no-dashboard"])
    assert again.exit_code == 0, again.output
    assert "reused" in again.output
    assert "0 read, 0 new" in again.output
    status = runner.invoke(app, ["status"])  # the product's own commands now see the demo
    assert re.search(r"rows in conversas_analytics\s+│\s+80\b", status.output), status.output


def test_demo_serves_the_dashboard_and_stops_it_on_sigterm(tmp_path: Path) -> None:
    """The real command in its own process: the page answers, SIGTERM leaves nothing behind."""
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DATA_DIR": str(tmp_path / "data")}
    command = [sys.executable, "-m", "allpfit", "demo", "-n", "30", "--port", str(port)]
    demo = subprocess.Popen(
        [*command, "--no-browser"], cwd=tmp_path, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    health = f"http://127.0.0.1:{port}/_stcore/health"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(health, timeout=2) as response:
                    assert response.read() == b"ok"
                    break
            except OSError:
                assert demo.poll() is None, demo.stdout.read().decode() if demo.stdout else ""
                assert time.monotonic() < deadline, "the dashboard did not start"
                time.sleep(0.5)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as page:
            assert page.status == 200
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=30)
        with socket.socket() as sock:  # Streamlit went with the demo: the port is free
            assert sock.connect_ex(("127.0.0.1", port)) != 0
    finally:
        if demo.poll() is None:
            demo.kill()
