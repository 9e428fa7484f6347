"""Test helpers for the fake PhoneBurner: a person at its dialer page (over real HTTP), and a tiny
server that records the callbacks it receives."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx


class DialerBrowser:
    """Someone at the fake's dialer page: opens the one-time link, then dials and dispositions."""

    def __init__(self, redirect_url: str) -> None:
        # Plain HTTP on loopback: no CA bundle to load (httpx spends ~0.2 s on it per client).
        self.http = httpx.Client(follow_redirects=True, timeout=10, verify=False)
        self.page = self.http.get(redirect_url)

    @property
    def base(self) -> str:
        return f"{self.page.url.scheme}://{self.page.url.netloc.decode()}"

    def contact_name(self) -> str | None:
        found = re.search(r'data-testid="fake-contact"><h2>([^<]*)</h2>', self.page.text)
        return found.group(1).strip() if found else None

    def dial(self) -> None:
        self.page = self.http.post(f"{self.base}/phoneburner/dial")

    def dispose(self, disposition: str, *, note: str = "", new_phone: str = "") -> None:
        form = {"disposition": disposition, "note": note, "new_phone": new_phone}
        self.page = self.http.post(f"{self.base}/phoneburner/disposition", data=form)

    def skip(self) -> None:
        self.page = self.http.post(f"{self.base}/phoneburner/skip")

    def finished(self) -> bool:
        return 'data-testid="fake-session-finished"' in self.page.text

    def close(self) -> None:
        self.http.close()


class CallbackRecorder:
    """Records the JSON bodies POSTed to it, by path; answers `status` (200 unless told)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, Any]] = []
        self.status = 200

    def bodies(self, path: str) -> list[Any]:
        return [body for got, body in self.received if got == path]


@contextmanager
def callback_recorder() -> Iterator[tuple[CallbackRecorder, str]]:
    recorder = CallbackRecorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            recorder.received.append((self.path, json.loads(body)))
            self.send_response(recorder.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield recorder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
