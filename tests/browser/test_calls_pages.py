"""The calls pages in Chromium: filters that say what is wrong, Back and paging that keep the user's
place, triage of a batch and of one call; keyboard only, no CSP violation."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def calls(franchise_a, location_a, location_a2, alice, bob, make_call):
    """30 calls of franchise A over the last days: two pages of the list."""
    now = timezone.now()
    return [
        make_call(
            franchise_a,
            location=location_a if i % 2 else location_a2,
            timestamp=now - timedelta(hours=5 * i + 1),
            call_category=["billing", "job_update"][i % 2],
            customer_name=f"Caller {i:02d}",
        )
        for i in range(30)
    ]


def test_filters_say_what_is_wrong_and_keep_the_users_place(page: Page, live_server, calls, csp_violations):
    sign_in(page, live_server.url, "bob")
    page.goto(live_server.url + "/calls/")
    rows = page.get_by_test_id("call-row")
    expect(rows).to_have_count(25)

    # "From" after "To": the error beside the fields in the user's words, the results stay.
    page.get_by_label("From", exact=True).fill("2026-06-10")
    page.get_by_label("To", exact=True).fill("2026-06-01")
    expect(page.get_by_test_id("filter-error")).to_have_text("From must be on or before To")
    expect(page.get_by_role("heading", name="Calls", level=1)).to_be_visible()
    expect(rows).to_have_count(25)
    page.get_by_label("From", exact=True).fill("")
    page.get_by_label("To", exact=True).fill("")
    expect(page.get_by_test_id("filter-error")).to_have_count(0)

    # Back after changing filters brings the form back with the results.
    page.get_by_label("Category").select_option("billing")
    expect(rows).to_have_count(15)
    page.get_by_label("Location").select_option(label="North Branch")
    expect(page.get_by_test_id("result-count")).to_have_text("0 calls match")
    page.go_back()
    expect(page).to_have_url(re.compile(r"/calls/\?category=billing$"))
    expect(rows).to_have_count(15)
    expect(page.get_by_label("Category")).to_have_value("billing")
    expect(page.get_by_label("Location")).to_have_value("")

    # "Older →" by keyboard: the list's top comes into view and focus goes to what it now shows.
    page.get_by_label("Category").select_option("")
    page.get_by_label("Agent type").select_option("afterhours")
    expect(page).to_have_url(re.compile(r"/calls/\?agent_type=afterhours$"))
    expect(rows).to_have_count(25)
    page.get_by_test_id("page-older").focus()
    page.keyboard.press("Enter")
    expect(rows).to_have_count(5)
    expect(page.locator("#results-summary")).to_be_focused()
    assert page.evaluate("document.getElementById('call-results').getBoundingClientRect().top >= 0")

    # A call opened from there goes back to the same list: its filters and its page.
    listed = page.url
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("call-header")).to_be_visible()
    page.get_by_test_id("back-to-calls").click()
    assert parse_qs(urlsplit(page.url).query) == parse_qs(urlsplit(listed).query)
    expect(rows).to_have_count(5)
    expect(page.get_by_label("Agent type")).to_have_value("afterhours")
    assert csp_violations == []


def test_a_batch_is_marked_reviewed_and_one_call_needs_a_call_back(page: Page, live_server, calls, csp_violations):
    sign_in(page, live_server.url, "bob")
    page.goto(live_server.url + "/calls/?state=new")
    rows = page.get_by_test_id("call-row")
    expect(rows).to_have_count(25)
    for n in range(3):
        rows.nth(n).get_by_test_id("call-tick").check()
    page.get_by_label("Mark ticked calls as").select_option("reviewed")
    page.get_by_test_id("batch-apply").click()
    expect(page.get_by_test_id("results-notice")).to_have_text("3 calls marked reviewed.")
    expect(page.locator("#results-summary")).to_be_focused()
    expect(page.get_by_test_id("result-count")).to_have_text("27 calls match")
    assert Call.objects.filter(state="reviewed").count() == 3

    # Everything on a page at once, by keyboard.
    page.get_by_label("Tick every call on this page").check()
    expect(page.get_by_test_id("call-tick").first).to_be_checked()

    page.goto(live_server.url + "/calls/?state=reviewed")
    rows.first.get_by_role("link").click()
    expect(page.get_by_test_id("call-state")).to_have_text("Reviewed")
    page.get_by_label("Set state").select_option("needs_callback")
    page.get_by_test_id("state-save").click()
    expect(page.get_by_test_id("call-state")).to_have_text("Needs call-back")
    expect(page.get_by_test_id("call-state-changed")).to_contain_text("by bob")
    expect(page.locator("#call-state")).to_be_focused()
    page.get_by_test_id("back-to-calls").click()
    expect(page).to_have_url(re.compile(r"/calls/\?state=reviewed$"))
    expect(rows).to_have_count(2)
    assert csp_violations == []
