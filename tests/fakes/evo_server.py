"""A fake EVO integration API on 127.0.0.1, speaking the real protocol for the real client.

`FakeEvo` serves GET /api/v2/members and /api/v2/sales with take/skip paging over in-memory
lists, checks HTTP Basic auth (DNS + token) and answers 401 otherwise, refuses a `take` above
EVO's caps (50 for members, 100 for sales) with 400, and can be scripted to answer 429 (with
Retry-After) or 500 before the real answers. Every request is recorded for assertions.

Hostile modes, each bounded: `endless_members=True` answers every members page with a full
page of new members (made up from `skip`, never stored), as a broken server that never reaches
the end would; `trickle` sends each whole response (status line, headers, body) one byte every
`trickle` seconds, so no per-read timeout ever fires (bounded by the response's length and
TRICKLE_MAX_SECONDS, and stopped as soon as the client hangs up).

Member and sale shapes follow EVO's MembersApiViewModel / SalesViewModel (camelCase JSON),
with contacts as `{"contactType": "Cellphone"|"Phone"|"E-mail", "ddi": "55", "description"}`.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CAPS = {"/api/v2/members": 50, "/api/v2/sales": 100}
TRICKLE_MAX_SECONDS = 20.0


@dataclass
class Recorded:
    path: str
    params: dict[str, str]
    authorized: bool


@dataclass
class Scripted:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: str = '{"message": "scripted failure"}'


@dataclass
class FakeEvo:
    dns: str = "academia-teste"
    token: str = "tok-3f9a2c-SECRET"
    members: list[dict[str, Any]] = field(default_factory=list)
    sales: list[dict[str, Any]] = field(default_factory=list)
    script: list[Scripted] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    endless_members: bool = False
    trickle: float = 0.0
    url: str = ""

    def fail_next(self, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` requests with `status` (e.g. 429 with Retry-After)."""
        self.script += [
            Scripted(status, {k.replace("_", "-"): v for k, v in headers.items()})
        ] * times

    def calls(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]


def _handler(fake: FakeEvo) -> type[BaseHTTPRequestHandler]:
    expected = "Basic " + base64.b64encode(f"{fake.dns}:{fake.token}".encode()).decode()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(self, status: int, body: str, headers: dict[str, str] | None = None) -> None:
            data = body.encode()
            if fake.trickle:
                self._trickle(status, data, headers or {})
                return
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in (headers or {}).items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _trickle(self, status: int, data: bytes, headers: dict[str, str]) -> None:
            head = [f"HTTP/1.0 {status} {self.responses[status][0]}",
                    "Content-Type: application/json; charset=utf-8",
                    f"Content-Length: {len(data)}",
                    *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
            raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
            stop = time.monotonic() + TRICKLE_MAX_SECONDS
            try:
                for byte in raw:  # bounded: one pass over a finite response
                    if time.monotonic() > stop:
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fake.trickle)
            except OSError:  # the client gave up and closed the connection: done
                return

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
            authorized = self.headers.get("Authorization") == expected
            fake.requests.append(Recorded(parts.path, params, authorized))
            if not authorized:
                self._send(401, '{"message": "Authorization has been denied for this request."}')
                return
            if fake.script:
                scripted = fake.script.pop(0)
                self._send(scripted.status, scripted.body, scripted.headers)
                return
            records = {"/api/v2/members": fake.members, "/api/v2/sales": fake.sales}.get(parts.path)
            if records is None:
                self._send(404, '{"message": "not found"}')
                return
            take = int(params.get("take", "25"))
            skip = int(params.get("skip", "0"))
            if take > CAPS[parts.path]:
                self._send(400, json.dumps({"message": f"take maximum is {CAPS[parts.path]}"}))
                return
            if fake.endless_members and parts.path == "/api/v2/members":
                page = [member(skip + i, f"Aluno{skip + i}", "Sem Fim") for i in range(1, take + 1)]
                self._send(200, json.dumps(page))
                return
            self._send(200, json.dumps(records[skip : skip + take]))

    return Handler


@contextmanager
def serve(fake: FakeEvo) -> Iterator[FakeEvo]:
    """Run `fake` on 127.0.0.1 (random free port) in a background thread."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def member(
    member_id: int,
    first: str,
    last: str,
    *,
    cellphone: str | None = None,
    phone: str | None = None,
    email: str | None = None,
    register: str | None = "2026-01-10T09:30:00",
    conversion: str | None = None,
    status: str = "Active",
    ddi: str = "55",
) -> dict[str, Any]:
    """One member as EVO's /api/v2/members returns it."""
    contacts: list[dict[str, Any]] = []
    for offset, (kind, value) in enumerate(
        (("Phone", phone), ("Cellphone", cellphone), ("E-mail", email)), start=1
    ):
        if value:
            contact = {"idPhone": member_id * 10 + offset, "idMember": member_id}
            contact |= {"contactType": kind, "description": value}
            if kind != "E-mail":
                contact["ddi"] = ddi
            contacts.append(contact)
    return {
        "idMember": member_id,
        "firstName": first,
        "lastName": last,
        "registerDate": register,
        "conversionDate": conversion,
        "idBranch": 1,
        "branchName": "AllpFit Centro",
        "membershipStatus": status,
        "status": status,
        "contacts": contacts,
    }


def sale(
    sale_id: int, member_id: int | None, sale_date: str, *, removed: bool = False
) -> dict[str, Any]:
    """One sale as EVO's /api/v2/sales returns it."""
    return {
        "idSale": sale_id,
        "idMember": member_id,
        "saleDate": sale_date,
        "saleDateServer": sale_date,
        "removed": removed,
        "idBranch": 1,
        "saleItens": [{"description": "Plano Mensal", "value": 119.9}],
    }
