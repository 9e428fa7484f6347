"""Dialer fixtures: the fake PhoneBurner on a free 127.0.0.1 port with the app pointed at it,
linked accounts for the personas, contacts, and PhoneBurner's callbacks delivered to the app."""

from __future__ import annotations

import itertools
from urllib.parse import urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from contacts.models import Contact
from contacts.services import contact_upsert
from dialer.models import DialSession, PhoneBurnerAccount
from dialer.phoneburner.fake import FakePhoneBurner, running
from franchises.models import Franchise

TOKENS = {"alice-pb-token": "Alice Owner", "bob-pb-token": "Bob Agent", "carol-pb-token": "Carol Owner"}
_phones = itertools.count(1000)


@pytest.fixture(autouse=True)
def fresh_cache():
    """The queue count and usage are cached; each test starts with none."""
    cache.clear()


@pytest.fixture
def fake_pb(settings):
    """The fake PhoneBurner, serving; the app's PHONEBURNER_BASE_URL points at it. Its callbacks go
    to SITE_URL (http://testserver), which it refuses to send off-box: `deliver` hands them to the
    app instead."""
    fake = FakePhoneBurner(tokens=TOKENS)
    with running(fake) as base:
        settings.PHONEBURNER_BASE_URL = base
        settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
        fake.base = base
        yield fake


@pytest.fixture
def link():
    """`link(user)`: the user's PhoneBurner account linked with their fake token."""

    def make(user, token: str | None = None) -> PhoneBurnerAccount:
        token = token or f"{user.username}-pb-token"
        return PhoneBurnerAccount.objects.create(
            user=user,
            access_token=token,
            member_id="1234567",
            member_name=TOKENS.get(token, "?"),
            linked_at=timezone.now(),
        )

    return make


@pytest.fixture
def make_contact(db):
    """`make_contact(franchise, "Ann Lee", phone=...)`: a contact made through the contacts service."""

    def make(franchise: Franchise, name: str = "Ann Lee", *, phone: str | None = None, **fields) -> Contact:
        first, _, last = name.partition(" ")
        phone = phone or f"+1555201{next(_phones):04d}"
        contact, _ = contact_upsert(
            franchise=franchise, primary_phone=phone, first_name=first, last_name=last or None, **fields
        )
        return contact

    return make


def deliver(fake: FakePhoneBurner, client: Client | None = None) -> list[int]:
    """Send the app every callback the fake has tried since the last call, as PhoneBurner would
    (JSON POSTs to the URLs it was given); returns the app's status codes."""
    client = client or Client()
    sent = getattr(fake, "_delivered", 0)
    statuses = []
    for delivery in fake.deliveries[sent:]:
        if delivery.error and "dropped" in delivery.error:
            continue
        path = urlsplit(delivery.url).path
        statuses.append(client.post(path, delivery.body, content_type="application/json").status_code)
    fake._delivered = len(fake.deliveries)
    return statuses


@pytest.fixture
def launched(fake_pb, link, signed_in):
    """`launched(user, contacts)`: a session launched through the dialog's POST; returns (session,
    the fake dialer page's redirect URL)."""

    def launch(user, contacts: list[Contact], **form) -> tuple[DialSession, str]:
        if not PhoneBurnerAccount.objects.filter(user=user).exists():
            link(user)
        response = signed_in(user).post(
            "/dialer/new/", {"contact": [c.pk for c in contacts], "mode": "preview", **form}
        )
        assert response.status_code == 303, response.content.decode()[:2000]
        return DialSession.objects.latest("created_at"), response["Location"]

    return launch
