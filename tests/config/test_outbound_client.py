"""The guarded client end to end, against servers on 127.0.0.x only (the one range tests may reach)."""

from __future__ import annotations

import socket

import httpx
import pytest
import respx

from config import outbound
from config.outbound import OutboundRefused, outbound_client
from tests.loopback_server import loopback_server


def ok(handler):
    return 200, {"Content-Type": "text/plain"}, b"hello"


def redirect_to(location: str):
    def respond(handler):
        return 302, {"Location": location}, b""

    return respond


def test_a_listed_loopback_host_is_reached(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with loopback_server(ok) as server, outbound_client() as client:
        response = client.get(f"{server.url}/audio.mp3")
    assert (response.status_code, response.text) == (200, "hello")


def test_an_unlisted_loopback_host_is_refused_before_anything_is_sent(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with loopback_server(ok) as server, outbound_client() as client:
        try:
            client.get(f"{server.url}/audio.mp3")
            raise AssertionError("the request was sent")
        except OutboundRefused as refused:
            assert f"port {server.port} is not allowed" in str(refused)
    assert server.requests == []


def test_a_redirect_to_an_unlisted_address_is_refused(settings):
    with (
        loopback_server(ok, host="127.0.0.2") as target,
        loopback_server(redirect_to(f"{target.url}/internal")) as first,
    ):
        settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{first.port}"]
        with outbound_client(follow_redirects=True) as client, pytest.raises(OutboundRefused, match="127.0.0.2"):
            client.get(f"{first.url}/audio.mp3")
    assert len(first.requests) == 1
    assert target.requests == []


def test_a_redirect_to_a_loopback_address_is_refused_at_connect_even_on_an_ordinary_port(settings, monkeypatch):
    # Treat the target's port as standard, so only the address rule stands between the hop and the server.
    with loopback_server(ok, host="127.0.0.2") as target:
        monkeypatch.setattr(outbound, "STANDARD_PORTS", frozenset({80, 443, target.port}))
        with loopback_server(redirect_to(f"{target.url}/internal")) as first:
            settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{first.port}"]
            refused = pytest.raises(OutboundRefused, match="address 127.0.0.2 is loopback")
            with outbound_client(follow_redirects=True) as client, refused:
                client.get(f"{first.url}/audio.mp3")
    assert target.requests == []


def test_redirects_between_listed_hosts_are_followed_up_to_the_limit(settings):
    hops = []

    def chain(handler):
        hops.append(handler.path)
        n = int(handler.path.strip("/") or 0)
        return 302, {"Location": f"/{n + 1}"}, b""

    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with (
        loopback_server(chain) as server,
        outbound_client(follow_redirects=True, max_redirects=3) as client,
        pytest.raises(httpx.TooManyRedirects),
    ):
        client.get(f"{server.url}/0")
    assert hops == ["/0", "/1", "/2", "/3"]


def test_it_connects_to_the_address_it_checked_so_a_second_dns_answer_is_never_used(settings, monkeypatch):
    """DNS rebinding: the name's first answer passes the check; a later answer must not be what we connect to."""
    with loopback_server(ok) as checked, loopback_server(ok, host="127.0.0.2") as rebound:
        monkeypatch.setattr(outbound, "STANDARD_PORTS", frozenset({80, 443, checked.port}))
        # Pretend 127.0.0.1 is a public address so it passes; 127.0.0.2 stays refused.
        real = outbound._address_refusal
        monkeypatch.setattr(outbound, "_address_refusal", lambda ip: None if str(ip) == "127.0.0.1" else real(ip))
        real_getaddrinfo = socket.getaddrinfo
        asked = []

        def rebinding_dns(host, port, *args, **kwargs):
            if host != "rebind.example":
                return real_getaddrinfo(host, port, *args, **kwargs)
            asked.append(host)
            address = "127.0.0.1" if len(asked) == 1 else "127.0.0.2"
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", rebinding_dns)
        settings.OUTBOUND_ALLOWED_HOSTS = []
        with outbound_client() as client:
            response = client.get(f"http://rebind.example:{checked.port}/audio.mp3")
    assert response.status_code == 200
    assert asked == ["rebind.example"]
    assert checked.requests[0][2]["Host"] == f"rebind.example:{checked.port}"
    assert rebound.requests == []


def test_proxies_from_the_environment_are_ignored(settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")
    monkeypatch.setenv("ALL_PROXY", "http://127.0.0.1:9")
    with loopback_server(ok) as server, outbound_client() as client:
        assert client.get(f"{server.url}/").status_code == 200


def test_every_request_has_the_configured_timeout(settings):
    settings.OUTBOUND_HTTP_TIMEOUT = 2.5
    with outbound_client() as client:
        assert client.timeout == httpx.Timeout(2.5)
    with outbound_client(timeout=0.5) as client:
        assert client.timeout == httpx.Timeout(0.5)


def test_a_slow_server_times_out(settings):
    import threading

    release = threading.Event()

    def slow(handler):
        release.wait(2)
        return 200, {}, b"late"

    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    with loopback_server(slow) as server, outbound_client(timeout=0.2) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.get(f"{server.url}/")
        release.set()


def test_respx_still_mocks_guarded_clients_and_the_scheme_and_port_rules_still_apply():
    with respx.mock(assert_all_called=True) as mock:
        mock.get("https://crm.example.com/api/v1/ping").respond(200, json={"ok": True})
        with outbound_client(base_url="https://crm.example.com") as client:
            assert client.get("/api/v1/ping").json() == {"ok": True}
            with pytest.raises(OutboundRefused, match="port 8443"):
                client.get("https://crm.example.com:8443/api/v1/ping")
