"""The client's address behind a reverse proxy, believed only from the proxies we run.

Anyone can send `X-Forwarded-For` and `X-Forwarded-Proto`. Behind a proxy, `REMOTE_ADDR` is the
proxy, so the failed-authentication limiter (keyed on the client's address) and the request log
need the address the proxy saw; but if the headers were honoured from anybody, a token guesser
would send a new `X-Forwarded-For` with every try and never be limited. So: when the peer is one of
`TRUSTED_PROXIES` (addresses or networks), `REMOTE_ADDR` becomes the nearest address in the
`X-Forwarded-For` chain that is not itself a trusted proxy; from any other peer both headers are
dropped before anything reads them (which is also what makes `SECURE_PROXY_SSL_HEADER` safe), and
so is `X-Request-ID` (config/request_log.py keeps only a trusted proxy's).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from functools import cache

from django.conf import settings
from django.http import HttpRequest, HttpResponse

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """`["10.0.0.5", "192.168.0.0/16"]` as networks; a bad entry raises ValueError naming it."""
    networks = []
    for value in values:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            raise ValueError(f"not an IP address or network: {value!r}") from None
    return tuple(networks)


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":")[0]
    try:
        return ipaddress.ip_address(value)
    except ValueError:
        return None


def client_address(remote_addr: str, forwarded_for: str | None, trusted: tuple[Network, ...]) -> str:
    """The client's address: walk `X-Forwarded-For` from the right (each proxy appends the address
    it was reached from) past our own proxies; the first address that is not ours is the client."""

    def ours(address) -> bool:
        return address is not None and any(address in network for network in trusted)

    if not ours(_address(remote_addr)):
        return remote_addr
    client = remote_addr
    for hop in reversed((forwarded_for or "").split(",")):
        address = _address(hop)
        if address is None:  # not an address: nothing further left can be believed either
            break
        client = str(address)
        if not ours(address):
            break
    return client


@cache
def _networks(values: tuple[str, ...]) -> tuple[Network, ...]:
    return parse_networks(values)


def _trusted() -> tuple[Network, ...]:
    return _networks(tuple(settings.TRUSTED_PROXIES))


class TrustedProxyMiddleware:
    """Sets `REMOTE_ADDR` to the client's address as our proxies report it; drops the proxy headers
    from anyone else. First in the chain, before the HTTPS redirect reads `X-Forwarded-Proto`."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        meta = request.META
        trusted = _trusted()
        remote = meta.get("REMOTE_ADDR", "")
        peer = _address(remote)
        if peer is not None and any(peer in network for network in trusted):
            meta["REMOTE_ADDR"] = client_address(remote, meta.get("HTTP_X_FORWARDED_FOR"), trusted)
        else:
            for header in (
                "HTTP_X_FORWARDED_FOR",
                "HTTP_X_FORWARDED_PROTO",
                "HTTP_X_FORWARDED_HOST",
                "HTTP_X_REQUEST_ID",
            ):
                meta.pop(header, None)
        return self.get_response(request)
