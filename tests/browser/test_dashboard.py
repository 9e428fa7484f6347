"""The dashboard in Chromium: an owner opens the calls waiting for a call-back from their count, picks
a period with the keyboard alone, reads the calls per day as a table, and on a phone nothing is cut
off sideways."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

S = Call.State


def test_the_waiting_for_a_call_back_count_opens_exactly_those_calls(
    page: Page, live_server, franchise_a, franchise_b, alice, make_call, csp_violations, screenshot_dir
):
    now = timezone.now()
    for i, state in enumerate([S.NEEDS_CALLBACK, S.NEEDS_CALLBACK, S.BOOKED, S.NEEDS_CALLBACK, S.NEW, S.REVIEWED]):
        make_call(franchise_a, timestamp=now - timedelta(hours=5 * i + 1), state=state)
    make_call(franchise_a, timestamp=now - timedelta(days=3), state=S.NEEDS_CALLBACK)
    make_call(franchise_b, timestamp=now - timedelta(hours=1), state=S.NEEDS_CALLBACK)

    sign_in(page, live_server.url, "alice")
    waiting = page.get_by_test_id("state-needs_callback")
    expect(waiting).to_contain_text("Waiting for a call-back")
    count = int(waiting.get_by_test_id("state-count").inner_text())
    assert count == 4
    expect(page.get_by_test_id("state-booked").get_by_test_id("state-count")).to_have_text("1")
    page.screenshot(path=screenshot_dir / "dashboard-period.png", full_page=True)

    waiting.click()
    expect(page).to_have_url(re.compile(r"/calls/\?.*state=needs_callback"))
    rows = page.get_by_test_id("call-row")
    expect(rows).to_have_count(count)
    expect(page.get_by_test_id("result-count")).to_have_text(f"{count} calls match")
    expect(rows.get_by_test_id("call-state")).to_have_text(["Needs call-back"] * count)
    shown = rows.evaluate_all("rows => rows.map(row => row.dataset.conversationId)")
    in_state = Call.objects.filter(conversation_id__in=shown, state=S.NEEDS_CALLBACK, franchise=franchise_a)
    assert in_state.count() == count

    # Keyboard only: the last 7 days, then the calls per day as a table, each day a link to its calls.
    page.go_back()
    page.get_by_role("link", name="Last 7 days").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Last 7 days")).to_have_attribute("aria-current", "page")
    table = page.get_by_test_id("chart-per-day-table")
    table.locator("summary").focus()
    page.keyboard.press("Enter")
    expect(table.get_by_role("row")).to_have_count(1 + 7)
    busy_day = table.get_by_role("link").last
    calls_that_day = int(re.match(r"\d+", busy_day.inner_text()).group())
    busy_day.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("call-row")).to_have_count(calls_that_day)
    page.go_back()
    # A phone-sized screen: the dashboard fits its width.
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / "dashboard-phone.png", full_page=True)
    assert csp_violations == []
