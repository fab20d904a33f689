"""OpenAI-compatible HTTP endpoints on 127.0.0.1 that behave badly on purpose, for tests through the real OpenAI
client and ChatOpenAI: plain JSON answers and errors, SSE streams that are slow, stall, get cut or come back empty,
and a socket that accepts connections and never answers.

    with FakeEndpoint(lambda n, body: sse(answer_json, gap=0.2)) as ep:
        settings = Settings(llm_base_url=ep.url, ...)
    ep.bodies     # every request body the server received
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


def completion(content: str) -> dict:
    return {"id": "x", "object": "chat.completion", "created": 0, "model": "fake",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}}


@dataclass
class Reply:
    """What the endpoint does with one request."""

    status: int = 200
    body: Any = None                   # a JSON answer (dict) or raw bytes; None with `pieces` = an SSE stream
    pieces: list[str] = field(default_factory=list)
    first_after: float = 0.0           # seconds before the first piece (the prompt being read)
    gap: float = 0.0                   # seconds between pieces
    finish: str | None = "stop"        # None: the stream ends without a finish reason (cut by the server)
    hang_after: int | None = None      # stop sending after this many pieces and keep the connection open
    pings_for: float = 0.0             # SSE comments (": ping") for this long before anything else


def json_reply(content: str = "", status: int = 200, body: Any = None) -> Reply:
    return Reply(status=status, body=body if body is not None else completion(content))


def sse(content: str, *, size: int = 8, **kw) -> Reply:
    return Reply(pieces=[content[i:i + size] for i in range(0, len(content), size)] or [""], **kw)


def _chunk(text: str, finish: str | None = None, first: bool = False) -> bytes:
    delta = {"role": "assistant"} if first else {}
    if text:
        delta["content"] = text
    data = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n".encode()


class FakeEndpoint:
    """`script(n, body) -> Reply` answers the n-th request (from 0); bodies and counts are kept."""

    def __init__(self, script: Callable[[int, dict], Reply], *, serial: bool = False):
        """`serial`: one request at a time, the others wait (a single-slot server's queue)."""
        self.script, self.bodies = script, []
        self._lock = threading.Lock()
        self._slot = threading.Lock() if serial else None
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
                with outer._lock:
                    n = len(outer.bodies)
                    outer.bodies.append(body)
                try:
                    if outer._slot is None:
                        outer._answer(self, outer.script(n, body), stream=bool(body.get("stream")))
                    else:
                        with outer._slot:
                            outer._answer(self, outer.script(n, body), stream=bool(body.get("stream")))
                except OSError:
                    pass  # the client gave up: that is what some tests are about

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def requests(self) -> int:
        return len(self.bodies)

    @staticmethod
    def _answer(h: BaseHTTPRequestHandler, r: Reply, *, stream: bool) -> None:
        if r.body is not None or not stream:
            payload = r.body if isinstance(r.body, bytes) else json.dumps(
                r.body if r.body is not None else completion("".join(r.pieces))).encode()
            time.sleep(r.first_after)
            h.send_response(r.status)
            h.send_header("content-type", "application/json")
            h.send_header("retry-after-ms", "20")           # the SDK honours it: quick retries
            h.send_header("content-length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
            return
        h.send_response(200)
        h.send_header("content-type", "text/event-stream")
        h.send_header("connection", "close")
        h.end_headers()
        started = time.monotonic()
        while time.monotonic() - started < r.pings_for:
            h.wfile.write(b": ping\n\n")
            h.wfile.flush()
            time.sleep(0.2)
        time.sleep(r.first_after)
        for i, piece in enumerate(r.pieces):
            if r.hang_after is not None and i >= r.hang_after:
                time.sleep(3600)
            if i:
                time.sleep(r.gap)
            h.wfile.write(_chunk(piece, first=i == 0))
            h.wfile.flush()
        if r.finish is not None:
            h.wfile.write(_chunk("", r.finish))
        h.wfile.write(b"data: [DONE]\n\n")
        h.wfile.flush()
        h.close_connection = True

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> FakeEndpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class SilentEndpoint:
    """Accepts TCP connections and never sends a byte (a hung proxy, a frozen server)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}/v1"
        self.accepted: list[socket.socket] = []
        self._open = True
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while self._open:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.accepted.append(conn)

    def close(self) -> None:
        self._open = False
        for c in self.accepted:
            c.close()
        self.sock.close()

    def __enter__(self) -> SilentEndpoint:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
