"""One line per request in production: method, path, status, duration, franchise, request id; never a
token, cookie, password or secret (config/request_log.py)."""

from __future__ import annotations

import logging
import re

import pytest
from django.test import Client, RequestFactory
from django.urls import ResolverMatch

from config.request_log import loggable_path
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db
LINE = re.compile(
    r"^request method=(\S+) path=(\S+) status=(\d+) duration_ms=[\d.]+ franchise=(\S+) request_id=(\S+) client=(\S+)$"
)


@pytest.fixture
def request_log(settings, caplog):
    """The request lines written from now on (REQUEST_LOG on, as in production)."""
    settings.REQUEST_LOG = True
    logger = logging.getLogger("breesy.requests")
    logger.addHandler(caplog.handler)  # the logger does not propagate: it writes to stdout itself
    try:
        yield lambda: [r.getMessage() for r in caplog.records if r.name == "breesy.requests"]
    finally:
        logger.removeHandler(caplog.handler)


def test_an_api_request_is_one_line_with_its_franchise_and_request_id(request_log, franchise_a, token_a):
    client = Client(headers={"Authorization": f"Bearer {token_a}"})

    response = client.get("/data/calls", {"page_size": 5, "phone": "+15550001111"})

    [line] = request_log()
    method, path, status, franchise, request_id, address = LINE.match(line).groups()
    assert (method, path, status, franchise) == ("GET", "/data/calls", "200", str(franchise_a.pk))
    assert request_id == response["X-Request-ID"] and len(request_id) >= 8
    assert address == "127.0.0.1"
    assert token_a not in line and "15550001111" not in line


def test_a_staff_sign_in_and_page_log_no_password_or_cookie(request_log, alice, franchise_a):
    client = Client()

    client.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    client.get("/calls/")

    lines = request_log()
    assert [LINE.match(line).group(1, 2) for line in lines] == [("POST", "/accounts/login/"), ("GET", "/calls/")]
    assert LINE.match(lines[1]).group(4) == str(franchise_a.pk)
    session = client.cookies["sessionid"].value
    assert not any(PASSWORD in line or session in line for line in lines)


def test_a_request_id_is_kept_only_from_our_proxy(request_log, settings):
    settings.TRUSTED_PROXIES = ["127.0.0.2"]

    from_proxy = Client(REMOTE_ADDR="127.0.0.2").get("/accounts/login/", headers={"X-Request-ID": "lb-0123456789"})
    from_anyone = Client(REMOTE_ADDR="127.0.0.9").get("/accounts/login/", headers={"X-Request-ID": "lb-0123456789"})

    assert from_proxy["X-Request-ID"] == "lb-0123456789"
    assert from_anyone["X-Request-ID"] != "lb-0123456789"


def test_a_crafted_path_cannot_forge_a_second_line(request_log):
    Client().get("/no/such%0Apage%20status=200")

    [line] = request_log()
    assert "\n" not in line and LINE.match(line).group(2) == "/no/such%0Apage%20status=200"


def test_a_secret_in_the_url_is_masked():
    request = RequestFactory().get("/dialer/callbacks/s3cr3t-value/calldone")
    request.resolver_match = ResolverMatch(lambda r: None, (), {"session_secret": "s3cr3t-value"})

    assert loggable_path(request) == "/dialer/callbacks/***/calldone"


def test_development_writes_no_request_lines(settings, caplog):
    settings.REQUEST_LOG = False
    logging.getLogger("breesy.requests").addHandler(caplog.handler)
    try:
        Client().get("/accounts/login/")
    finally:
        logging.getLogger("breesy.requests").removeHandler(caplog.handler)

    assert not [r for r in caplog.records if r.name == "breesy.requests"]
