"""Webhook secrets: the two commands and the owners' settings page (with recent deliveries)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from calls.models import WebhookSecret
from tests.calls.webhook_helpers import call_payload, post_call


def create(franchise) -> str:
    out = StringIO()
    call_command("create_webhook_secret", "--franchise", franchise.name, stdout=out)
    return out.getvalue().strip().splitlines()[-1]


def test_the_command_prints_a_new_secret_on_its_last_line_and_stores_it_encrypted(franchise_a):
    plaintext = create(franchise_a)
    assert plaintext.startswith("whsec_") and len(plaintext) > 40
    secret = WebhookSecret.objects.get()
    with connection.cursor() as cursor:
        cursor.execute("SELECT secret FROM calls_webhooksecret WHERE id = %s", [secret.pk])
        assert plaintext not in cursor.fetchone()[0]
    assert (secret.secret, secret.prefix) == (plaintext, plaintext[:14])
    assert plaintext not in str(secret)


def test_earlier_secrets_stay_valid_and_revoking_one_by_prefix_leaves_the_other(client, franchise_a):
    first, second = create(franchise_a), create(franchise_a)
    out = StringIO()
    call_command("revoke_webhook_secret", "--franchise", str(franchise_a.pk), first[:14], stdout=out)
    assert first[:14] in out.getvalue()
    assert post_call(client, franchise_a, first, call_payload()).status_code == 401
    assert post_call(client, franchise_a, second, call_payload()).status_code == 201


@pytest.mark.parametrize("prefix", ["whsec_", "whsec_nothing-like-it"])
def test_revoking_an_unknown_or_too_short_prefix_fails_with_a_reason(franchise_a, prefix):
    create(franchise_a)
    with pytest.raises(CommandError):
        call_command("revoke_webhook_secret", "--franchise", franchise_a.name, prefix, stdout=StringIO())


def test_another_franchises_secret_cannot_be_revoked_through_this_one(franchise_a, franchise_b):
    theirs = create(franchise_b)
    with pytest.raises(CommandError, match="no active webhook secret"):
        call_command("revoke_webhook_secret", "--franchise", franchise_a.name, theirs, stdout=StringIO())


def test_an_owner_creates_a_secret_and_sees_it_once_after_the_redirect(client, alice, franchise_a):
    client.force_login(alice)
    response = client.post("/settings/webhooks/secrets/")
    assert response.status_code == 302
    page = client.get(response["Location"])
    secret = WebhookSecret.objects.get(franchise=franchise_a)
    assert secret.secret in page.content.decode()
    assert "no-store" in page["Cache-Control"].split(", ")
    again = client.get(response["Location"])
    assert secret.secret not in again.content.decode()
    assert secret.prefix in again.content.decode()


def test_a_secret_is_revealed_only_to_the_owner_who_made_it(client, alice, franchise_a, django_user_model):
    client.force_login(alice)
    location = client.post("/settings/webhooks/secrets/")["Location"]
    from franchises.models import Membership

    other = django_user_model.objects.create_user("olivia", password="x" * 12, is_staff=True)
    Membership.objects.create(user=other, franchise=franchise_a, role=Membership.Role.OWNER)
    client.force_login(other)
    assert WebhookSecret.objects.get().secret not in client.get(location).content.decode()


def test_an_owner_revokes_a_secret_from_the_page(client, alice, franchise_a):
    client.force_login(alice)
    plaintext = create(franchise_a)
    secret = WebhookSecret.objects.get()
    assert client.post(f"/settings/webhooks/secrets/{secret.pk}/revoke/").status_code == 302
    assert post_call(client, franchise_a, plaintext, call_payload()).status_code == 401


def test_the_page_shows_the_address_and_recent_deliveries(client, alice, franchise_a):
    plaintext = create(franchise_a)
    ok = call_payload()
    post_call(client, franchise_a, plaintext, ok)
    post_call(client, franchise_a, plaintext, call_payload(duration="soon"))
    client.force_login(alice)
    page = client.get("/settings/webhooks/").content.decode()
    assert f"/hooks/calls/{franchise_a.pk}" in page
    assert page.count('data-testid="webhook-delivery"') == 2
    assert ok["conversation_id"] in page
    assert "duration" in page and "must be whole seconds" in page


def test_agents_may_not_see_the_page(client, bob):
    client.force_login(bob)
    assert 'data-testid="nav-webhook"' not in client.get("/calls/").content.decode()
    assert client.get("/settings/webhooks/").status_code == 403
    assert client.post("/settings/webhooks/secrets/").status_code == 403
    assert WebhookSecret.objects.count() == 0


def test_another_franchises_secret_is_a_404(client, carol, franchise_a):
    create(franchise_a)
    client.force_login(carol)
    secret = WebhookSecret.objects.get()
    assert client.post(f"/settings/webhooks/secrets/{secret.pk}/revoke/").status_code == 404
    assert WebhookSecret.objects.get().revoked_at is None


def test_signing_in_is_required(client):
    assert client.get("/settings/webhooks/").status_code == 302
