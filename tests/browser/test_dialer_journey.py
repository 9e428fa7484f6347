"""A call-back agent's morning in Chromium: the queue, "Dial these", the (fake) PhoneBurner dialer,
two dispositions — one "Do Not Call" — and back in the app the outcomes on the contact pages, the
do-not-call mark, and a queue that no longer lists them. The fake fires its callbacks at SITE_URL
(the live server) the moment a disposition is clicked, as PhoneBurner does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from contacts.models import Contact
from dialer.models import PhoneBurnerAccount
from dialer.phoneburner.fake import DEFAULT_TOKEN, FakePhoneBurner, running
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def phoneburner(settings, live_server, alice):
    """The fake PhoneBurner on a free port, the app pointed at it, alice linked, callbacks to the live server."""
    with running(FakePhoneBurner()) as base:
        settings.PHONEBURNER_BASE_URL = base
        settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
        settings.SITE_URL = live_server.url
        PhoneBurnerAccount.objects.create(
            user=alice,
            access_token=DEFAULT_TOKEN,
            member_id="1234567",
            member_name="Pat Dialer",
            linked_at=timezone.now(),
        )
        yield base


def test_an_agent_dials_the_queue_in_phoneburner_and_sees_the_outcomes_back_in_the_app(
    page: Page, live_server, phoneburner, alice, franchise_a, location_a, make_call, csp_violations
):
    now = timezone.now()
    make_call(franchise_a, location=location_a, caller_id="+15553330001", customer_name="Rita Moreno",
              call_summary="Basement flooded overnight.", timestamp=now - timedelta(hours=3))  # fmt: skip
    make_call(franchise_a, location=location_a, caller_id="+15553330002", customer_name="Sam Okafor",
              call_summary="Mold behind the shower.", timestamp=now - timedelta(hours=5))  # fmt: skip

    sign_in(page, live_server.url, "alice")
    page.get_by_test_id("nav-queue").click()
    expect(page.get_by_test_id("queue-row")).to_have_count(2)
    page.get_by_test_id("dial-queue").click()
    expect(page.get_by_test_id("launch-count")).to_contain_text("2 people will be dialled")
    page.get_by_test_id("launch-start").click()

    # PhoneBurner's dialer (the fake's page): each contact in turn, a disposition each.
    page.wait_for_url(f"{phoneburner}/**")
    outcomes = {}
    for disposition, note in (("Interested", "Wants an estimate Friday."), ("Do Not Call", "")):
        name = page.get_by_test_id("fake-contact").get_by_role("heading").inner_text()
        page.get_by_label("Note").fill(note)
        page.get_by_role("button", name=disposition, exact=True).click()
        outcomes[name] = (disposition, note)
    expect(page.get_by_test_id("fake-session-finished")).to_be_visible()
    assert set(outcomes) == {"Rita Moreno", "Sam Okafor"}

    # Back in the app: each contact page shows the outcome; only the do-not-call one carries the mark.
    page.get_by_role("link", name="Back to the app").click()
    for name, (disposition, note) in outcomes.items():
        first, last = name.split()
        contact = Contact.objects.get(franchise=franchise_a, first_name=first, last_name=last)
        page.goto(f"{live_server.url}/contacts/{contact.pk}/")
        outcome = page.get_by_test_id("dial-outcome")
        expect(outcome).to_have_count(1)
        expect(outcome).to_contain_text(disposition)
        expect(outcome).to_contain_text(note)  # the agent's note, as PhoneBurner sends it back
        expect(page.get_by_test_id("dnc-flag")).to_have_count(1 if disposition == "Do Not Call" else 0)

    page.get_by_test_id("nav-queue").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    expect(page.get_by_test_id("queue-row")).to_have_count(0)
    assert csp_violations == []
