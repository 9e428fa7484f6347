"""Every staff page in Chromium, at desktop and at a 390×844 phone's size: axe-core finds no serious
or critical violation, and nothing is cut off sideways. The CSP stays on (axe is injected through the
DevTools protocol, which the CSP does not govern: no `bypass_csp`).

One signed-in page and one set of data go through every page, so each costs a page load and an axe
run per size. A page added to the staff site gets a line in PAGES."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files import File
from django.utils import timezone
from playwright.sync_api import Page

from calls.models import Call, Recording
from contacts.services import contact_upsert
from dialer.models import DialSession
from franchises.models import ApiToken
from tests.browser.conftest import axe_violations
from tests.browser.test_staff_pages import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = Path(__file__).resolve().parents[2] / "demo"
BURST = json.loads((DEMO / "dialogues.json").read_text())["burst_pipe"]
SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}

# (name, path; {call}, {contact} and {session} come from `site`)
PAGES = [
    ("dashboard", "/"),
    ("dashboard-7-days", "/?days=7"),
    ("dashboard-bad-period", "/?start=2026-06-14&end=2026-06-08"),
    ("calls", "/calls/"),
    ("calls-search", "/calls/?q=valve"),
    ("calls-bad-filter", "/calls/?start=2026-06-14&end=2026-06-08"),
    ("call", "/calls/{call}/"),
    ("call-at-a-moment", "/calls/{call}/?t=12"),
    ("contacts", "/contacts/"),
    ("contact", "/contacts/{contact}/"),
    ("contact-merge", "/contacts/{contact}/merge/"),
    ("contact-new", "/contacts/new/?call=CA-axe-0"),
    ("contact-panel-of-a-call", "/contacts/for-call/CA-axe-0/"),
    ("callback-queue", "/dialer/queue/"),
    ("dial-launch", "/dialer/new/?contact={contact}"),
    ("dial-sessions", "/dialer/sessions/"),
    ("dial-session", "/dialer/sessions/{session}/"),
    ("dial-settings", "/dialer/settings/"),
    ("phoneburner-account", "/settings/phoneburner/"),
    ("api-tokens", "/settings/tokens/"),
    ("webhooks", "/settings/webhooks/"),
    ("crm", "/settings/crm/"),
    ("not-found", "/calls/no-such-call/"),
]
STATUS = {"dashboard-bad-period": 400, "calls-bad-filter": 400, "not-found": 404}  # else 200
KNOWN_FAILURES: dict[str, str] = {}  # name → why, for a page its owner is still fixing


@pytest.fixture
def site(franchise_a, location_a, alice, make_call) -> dict:
    """Franchise A with a call in each triage state, one with audio and timed turns, a tagged contact,
    a dial session and an API token; Alice its owner."""
    now = timezone.now()
    for n, state in enumerate(Call.State.values):
        make_call(
            franchise_a,
            location=location_a,
            conversation_id=f"CA-axe-{n}",
            timestamp=now - timedelta(hours=5 * n + 1),
            call_category="new_urgent_service_request" if n % 2 else "job_update",
            customer_name=f"Customer {n}",
            state=state,
        )
    call = make_call(
        franchise_a,
        location=location_a,
        conversation_id="CA-axe-burst",
        caller_id="(312) 555-0123",
        timestamp=now,
        duration=BURST["duration"],
        customer_name="Dana Flood",
        call_summary="Burst pipe in the basement; main valve shut.",
        transcript=" ".join(f"{t['speaker'].title()}: {t['text']}" for t in BURST["turns"]),
        transcript_turns=BURST["turns"],
    )
    with (DEMO / BURST["file"]).open("rb") as fh:
        recording = Recording(call=call, size=(DEMO / BURST["file"]).stat().st_size)
        recording.file.save("axe.mp3", File(fh), save=False)
        recording.save()
    contact, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+13125550123", first_name="Dana", last_name="Flood", tags=["VIP"]
    )
    session = DialSession.objects.create(franchise=franchise_a, created_by=alice, status=DialSession.Status.FINISHED)
    session.contacts.add(contact)
    ApiToken.issue(franchise=franchise_a, label="BI")
    return {"call": call.conversation_id, "contact": contact.pk, "session": session.pk}


def fits_and_passes(page: Page) -> list[str]:
    """What is wrong with the page as it is, at each size: axe's serious or critical violations, a
    sideways scroll."""
    problems = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        problems += [f"{size}: {violation}" for violation in axe_violations(page)]
        if not page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"):
            problems.append(f"{size}: scrolls sideways")
    return problems


def test_every_staff_page_passes_axe_and_fits_a_desktop_and_a_phone(page: Page, live_server, site):
    page.goto(live_server.url + "/accounts/login/")
    problems = [f"sign-in: {problem}" for problem in fits_and_passes(page)]
    sign_in(page, live_server.url, "alice")
    known = []
    for name, path in PAGES:
        url = path.format(**site)
        page.set_viewport_size(SIZES["desktop"])
        # networkidle: the fragments htmx loads on arrival (contact panel, usage) are part of the page
        response = page.goto(live_server.url + url, wait_until="networkidle")
        found = [] if response.status == STATUS.get(name, 200) else [f"answered {response.status}"]
        found += fits_and_passes(page)
        (known if name in KNOWN_FAILURES else problems).extend(f"{name} ({url}) {problem}" for problem in found)
    assert problems == []
    if known:
        pytest.xfail(f"known, their owners are on it: {KNOWN_FAILURES}; found: {known}")

    # axe does see a violation when there is one: an image without a text alternative.
    page.evaluate(
        "document.querySelector('main').append(Object.assign(document.createElement('img'), {src: '/x.png'}))"
    )
    assert any(v.startswith("image-alt (critical)") for v in axe_violations(page))
