"""Reconcile: what the callbacks missed, from PhoneBurner's GET routes (the fake, over HTTP), under
the same (session, call_id) key — so a second run changes nothing."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from dialer.models import DialCall, DialSession
from dialer.phoneburner.client import PhoneBurnerClient
from dialer.phoneburner.types import DialContact
from dialer.reconcile import dial_sessions_reconcile
from tests.dialer.conftest import deliver
from tests.dialer.phoneburner_helpers import DialerBrowser

pytestmark = pytest.mark.django_db

FIELDS = ("session_id", "contact_id", "phoneburner_call_id", "phone", "disposition", "family", "connected", "voicemail",
          "duration", "note", "recording_url", "started_at", "ended_at")  # fmt: skip


def rows() -> list[tuple]:
    return list(DialCall.objects.order_by("phoneburner_call_id").values_list(*FIELDS))


def play(redirect_url: str, *dispositions: str) -> None:
    browser = DialerBrowser(redirect_url)
    for n, disposition in enumerate(dispositions):
        browser.dial()
        browser.dispose(disposition, note=f"note {n}")
    browser.close()


def test_a_session_whose_callbacks_all_failed_is_found_by_its_calls_and_filled_in(
    fake_pb, alice, launched, make_contact, franchise_a
):
    fake_pb.drop_callbacks = True
    ann, bo, cy = (make_contact(franchise_a, n) for n in ("Ann Lee", "Bo Park", "Cy Cole"))
    session, redirect_url = launched(alice, [ann, bo, cy])
    play(redirect_url, "Set Appointment", "Left Message", "Do Not Call")
    assert deliver(fake_pb) == [] and not DialCall.objects.exists()

    counts = dial_sessions_reconcile()
    assert (counts.sessions, counts.matched, counts.added, counts.updated, counts.errors) == (1, 1, 3, 0, [])
    session.refresh_from_db()
    assert session.phoneburner_session_id == next(iter(fake_pb.sessions))
    assert session.status == DialSession.Status.FINISHED and session.reconciled_at is not None
    calls = {c.contact: c for c in DialCall.objects.all()}
    assert (calls[ann].disposition, calls[ann].family, calls[ann].connected) == ("Set Appointment", "appointment", True)
    assert calls[ann].recording_url.startswith(fake_pb.base)
    assert (calls[bo].family, calls[bo].voicemail, calls[bo].recording_url) == ("voicemail", True, "")
    assert "note 1" in calls[bo].note
    pb_call = fake_pb.calls[calls[bo].phoneburner_call_id]
    assert calls[bo].started_at == pb_call.start_when.replace(microsecond=0)
    cy.refresh_from_db()
    assert cy.do_not_call  # the outcome applies whichever way the call arrived
    ann.refresh_from_db()
    assert "note 0" in ann.notes


def test_running_reconcile_twice_changes_nothing(fake_pb, alice, launched, make_contact, franchise_a):
    fake_pb.drop_callbacks = True
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    _, redirect_url = launched(alice, [ann, bo])
    play(redirect_url, "No Answer", "Interested")
    dial_sessions_reconcile()
    before = rows()
    notes = list(ann.__class__.objects.order_by("pk").values_list("notes", flat=True))
    counts = dial_sessions_reconcile()
    assert (counts.added, counts.updated, counts.unchanged) == (0, 0, 2)
    assert rows() == before
    assert list(ann.__class__.objects.order_by("pk").values_list("notes", flat=True)) == notes


def test_reconcile_after_the_callbacks_adds_phoneburners_times_and_recordings_once(
    fake_pb, alice, launched, make_contact, franchise_a
):
    ann = make_contact(franchise_a, "Ann Lee")
    session, redirect_url = launched(alice, [ann])
    play(redirect_url, "Interested")
    assert deliver(fake_pb) == [200, 200, 200]
    (call,) = DialCall.objects.all()
    assert call.recording_url == ""
    first = dial_sessions_reconcile()
    assert (first.matched, first.added, first.updated) == (0, 0, 1)  # the session id came with callbegin
    call.refresh_from_db()
    assert call.recording_url.startswith(fake_pb.base)
    assert DialCall.objects.count() == 1
    second = dial_sessions_reconcile()
    assert (second.added, second.updated, second.unchanged) == (0, 0, 1)


def test_each_of_two_sessions_gets_the_phoneburner_session_that_called_its_own_contacts(
    fake_pb, alice, launched, make_contact, franchise_a
):
    fake_pb.drop_callbacks = True
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    first, first_url = launched(alice, [ann])
    second, second_url = launched(alice, [bo])
    play(second_url, "No Answer")
    play(first_url, "Busy Phone")
    assert dial_sessions_reconcile().matched == 2
    assert DialCall.objects.get(session=first).contact == ann
    assert DialCall.objects.get(session=second).contact == bo


def test_a_phoneburner_session_that_called_other_people_is_never_claimed(
    fake_pb, alice, launched, make_contact, franchise_a
):
    fake_pb.drop_callbacks = True
    ann = make_contact(franchise_a, "Ann Lee")
    session, _ = launched(alice, [ann])  # launched, never played
    # Someone starts a session in PhoneBurner directly, dialling a stranger.
    import httpx

    with httpx.Client(base_url=fake_pb.base) as http:
        other = PhoneBurnerClient("alice-pb-token", http=http).create_dial_session(
            contacts=[DialContact(lead_id="x", phone="9495550000")], callbacks={}
        )
    play(other.redirect_url, "No Answer")
    counts = dial_sessions_reconcile()
    assert (counts.matched, counts.added) == (0, 0)
    session.refresh_from_db()
    assert session.phoneburner_session_id is None


def test_the_command_prints_counts_and_reports_an_account_it_cannot_use(
    fake_pb, alice, bob, launched, make_contact, franchise_a, link
):
    fake_pb.drop_callbacks = True
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    _, url = launched(alice, [ann])
    play(url, "Left Message")
    launched(bob, [bo])
    bob.phoneburner_account.access_token = "revoked"
    bob.phoneburner_account.save()
    out, err = io.StringIO(), io.StringIO()
    call_command("reconcile_dial_sessions", "--since", "1", stdout=out, stderr=err)
    assert out.getvalue().strip().splitlines()[-1] == (
        "sessions 1 (matched 1), calls added 1, updated 0, unchanged 0, errors 1"
    )
    assert "bob: PhoneBurner refused the token" in err.getvalue()
    assert "revoked" not in err.getvalue()


def test_the_command_refuses_a_silly_window():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="between 1 and 90"):
        call_command("reconcile_dial_sessions", "--since", "0")
