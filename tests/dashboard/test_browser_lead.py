"""Chromium clicks a lead in the lead table, reads its page, and follows the Chatwoot link.

The dashboard is the real `allpfit dashboard` (see test_browser.py); Chatwoot is a stand-in
HTTP server on 127.0.0.1 that answers Chatwoot's own conversation route
(`/app/accounts/{account_id}/conversations/{display_id}`), so following the link shows that
the browser reached the right conversation.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psycopg
import pytest
from playwright.sync_api import Page, expect, sync_playwright

from allpfit.dashboard import texts
from tests.dashboard.builder import standard_dataset
from tests.dashboard.test_browser import ARGS, CHROMIUM, PASSWORD, dashboard, today

ROUTE = re.compile(r"^/app/accounts/(\d+)/conversations/(\d+)$")
CARLA_DISPLAY_ID = 904  # c4 Carla Dias: lead, bot and agent messages


class StandIn(BaseHTTPRequestHandler):
    """Chatwoot's conversation page, as far as a link needs it: 200 for its route, else 404."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's name)
        StandIn.seen.append(self.path)
        match = ROUTE.match(self.path)
        body = (
            f"<html><title>Chatwoot</title><body>conversa {match.group(2)} da conta "
            f"{match.group(1)}</body></html>"
            if match
            else "not found"
        ).encode()
        self.send_response(200 if match else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return None


@pytest.fixture
def page() -> Iterator[Page]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (see test_browser.py).")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser.new_page(viewport={"width": 1500, "height": 1000}, locale="pt-BR")
        finally:
            browser.close()


@pytest.fixture
def chatwoot() -> Iterator[str]:
    StandIn.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), StandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def select_row(page: Page, row: int) -> None:
    """Tick the selection box of `row` (0-based) of the lead table: the grid is a canvas, so
    the click goes to the row marker's position (header and rows are 35 px high)."""
    grid = page.get_by_test_id("stDataFrame")
    box = grid.bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * row + 17)


def test_clicking_a_lead_opens_its_page_and_the_chatwoot_link(
    local: psycopg.Connection, local_url: str, tmp_path: Path, page: Page, chatwoot: str
) -> None:
    standard_dataset(local, today())
    local.execute(
        "UPDATE conversas_analytics SET display_id = %s, account_id = 7 WHERE conversation_id = 4",
        (CARLA_DISPLAY_ID,),
    )
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    with dashboard(local_url, tmp_path, CHATWOOT_URL=chatwoot) as base:
        page.goto(f"{base}/leads?nome=Dias", wait_until="domcontentloaded")
        expect(page.get_by_text(texts.leads_count(1, 1, 1), exact=False)).to_be_visible(
            timeout=60_000
        )
        grid = page.get_by_test_id("stDataFrame")
        expect(grid.get_by_text("Carla Dias").first).to_be_attached(timeout=30_000)
        select_row(page, 0)

        title = texts.LEAD_TITLE.format(name="Carla Dias")
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
        assert re.search(r"/lead\?(.*&)?conversa=4(&|$)", page.url), page.url
        bubbles = page.get_by_test_id("stChatMessage")
        expect(bubbles).to_have_count(3, timeout=30_000)  # c4: lead, bot, agent
        expect(bubbles.nth(0)).to_contain_text("Oi, quero saber do plano 0")
        expect(bubbles.nth(2)).to_contain_text("Oi, aqui é a Júlia 2")
        expect(bubbles.nth(0)).to_contain_text(f"Lead · {today().strftime('%d/%m/%Y')} 09:00")
        expect(page.get_by_text("Mensagem sugerida 4")).to_be_visible(timeout=30_000)
        tints = [
            bubbles.nth(i).evaluate("e => getComputedStyle(e).backgroundColor") for i in range(3)
        ]
        assert len(set(tints)) == 3, tints  # lead, bot and agent each in their own colour
        page.screenshot(path=str(tmp_path / "lead.png"), full_page=True)

        link = page.get_by_role("link", name=texts.LEAD_OPEN_CHATWOOT)
        href = link.get_attribute("href")
        assert href == f"{chatwoot}/app/accounts/7/conversations/{CARLA_DISPLAY_ID}"
        with page.context.expect_page(timeout=30_000) as opened:
            link.click()
        chatwoot_tab = opened.value
        chatwoot_tab.wait_for_load_state()
        assert chatwoot_tab.url == href
        expect(chatwoot_tab.locator("body")).to_contain_text(f"conversa {CARLA_DISPLAY_ID}")
        assert f"/app/accounts/7/conversations/{CARLA_DISPLAY_ID}" in StandIn.seen
        chatwoot_tab.close()

        # Back to the table with the filter the lead was opened from.
        page.get_by_role("link", name=texts.LEAD_BACK).click()
        expect(page.get_by_text(texts.leads_count(1, 1, 1), exact=False)).to_be_visible(
            timeout=60_000
        )
        expect(page.get_by_role("textbox", name=texts.FILTER_NAME)).to_have_value("Dias")
        assert "/leads?" in page.url and "nome=Dias" in page.url

    outside = [u for u in requested if not u.startswith((base, chatwoot, "data:", "blob:"))]
    assert not outside, outside


def test_a_lead_link_survives_the_login_and_another_id_is_not_found(
    local: psycopg.Connection, local_url: str, tmp_path: Path, page: Page
) -> None:
    standard_dataset(local, today())
    with dashboard(local_url, tmp_path, DASHBOARD_PASSWORD=PASSWORD) as base:
        page.goto(f"{base}/lead?conversa=1", wait_until="domcontentloaded")
        expect(page.get_by_text(texts.LOGIN_TITLE)).to_be_visible(timeout=60_000)
        page.get_by_label(texts.LOGIN_PASSWORD).fill(PASSWORD)
        page.get_by_role("button", name=texts.LOGIN_BUTTON).click()
        title = texts.LEAD_TITLE.format(name="Ana Souza")
        expect(page.get_by_role("heading", name=title)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stChatMessage")).to_have_count(2)
        assert "conversa=1" in page.url
        # No CHATWOOT_URL: no link, and the page says which setting gives one.
        expect(page.get_by_text(texts.LEAD_NO_CHATWOOT)).to_be_visible()
        assert not page.get_by_role("link", name=texts.LEAD_OPEN_CHATWOOT).count()
