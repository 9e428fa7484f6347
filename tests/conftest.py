"""Shared fixtures: two franchises and the named personas of STYLE.md.

Alice owns franchise A, Bob is a call-back agent at A, Carol owns franchise B.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import Client

from calls.models import Call
from franchises.models import Franchise, Location, Membership
from tests.fuzz_count import SENT

PASSWORD = "correct-horse-battery"
_ids = itertools.count(1)


def pytest_terminal_summary(terminalreporter):
    if SENT:
        parts = ", ".join(f"{part} {count}" for part, count in sorted(SENT.items()))
        terminalreporter.write_line(f"fuzz: {sum(SENT.values())} requests sent ({parts})")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres_only" in item.keywords and connection.vendor != "postgresql":
            item.add_marker(skip_pg)


@pytest.fixture
def franchise_a(db) -> Franchise:
    return Franchise.objects.create(name="Aqua Restoration North", timezone="America/Chicago")


@pytest.fixture
def franchise_b(db) -> Franchise:
    return Franchise.objects.create(name="Blue Sky Restoration", timezone="America/Los_Angeles")


@pytest.fixture
def location_a(franchise_a) -> Location:
    return Location.objects.create(franchise=franchise_a, name="North Branch")


@pytest.fixture
def location_a2(franchise_a) -> Location:
    return Location.objects.create(franchise=franchise_a, name="South Branch")


@pytest.fixture
def location_b(franchise_b) -> Location:
    return Location.objects.create(franchise=franchise_b, name="Harbor Branch")


def _staff(username: str, franchise: Franchise, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@example.com", PASSWORD, is_staff=True)
    Membership.objects.create(user=user, franchise=franchise, role=role)
    return user


@pytest.fixture
def alice(franchise_a) -> User:
    return _staff("alice", franchise_a, Membership.Role.OWNER)


@pytest.fixture
def bob(franchise_a) -> User:
    return _staff("bob", franchise_a, Membership.Role.AGENT)


@pytest.fixture
def carol(franchise_b) -> User:
    return _staff("carol", franchise_b, Membership.Role.OWNER)


@pytest.fixture
def signed_in(db):
    """`signed_in(alice)`: a test client signed in with the persona's password (keyword arguments,
    e.g. `enforce_csrf_checks=True`, go to the Client)."""

    def sign_in(user: User, **kwargs) -> Client:
        client = Client(**kwargs)
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return sign_in


@pytest.fixture
def make_call():
    """Build and save a call; unspecified fields get plausible values."""

    def make(franchise: Franchise, **fields) -> Call:
        n = next(_ids)
        defaults = {
            "conversation_id": f"CA{n:032x}",
            "caller_id": f"+1555{n % 10_000_000:07d}",
            "timestamp": datetime(2026, 6, 22, 18, 4, 11, tzinfo=UTC) - timedelta(minutes=n),
            "duration": 182,
            "agent_type": "afterhours",
            "call_category": "new_urgent_service_request",
            "transcript": "Agent: Thanks for calling. Caller: My basement is flooded.",
        }
        call = Call(franchise=franchise, **{**defaults, **fields})
        call.set_normalized_phones()
        call.save()
        return call

    return make


# Tokens, authenticated API clients and recordings for the Data Share API tests.
pytest_plugins = ["tests.api_fixtures", "tests.s3"]
