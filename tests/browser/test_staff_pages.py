"""A staff member's day in Chromium: sign in, find a call by a word said in it, listen from there,
tag the caller's contact, see the dashboard; and another franchise's call stays out of reach."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.utils import timezone
from playwright.sync_api import Page, expect

from calls.models import Call, Recording
from contacts.models import Tag
from contacts.services import contact_upsert
from tests.browser.conftest import wait_until
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = Path(__file__).resolve().parents[2] / "demo"
BURST = json.loads((DEMO / "dialogues.json").read_text())["burst_pipe"]


@pytest.fixture
def demo(franchise_a, franchise_b, location_a, location_a2, location_b, alice, bob, carol, make_call):
    """Franchise A with a dozen calls (one with real audio and timed turns), a contact, tags."""
    now = timezone.now()
    for i in range(12):
        make_call(
            franchise_a,
            location=location_a if i % 3 else location_a2,
            timestamp=now - timedelta(hours=7 * i + 2),
            duration=60 + 17 * i,
            call_category=["new_urgent_service_request", "job_update", "billing"][i % 3],
            customer_name=f"Customer {i}",
            call_summary="Routine call about an existing job.",
            transcript="Agent: Thanks for calling. Caller: I have a question about my invoice.",
        )
    burst = make_call(
        franchise_a,
        location=location_a,
        timestamp=now - timedelta(hours=1),
        duration=BURST["duration"],
        caller_id="(312) 555-0123",
        customer_name="Dana Flood",
        call_summary="Burst pipe in the basement; main valve shut; technician booked for the morning.",
        service_location="123 Main Street, Springfield",
        transcript=" ".join(f"{t['speaker'].title()}: {t['text']}" for t in BURST["turns"]),
        transcript_turns=BURST["turns"],
        real_estate_year_built="1962",
        real_estate_square_footage="1850",
    )
    with (DEMO / BURST["file"]).open("rb") as fh:
        recording = Recording(call=burst, size=(DEMO / BURST["file"]).stat().st_size)
        recording.file.save("a.mp3", File(fh), save=False)
        recording.save()
    contact, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+13125550123", first_name="Dana", last_name="Flood", tags=["VIP"]
    )
    Tag.objects.create(franchise=franchise_a, name="Water damage")
    Tag.objects.create(franchise=franchise_b, name="Waterfront")
    other = make_call(franchise_b, location=location_b, customer_name="Someone Else")
    return {"burst": burst, "contact": contact, "other": other}


def sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def test_a_staff_member_finds_a_call_by_a_word_and_listens_from_there(
    page: Page, live_server, demo, screenshot_dir, csp_violations
):
    sign_in(page, live_server.url, "alice")
    expect(page.get_by_test_id("kpi-total")).to_have_text("13")
    page.screenshot(path=screenshot_dir / "dashboard.png", full_page=True)

    page.get_by_role("link", name="Calls", exact=True).click()
    expect(page.get_by_test_id("call-row")).to_have_count(13)
    page.screenshot(path=screenshot_dir / "call-list.png", full_page=True)

    # Filters swap only the rows and keep the URL shareable.
    page.get_by_label("Category").select_option("billing")
    expect(page.get_by_test_id("call-row")).to_have_count(4)
    expect(page).to_have_url(re.compile(r"/calls/\?category=billing$"))
    page.get_by_role("link", name="Clear").click()

    page.get_by_label("Search transcripts").fill("valve")
    page.get_by_label("Search transcripts").press("Enter")
    expect(page.get_by_test_id("call-row")).to_have_count(1)
    expect(page).to_have_url(re.compile(r"q=valve"))
    page.get_by_test_id("call-row").get_by_role("link").click()

    expect(page.get_by_role("heading", name="Dana Flood")).to_be_visible()
    turns = page.get_by_test_id("transcript-turn")
    expect(turns).to_have_count(len(BURST["turns"]))
    match = page.locator(".turn.is-match")
    expect(match).to_have_count(1)
    expect(match).to_contain_text("main valve")
    expect(page.get_by_test_id("linked-contact")).to_have_text("Dana Flood")

    audio = page.get_by_test_id("call-audio")
    audio.evaluate("a => { a.muted = true; }")
    wait_until(page, "document.querySelector('[data-testid=call-audio]').readyState >= 1")

    # Clicking the matching turn seeks there and plays; the turn is marked as the one being spoken.
    start = BURST["turns"][3]["start"]
    match.click()
    wait_until(
        page,
        "([lo, hi]) => { const t = document.querySelector('[data-testid=call-audio]').currentTime;"
        " return t >= lo && t < hi; }",
        arg=[start, start + 3],
    )
    expect(match).to_have_class(re.compile(r"\bis-current\b"))
    expect(match).to_have_attribute("aria-current", "true")
    # Playing on from just before the next turn: the highlight moves to it as the audio gets there.
    next_start = BURST["turns"][4]["start"]
    page.evaluate(f"document.querySelector('[data-testid=call-audio]').currentTime = {next_start - 0.8}")
    wait_until(page, "!document.querySelector('[data-testid=call-audio]').paused")
    expect(match).to_have_class(re.compile(r"\bis-current\b"))
    expect(turns.nth(4)).to_have_class(re.compile(r"\bis-current\b"), timeout=5_000)
    expect(match).not_to_have_class(re.compile(r"\bis-current\b"))
    # Keyboard: k goes back a turn, space pauses.
    page.locator("h1").click()
    page.keyboard.press("k")
    expect(match).to_have_class(re.compile(r"\bis-current\b"))
    page.locator("h1").click()
    page.keyboard.press(" ")
    wait_until(page, "document.querySelector('[data-testid=call-audio]').paused")
    page.screenshot(path=screenshot_dir / "call-detail.png", full_page=True)

    # A phone-sized screen gets the list as stacked rows, nothing cut off sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(live_server.url + "/calls/")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=screenshot_dir / "call-list-phone.png", full_page=False)
    assert csp_violations == []


def test_tags_are_added_and_removed_in_place_and_persist(page: Page, live_server, demo, screenshot_dir, csp_violations):
    sign_in(page, live_server.url, "bob")
    page.goto(f"{live_server.url}/contacts/{demo['contact'].pk}/")
    editor = page.locator("#tag-editor-tags")
    expect(editor.get_by_test_id("tag-chip")).to_have_text(["VIP ×"])

    field = editor.get_by_test_id("tag-input")
    field.fill("wat")
    # Suggestions are the franchise's own tags (never another franchise's "Waterfront").
    expect(editor.get_by_test_id("tag-option")).to_have_text(["Water damage"])
    field.fill("Water damage")
    field.press("Enter")
    expect(editor.get_by_test_id("tag-chip")).to_have_count(2)
    expect(page.locator("#tag-editor-tags [data-tag='Water damage']")).to_be_visible()

    primary = page.locator("#tag-editor-primary_contact_tags")
    primary.get_by_test_id("tag-input").fill("Landlord")
    primary.get_by_test_id("tag-add").click()
    expect(primary.get_by_test_id("tag-chip")).to_have_count(1)

    page.get_by_role("button", name="Remove VIP from contact tags").click()
    expect(editor.get_by_test_id("tag-chip")).to_have_count(1)

    page.get_by_test_id("notes-edit").click()
    page.get_by_test_id("notes-input").fill("Prefers a call after 5 pm.")
    page.get_by_test_id("notes-save").click()
    expect(page.get_by_test_id("contact-notes")).to_contain_text("Prefers a call after 5 pm.")

    page.reload()
    expect(page.locator("#tag-editor-tags").get_by_test_id("tag-chip")).to_have_text(["Water damage ×"])
    expect(page.locator("#tag-editor-primary_contact_tags").get_by_test_id("tag-chip")).to_have_text(["Landlord ×"])
    expect(page.get_by_test_id("contact-notes")).to_contain_text("Prefers a call after 5 pm.")
    page.screenshot(path=screenshot_dir / "contact-detail.png", full_page=True)
    assert csp_violations == []


def test_franchise_a_staff_get_404_on_franchise_b_call(page: Page, live_server, demo):
    sign_in(page, live_server.url, "bob")
    response = page.goto(f"{live_server.url}/calls/{demo['other'].conversation_id}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert page.request.get(f"{live_server.url}/calls/{demo['other'].conversation_id}/recording").status == 404
    assert Call.objects.filter(pk=demo["other"].pk).exists()


def test_an_owner_creates_a_token_copies_it_and_revokes_it(page: Page, live_server, demo, csp_violations):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server.url, "alice")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_label("Label").fill("HubSpot sync")
    page.get_by_role("button", name="Create token").click()
    plaintext = page.get_by_test_id("new-token").input_value()
    assert plaintext.startswith("bds_")
    expect(page.get_by_test_id("new-token")).to_be_focused()  # where the eyes go: the token to copy
    page.get_by_test_id("copy-token").click()
    expect(page.get_by_test_id("copy-token")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext

    # Reloading the page shows the token as a row, never its plaintext again, and creates no second one.
    page.reload()
    expect(page.get_by_test_id("new-token")).to_have_count(0)
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    assert plaintext not in page.content()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("token-row").get_by_role("button", name=re.compile("Revoke")).click()
    expect(page.get_by_test_id("token-row")).to_contain_text("Revoked")
    assert csp_violations == []


def test_an_owner_creates_a_webhook_secret_and_copies_it(page: Page, live_server, alice, franchise_a, csp_violations):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    sign_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/settings/webhooks/")
    page.get_by_role("button", name="Create a secret").click()
    secret = page.get_by_test_id("new-webhook-secret")
    plaintext = secret.input_value()
    assert plaintext.startswith("whsec_")
    expect(secret).to_be_focused()  # shown only this once: focus on it, ready to copy
    page.get_by_test_id("copy-webhook-secret").click()
    expect(page.get_by_test_id("copy-webhook-secret")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == plaintext
    assert csp_violations == []
