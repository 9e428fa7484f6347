"""`manage.py fake_phoneburner`: the fake `make run` starts, linking the demo user to itself."""

from __future__ import annotations

import pytest

from dialer.models import PhoneBurnerAccount
from tests.live_gunicorn import command_first_line

pytestmark = pytest.mark.django_db(transaction=True)


def first_line(*options: str) -> tuple[str, int]:
    """Start fake_phoneburner on the test database, read what it prints, stop it; (the line, exit code)."""
    return command_first_line(
        "fake_phoneburner", "--port", "0", *options, PHONEBURNER_BASE_URL="https://www.phoneburner.com"
    )


def test_it_links_the_user_to_itself_and_says_where_the_app_must_point(alice):
    line, returncode = first_line("--link", "alice")
    base = line.removeprefix("Fake PhoneBurner at ").split("/ ", 1)[0]
    assert line == (
        f"Fake PhoneBurner at {base}/ accepting fake-pb-token (Pat Dialer). alice is linked to it as Pat Dialer. "
        f"The app talks to https://www.phoneburner.com: set PHONEBURNER_BASE_URL={base}."
    )
    account = PhoneBurnerAccount.objects.get(user=alice)
    assert (account.access_token, account.member_name) == ("fake-pb-token", "Pat Dialer")
    assert returncode == 0  # SIGTERM (what make run sends) stops it cleanly


def test_without_the_user_it_still_serves_and_says_why(db):
    line, returncode = first_line("--link", "demo")
    assert "No user 'demo' to link to it (python manage.py seed_demo makes the demo one)." in line
    assert returncode == 0  # make run stops every part when one ends
