"""A fake OpenAI-compatible chat-completions server on 127.0.0.1, for the real `openai` client.

`FakeLLM` serves POST /v1/chat/completions with the real response shape (id, object, created,
model, choices[0].message.content, finish_reason, usage) and OpenAI's error shape
(`{"error": {"message", "type", "param", "code"}}`). It listens on a random free port in a
background thread (ThreadingHTTPServer, HTTP/1.1 keep-alive, so concurrent clients really run
concurrently) and records every request body for assertions.

Behaviour is scripted per test:
- `latency`: seconds every answer waits (the benchmark uses 1 s);
- `script`: replies consumed in order first (`fail_next(429, retry_after="0")`, `answer(...)`);
- `handler(request) -> Reply`: decides the rest (default: the valid profile in
  tests/data/llm/chat_completion.json);
- `reject_response_format`: answer 400 (`param: "response_format"`) to requests that carry
  `response_format`, as some local servers do;
- `trickle`: seconds between bytes: the whole response (status line, headers, body) is sent one
  byte at a time, as a hostile or broken server might, so a per-read timeout never fires. The
  loop is bounded by the response's length and TRICKLE_MAX_SECONDS, and stops as soon as the
  client hangs up;
- `Reply(raw=..., content_type=...)`: a 200 whose body is exactly `raw` (not a chat completion).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RECORDED = Path(__file__).resolve().parents[1] / "data" / "llm" / "chat_completion.json"
TRICKLE_MAX_SECONDS = 20.0
ERROR_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 404: "not_found",
               429: "rate_limit_error", 500: "server_error", 503: "server_error"}  # fmt: skip


def recorded_body() -> dict[str, Any]:
    """The stored chat.completion body (a valid LeadProfile as message content)."""
    return json.loads(RECORDED.read_text(encoding="utf-8"))


def valid_profile(**overrides: Any) -> dict[str, Any]:
    """The recorded profile, with some fields replaced."""
    profile = json.loads(recorded_body()["choices"][0]["message"]["content"])
    profile.update(overrides)
    return profile


@dataclass
class Reply:
    status: int = 200
    content: str | None = None  # choices[0].message.content for 200
    headers: dict[str, str] = field(default_factory=dict)
    error: str = "scripted failure"
    code: str | None = None
    param: str | None = None
    finish_reason: str = "stop"
    raw: str | None = None  # a 200 with exactly this body instead of a chat completion
    content_type: str = "application/json"


def answer(profile: dict[str, Any] | str) -> Reply:
    """A 200 whose content is `profile` as JSON (or the raw string given)."""
    return Reply(content=profile if isinstance(profile, str) else json.dumps(profile))


@dataclass
class FakeLLM:
    latency: float = 0.0
    handler: Callable[[dict[str, Any]], Reply] = field(
        default_factory=lambda: lambda request: answer(valid_profile())
    )
    script: list[Reply] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    reject_response_format: bool = False
    trickle: float = 0.0
    url: str = ""
    in_flight: int = 0
    max_in_flight: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, status: int, times: int = 1, **headers: str) -> None:
        """Answer the next `times` requests with `status`; headers like retry_after="0"."""
        named = {k.replace("_", "-"): v for k, v in headers.items()}
        self.script += [Reply(status=status, headers=named)] * times

    def then(self, *replies: Reply) -> None:
        self.script += replies

    def user_texts(self) -> list[str]:
        return [r["messages"][-1]["content"] for r in self.requests]

    def _next(self, request: dict[str, Any]) -> Reply:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            scripted = self.script.pop(0) if self.script else None
        try:
            if self.latency:
                time.sleep(self.latency)
            if scripted is not None:
                return scripted
            if self.reject_response_format and "response_format" in request:
                return Reply(
                    status=400,
                    error="response_format is not supported by this model",
                    param="response_format",
                )
            return self.handler(request)
        finally:
            with self._lock:
                self.in_flight -= 1


def completion_body(request: dict[str, Any], reply: Reply) -> dict[str, Any]:
    prompt = sum(len(str(m.get("content") or "")) for m in request.get("messages", [])) // 4
    completion = len(reply.content or "") // 4
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply.content, "refusal": None},
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "system_fingerprint": "fp_fake",
    }


def _handler(fake: FakeLLM) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

        def _send(
            self,
            status: int,
            body: dict[str, Any] | str,
            headers: dict[str, str],
            content_type: str = "application/json",
        ) -> None:
            text = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
            data = text.encode()
            if fake.trickle:
                self._trickle(status, data, headers, content_type)
                return
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _trickle(
            self, status: int, data: bytes, headers: dict[str, str], content_type: str
        ) -> None:
            head = [f"HTTP/1.1 {status} {self.responses[status][0]}",
                    f"Content-Type: {content_type}", f"Content-Length: {len(data)}",
                    *(f"{k}: {v}" for k, v in headers.items())]  # fmt: skip
            raw = ("\r\n".join(head) + "\r\n\r\n").encode() + data
            stop = time.monotonic() + TRICKLE_MAX_SECONDS
            self.close_connection = True
            try:
                for byte in raw:  # bounded: one pass over a finite response
                    if time.monotonic() > stop:
                        return
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(fake.trickle)
            except OSError:  # the client gave up and closed the connection: done
                return

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, _error(404, f"no route {self.path}", None, None), {})
                return
            request = json.loads(raw or b"{}")
            request["_authorization"] = self.headers.get("Authorization", "")
            reply = fake._next(request)
            if reply.status != 200:
                error = _error(reply.status, reply.error, reply.code, reply.param)
                self._send(reply.status, error, reply.headers)
                return
            if reply.raw is not None:
                self._send(200, reply.raw, reply.headers, reply.content_type)
                return
            self._send(200, completion_body(request, reply), reply.headers)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the benchmark opens hundreds of connections at once


def _error(status: int, message: str, code: str | None, param: str | None) -> dict[str, Any]:
    kind = ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


@contextmanager
def serve(fake: FakeLLM) -> Iterator[FakeLLM]:
    """Run `fake` on 127.0.0.1 (random port) for the duration of the block; `fake.url` is the
    base URL to give the client (ends in /v1)."""
    server = _Server(("127.0.0.1", 0), _handler(fake))
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
