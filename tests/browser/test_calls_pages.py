"""The calls pages in Chromium: filters that say what is wrong, Back and paging that keep the user's
place, triage of a batch and of one call, a search that forgives, the reviewer's player on a phone
from a shared `?t=` link, comments; keyboard only, no CSP violation, axe-core at two sizes."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call, CallComment
from tests.browser import test_staff_pages
from tests.browser.conftest import wait_until
from tests.browser.test_staff_pages import BURST, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

demo = test_staff_pages.demo  # a fixture: franchise A's calls, one with real audio and timed turns


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
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") != "none"  # visible
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

    # The category corrected: the panel says so, the header shows it.
    category = page.get_by_test_id("call-category").inner_text()
    other = "Job update" if category == "Billing" else "Billing"
    page.get_by_label("Correct the category").select_option(label=other)
    page.get_by_role("button", name="Save category").click()
    expect(page.locator("#category-status")).to_have_text(f"Category changed to {other}.")
    expect(page.locator("#category-status")).to_be_focused()
    expect(page.get_by_test_id("call-category")).to_have_text(other)
    page.get_by_test_id("back-to-calls").click()
    expect(page).to_have_url(re.compile(r"/calls/\?state=reviewed$"))
    expect(rows).to_have_count(2)
    assert csp_violations == []


def test_calls_are_found_by_any_word_order_or_a_partial_phone(page: Page, live_server, demo, csp_violations):
    sign_in(page, live_server.url, "alice")
    page.goto(live_server.url + "/calls/")
    search = page.get_by_label("Search transcripts")
    rows = page.get_by_test_id("call-row")
    for q in ["valve main", "main valve", "valves", "techncian", "555-0123", "(312) 555"]:
        search.fill(q)
        search.press("Enter")
        # Every one of these finds the same call: wait for this query's answer, not the last one's.
        expect(page).to_have_url(re.compile(re.escape("q=" + q.replace(" ", "%20")) + "$"))
        expect(page.get_by_test_id("result-count")).to_have_text("1 call matches")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("Dana Flood")
    expect(rows.first.locator("mark")).to_have_text(["312) 555"])
    search.fill("pipe burst")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"q=pipe%20burst$"))
    expect(rows.first.locator("mark")).to_have_text(["Burst", "pipe"])
    rows.first.get_by_role("link").click()
    expect(page.locator(".turn.is-match mark").first).to_be_visible()
    assert csp_violations == []


def test_a_reviewer_listens_at_1_5x_from_a_shared_moment_on_a_phone(page: Page, live_server, demo, bob, csp_violations):
    burst = demo["burst"]
    CallComment.objects.create(call=burst, author=bob, at=20, text="Address given here.")
    sign_in(page, live_server.url, "alice")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/calls/{burst.conversation_id}/?t=20")
    audio = "document.querySelector('[data-testid=call-audio]')"
    page.evaluate(f"{audio}.muted = true")
    wait_until(page, f"{audio}.readyState >= 1 && {audio}.currentTime >= 19.5")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # The player's own controls replace the browser's; the seek bar has room on a phone.
    expect(page.get_by_test_id("player-seek")).to_be_visible()
    assert page.evaluate(f"!{audio}.controls")
    assert page.get_by_test_id("player-seek").bounding_box()["width"] > 150
    expect(page.get_by_test_id("player-seek")).to_have_value("20")

    page.get_by_role("button", name="1.5×").click()
    expect(page.get_by_role("button", name="1.5×")).to_have_attribute("aria-pressed", "true")
    assert page.evaluate(f"{audio}.playbackRate") == 1.5
    page.get_by_test_id("player-forward").click()
    wait_until(page, f"{audio}.currentTime >= 29.5")
    page.get_by_test_id("player-back").click()
    wait_until(page, f"{audio}.currentTime < 25")
    page.get_by_test_id("player-seek").fill("5")
    wait_until(page, f"Math.abs({audio}.currentTime - 5) < 1")

    # Keyboard: play, then Space on a focused transcript line pauses where it is (no jump to the line).
    page.get_by_test_id("player-toggle").focus()
    page.keyboard.press("Enter")
    wait_until(page, f"!{audio}.paused")
    line = page.get_by_test_id("transcript-turn").nth(len(BURST["turns"]) - 1)
    line.focus()
    page.keyboard.press(" ")
    wait_until(page, f"{audio}.paused")
    assert page.evaluate(f"{audio}.currentTime") < BURST["turns"][-1]["start"]
    page.keyboard.press(" ")
    wait_until(page, f"!{audio}.paused")
    page.keyboard.press(" ")
    wait_until(page, f"{audio}.paused")

    # A comment at the moment the player is at; the shared one links back to its moment.
    expect(page.get_by_test_id("call-comment")).to_have_count(1)
    page.get_by_test_id("comment-text").fill("Mentions the insurer.")
    page.get_by_role("button", name="Now").click()
    expect(page.get_by_test_id("comment-at")).not_to_have_value("")
    page.get_by_test_id("comment-add").click()
    expect(page.get_by_test_id("call-comment")).to_have_count(2)
    expect(page.get_by_test_id("call-comment").last).to_be_focused()
    page.get_by_test_id("comment-moment").first.click()
    wait_until(page, f"{audio}.currentTime >= 19.5")
    page.evaluate(f"{audio}.pause()")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert csp_violations == []


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is (run under the page's CSP)."""
    found = Axe().run(page).response["violations"]
    return [
        f"{v['id']}: {v['help']} ({', '.join(n['target'][0] for n in v['nodes'][:3])})"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_the_calls_pages_pass_axe_at_desktop_and_phone_size(page: Page, live_server, demo, bob, csp_violations):
    burst = demo["burst"]
    CallComment.objects.create(call=burst, author=bob, at=20, text="Address given here.")
    sign_in(page, live_server.url, "bob")
    for size in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
        page.set_viewport_size(size)
        page.goto(live_server.url + "/calls/?q=valve&start=2026-06-10&end=2026-06-01")
        expect(page.get_by_test_id("filter-error")).to_be_visible()
        assert serious_violations(page) == [], size
        page.goto(live_server.url + "/calls/?q=valve")
        page.get_by_test_id("call-tick").first.check()
        page.get_by_test_id("batch-apply").click()
        expect(page.get_by_test_id("results-notice")).to_be_visible()
        assert serious_violations(page) == [], size
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), size
        page.get_by_test_id("call-row").first.get_by_role("link").click()
        expect(page.get_by_test_id("player-seek")).to_be_visible()
        expect(page.get_by_test_id("linked-contact")).to_be_visible()
        assert serious_violations(page) == [], size
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), size
    assert csp_violations == []
