"""Sign-in, the franchise switcher, the insights link, the dashboard and API-token pages."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from franchises.models import ApiToken, Membership, hash_token
from tests.conftest import PASSWORD

# --- sign-in, sign-out ---------------------------------------------------------------------------


def test_sign_in_page_and_wrong_password(db, client, alice):
    assert client.get("/accounts/login/").status_code == 200
    response = client.post("/accounts/login/", {"username": "alice", "password": "wrong"})
    assert response.status_code == 200 and b"did not match" in response.content


def test_sign_in_goes_to_the_dashboard_and_sign_out_needs_a_post(db, alice):
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        "/accounts/login/", {"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert b"Aqua Restoration North" in client.get("/").content
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 403  # no CSRF token
    csrf = client.cookies["csrftoken"].value
    assert client.post("/accounts/logout/", headers={"X-CSRFToken": csrf}).status_code == 302
    assert client.get("/").status_code == 302


# --- switcher -----------------------------------------------------------------------------------


def test_a_member_of_two_franchises_switches_between_them(alice, franchise_a, franchise_b, make_call, signed_in):
    Membership.objects.create(user=alice, franchise=franchise_b, role=Membership.Role.MANAGER)
    call_b = make_call(franchise_b)
    client = signed_in(alice)
    page = client.get("/").content.decode()
    assert 'data-testid="franchise-switcher"' in page
    assert client.get(f"/calls/{call_b.conversation_id}/").status_code == 404  # still working in A
    response = client.post("/franchise/switch", {"franchise": str(franchise_b.pk), "next": "/calls/"})
    assert response.status_code == 302 and response["Location"] == "/calls/"
    assert client.get(f"/calls/{call_b.conversation_id}/").status_code == 200
    # Managers are not owners: no token management in B.
    assert client.get("/settings/tokens/").status_code == 403


def test_nobody_switches_into_a_franchise_they_do_not_belong_to(alice, franchise_b, make_call, signed_in):
    call_b = make_call(franchise_b)
    client = signed_in(alice)
    assert client.post("/franchise/switch", {"franchise": str(franchise_b.pk)}).status_code == 400
    assert client.get(f"/calls/{call_b.conversation_id}/").status_code == 404


def test_a_removed_membership_takes_effect_at_once(alice, bob, franchise_a, signed_in):
    client = signed_in(bob)
    assert client.get("/calls/").status_code == 200
    Membership.objects.filter(user=bob).delete()
    assert client.get("/calls/").status_code == 403


def test_a_superuser_may_pick_any_franchise(db, django_user_model, franchise_a, franchise_b, make_call):
    django_user_model.objects.create_superuser("root", "root@example.com", PASSWORD)
    call_b = make_call(franchise_b)
    client = Client()
    client.login(username="root", password=PASSWORD)
    assert client.post("/franchise/switch", {"franchise": str(franchise_b.pk)}).status_code == 302
    assert client.get(f"/calls/{call_b.conversation_id}/").status_code == 200
    assert client.get("/settings/tokens/").status_code == 200


def test_switching_never_redirects_off_site(alice, franchise_a, signed_in):
    response = signed_in(alice).post(
        "/franchise/switch", {"franchise": str(franchise_a.pk), "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


# --- insights link -------------------------------------------------------------------------------


def test_insights_link_goes_to_the_call_through_sign_in(alice, franchise_a, make_call, client):
    call = make_call(franchise_a)
    url = f"/insights?tab=calldata&callId=conv_{call.conversation_id}"
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/?next=/insights")
    client.login(username="alice", password=PASSWORD)
    response = client.get(url)
    assert response.status_code == 302 and response["Location"] == f"/calls/{call.conversation_id}/"


def test_insights_link_switches_to_the_calls_franchise_when_the_user_belongs(
    alice, franchise_a, franchise_b, make_call, signed_in
):
    Membership.objects.create(user=alice, franchise=franchise_b, role=Membership.Role.AGENT)
    call_b = make_call(franchise_b)
    client = signed_in(alice)
    response = client.get(f"/insights?tab=calldata&callId=conv_{call_b.conversation_id}")
    assert response["Location"] == f"/calls/{call_b.conversation_id}/"
    assert client.get(response["Location"]).status_code == 200


def test_insights_link_to_another_franchise_or_nonsense(carol, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    client = signed_in(carol)
    assert client.get(f"/insights?tab=calldata&callId=conv_{call.conversation_id}").status_code == 404
    assert client.get("/insights?tab=calldata&callId=nope").status_code == 400
    assert client.get("/insights?tab=other&callId=conv_x").status_code == 400


# --- pages -----------------------------------------------------------------------------------


def test_pages_send_a_strict_csp_and_load_htmx_from_our_origin(alice, signed_in):
    response = signed_in(alice).get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "/static/django_htmx/htmx-2.min.js" in response.content.decode()
    assert "<script>" not in response.content.decode()


def test_with_debug_on_an_htmx_error_answer_is_still_swapped_into_its_target(alice, signed_in, settings):
    """django-htmx's debug helper (loaded by its {% htmx_script %} when DEBUG is on, as under make run)
    replaces the whole document with any 400 answer: every inline validation error wiped the page."""
    settings.DEBUG = True
    page = signed_in(alice).get("/calls/").content.decode()
    assert "django-htmx.js" not in page and "data-debug" not in page


# --- API tokens ---------------------------------------------------------------------------------


def test_only_owners_manage_tokens(alice, bob, carol, signed_in):
    assert signed_in(alice).get("/settings/tokens/").status_code == 200
    assert signed_in(bob).get("/settings/tokens/").status_code == 403
    assert signed_in(bob).post("/settings/tokens/new", {"label": "x", "expires_in_days": ""}).status_code == 403
    assert not ApiToken.objects.exists()


def test_creating_a_token_shows_the_plaintext_once_and_a_reload_makes_no_second(alice, franchise_a, signed_in):
    client = signed_in(alice)
    response = client.post("/settings/tokens/new", {"label": "HubSpot sync", "expires_in_days": "90"})
    assert response.status_code == 302 and response["Location"] == "/settings/tokens/"
    shown = client.get("/settings/tokens/")
    assert "no-store" in shown["Cache-Control"].split(", ")
    plaintext = re.search(r'value="(bds_[^"]+)"', shown.content.decode()).group(1)
    token = ApiToken.objects.get(franchise=franchise_a)
    assert token.token_hash == hash_token(plaintext) and token.label == "HubSpot sync"
    assert token.expires_at and token.expires_at - timezone.now() > timedelta(days=89)
    reloaded = client.get("/settings/tokens/").content.decode()
    assert plaintext not in reloaded and token.prefix in reloaded
    assert ApiToken.objects.count() == 1


def test_a_new_tokens_plaintext_is_not_shown_in_another_franchise(alice, franchise_a, franchise_b, signed_in):
    Membership.objects.create(user=alice, franchise=franchise_b, role=Membership.Role.OWNER)
    client = signed_in(alice)
    client.post("/settings/tokens/new", {"label": "A's", "expires_in_days": ""})
    client.post("/franchise/switch", {"franchise": str(franchise_b.pk)})
    assert 'data-testid="new-token"' not in client.get("/settings/tokens/").content.decode()


@pytest.mark.parametrize("data", [{"label": "x" * 101, "expires_in_days": ""}, {"label": "", "expires_in_days": "7"}])
def test_bad_token_input_is_a_400_and_creates_nothing(alice, data, signed_in):
    assert signed_in(alice).post("/settings/tokens/new", data).status_code == 400
    assert not ApiToken.objects.exists()


def test_revoking_a_token_and_carol_cannot_revoke_alices(alice, carol, franchise_a, signed_in):
    token, _ = ApiToken.issue(franchise=franchise_a, label="old")
    assert signed_in(carol).post(f"/settings/tokens/{token.pk}/revoke").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert signed_in(alice).post(f"/settings/tokens/{token.pk}/revoke").status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert b"Revoked" in signed_in(alice).get("/settings/tokens/").content


def test_token_posts_need_the_csrf_token(alice, franchise_a, signed_in):
    token, _ = ApiToken.issue(franchise=franchise_a)
    client = signed_in(alice, enforce_csrf_checks=True)
    assert client.post("/settings/tokens/new", {"label": "x", "expires_in_days": ""}).status_code == 403
    assert client.post(f"/settings/tokens/{token.pk}/revoke").status_code == 403
    assert ApiToken.objects.count() == 1


def test_franchise_time_is_shown_in_its_zone(alice, franchise_a, make_call, signed_in):
    make_call(franchise_a, timestamp=datetime(2026, 1, 5, 15, 30, tzinfo=UTC))
    client = signed_in(alice)
    assert "9:30 AM" in client.get("/calls/").content.decode()  # Chicago, CST
    # A fragment too: staff_view sets the zone for every page and partial.
    assert "9:30 AM" in client.get("/calls/", headers={"HX-Request": "true"}).content.decode()
