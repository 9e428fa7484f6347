"""`manage.py crm_connect` and `manage.py crm_sync`, against the fake CRM over real HTTP."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from contacts.models import Contact, CrmConnection


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def connect(franchise, server, crm, **overrides) -> str:
    options = {"base_url": server.base_url, "business_id": crm.business_id, "api_key": crm.api_key, **overrides}
    return run(
        "crm_connect",
        "--franchise",
        franchise.name,
        "--base-url",
        options["base_url"],
        "--business-id",
        options["business_id"],
        "--api-key",
        options["api_key"],
    )


def test_crm_connect_tests_the_key_then_prints_connected(franchise_a, crm_server, fake_crm):
    before = timezone.now()
    assert connect(franchise_a, crm_server, fake_crm).splitlines()[-1] == "connected"
    connection = CrmConnection.objects.get(franchise=franchise_a)
    assert connection.api_key == fake_crm.api_key
    assert str(connection.business_id) == fake_crm.business_id
    # The schedule's first sync comes one interval (15 minutes) after connecting.
    assert before + timedelta(minutes=15) <= connection.next_sync_at <= timezone.now() + timedelta(minutes=15)
    assert [r["params"]["limit"] for r in fake_crm.requests] == ["1"]


def test_the_key_is_encrypted_at_rest(franchise_a, crm_server, fake_crm):
    from django.db import connection as db

    connect(franchise_a, crm_server, fake_crm)
    with db.cursor() as cursor:
        cursor.execute("SELECT api_key FROM contacts_crmconnection")
        stored = cursor.fetchone()[0]
    assert fake_crm.api_key not in stored


def test_crm_connect_refuses_a_key_the_crm_refuses_and_saves_nothing(franchise_a, crm_server, fake_crm):
    with pytest.raises(CommandError, match="the CRM did not accept the connection: the CRM refused the key"):
        connect(franchise_a, crm_server, fake_crm, api_key="sk-ak-wrong")
    assert not CrmConnection.objects.exists()


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"base_url": "https://crm.example.com/api/v1"}, "base URL is the scheme and host only"),
        ({"base_url": "ftp://crm.example.com"}, "base URL must look like https://crm.example.com"),
        ({"business_id": "acme"}, "business id 'acme' is not a UUID"),
        ({"api_key": "pk-live-123"}, "API key must be the CRM's key, starting with sk-ak-"),
    ],
)
def test_crm_connect_refuses_bad_details_before_calling_the_crm(franchise_a, crm_server, fake_crm, overrides, reason):
    with pytest.raises(CommandError, match=reason):
        connect(franchise_a, crm_server, fake_crm, **overrides)
    assert fake_crm.requests == []


def test_plain_http_is_refused_unless_the_host_is_in_outbound_allowed_hosts(
    franchise_a, crm_server, fake_crm, settings
):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with pytest.raises(CommandError, match="base URL must use https"):
        connect(franchise_a, crm_server, fake_crm)


def test_crm_sync_prints_the_counts_on_its_last_line(franchise_a, crm_server, fake_crm):
    connect(franchise_a, crm_server, fake_crm)
    last = run("crm_sync", "--franchise", franchise_a.name).splitlines()[-1]
    created = Contact.objects.filter(franchise=franchise_a).count()
    assert last == f"created {created}, updated 0, unchanged 0, skipped {250 - created}"
    again = run("crm_sync", "--franchise", franchise_a.name, "--full").splitlines()[-1]
    assert again == f"created 0, updated 0, unchanged {created}, skipped {250 - created}"


def test_crm_sync_fails_with_the_crm_refused_the_key(franchise_a, crm_server, fake_crm):
    connect(franchise_a, crm_server, fake_crm)
    fake_crm.fail(401, times=5)
    with pytest.raises(CommandError, match="^the CRM refused the key$"):
        run("crm_sync", "--franchise", franchise_a.name)


def test_crm_sync_says_when_the_franchise_has_no_connection(franchise_a):
    with pytest.raises(CommandError, match="has no CRM connection"):
        run("crm_sync", "--franchise", franchise_a.name)
