"""The operator commands: each prints its result on its last line, bad input is a one-line error."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError

from franchises.models import ApiToken, Franchise, Location, Membership, hash_token

pytestmark = pytest.mark.django_db


def run(*args: str, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue().strip().splitlines()[-1]


def test_create_franchise_prints_the_uuid_of_the_new_franchise():
    printed = run("create_franchise", "Harbor Flood Pros", "--timezone", "America/Denver", "--region", "ca")
    franchise = Franchise.objects.get(pk=uuid.UUID(printed))
    assert (franchise.name, franchise.timezone, franchise.phone_region) == (
        "Harbor Flood Pros",
        "America/Denver",
        "CA",
    )


@pytest.mark.parametrize(
    "args, reason",
    [
        (["Harbor", "--timezone", "Mars/Olympus"], "Unknown time zone"),
        (["Harbor", "--region", "XX"], "Unknown phone region"),
        (["  "], "NAME must be"),
    ],
)
def test_create_franchise_rejects_bad_input(args, reason):
    with pytest.raises(CommandError, match=reason):
        run("create_franchise", *args)
    assert not Franchise.objects.exists()


def test_create_franchise_refuses_a_duplicate_name(franchise_a):
    with pytest.raises(CommandError, match="already exists"):
        run("create_franchise", franchise_a.name)


def test_create_location_accepts_the_franchise_by_name_or_uuid(franchise_a):
    by_name = Location.objects.get(pk=run("create_location", "--franchise", franchise_a.name, "East"))
    by_id = Location.objects.get(pk=run("create_location", "--franchise", str(franchise_a.pk), "West"))
    assert by_name.franchise == by_id.franchise == franchise_a


def test_create_location_rejects_an_unknown_franchise_and_a_duplicate(location_a):
    with pytest.raises(CommandError, match="No franchise"):
        run("create_location", "--franchise", "Nobody Restoration", "East")
    with pytest.raises(CommandError, match="No franchise"):
        run("create_location", "--franchise", str(uuid.uuid4()), "East")
    with pytest.raises(CommandError, match="already has a location"):
        run("create_location", "--franchise", location_a.franchise.name, location_a.name)


def test_create_api_token_prints_a_token_that_is_stored_only_as_a_hash(franchise_a):
    plaintext = run("create_api_token", "--franchise", franchise_a.name, "--name", "Zapier", "--expires-in-days", "30")
    token = ApiToken.objects.get()
    assert plaintext.startswith("bds_") and len(plaintext) > 40
    assert token.token_hash == hash_token(plaintext) and plaintext not in (token.prefix, token.token_hash)
    assert plaintext.startswith(token.prefix)
    assert (token.franchise, token.label, token.is_active) == (franchise_a, "Zapier", True)
    assert token.expires_at is not None


@pytest.mark.parametrize("days", ["0", "-3"])
def test_create_api_token_rejects_a_bad_expiry(franchise_a, days):
    with pytest.raises(CommandError, match="expires-in-days"):
        run("create_api_token", "--franchise", franchise_a.name, "--expires-in-days", days)
    assert not ApiToken.objects.exists()


def test_revoke_api_token_by_the_whole_token_or_by_its_prefix(franchise_a):
    first, first_plain = ApiToken.issue(franchise=franchise_a, label="one")
    second, _ = ApiToken.issue(franchise=franchise_a, label="two")
    assert "Revoked" in run("revoke_api_token", first_plain)
    assert "Revoked" in run("revoke_api_token", second.prefix)
    first.refresh_from_db()
    second.refresh_from_db()
    assert not first.is_active and not second.is_active
    assert "already revoked" in run("revoke_api_token", first_plain)


def test_revoke_api_token_rejects_an_unknown_token(franchise_a):
    token, _ = ApiToken.issue(franchise=franchise_a)
    with pytest.raises(CommandError, match="No token"):
        run("revoke_api_token", "bds_nothere1")
    with pytest.raises(CommandError, match="No such token"):
        run("revoke_api_token", "bds_" + "x" * 43)
    token.refresh_from_db()
    assert token.is_active


def test_revoke_api_token_refuses_an_ambiguous_prefix(franchise_a):
    one, _ = ApiToken.issue(franchise=franchise_a)
    ApiToken.objects.create(franchise=franchise_a, prefix=one.prefix, token_hash="0" * 64)
    with pytest.raises(CommandError, match="Several tokens"):
        run("revoke_api_token", one.prefix)
    assert ApiToken.objects.usable().count() == 2


def test_create_staff_user_makes_a_staff_member_who_can_sign_in(client, franchise_a):
    printed = run(
        "create_staff_user", "--franchise", franchise_a.name, "--role", "manager", "--password", "s3cret-pass", "dana"
    )
    assert "dana" in printed
    user = User.objects.get(username="dana")
    assert user.is_staff and not user.is_superuser
    assert Membership.objects.get(user=user).role == "manager"
    assert client.login(username="dana", password="s3cret-pass")
    assert user.has_perm("calls.view_call") and user.has_perm("contacts.change_contact")
    assert not user.has_perm("franchises.add_apitoken")


def test_create_staff_user_takes_the_password_from_the_environment(monkeypatch, client, franchise_a):
    monkeypatch.setenv("STAFF_PASSWORD", "from-the-env-1")
    run("create_staff_user", "--franchise", str(franchise_a.pk), "--role", "agent", "erin")
    assert client.login(username="erin", password="from-the-env-1")


def test_create_staff_user_adds_a_membership_to_an_existing_user(alice, franchise_b):
    run("create_staff_user", "--franchise", franchise_b.name, "--role", "agent", "alice")
    roles = dict(Membership.objects.filter(user=alice).values_list("franchise__name", "role"))
    assert roles == {"Aqua Restoration North": "owner", "Blue Sky Restoration": "agent"}
    alice.refresh_from_db()
    assert alice.check_password("correct-horse-battery")  # unchanged: no password given


@pytest.mark.parametrize(
    "args, reason",
    [
        (["--role", "agent", "newbie"], "needs a password"),
        (["--role", "agent", "--password", "short", "newbie"], "too short"),
        (["--role", "agent", "--password", "long-enough-1", "bad name!"], "valid username"),
    ],
)
def test_create_staff_user_rejects_bad_input(monkeypatch, franchise_a, args, reason):
    monkeypatch.delenv("STAFF_PASSWORD", raising=False)
    with pytest.raises(CommandError, match=reason):
        run("create_staff_user", "--franchise", franchise_a.name, *args)
    assert not User.objects.exists()


def test_create_staff_user_rejects_an_unknown_role(franchise_a):
    with pytest.raises(CommandError, match="invalid choice"):
        run("create_staff_user", "--franchise", franchise_a.name, "--role", "boss", "--password", "long-enough-1", "x")


def test_bad_input_exits_non_zero_with_a_one_line_reason():
    """As an operator sees it: a real process, its exit status and what it printed."""
    manage = Path(settings.BASE_DIR) / "manage.py"
    done = subprocess.run(
        [sys.executable, str(manage), "create_franchise", "Harbor", "--timezone", "Mars/Olympus"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings"},
    )
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "CommandError: Unknown time zone 'Mars/Olympus'; use an IANA name such as America/Chicago."
    ]
