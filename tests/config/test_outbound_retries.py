"""send_with_retries against servers on 127.0.0.1, with sleep injected (no test waits for real)."""

from __future__ import annotations

import email.utils
import socket
import time

import httpx
import pytest

from config import outbound
from config.outbound import OutboundRefused, backoff_delay, outbound_client, send_with_retries
from tests.loopback_server import loopback_server


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


def scripted(*replies):
    """Answers the given (status, headers) in turn, then 200 "done" for ever."""
    queue = list(replies)

    def respond(handler):
        if queue:
            status, headers = queue.pop(0)
            return status, headers, b"not yet"
        return 200, {}, b"done"

    return respond


def send(server, method="GET", *, sleeps=None, **kwargs):
    sleeps = [] if sleeps is None else sleeps
    with outbound_client() as client:
        request = client.build_request(method, f"{server.url}/x")
        response = send_with_retries(client, request, sleep=sleeps.append, **kwargs)
        response.read()
    return response


def test_it_retries_503s_until_a_200():
    sleeps = []
    with loopback_server(scripted((503, {}), (503, {}))) as server:
        response = send(server, sleeps=sleeps)
    assert (response.status_code, response.text) == (200, "done")
    assert len(server.requests) == 3
    assert len(sleeps) == 2 and all(0 <= s <= 30 for s in sleeps)


def test_it_waits_as_long_as_retry_after_says_in_seconds():
    sleeps = []
    with loopback_server(scripted((429, {"Retry-After": "7"}))) as server:
        assert send(server, sleeps=sleeps).status_code == 200
    assert sleeps == [7.0]


def test_it_reads_retry_after_as_an_http_date():
    sleeps = []
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    with loopback_server(scripted((429, {"Retry-After": when}))) as server:
        assert send(server, sleeps=sleeps).status_code == 200
    assert len(sleeps) == 1 and 15 <= sleeps[0] <= 20


def test_a_long_retry_after_is_capped():
    sleeps = []
    with loopback_server(scripted((503, {"Retry-After": "86400"}))) as server:
        assert send(server, sleeps=sleeps, max_delay=12).status_code == 200
    assert sleeps == [12]


def test_a_post_is_sent_once_and_its_503_returned():
    sleeps = []
    with loopback_server(scripted((503, {}))) as server:
        response = send(server, "POST", sleeps=sleeps)
    assert response.status_code == 503
    assert [r[0] for r in server.requests] == ["POST"]
    assert sleeps == []


def test_a_put_is_retried():
    with loopback_server(scripted((502, {}))) as server:
        assert send(server, "PUT").status_code == 200
    assert [r[0] for r in server.requests] == ["PUT", "PUT"]


def test_it_gives_up_after_the_last_attempt_and_returns_that_response():
    sleeps = []
    with loopback_server(scripted(*[(503, {})] * 10)) as server:
        response = send(server, sleeps=sleeps, attempts=4)
    assert response.status_code == 503
    assert len(server.requests) == 4 and len(sleeps) == 3


def test_a_client_error_is_not_retried():
    with loopback_server(scripted((404, {}))) as server:
        assert send(server).status_code == 404
    assert len(server.requests) == 1


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_connect_errors_are_retried_then_raised():
    sleeps = []
    port = closed_port()
    with outbound_client() as client, pytest.raises(httpx.ConnectError):
        send_with_retries(client, client.build_request("GET", f"http://127.0.0.1:{port}/"), sleep=sleeps.append)
    assert len(sleeps) == 4


def test_a_post_that_cannot_connect_is_not_retried():
    sleeps = []
    port = closed_port()
    with outbound_client() as client, pytest.raises(httpx.ConnectError):
        send_with_retries(client, client.build_request("POST", f"http://127.0.0.1:{port}/"), sleep=sleeps.append)
    assert sleeps == []


def test_a_refused_request_is_never_retried(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    sleeps = []
    with outbound_client() as client, pytest.raises(OutboundRefused):
        send_with_retries(client, client.build_request("GET", "http://127.0.0.1:8201/"), sleep=sleeps.append)
    assert sleeps == []


def test_a_streamed_response_is_returned_unread():
    with loopback_server(scripted((503, {}))) as server, outbound_client() as client:
        request = client.build_request("GET", f"{server.url}/x")
        response = send_with_retries(client, request, sleep=lambda s: None, stream=True)
        assert not response.is_stream_consumed
        assert b"".join(response.iter_bytes()) == b"done"
        response.close()


def test_backoff_grows_exponentially_with_full_jitter_and_a_cap(monkeypatch):
    monkeypatch.setattr(outbound.random, "uniform", lambda low, high: high)
    assert [backoff_delay(n, base_delay=0.5, max_delay=30) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]
    monkeypatch.setattr(outbound.random, "uniform", lambda low, high: low)
    assert backoff_delay(5, base_delay=0.5, max_delay=30) == 0
