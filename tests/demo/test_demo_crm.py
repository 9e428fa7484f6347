"""`manage.py demo_crm`: the fake CRM `make run` starts, with the demo franchise connected to it."""

from __future__ import annotations

import pytest

from contacts.models import CrmConnection
from demo.seed import FRANCHISE_NAME
from franchises.models import Franchise
from tests.live_gunicorn import command_first_line

pytestmark = pytest.mark.django_db(transaction=True)


def first_line(*options: str) -> tuple[str, int]:
    """Start demo_crm on the test database, read what it prints, stop it; (the line, exit code)."""
    return command_first_line("demo_crm", "--contacts", "40", *options)


def test_it_serves_a_fake_crm_and_connects_the_demo_franchise_to_it():
    franchise = Franchise.objects.create(name=FRANCHISE_NAME)
    line, returncode = first_line("--site-url", "http://127.0.0.1:8000")
    connection = CrmConnection.objects.get(franchise=franchise)
    assert line == (
        f"Fake CRM with 40 contacts at {connection.base_url}; {FRANCHISE_NAME} is connected to it "
        "(watch a sync: http://127.0.0.1:8000/settings/crm/)"
    )
    assert returncode == 0


def test_without_the_demo_franchise_it_still_serves_and_says_why():
    line, returncode = first_line()
    assert line.endswith("; no demo franchise to connect to it (python manage.py seed_demo makes one)")
    assert returncode == 0  # make run stops every part when one ends
