"""Staff sign-in (/accounts/login/ and /admin/login/) is throttled per username and per client
address, across processes; the lockout page says when to try again and nothing about the account."""

from __future__ import annotations

import http.cookiejar
import logging
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings

from tests.conftest import PASSWORD
from tests.live_gunicorn import gunicorn_servers

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("throttled")]
LIMIT = 5
ALERT = re.compile(rb'role="alert">([^<]*)<')


@pytest.fixture
def throttled():
    with override_settings(AXES_ENABLED=True):
        yield


def sign_in(client: Client, username: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def fail(client: Client, username: str, times: int, path: str = "/accounts/login/") -> list[int]:
    return [sign_in(client, username, "wrong-password", path).status_code for _ in range(times)]


def test_the_right_password_is_refused_after_five_failures(alice):
    client = Client()

    assert fail(client, "alice", LIMIT - 1) == [200] * (LIMIT - 1)
    assert sign_in(client, "alice", "wrong-password").status_code == 429
    locked = sign_in(client, "alice", PASSWORD)

    assert locked.status_code == 429
    assert locked["Retry-After"] == "900"
    assert ALERT.search(locked.content).group(1) == b"Too many failed sign-ins. Try again in 15 minutes."
    assert "_auth_user_id" not in client.session


def test_fewer_failures_then_the_right_password_signs_in_and_starts_the_count_again(alice):
    client = Client()
    fail(client, "alice", LIMIT - 1)

    assert sign_in(client, "alice", PASSWORD).status_code == 302
    client.logout()
    assert fail(client, "alice", LIMIT - 1) == [200] * (LIMIT - 1)


def test_an_unknown_username_is_locked_out_with_the_same_words(alice):
    known, unknown = Client(REMOTE_ADDR="10.0.0.1"), Client(REMOTE_ADDR="10.0.0.2")
    fail(known, "alice", LIMIT)
    fail(unknown, "nobody-here", LIMIT)

    answers = [sign_in(known, "alice", "x"), sign_in(unknown, "nobody-here", "x")]

    assert [a.status_code for a in answers] == [429, 429]
    assert ALERT.search(answers[0].content).group(1) == ALERT.search(answers[1].content).group(1)


def test_one_address_trying_many_usernames_is_locked_out(alice):
    client = Client()
    for n in range(LIMIT):
        sign_in(client, f"guess{n}", "wrong-password")

    assert sign_in(client, "alice", PASSWORD).status_code == 429


def test_one_username_tried_from_many_addresses_is_locked_out(alice):
    for n in range(LIMIT):
        sign_in(Client(REMOTE_ADDR=f"10.0.1.{n}"), "alice", "wrong-password")

    assert sign_in(Client(REMOTE_ADDR="10.0.2.1"), "alice", PASSWORD).status_code == 429


def test_the_admin_sign_in_counts_the_same_failures(alice):
    client = Client()
    fail(client, "alice", 2, path="/admin/login/")
    fail(client, "alice", LIMIT - 2)

    assert sign_in(client, "alice", PASSWORD, path="/admin/login/").status_code == 429


def test_the_lockout_page_obeys_the_strict_policy(alice):
    client = Client()
    fail(client, "alice", LIMIT)
    page = sign_in(client, "alice", PASSWORD)

    assert "script-src 'self'" in page["Content-Security-Policy"]
    assert "style-src 'self'" in page["Content-Security-Policy"]
    html = page.content.decode()
    assert "<style" not in html and " style=" not in html
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", html))


def test_sign_ins_and_lockouts_are_logged(alice, caplog):
    caplog.set_level(logging.INFO, logger="axes")
    sign_in(Client(REMOTE_ADDR="10.0.3.1"), "alice", PASSWORD)
    fail(Client(REMOTE_ADDR="10.0.3.2"), "mallory", LIMIT)

    messages = [record.getMessage() for record in caplog.records if record.name.startswith("axes")]
    assert any("Successful login" in m and "alice" in m for m in messages)
    assert any("Locking out" in m and "mallory" in m for m in messages)
    assert not any(PASSWORD in m or "wrong-password" in m for m in messages)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browser:
    """Posts sign-in forms to a live server with a CSRF cookie, each request on a new connection."""

    def __init__(self, base: str) -> None:
        self.base, self.jar = base, http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), NoRedirect)
        self.opener.open(base + "/accounts/login/", timeout=30).read()
        self.token = next(c.value for c in self.jar if c.name == "csrftoken")

    def sign_in(self, path: str, username: str, password: str) -> int:
        body = urllib.parse.urlencode({"username": username, "password": password, "csrfmiddlewaretoken": self.token})
        request = urllib.request.Request(self.base + path, body.encode(), headers={"Referer": self.base + path})
        try:
            return self.opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code


@pytest.mark.django_db(transaction=True)
def test_four_gunicorn_workers_count_the_same_failures(alice):
    with gunicorn_servers() as start:
        base, _ = start("--workers", "4", "--preload", "--graceful-timeout", "2", LOG_LEVEL="WARNING")
        browser = Browser(base)
        # A sync worker closes every connection, so successive requests land on different workers.
        statuses = [browser.sign_in("/accounts/login/", "alice", "wrong-password") for _ in range(LIMIT)]
        last = browser.sign_in("/admin/login/", "alice", PASSWORD)

    assert statuses == [200] * (LIMIT - 1) + [429]
    assert last == 429
    assert User.objects.get(username="alice").last_login is None
