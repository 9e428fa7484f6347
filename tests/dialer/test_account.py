"""Linking a PhoneBurner account: the settings page and `link_phoneburner`. The token is checked
with PhoneBurner, encrypted at rest, and never shown, logged or printed again."""

from __future__ import annotations

import io
import logging

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from dialer.models import PhoneBurnerAccount

pytestmark = pytest.mark.django_db

TOKEN = "alice-pb-token"


def stored_token(user) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM dialer_phoneburneraccount WHERE user_id = %s", [user.pk])
        return cursor.fetchone()[0]


def test_a_token_pasted_on_the_settings_page_is_checked_and_shown_as_linked_as(fake_pb, alice, signed_in, caplog):
    client = signed_in(alice)
    assert 'data-testid="phoneburner-unlinked"' in client.get("/settings/phoneburner/").content.decode()
    with caplog.at_level(logging.DEBUG):
        response = client.post("/settings/phoneburner/", {"action": "link", "token": f"  {TOKEN} "})
    assert response.status_code == 302
    page = client.get("/settings/phoneburner/").content.decode()
    assert "Linked as <strong>Alice Owner</strong>" in page
    assert TOKEN not in page
    assert TOKEN not in caplog.text
    account = PhoneBurnerAccount.objects.get(user=alice)
    assert (account.access_token, account.member_id) == (TOKEN, "1234567")
    assert TOKEN not in stored_token(alice) and stored_token(alice).startswith("gAAAA")  # a Fernet token


def test_a_refused_token_is_not_kept_and_the_page_says_why(fake_pb, alice, signed_in):
    response = signed_in(alice).post("/settings/phoneburner/", {"action": "link", "token": "nope"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "PhoneBurner refused the token" in html and 'value="nope"' not in html
    assert not PhoneBurnerAccount.objects.exists()


def test_relinking_replaces_the_token_and_unlinking_forgets_it(fake_pb, alice, signed_in):
    client = signed_in(alice)
    client.post("/settings/phoneburner/", {"action": "link", "token": TOKEN})
    client.post("/settings/phoneburner/", {"action": "link", "token": "bob-pb-token"})
    assert PhoneBurnerAccount.objects.get(user=alice).member_name == "Bob Agent"
    client.post("/settings/phoneburner/", {"action": "unlink"})
    assert not PhoneBurnerAccount.objects.exists()
    assert 'data-testid="phoneburner-unlinked"' in client.get("/settings/phoneburner/").content.decode()


def test_each_user_sees_only_their_own_link(fake_pb, alice, bob, signed_in, link):
    link(alice)
    assert 'data-testid="phoneburner-unlinked"' in signed_in(bob).get("/settings/phoneburner/").content.decode()


def test_the_settings_page_needs_a_signed_in_user_and_a_csrf_token(fake_pb, alice, signed_in, client):
    assert client.get("/settings/phoneburner/").status_code == 302
    response = signed_in(alice, enforce_csrf_checks=True).post(
        "/settings/phoneburner/", {"action": "link", "token": TOKEN}
    )
    assert response.status_code == 403


def run(*args, **env) -> str:
    out = io.StringIO()
    call_command("link_phoneburner", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip().splitlines()[-1]


def test_link_phoneburner_prints_linked_as_the_member(fake_pb, alice):
    assert run("alice", "--token", TOKEN) == "linked as Alice Owner"
    assert PhoneBurnerAccount.objects.get(user=alice).access_token == TOKEN


def test_link_phoneburner_reads_the_token_from_the_environment(fake_pb, alice, monkeypatch):
    monkeypatch.setenv("PHONEBURNER_TOKEN", "bob-pb-token")
    assert run("alice") == "linked as Bob Agent"


@pytest.mark.parametrize(
    "args, reason",
    [
        (["alice", "--token", "wrong"], "PhoneBurner refused the token"),
        (["nobody", "--token", TOKEN], "No user 'nobody'"),
        (["alice"], "No token"),
    ],
)
def test_link_phoneburner_fails_with_a_one_line_reason(fake_pb, alice, monkeypatch, args, reason):
    monkeypatch.delenv("PHONEBURNER_TOKEN", raising=False)
    with pytest.raises(CommandError, match=reason) as error:
        run(*args)
    assert "\n" not in str(error.value) and "wrong" not in str(error.value)
    assert not PhoneBurnerAccount.objects.exists()
