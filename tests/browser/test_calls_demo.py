"""Done when, for the calls: on `make run`'s demo a staff member finds calls by any word order or a
partial phone, marks a batch reviewed, and listens at 1.5× from a shared `?t=` link on a phone."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from calls.models import Call
from demo.seed import DEMO_USERNAME, demo_password, demo_seed
from tests.browser.conftest import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def reviewed() -> list[str]:
    return list(Call.objects.filter(state="reviewed").values_list("conversation_id", flat=True))


def count_text(n: int) -> str:
    return f"{n} call matches" if n == 1 else f"{n} calls match"


def test_a_staff_member_works_the_demo_calls(page: Page, live_server, csp_violations):
    demo_seed()
    calls = list(Call.objects.all())
    page.goto(live_server.url + "/accounts/login/")
    page.get_by_label("Username").fill(DEMO_USERNAME)
    page.get_by_label("Password").fill(demo_password())
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("link", name="Calls", exact=True).click()
    search = page.get_by_label("Search transcripts")

    # Words in any order: the calls whose text has both words, whichever comes first.
    said = [c for c in calls if all(w in f"{c.transcript} {c.call_summary}".lower() for w in ("main", "valve"))]
    assert said
    for q in ("valve main", "main valve"):
        search.fill(q)
        search.press("Enter")
        expect(page).to_have_url(re.compile(re.escape("q=" + q.replace(" ", "%20")) + "$"))
        expect(page.get_by_test_id("result-count")).to_have_text(count_text(len(said)))

    # A partial phone with a dash: every call one of whose phones holds those digits.
    digits = calls[0].caller_id_e164[-7:]
    partial = f"{digits[:3]}-{digits[3:]}"
    phoned = [
        c
        for c in calls
        if any(digits in (p or "") for p in (c.caller_id_e164, c.callback_number_e164, c.customer_phone_e164))
    ]
    search.fill(partial)
    search.press("Enter")
    expect(page).to_have_url(re.compile(re.escape("q=" + partial) + "$"))
    expect(page.get_by_test_id("result-count")).to_have_text(count_text(len(phoned)))
    expect(page.get_by_test_id("call-row").first.locator("mark")).to_have_count(1)

    # A batch marked reviewed from the new calls.
    before = set(reviewed())
    page.goto(live_server.url + "/calls/?state=new")
    rows = page.get_by_test_id("call-row")
    ticked = [rows.nth(n).get_attribute("data-conversation-id") for n in range(3)]
    for n in range(3):
        rows.nth(n).get_by_test_id("call-tick").check()
    page.get_by_test_id("batch-apply").click()
    expect(page.get_by_test_id("results-notice")).to_have_text("3 calls marked reviewed.")
    assert set(reviewed()) - before == set(ticked)

    # The dashboard's "waiting for a call-back" count opens exactly those calls.
    page.goto(live_server.url + "/")
    waiting = page.get_by_test_id("state-needs_callback")
    count = int(waiting.get_by_test_id("state-count").inner_text())
    assert count
    waiting.click()
    expect(page.get_by_test_id("result-count")).to_have_text(count_text(count))
    states = page.get_by_test_id("call-row").get_by_test_id("call-state")
    expect(states).to_have_text(["Needs call-back"] * min(count, states.count()))

    # A shared moment of a call, on a phone, at 1.5×.
    page.set_viewport_size({"width": 390, "height": 844})
    shared = next(c for c in calls if c.duration > 20 and hasattr(c, "recording"))
    page.goto(f"{live_server.url}/calls/{shared.conversation_id}/?t=12")
    audio = "document.querySelector('[data-testid=call-audio]')"
    page.evaluate(f"{audio}.muted = true")
    wait_until(page, f"{audio}.readyState >= 1 && {audio}.currentTime >= 11.5")
    page.get_by_role("button", name="1.5×").click()
    page.get_by_test_id("player-toggle").click()
    wait_until(page, f"!{audio}.paused && {audio}.currentTime > 12.2 && {audio}.playbackRate === 1.5")
    page.get_by_test_id("player-toggle").click()
    expect(page.get_by_test_id("player-toggle")).to_have_text(re.compile("Play"))
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert csp_violations == []
