"""The browser tab opens only once the dashboard answers its health check."""

from __future__ import annotations

import threading
import webbrowser
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from allpfit.dashboard.opener import wait_and_open


class Health(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        ok = self.path == "/_stcore/health"
        self.send_response(200 if ok else 404)
        self.end_headers()
        self.wfile.write(b"ok" if ok else b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What would have been opened (no real browser window during tests)."""
    urls: list[str] = []
    monkeypatch.setattr(webbrowser, "open", lambda url: urls.append(url) or True)
    return urls


def test_opens_the_page_once_healthy(server: str, opened: list[str]) -> None:
    assert wait_and_open(server, timeout=10) is True
    assert opened == [server]


def test_gives_up_when_nothing_answers(opened: list[str]) -> None:
    assert wait_and_open("http://127.0.0.1:9", timeout=1.5) is False
    assert opened == []
