"""The real thing: `allpfit dashboard` serving the app, Debian Chromium rendering it.

Starts the CLI command as a subprocess on a free 127.0.0.1 port against this test's database,
then drives /usr/bin/chromium through Playwright. Chromium must be installed (`make test`
installs it as root, see the Makefile); a missing browser fails the test with that hint.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from allpfit.dashboard import sidebar, texts
from tests.dashboard.builder import Expected, standard_dataset

CHROMIUM = Path("/usr/bin/chromium")
PASSWORD = "s3nha-forte"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def dashboard(local_url: str, tmp_path: Path, **settings: str) -> Iterator[str]:
    """`allpfit dashboard --no-browser` on a free port; yields its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_", "DASHBOARD_"))}
    env |= {
        "DATABASE_URL": local_url,
        "DATA_DIR": str(tmp_path / "data"),
        "DASHBOARD_MASK_PHONES": "false",
        "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none",
        **settings,
    }
    log = (tmp_path / "dashboard.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "allpfit", "dashboard", "--no-browser", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: teardown stops all of it
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"dashboard did not start:\n{(tmp_path / 'dashboard.log').read_text()}")
            time.sleep(0.3)
        yield base
    finally:
        # `allpfit dashboard` execs into Streamlit; the group holds only what this test started
        # (already gone when the dashboard failed to start: the failure above is what counts).
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        log.close()


def today() -> date:
    return datetime.now(ZoneInfo("America/Sao_Paulo")).date()


@pytest.fixture
def server(
    local: psycopg.Connection, local_url: str, tmp_path: Path
) -> Iterator[tuple[str, Expected]]:
    """The dashboard with no login, serving the standard dataset."""
    expected = standard_dataset(local, today())
    with dashboard(local_url, tmp_path) as base:
        yield base, expected


@pytest.fixture
def login_server(
    local: psycopg.Connection, local_url: str, tmp_path: Path
) -> Iterator[tuple[str, Expected]]:
    """The dashboard behind the shared password PASSWORD, serving the standard dataset."""
    expected = standard_dataset(local, today())
    with dashboard(local_url, tmp_path, DASHBOARD_PASSWORD=PASSWORD) as base:
        yield base, expected


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, "
            "or run `make test` as root, which does it)."
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1500, "height": 1000}, locale="pt-BR")
        finally:
            browser.close()


def metric(page: Page, label: str) -> str:
    card = page.get_by_test_id("stMetric").filter(has_text=label)
    return card.get_by_test_id("stMetricValue").inner_text(timeout=30_000).strip()


def test_overview_and_lead_table_render_in_chromium(
    server: tuple[str, Expected], page: Page, tmp_path: Path
) -> None:
    base, expected = server
    page.goto(base, wait_until="domcontentloaded")
    expect(page.get_by_text(texts.KPI_CONTACTS, exact=True)).to_be_visible(timeout=60_000)
    assert metric(page, texts.KPI_CONTACTS) == str(expected.total_contatos)
    assert metric(page, texts.KPI_TOTAL_SALES) == str(expected.vendas_totais)
    expect(page.get_by_text(texts.CHART_FUNNEL).first).to_be_visible(timeout=30_000)
    page.screenshot(path=str(tmp_path / "visao_geral.png"), full_page=True)

    page.goto(f"{base}/leads", wait_until="domcontentloaded")
    counter = texts.leads_count(expected.lead_rows, 1, 1)
    expect(page.get_by_text(counter)).to_be_visible(timeout=60_000)
    grid = page.get_by_test_id("stDataFrame")
    expect(grid).to_be_visible()
    expect(grid.get_by_text("Carla Dias").first).to_be_attached(timeout=30_000)
    page.screenshot(path=str(tmp_path / "leads.png"), full_page=True)
    assert (tmp_path / "leads.png").stat().st_size > 10_000

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=texts.DOWNLOAD_CSV).click()
    saved = tmp_path / "leads.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))
    assert rows[0] == list(texts.LEAD_COLUMNS)
    assert len(rows) - 1 == expected.lead_rows
    assert {"Ana Souza", "Bruno Lima", "Carla Dias"} == {r[0] for r in rows[1:]}


def test_login_keeps_a_deep_link_and_logout_kills_the_csv_link(
    login_server: tuple[str, Expected], page: Page
) -> None:
    """A shared link survives the login; after "Sair" the CSV's media URL serves nothing;
    no page asks the internet for anything (the tab icon ships with the package)."""
    base, _ = login_server
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{base}/leads?nome=ana", wait_until="domcontentloaded")
    expect(page.get_by_text(texts.LOGIN_TITLE)).to_be_visible(timeout=60_000)
    assert not page.get_by_test_id("stDataFrame").count()
    page.get_by_label(texts.LOGIN_PASSWORD).fill(PASSWORD)
    page.get_by_role("button", name=texts.LOGIN_BUTTON).click()

    counter = texts.leads_count(2, 1, 1)  # Ana Souza's 2 conversations
    expect(page.get_by_text(counter)).to_be_visible(timeout=60_000)
    assert page.url.startswith(f"{base}/leads?") and "nome=ana" in page.url
    expect(page.get_by_role("textbox", name=texts.FILTER_NAME)).to_have_value("ana")

    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=texts.DOWNLOAD_CSV).click()
    link = download.value.url
    assert link.startswith(f"{base}/media/")
    served = httpx.get(link, timeout=10)  # a plain HTTP client: no browser session at all
    assert served.status_code == 200 and "Ana Souza" in served.content.decode("utf-8-sig")

    page.get_by_role("button", name=texts.LOGOUT).click()
    expect(page.get_by_text(texts.LOGIN_TITLE)).to_be_visible(timeout=30_000)
    assert httpx.get(link, timeout=10).status_code == 404

    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    icon_url = httpx.URL(base).join(icon)
    assert str(icon_url).startswith(f"{base}/"), icon
    assert httpx.get(icon_url, timeout=10).content == sidebar.FAVICON.read_bytes()
    outside = [u for u in requested if not u.startswith((base, "data:", "blob:"))]
    assert not outside, outside


def test_a_manager_sees_no_lead_phone_or_csv_row_of_another_tenant(
    local: psycopg.Connection, local_url: str, tmp_path: Path, page: Page
) -> None:
    """Chromium logged in as a manager of the gym (tenant 1), with a pilates studio (tenant 2)
    in the same database: no page, link or download shows any of the studio's leads.

    Every link is opened as a new visit (a reload is a new Streamlit session, so each logs in
    again and lands on the page and filters it asked for, `?empresa=pilates` included)."""
    from allpfit import users
    from allpfit.users import Role
    from tests.dashboard.test_tenants_app import studio_dataset, studio_leaks

    expected = standard_dataset(local, today())
    studio_dataset(local)
    users.add_user(local, "gerente@academia.com", Role.manager, 1, PASSWORD, actor="test")

    def visit(link: str, sign: str) -> str:
        page.goto(link, wait_until="domcontentloaded")
        page.get_by_label(texts.LOGIN_EMAIL).fill("gerente@academia.com")
        page.get_by_label(texts.LOGIN_PASSWORD).fill(PASSWORD)
        page.get_by_role("button", name=texts.LOGIN_BUTTON).click()
        expect(page.get_by_text(sign).first).to_be_visible(timeout=60_000)
        html = page.content()
        assert not studio_leaks(html), link
        return html

    with dashboard(local_url, tmp_path) as base:
        visit(f"{base}/?empresa=pilates&tenant=pilates", texts.KPI_CONTACTS)
        assert metric(page, texts.KPI_CONTACTS) == str(expected.total_contatos)
        assert "empresa=pilates" not in page.url
        visit(f"{base}/resultados?empresa=pilates", texts.KPI_NEW_LEADS)
        visit(f"{base}/conversoes?empresa=pilates", texts.CONVERSIONS_TITLE)
        visit(f"{base}/leads?nome=Pilates&empresa=pilates", texts.LEADS_EMPTY)
        visit(f"{base}/leads?nome=99999&empresa=pilates", texts.LEADS_EMPTY)
        visit(f"{base}/admin?empresa=pilates", texts.ADMIN_REFUSED)

        visit(f"{base}/leads?empresa=pilates", texts.leads_count(expected.lead_rows, 1, 1))
        grid = page.get_by_test_id("stDataFrame")
        expect(grid.get_by_text("Carla Dias").first).to_be_attached(timeout=30_000)
        assert not studio_leaks(page.content())
        with page.expect_download(timeout=30_000) as download:
            page.get_by_role("button", name=texts.DOWNLOAD_CSV).click()
        saved = tmp_path / "leads.csv"
        download.value.save_as(saved)
        text = saved.read_text(encoding="utf-8-sig")
        assert len(text.splitlines()) - 1 == expected.lead_rows and not studio_leaks(text)
