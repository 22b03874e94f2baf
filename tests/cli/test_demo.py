"""`allpfit demo`: the whole pipeline end to end on its own embedded PostgreSQL, for two
businesses (two tenants), with one dashboard login of each role."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from allpfit import users
from allpfit.cli import app
from allpfit.cli import demo as demo_cmd
from allpfit.cli.progress import LABELS
from allpfit.embedded import server_url, with_database
from allpfit.progress import Progress

runner = CliRunner()


@pytest.fixture
def demo_dir(embedded_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)  # no stray .env
    monkeypatch.setenv("OPENAI_API_KEY", "sk-demo-must-not-be-used")
    return embedded_dir


@pytest.fixture
def phases(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The phase of every progress event the demo command's bars receive, in order."""
    seen: list[str] = []
    real = demo_cmd.progress_bar

    @contextmanager
    def recording(*args: Any, **kwargs: Any) -> Iterator[Progress]:
        with real(*args, **kwargs) as update:

            def both(phase: str, done: int, total: int | None) -> None:
                seen.append(phase)
                update(phase, done, total)

            yield both

    monkeypatch.setattr(demo_cmd, "progress_bar", recording)
    return seen


LOGIN_ROW = re.compile(
    r"│\s*(admin|manager|viewer)\s*│\s*([\w -]+?)\s*│\s*(\S+@\S+)\s*│\s*(\S+)\s*│"
)


def printed_logins(output: str) -> dict[str, tuple[str, str, str]]:
    """e-mail -> (role, tenant, password) from the demo's logins table."""
    return {m[3]: (m[1], m[2], m[4]) for m in LOGIN_ROW.finditer(output)}


def test_demo_runs_sync_analysis_and_crm_match_then_reuses_its_data(
    demo_dir: Path, phases: list[str]
) -> None:
    first = runner.invoke(app, ["demo", "--conversations", "80", "--no-dashboard"])
    assert first.exit_code == 0, first.output
    assert "80 conversations (generated now)" in first.output
    # every step under its own label, in the order it ran (statistics is not "Analysing leads")
    order = list(dict.fromkeys(phases))
    assert order == ["generate", "index", "statistics", "read", "extract", "load", "analyze"]
    labels = [LABELS[phase] for phase in order]
    assert len(set(labels)) == len(labels) and labels[-1] == "Analysing leads"
    unwrapped = first.output.replace("\n", "")  # rich wraps long lines, paths included
    # (where rich wraps depends on the counts and paths: a wrap may eat the space between words)
    rejected = re.findall(r"CRM export of (\w+)\s.*?(\d+)\s*rows\s*rejected\s*\(listed\s*in\s*"
                          r"(\S+?\.csv)\)", unwrapped)  # fmt: skip
    assert [tenant for tenant, *_ in rejected] == ["allpfit", "equilibrio"], first.output
    assert all(int(count) > 0 and Path(csv).exists() for _, count, csv in rejected)
    assert "now this folder's source" in " ".join(first.output.split())
    for step in ("sync", "analysis", "crm match"):
        assert step in first.output
    local = with_database(server_url(demo_dir), "allpfit_analytics")  # the embedded default
    with psycopg.connect(local) as conn:
        tenants = conn.execute(
            "SELECT slug, account_id, enabled FROM tenants ORDER BY id"
        ).fetchall()
        counts = conn.execute(
            """SELECT t.slug,
                      (SELECT count(*) FROM conversas_analytics c WHERE c.tenant_id = t.id),
                      (SELECT count(*) FROM conversas_analytics c WHERE c.tenant_id = t.id
                       AND c.account_id <> t.account_id),
                      (SELECT count(*) FROM conversas_analytics_ai a WHERE a.tenant_id = t.id),
                      (SELECT count(*) FROM crm_customers m WHERE m.tenant_id = t.id),
                      (SELECT count(*) FROM conversas_crm_match_real r WHERE r.tenant_id = t.id)
               FROM tenants t ORDER BY t.id"""
        ).fetchall()
        provider, trigger = conn.execute(
            """SELECT (SELECT string_agg(DISTINCT provider, ',') FROM conversas_analytics_ai),
                      (SELECT string_agg(DISTINCT triggered_by, ',') FROM etl_control)"""
        ).fetchone()  # type: ignore[misc]
    # one tenant per business, each reading its own account; the catch-all default is off
    assert tenants == [("default", None, False), ("allpfit", 1, True), ("equilibrio", 2, True)]
    assert counts[0][1:] == (0, 0, 0, 0, 0)
    for slug, conversations, foreign, profiles, customers, matches in counts[1:]:
        assert (conversations, foreign) == (40, 0), slug  # an even share, none of the other's
        assert 0 < profiles <= 40  # every lead (a conversation with a contact message)
        assert customers > 0 and matches > 0, slug  # each its own CRM export, matched
    assert (provider, trigger) == ("rules", "demo")  # the demo never calls a paid API

    logins = printed_logins(first.output)
    assert {email: (role, tenant) for email, (role, tenant, _) in logins.items()} == {
        "admin@allpfit.test": ("admin", "every tenant"),
        "gerente@allpfit.test": ("manager", "allpfit"),
        "leitura@allpfit.test": ("viewer", "allpfit"),
        "gerente@equilibrio.test": ("manager", "equilibrio"),
    }
    ids = {slug: i for i, (slug, *_) in enumerate(tenants, 1)}
    with psycopg.connect(local, autocommit=True) as conn:
        for email, (role, tenant, password) in logins.items():
            user = users.authenticate(conn, email, password, "127.0.0.1")  # the real login
            assert (user.role.value, user.tenant_id) == (role, ids.get(tenant)), email

    again = runner.invoke(app, ["demo", "--no-dashboard"])
    assert again.exit_code == 0, again.output
    assert "reused" in again.output
    assert again.output.count("0 read, 0 new") == 2  # each tenant: nothing changed
    renewed = printed_logins(again.output)
    assert renewed.keys() == logins.keys()
    with psycopg.connect(local, autocommit=True) as conn:
        for email, (_, _, password) in renewed.items():
            assert password != logins[email][2]  # a fresh password, shown once
            assert users.authenticate(conn, email, password, "127.0.0.1").email == email
        with pytest.raises(users.LoginFailed):
            users.authenticate(conn, "gerente@allpfit.test", logins["gerente@allpfit.test"][2],
                               "127.0.0.2")  # fmt: skip
    status = runner.invoke(app, ["status"])  # the product's own commands now see the demo
    per_tenant = re.findall(r"│\s*(allpfit|equilibrio)\s*│[^│]*│[^│]*│\s*(\d+)\s*│", status.output)
    assert per_tenant == [("allpfit", "40"), ("equilibrio", "40")], status.output


def test_after_the_demo_the_sync_finds_its_chatwoot_with_nothing_configured(
    demo_dir: Path,
) -> None:
    assert runner.invoke(app, ["demo", "-n", "20", "--no-dashboard"]).exit_code == 0
    record = (demo_dir / "source.json").read_text()
    assert "chatwoot_demo" in record and "postgresql" not in record  # a name, never a URL
    with psycopg.connect(with_database(server_url(demo_dir), "chatwoot_demo")) as conn:
        conn.execute("UPDATE conversations SET status = 1, updated_at = now() WHERE id <= 3")
    synced = runner.invoke(app, ["etl", "run"])  # no SOURCE_* set (tests/conftest.py)
    assert synced.exit_code == 0, synced.output
    assert "10 read" not in synced.output  # incremental: only the changed ones
    piped = runner.invoke(app, ["pipeline", "--no-analyze", "--no-crm"])
    assert piped.exit_code == 0, piped.output
    local = with_database(server_url(demo_dir), "allpfit_analytics")
    with psycopg.connect(local) as conn:
        runs = conn.execute(
            "SELECT t.slug, e.triggered_by, e.status FROM etl_control e "
            "JOIN tenants t ON t.id = e.tenant_id ORDER BY e.id"
        ).fetchall()
    # both businesses' tenants, every time; the disabled default tenant never
    assert runs == [(slug, by, "success") for by in ("demo", "manual", "manual")
                    for slug in ("allpfit", "equilibrio")]  # fmt: skip


def test_demo_serves_the_dashboard_and_stops_it_on_sigterm(
    tmp_path: Path, embedded_dir: Path
) -> None:
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
    env = {**os.environ, "DATA_DIR": str(embedded_dir)}
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
