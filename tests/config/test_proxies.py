"""X-Forwarded-For and -Proto are believed from TRUSTED_PROXIES only (config/proxies.py)."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings

from config.proxies import client_address, parse_networks

pytestmark = pytest.mark.django_db

PROXY = "127.0.0.2"  # the load balancer, as the app sees it
TRUSTED = parse_networks([PROXY, "127.0.1.0/24"])


def guess(client: Client, forwarded_for: str | None = None):
    headers = {"Authorization": "Bearer bds_wrong-guess"}
    if forwarded_for:
        headers["X-Forwarded-For"] = forwarded_for
    return client.get("/data/locations", headers=headers).status_code


@override_settings(API_AUTH_FAILURES_PER_MINUTE=3, TRUSTED_PROXIES=[PROXY])
def test_two_clients_behind_our_proxy_are_limited_each_by_their_own_address():
    behind_proxy = Client(REMOTE_ADDR=PROXY)

    mallory = [guess(behind_proxy, "198.51.100.9") for _ in range(4)]
    alice = guess(behind_proxy, "203.0.113.7")

    assert mallory == [401, 401, 401, 429]
    assert alice == 401  # the proxy's other clients are not locked out with mallory


@override_settings(API_AUTH_FAILURES_PER_MINUTE=3, TRUSTED_PROXIES=[PROXY])
def test_a_forwarded_for_header_from_anyone_else_is_ignored():
    direct = Client(REMOTE_ADDR="127.0.0.9")

    answers = [guess(direct, f"198.51.100.{n}") for n in range(4)]  # a fresh "address" each try

    assert answers == [401, 401, 401, 429]


@override_settings(
    TRUSTED_PROXIES=[], SECURE_SSL_REDIRECT=True, SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")
)
def test_only_our_proxy_can_say_a_request_came_over_https():
    from_proxy = Client(REMOTE_ADDR=PROXY).get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})
    with override_settings(TRUSTED_PROXIES=[PROXY]):
        trusted = Client(REMOTE_ADDR=PROXY).get("/accounts/login/", headers={"X-Forwarded-Proto": "https"})

    assert from_proxy.status_code == 301 and from_proxy["Location"].startswith("https://")
    assert trusted.status_code == 200


@pytest.mark.parametrize(
    ("remote", "forwarded_for", "client"),
    [
        ("127.0.0.2", "203.0.113.7", "203.0.113.7"),
        ("127.0.0.2", "198.51.100.1, 203.0.113.7", "203.0.113.7"),  # the left one is the client's own claim
        ("127.0.0.2", "203.0.113.7, 127.0.1.5", "203.0.113.7"),  # two of our proxies in a row
        ("127.0.0.2", "203.0.113.7:51234", "203.0.113.7"),
        ("127.0.0.2", "[2001:db8::7]:443", "2001:db8::7"),
        ("127.0.0.2", "not-an-address, 127.0.1.5", "127.0.1.5"),
        ("127.0.0.2", None, "127.0.0.2"),
        ("127.0.0.9", "203.0.113.7", "127.0.0.9"),  # not our proxy: its header means nothing
    ],
)
def test_the_client_is_the_nearest_address_that_is_not_our_proxy(remote, forwarded_for, client):
    assert client_address(remote, forwarded_for, TRUSTED) == client


def test_a_bad_proxy_entry_is_named():
    with pytest.raises(ValueError, match="10.0.0.300"):
        parse_networks(["10.0.0.300"])
