"""The outbound guard's decision, as functions with name resolution stubbed: no test here opens a connection."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from config.outbound import OutboundRefused, address_allowed, outbound_client, resolve_checked

PUBLIC_V4 = "93.184.216.34"
PUBLIC_V6 = "2606:2800:220:1:248:1893:25c8:1946"


@pytest.fixture(autouse=True)
def no_connections(monkeypatch):
    """Any attempt to open a socket fails the test: the guard must decide before connecting."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"a connection was attempted: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture
def resolves_to(monkeypatch):
    """`resolves_to(*addresses)`: every name resolves to these addresses; returns the names asked for."""
    asked: list[str] = []

    def stub(*addresses: str) -> list[str]:
        def getaddrinfo(host, port, *args, **kwargs):
            asked.append(host)
            family = {True: socket.AF_INET6, False: socket.AF_INET}
            return [(family[":" in a], socket.SOCK_STREAM, 6, "", (a, port)) for a in addresses]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        return asked

    return stub


@pytest.mark.parametrize(
    "address",
    [
        "10.0.0.5",
        "172.16.3.4",
        "172.31.255.254",
        "192.168.1.1",
        "169.254.169.254",
        "127.0.0.1",
        "127.9.9.9",
        "0.0.0.0",
        "100.64.0.1",
        "224.0.0.251",
        "239.255.255.250",
        "255.255.255.255",
        "240.0.0.1",
        "::1",
        "::",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "::ffff:169.254.169.254",
        "::127.0.0.1",
        "64:ff9b::a00:1",
        "2002:7f00:1::",
        "fe80::1",
        "fc00::1",
        "fd12:3456::1",
        "ff02::1",
        "2001:db8::1",
    ],
)
def test_it_refuses_addresses_that_are_not_public(address):
    assert not address_allowed("files.example.com", 443, ipaddress.ip_address(address))


def test_it_refuses_the_decimal_and_hex_encodings_of_loopback_as_addresses():
    assert not address_allowed("files.example.com", 443, ipaddress.ip_address(2130706433))
    assert not address_allowed("files.example.com", 443, ipaddress.ip_address(0x7F000001))


@pytest.mark.parametrize("address", [PUBLIC_V4, PUBLIC_V6, f"::ffff:{PUBLIC_V4}"])
def test_it_allows_public_addresses_on_ports_80_and_443_only(address):
    ip = ipaddress.ip_address(address)
    assert address_allowed("files.example.com", 443, ip)
    assert address_allowed("files.example.com", 80, ip)
    assert not address_allowed("files.example.com", 8080, ip)
    assert not address_allowed("files.example.com", 22, ip)


def test_a_listed_host_is_exempt_from_the_address_and_port_rules_on_any_port(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1", "LocalHost"]
    loopback = ipaddress.ip_address("127.0.0.1")
    assert address_allowed("127.0.0.1", 8123, loopback)
    assert address_allowed("localhost", 80, loopback)
    assert address_allowed("localhost.", 9000, loopback)


def test_a_host_listed_with_a_port_is_exempt_on_that_port_only(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["localhost:8200", "[::1]:8201"]
    assert address_allowed("localhost", 8200, ipaddress.ip_address("127.0.0.1"))
    assert not address_allowed("localhost", 8201, ipaddress.ip_address("127.0.0.1"))
    assert address_allowed("::1", 8201, ipaddress.ip_address("::1"))
    assert not address_allowed("::1", 8200, ipaddress.ip_address("::1"))


def test_the_exemption_is_for_the_listed_name_not_for_its_address(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    assert not address_allowed("attacker.example", 80, ipaddress.ip_address("127.0.0.1"))


@pytest.mark.parametrize(
    "address", ["10.1.2.3", "172.16.0.1", "192.168.0.10", "169.254.169.254", "::1", "::ffff:127.0.0.1", "0.0.0.0"]
)
def test_a_name_that_resolves_to_a_refused_address_is_refused(resolves_to, address):
    resolves_to(address)
    with pytest.raises(OutboundRefused, match=str(ipaddress.ip_address(address))):
        resolve_checked("files.example.com", 443)


def test_one_refused_address_among_several_refuses_the_name(resolves_to):
    resolves_to(PUBLIC_V4, "10.0.0.7")
    with pytest.raises(OutboundRefused, match="10.0.0.7 is private"):
        resolve_checked("files.example.com", 443)


def test_a_public_name_resolves_to_its_checked_addresses(resolves_to):
    resolves_to(PUBLIC_V4, PUBLIC_V6)
    assert [str(ip) for ip in resolve_checked("files.example.com", 443)] == [PUBLIC_V4, PUBLIC_V6]


@pytest.mark.parametrize("host", ["2130706433", "0x7f000001", "0177.0.0.1", "127.1", "0x7f.1", "017700000001"])
def test_other_spellings_of_an_ipv4_address_are_refused_before_resolution(resolves_to, host):
    asked = resolves_to(PUBLIC_V4)  # even were a resolver to say "public", the spelling itself is refused
    with pytest.raises(OutboundRefused, match="non-canonical IPv4 literal"):
        resolve_checked(host, 80)
    assert asked == []


def test_the_client_refuses_a_metadata_address_without_connecting(resolves_to):
    resolves_to("169.254.169.254")
    with outbound_client() as client, pytest.raises(OutboundRefused, match="169.254.169.254 is link-local"):
        client.get("http://metadata.example/latest/meta-data/")


def test_the_client_refuses_a_decimal_loopback_url(resolves_to):
    resolves_to("127.0.0.1")
    with outbound_client() as client, pytest.raises(OutboundRefused, match="non-canonical"):
        client.get("http://2130706433/")


@pytest.mark.parametrize("url", ["ftp://files.example.com/a.mp3", "file:///etc/passwd", "gopher://files.example.com/"])
def test_the_client_refuses_schemes_other_than_http_and_https(url):
    with outbound_client() as client, pytest.raises(OutboundRefused, match="scheme"):
        client.get(url)


def test_the_client_refuses_a_port_other_than_80_and_443_and_says_so(resolves_to):
    asked = resolves_to(PUBLIC_V4)
    with outbound_client() as client, pytest.raises(OutboundRefused, match="port 6379 is not allowed"):
        client.get("http://files.example.com:6379/")
    assert asked == []


@pytest.mark.parametrize(
    "host", ["10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "[::1]", "[::ffff:127.0.0.1]"]
)
def test_an_address_written_as_the_host_is_refused(resolves_to, host):
    resolves_to(host.strip("[]"))  # what a resolver answers for a literal: the address itself
    with pytest.raises(OutboundRefused, match="refused"):
        resolve_checked(host, 443)
