"""A tiny scripted HTTP server on a loopback address (127.0.0.x only), for outbound-client tests.

`with loopback_server(respond) as server:` serves on `server.url` (an ephemeral port); `respond(handler)`
returns `(status, headers, body)` (body: bytes or an iterable of bytes, sent chunked when iterable) and
`server.requests` records `(method, path, headers)` of every request it saw.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Reply = tuple[int, dict[str, str], bytes | Iterable[bytes]]


@dataclass
class LoopbackServer:
    host: str
    port: int
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


@contextmanager
def loopback_server(
    respond: Callable[[BaseHTTPRequestHandler], Reply], host: str = "127.0.0.1"
) -> Iterator[LoopbackServer]:
    assert host.startswith("127."), "tests send traffic to loopback only"
    record: list[tuple[str, str, dict[str, str]]] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            self.body = self.rfile.read(length) if length else b""
            record.append((self.command, self.path, dict(self.headers)))
            status, headers, body = respond(self)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            if isinstance(body, bytes):
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)
                return
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for chunk in body:
                    self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
                self.wfile.write(b"0\r\n\r\n")
            except (BrokenPipeError, ConnectionResetError):  # the client stopped reading (a size cap)
                self.close_connection = True

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _serve

        def log_message(self, *args) -> None:  # keep test output quiet
            pass

    httpd = ThreadingHTTPServer((host, 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LoopbackServer(host=host, port=httpd.server_address[1], requests=record)
    finally:
        httpd.shutdown()
        httpd.server_close()
