"""Tenant isolation in a real browser: a manager of one business sees nothing of the other's.

The data is the demo's own (`allpfit.demo.run.run_demo`): one Chatwoot with two businesses, a
CrossFit gym (tenant `allpfit`) and a pilates studio (tenant `equilibrio`), synced, analysed and
matched to each one's CRM, with one dashboard login of each role. `allpfit dashboard` serves it
and Debian's Chromium, driven by Playwright (see test_browser.py), logs in through the form
("E-mail", "Senha") as the gym's manager and tries every way to the studio's data: every page,
the tenant named in the link (`?empresa=` and `?tenant=`), the admin page's URL, a deep link
with a studio lead's name, and the CSV download. None may show a studio lead, phone or row.

The same checks, logged in as the studio's manager, do find the studio's lead, phones and
words: the markers are visible through exactly these paths, so their absence above means
something. Every page load is a new browser session, hence a new login (as a pasted link is).
"""

from __future__ import annotations

import csv
import io
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import psycopg
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from allpfit.config import Settings
from allpfit.dashboard import texts
from allpfit.demo.run import DemoResult, run_demo
from allpfit.embedded import stop
from tests.dashboard.test_browser import ARGS, CHROMIUM, dashboard

PAGES = ("", "resultados", "conversoes", "leads", "admin")
RANGE_DAYS = 90  # the demo's conversations span 60 days: the links ask for all of them
ASK_STUDIO = {"empresa": "equilibrio", "tenant": "equilibrio"}  # "show me the studio"
PHONE_RUN = re.compile(r"\+?\(?\d[\d ()\-]{6,}\d")


@dataclass(frozen=True)
class Business:
    """What identifies one tenant's data on a page: its name, a lead name only it has, the
    last 8 digits of every phone of its leads and CRM customers, a word only its leads use."""

    slug: str
    name: str
    email: str
    password: str
    lead_name: str
    phones: frozenset[str]
    word: str


@dataclass(frozen=True)
class Demo:
    base: str
    gym: Business
    studio: Business


def last8(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-8:]


def hits(text: str, phones: frozenset[str]) -> set[str]:
    """The `phones` (last 8 digits) found inside any digit run of `text`: grid cells can be
    joined without a separator, so a run may carry neighbouring digits."""
    runs = [re.sub(r"\D", "", run) for run in PHONE_RUN.findall(text)]
    return {p for p in phones if any(p in run for run in runs)}


def phones_in(text: str) -> set[str]:
    """The last 8 digits of every phone-looking run of `text` (any formatting)."""
    return {last8(run) for run in PHONE_RUN.findall(text) if len(re.sub(r"\D", "", run)) >= 10}


def _business(
    conn: psycopg.Connection, demo: DemoResult, slug: str, other: str, word: str
) -> Business:
    ids = {t.slug: t.id for t in demo.tenants}
    login = next(x for x in demo.logins if x.tenant == slug and x.role.value == "manager")
    phones = {
        last8(p)
        for (p,) in conn.execute(
            """SELECT contact_phone FROM conversas_analytics
               WHERE tenant_id = %(t)s AND contact_phone IS NOT NULL
               UNION SELECT phone_normalized FROM crm_customers
               WHERE tenant_id = %(t)s AND phone_normalized IS NOT NULL""",
            {"t": ids[slug]},
        )
    }
    names = [
        name
        for (name,) in conn.execute(
            """SELECT contact_name FROM conversas_analytics
               WHERE tenant_id = %s AND is_lead AND contact_phone IS NOT NULL
                 AND contact_name ~ '^[[:alpha:]]+ [[:alpha:]]+$'
               ORDER BY conversation_id""",
            (ids[slug],),
        )
    ]
    others = " | ".join(
        name.lower()
        for (name,) in conn.execute(
            "SELECT DISTINCT contact_name FROM conversas_analytics "
            "WHERE tenant_id = %s AND contact_name IS NOT NULL",
            (ids[other],),
        )
    )
    unique = next(n for n in names if n.lower() not in others)  # no substring of the other's
    tenant_name = next(t.name for t in demo.tenants if t.slug == slug)
    return Business(slug, tenant_name, login.email, login.password, unique, frozenset(phones), word)


@pytest.fixture(scope="module")
def demo() -> Iterator[Demo]:
    """`allpfit demo`'s data on a private embedded PostgreSQL, served by `allpfit dashboard`."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (`apt-get install -y chromium`, "
            "or run `make test` as root, which does it)."
        )
    folder = Path(tempfile.mkdtemp(prefix="allpfit-test-tenants-"))
    data_dir = folder / "data"
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            data_dir=data_dir,
            database_url=None,
            local_db_host=None,
        )
        result = run_demo(settings, conversations=120, seed=7)
        assert result.pipeline.ok, result.pipeline.steps
        with psycopg.connect(result.local_url) as conn:
            gym = _business(conn, result, "allpfit", "equilibrio", "crossfit")
            studio = _business(conn, result, "equilibrio", "allpfit", "pilates")
        assert gym.phones and studio.phones and not gym.phones & studio.phones
        with dashboard(result.local_url, folder, DATA_DIR=str(data_dir)) as base:
            yield Demo(base, gym, studio)
    finally:
        stop(data_dir)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1500, "height": 1000}, locale="pt-BR", accept_downloads=True
    )
    try:
        yield context.new_page()
    finally:
        context.close()


def today() -> date:
    return datetime.now(ZoneInfo("America/Sao_Paulo")).date()


def link(base: str, path: str, **params: str) -> str:
    start = today() - timedelta(days=RANGE_DAYS - 1)
    query = {"de": start.isoformat(), "ate": today().isoformat(), **params}
    return f"{base}/{path}?{urlencode(query)}"


def open_as(page: Page, url: str, who: Business, *, grid: bool = False) -> str:
    """Open `url` in a new session, log in as `who` through the form, wait for the page the
    link asked for to finish its run (and, with `grid`, for its data grid to show rows); return
    all the page's text, hidden parts included: a data grid paints its cells on a canvas and
    keeps the visible rows in a table inside it for screen readers."""
    page.goto(url, wait_until="domcontentloaded")
    expect(page.get_by_text(texts.LOGIN_TITLE)).to_be_visible(timeout=60_000)
    page.get_by_label(texts.LOGIN_EMAIL).fill(who.email)
    page.get_by_label(texts.LOGIN_PASSWORD).fill(who.password)
    page.get_by_role("button", name=texts.LOGIN_BUTTON).click()
    shown = texts.TENANT_SHOWN.format(name=who.name).replace("**", "")  # markdown bold
    expect(page.get_by_text(shown)).to_be_visible(timeout=60_000)
    idle = page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]')
    expect(idle).to_be_attached(timeout=60_000)
    grids = page.get_by_test_id("stDataFrame")
    if grid:  # its code loads lazily, after the run
        expect(grids.first).to_be_visible(timeout=30_000)
    for i in range(grids.count()):  # each grid writes its visible rows into its canvas later
        table = grids.nth(i).locator("table[role=grid]")
        expect(table).to_be_attached(timeout=30_000)
        if int(table.get_attribute("aria-rowcount") or 1) > 1:
            expect(table.locator("td[role=gridcell]").first).to_be_attached(timeout=30_000)
    return page.locator("body").text_content() or ""


def assert_nothing_of(other: Business, text: str, where: str) -> None:
    assert other.name not in text, where
    assert other.lead_name.lower() not in text.lower(), where
    assert other.word not in text.lower(), where
    leaked = hits(text, other.phones)
    assert not leaked, (where, sorted(leaked))


def download_csv(page: Page, tmp_path: Path) -> list[list[str]]:
    with page.expect_download(timeout=30_000) as download:
        page.get_by_role("button", name=texts.DOWNLOAD_CSV).click()
    saved = tmp_path / "leads.csv"
    download.value.save_as(saved)
    return list(csv.reader(io.StringIO(saved.read_text(encoding="utf-8-sig")), delimiter=";"))


@pytest.mark.parametrize("path", PAGES)
def test_gym_manager_sees_nothing_of_the_studio_on_any_page_or_link(
    demo: Demo, page: Page, path: str
) -> None:
    """Every page, with the studio named in the link (the dashboard's own parameter and the
    obvious guess), and the admin page's URL, which a manager may not open."""
    url = link(demo.base, path, **ASK_STUDIO)
    text = open_as(page, url, demo.gym, grid=path in ("leads", "conversoes"))
    assert_nothing_of(demo.studio, text, f"/{path}")
    if path == "admin":
        expect(page.get_by_text(texts.ADMIN_REFUSED)).to_be_visible()
        assert texts.ADMIN_USERS not in text  # no list of users (or of tenants) either
    if path == "leads":
        assert hits(text, demo.gym.phones)  # the gym's own leads are there


def test_a_deep_link_to_a_studio_lead_finds_nothing_for_the_gym_manager(
    demo: Demo, page: Page, tmp_path: Path
) -> None:
    url = link(demo.base, "leads", nome=demo.studio.lead_name, **ASK_STUDIO)
    text = open_as(page, url, demo.gym)
    expect(page.get_by_text(texts.LEADS_EMPTY)).to_be_visible()
    assert_nothing_of(demo.studio, text, "deep link")


def test_the_gym_managers_csv_holds_only_gym_rows(demo: Demo, page: Page, tmp_path: Path) -> None:
    text = open_as(page, link(demo.base, "leads", **ASK_STUDIO), demo.gym, grid=True)
    assert_nothing_of(demo.studio, text, "leads page")
    rows = download_csv(page, tmp_path)
    assert rows[0] == list(texts.LEAD_COLUMNS)
    assert len(rows) > 10
    content = "\n".join(";".join(row) for row in rows)
    assert_nothing_of(demo.studio, content, "CSV")
    phone_column = rows[0].index("Celular")
    phones = {last8(r[phone_column]) for r in rows[1:] if re.sub(r"\D", "", r[phone_column])}
    assert phones and phones <= demo.gym.phones  # every row is one of the gym's leads


def test_the_studio_manager_finds_the_studio_lead_through_the_same_paths(
    demo: Demo, page: Page, tmp_path: Path
) -> None:
    """The control: the markers the tests above look for are visible where they would leak."""
    url = link(demo.base, "leads", nome=demo.studio.lead_name)
    text = open_as(page, url, demo.studio, grid=True)
    assert demo.studio.lead_name in text
    assert hits(text, demo.studio.phones)
    assert demo.studio.word in text.lower()
    rows = download_csv(page, tmp_path)
    assert len(rows) > 1 and all(demo.studio.lead_name in ";".join(r) for r in rows[1:])
    everything = open_as(page, link(demo.base, "leads"), demo.studio, grid=True)
    assert hits(everything, demo.studio.phones)
    assert_nothing_of(demo.gym, everything, "studio's leads page")
