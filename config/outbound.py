"""Every outbound HTTP request (audio fetch, CRM, PhoneBurner) goes through a client made here.

The guard (SSRF): only http and https; only ports 80 and 443; and at connect time the host is
resolved, every address checked (no loopback, private, link-local, multicast, reserved or
unspecified address, nor an IPv6 form that wraps one), and the socket connects to the address
that was checked, so a DNS answer that changes between the check and the connect (rebinding)
cannot slip past. Hosts listed in `OUTBOUND_ALLOWED_HOSTS` (`host` or `host:port`) are exempt
from the address and port rules: local development and tests talk to 127.0.0.1.

Plumbing: imports no app.
"""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import random
import re
import socket
import ssl
import time
from collections.abc import Callable

import certifi
import httpcore
import httpx
from django.conf import settings

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

STANDARD_PORTS = frozenset({80, 443})
SAFE_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})  # idempotent: a repeat is harmless
RETRY_ERRORS = (httpx.ConnectError, httpx.TimeoutException, httpx.RemoteProtocolError, httpx.ReadError)

_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
# inet_aton's other spellings of an IPv4 address ("2130706433", "0x7f000001", "0177.0.0.1", "127.1"),
# which resolvers turn into an address but ipaddress does not read: refused outright.
_NUMERIC_HOST = re.compile(r"^(0x[0-9a-f]*|[0-9]+)(\.(0x[0-9a-f]*|[0-9]+)){0,3}\.?$", re.IGNORECASE)


class OutboundRefused(Exception):
    """The guard refused a request's scheme, port or address; the message says which."""


# --- The decision --------------------------------------------------------------------------------


def _allowed_entries() -> set[tuple[str, int | None]]:
    """`OUTBOUND_ALLOWED_HOSTS` as (host, port or None) pairs: `host`, `host:port`, `[v6]`, `[v6]:port`."""
    entries = set()
    for raw in getattr(settings, "OUTBOUND_ALLOWED_HOSTS", []):
        item = raw.strip().lower()
        port: int | None = None
        if item.startswith("["):
            host, _, rest = item[1:].partition("]")
            if rest.startswith(":") and rest[1:].isdigit():
                port = int(rest[1:])
        elif item.count(":") == 1:
            host, _, port_text = item.partition(":")
            port = int(port_text) if port_text.isdigit() else None
        else:
            host = item
        entries.add((host.rstrip("."), port))
    return entries


def host_allowed(host: str, port: int) -> bool:
    """Is this host (on this port) listed in `OUTBOUND_ALLOWED_HOSTS`, so exempt from the address and port rules?"""
    host = host.strip("[]").rstrip(".").lower()
    entries = _allowed_entries()
    return (host, None) in entries or (host, port) in entries


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, compatible, 6to4, Teredo, NAT64), if any."""
    if ip.ipv4_mapped:
        return ip.ipv4_mapped
    if ip.sixtofour:
        return ip.sixtofour
    if ip.teredo:
        return ip.teredo[1]
    if ip in _NAT64:
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if int(ip) >> 32 == 0 and int(ip) > 1:  # IPv4-compatible ::a.b.c.d (deprecated, still routed by some stacks)
        return ipaddress.IPv4Address(int(ip))
    return None


def _address_refusal(ip: IPAddress) -> str | None:
    """Why this address may not be a destination, or None when it is an ordinary public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.scope_id:
            return f"address {ip} has a scope (link-local)"
        inner = _embedded_ipv4(ip)
        if inner is not None:
            reason = _address_refusal(inner)
            return f"address {ip} wraps {inner}: {reason}" if reason else None
    for kind in ("loopback", "unspecified", "link_local", "multicast", "private", "reserved"):
        if getattr(ip, f"is_{kind}"):
            return f"address {ip} is {kind.replace('_', '-')}"
    if isinstance(ip, ipaddress.IPv6Address) and ip.is_site_local:
        return f"address {ip} is site-local"
    if not ip.is_global:  # shared (100.64/10), documentation and the other special-purpose ranges
        return f"address {ip} is not a public address"
    return None


def _refusal(host: str, port: int, ip: IPAddress) -> str | None:
    if host_allowed(host, port):
        return None
    if port not in STANDARD_PORTS:
        return f"port {port} is not allowed (only 80 and 443) for {host}"
    return _address_refusal(ip)


def address_allowed(host: str, port: int, ip: IPAddress) -> bool:
    """May a request for `host:port` connect to `ip`? The whole decision, with no I/O."""
    return _refusal(host, port, ip) is None


def resolve_checked(host: str, port: int) -> list[IPAddress]:
    """Resolve `host` and check every address; raises OutboundRefused naming the first refused one."""
    bare = host.strip("[]")
    if _NUMERIC_HOST.match(bare) and not _is_dotted_quad(bare) and not host_allowed(bare, port):
        raise OutboundRefused(f"host {host!r} is a non-canonical IPv4 literal")
    try:
        infos = socket.getaddrinfo(bare, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise httpcore.ConnectError(f"cannot resolve {host!r}: {exc}") from exc
    addresses: list[IPAddress] = []
    for info in infos:
        ip = ipaddress.ip_address(info[4][0])  # an IPv6 scope ("fe80::1%eth0") is kept, and refused
        reason = _refusal(bare, port, ip)
        if reason:
            raise OutboundRefused(f"refused {host}:{port}: {reason}")
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise httpcore.ConnectError(f"{host!r} has no address")
    return addresses


def _is_dotted_quad(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)  # strict: four decimal parts, no leading zeros
    except ValueError:
        return False
    return True


# --- The transport --------------------------------------------------------------------------------


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One TLS context for every client: loading the CA bundle takes ~0.2 s, and a context is thread-safe."""
    return ssl.create_default_context(cafile=certifi.where())


class _GuardedBackend(httpcore.SyncBackend):
    """httpcore's socket backend, resolving and checking the host itself and connecting to that address."""

    def connect_tcp(self, host: str, port: int, timeout=None, local_address=None, socket_options=None):
        last_error: Exception | None = None
        for ip in resolve_checked(host, port):
            try:
                return super().connect_tcp(str(ip), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:  # try the next checked address, as create_connection would
                last_error = exc
        raise last_error  # type: ignore[misc]  # resolve_checked never returns an empty list


class _GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with the scheme and port rules per request and the guarded backend per connection.

    Redirect hops are separate requests through this transport, so each hop is checked the same way.
    """

    def __init__(self) -> None:
        super().__init__(verify=_ssl_context(), trust_env=False)
        limits = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)
        # httpx takes no network backend, so the pool is rebuilt with ours. It stays an httpcore
        # ConnectionPool, which is what respx patches: tests can still mock these clients.
        self._pool = httpcore.ConnectionPool(
            ssl_context=_ssl_context(),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        url = request.url
        if url.scheme not in ("http", "https"):
            raise OutboundRefused(f"scheme {url.scheme!r} is not allowed (only http and https)")
        port = url.port or (443 if url.scheme == "https" else 80)
        if port not in STANDARD_PORTS and not host_allowed(url.host, port):
            raise OutboundRefused(f"port {port} is not allowed (only 80 and 443) for {url.host}")
        return super().handle_request(request)


def outbound_client(
    *,
    base_url: str = "",
    timeout: float | None = None,
    headers: dict | None = None,
    max_redirects: int = 3,
    follow_redirects: bool = False,
) -> httpx.Client:
    """An httpx.Client behind the guard, with a timeout and no proxies or settings from the environment."""
    return httpx.Client(
        base_url=base_url,
        timeout=settings.OUTBOUND_HTTP_TIMEOUT if timeout is None else timeout,
        headers=headers,
        max_redirects=max_redirects,
        follow_redirects=follow_redirects,
        trust_env=False,
        transport=_GuardedTransport(),
    )


# --- Retries --------------------------------------------------------------------------------------


def retry_after_seconds(response: httpx.Response, *, now: float | None = None) -> float | None:
    """The wait a `Retry-After` header asks for (seconds or an HTTP date), or None when absent or unreadable."""
    value = response.headers.get("retry-after", "").strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when is None or when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def backoff_delay(attempt: int, *, base_delay: float, max_delay: float) -> float:
    """Exponential backoff with full jitter: a uniform wait up to base·2^attempt, capped."""
    return random.uniform(0, min(max_delay, base_delay * 2**attempt))


def _should_retry(response: httpx.Response) -> bool:
    return response.status_code == 429 or response.status_code >= 500


def send_with_retries(
    client: httpx.Client,
    request: httpx.Request,
    *,
    attempts: int = 5,
    base_delay: float = 0.5,
    max_delay: float = 30.0,
    sleep: Callable[[float], None] = time.sleep,
    stream: bool = False,
) -> httpx.Response:
    """Send `request`, retrying connect errors, timeouts, 429 and 5xx when a repeat is safe.

    Only idempotent methods are retried; a POST is sent once (a repeat could, say, start a second dial
    session). Returns the last response whatever its status; raises the last error when every attempt
    failed to get one. OutboundRefused is never retried.
    """
    tries = attempts if request.method.upper() in SAFE_METHODS else 1
    for attempt in range(tries):
        last = attempt == tries - 1
        try:
            response = client.send(request, stream=stream)
        except RETRY_ERRORS:
            if last:
                raise
            sleep(backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay))
            continue
        if last or not _should_retry(response):
            return response
        asked = retry_after_seconds(response)
        response.close()
        if asked is None:
            asked = backoff_delay(attempt, base_delay=base_delay, max_delay=max_delay)
        sleep(min(asked, max_delay))
    raise AssertionError("unreachable")  # pragma: no cover
