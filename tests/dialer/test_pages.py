"""The dialer's pages and panels: dial sessions, a contact's dial history and do-not-call mark, the
ways in (contact list, call page), the owner's dial settings, the team's usage and the admin."""

from __future__ import annotations

import pytest
from django.utils import timezone

from dialer.models import DialCall, DialerSettings, DialSession, DispositionMapping

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_session(franchise_a, alice, make_contact):
    ann = make_contact(franchise_a, "Ann Lee")
    session = DialSession.objects.create(franchise=franchise_a, created_by=alice, status=DialSession.Status.FINISHED)
    session.contacts.set([ann])
    DialCall.objects.create(
        session=session,
        franchise=franchise_a,
        contact=ann,
        phoneburner_call_id="1767709",
        phone=ann.primary_phone,
        disposition="Left Message",
        family="voicemail",
        duration=42,
        note="-- PB - Left a message.",
        started_at=timezone.now(),
    )
    return session


def test_the_sessions_list_and_page_show_who_launched_and_each_call(a_session, bob, signed_in):
    client = signed_in(bob)
    listing = client.get("/dialer/sessions/").content.decode()
    assert 'data-testid="dial-session-row"' in listing and "alice" in listing
    page = client.get(f"/dialer/sessions/{a_session.pk}/").content.decode()
    assert "Launched by alice" in page
    row = page[page.index('data-testid="dial-call"') :]
    assert (
        "Ann Lee" in row and "Left Message" in row and "Voicemail" in row and "0:42" in row and "Left a message." in row
    )


def test_another_franchises_session_is_a_404(a_session, carol, signed_in):
    assert signed_in(carol).get(f"/dialer/sessions/{a_session.pk}/").status_code == 404
    assert 'data-testid="dial-session-row"' not in signed_in(carol).get("/dialer/sessions/").content.decode()


def test_the_contact_page_shows_dial_history_and_no_dnc_mark_for_a_callable_contact(a_session, alice, signed_in):
    ann = a_session.contacts.get()
    page = signed_in(alice).get(f"/contacts/{ann.pk}/").content.decode()
    outcome = page[page.index('data-testid="dial-outcome"') :]
    assert "Left Message" in outcome[:600] and "Voicemail" in outcome[:600] and "42 s" in outcome[:600]
    assert 'data-testid="dnc-flag"' not in page
    assert f'href="/dialer/new/?contact={ann.pk}"' in page


def test_the_ways_into_a_dial_session(franchise_a, alice, signed_in, make_call, make_contact):
    make_contact(franchise_a, "Ann Lee", tags=["VIP"])
    call = make_call(franchise_a)
    client = signed_in(alice)
    contacts = client.get("/contacts/?tag=VIP").content.decode()
    assert 'data-testid="contact-select"' in contacts and 'action="/dialer/new/"' in contacts
    assert 'href="/dialer/new/?tag=VIP"' in contacts
    assert f'href="/dialer/new/?call={call.pk}"' in client.get(f"/calls/{call.conversation_id}/").content.decode()
    nav = client.get("/").content.decode()
    assert 'href="/dialer/queue/"' in nav and 'href="/settings/phoneburner/"' in nav


def test_owners_edit_the_queue_settings(franchise_a, alice, signed_in, make_call):
    make_call(franchise_a, call_category="billing_question")
    client = signed_in(alice)
    page = client.get("/dialer/settings/").content.decode()
    assert "billing_question" in page and "Link your PhoneBurner account first" in page
    response = client.post(
        "/dialer/settings/", {"form": "queue", "callback_categories": ["billing_question"], "queue_days": "3"}
    )
    assert response.status_code == 302
    saved = DialerSettings.objects.get(franchise=franchise_a)
    assert (saved.callback_categories, saved.queue_days) == (["billing_question"], 3)
    bad = client.post("/dialer/settings/", {"form": "queue", "queue_days": "0"})
    assert bad.status_code == 400


def test_owners_edit_their_phoneburner_dial_settings(fake_pb, alice, link, signed_in):
    link(alice)
    client = signed_in(alice)
    page = client.get("/dialer/settings/").content.decode()
    assert 'name="dialsecs" value="30"' in page and 'value="0800"' in page
    form = {"form": "dial", "dialsecs": "45", "calltime_min": "0900", "calltime_max": "1900", "ringing": "on"}
    assert client.post("/dialer/settings/", form).status_code == 302
    member = fake_pb.members[0]
    assert (member.settings["dialsecs"], member.settings["calltime_min"], member.settings["calltime_max"]) == (
        "45",
        "0900",
        "1900",
    )
    bad = client.post("/dialer/settings/", {**form, "calltime_min": "2000"})
    assert bad.status_code == 400 and "must be before" in bad.content.decode()
    assert client.post("/dialer/settings/", {**form, "dialsecs": "10"}).status_code == 400
    assert member.settings["dialsecs"] == "45"


def test_dial_settings_are_for_owners_only(bob, signed_in):
    assert signed_in(bob).get("/dialer/settings/").status_code == 403


def test_the_teams_usage_comes_from_phoneburner(fake_pb, alice, link, launched, make_contact, franchise_a, signed_in):
    from tests.dialer.conftest import deliver
    from tests.dialer.phoneburner_helpers import DialerBrowser

    ann = make_contact(franchise_a, "Ann Lee")
    _, url = launched(alice, [ann])
    client = signed_in(alice)
    assert '<td data-label="Calls">0</td>' in client.get("/dialer/usage/").content.decode()  # kept a while...
    browser = DialerBrowser(url)
    browser.dial()
    browser.dispose("Interested")
    deliver(fake_pb)  # ...but a callback since then asks PhoneBurner again
    fragment = client.get("/dialer/usage/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div data-testid="dial-usage">')
    assert (
        '<td data-label="Who">Alice Owner</td><td data-label="Sessions">1</td><td data-label="Calls">1</td>' in fragment
    )


def test_usage_without_a_linked_account_says_so(alice, signed_in):
    assert "Link your PhoneBurner account first" in signed_in(alice).get("/dialer/usage/").content.decode()


def test_the_admin_lists_the_stock_dispositions_to_edit(franchise_a, alice, signed_in):
    from franchises.roles import staff_groups_sync

    staff_groups_sync(alice)
    client = signed_in(alice)
    page = client.get("/admin/dialer/dispositionmapping/")
    assert page.status_code == 200
    assert DispositionMapping.objects.filter(
        franchise=franchise_a, disposition="Do Not Call", family="do_not_call"
    ).exists()
    assert "Left Message" in page.content.decode()


def test_ending_an_open_session_frees_whoever_it_did_not_call(franchise_a, alice, bob, carol, make_contact, signed_in):
    from dialer.gate import dial_gate

    ann = make_contact(franchise_a, "Ann Lee")
    session = DialSession.objects.create(franchise=franchise_a, created_by=alice, status=DialSession.Status.LAUNCHED)
    session.contacts.set([ann])
    assert dial_gate(franchise=franchise_a, contacts=[ann]).excluded  # held by the open session
    url = f"/dialer/sessions/{session.pk}/end/"
    assert signed_in(carol).post(url).status_code == 404  # another franchise's
    assert signed_in(bob).get(url).status_code == 405
    assert 'data-testid="session-end"' in signed_in(bob).get(f"/dialer/sessions/{session.pk}/").content.decode()

    response = signed_in(bob).post(url)  # a colleague ends it
    assert response.status_code == 302 and response["Location"] == f"/dialer/sessions/{session.pk}/"
    session.refresh_from_db()
    assert session.status == DialSession.Status.FINISHED and session.finished_at
    assert dial_gate(franchise=franchise_a, contacts=[ann]).excluded == []
    assert 'data-testid="session-end"' not in signed_in(bob).get(response["Location"]).content.decode()
