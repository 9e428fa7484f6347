"""PhoneBurner's callbacks: the secret, the size and shape rules, idempotency on (session, call_id),
and what a finished call changes on the contact."""

from __future__ import annotations

import json
import secrets

import pytest
from django.test import Client

from contacts.models import Contact
from dialer.gate import BAD_NUMBER, dial_gate
from dialer.models import BadPhone, DialCall, DialSession, DispositionMapping, Family
from dialer.services import callback_secret_hash

pytestmark = pytest.mark.django_db


@pytest.fixture
def session_for(franchise_a, alice):
    """`session_for(contacts)` → (session, post) where `post(kind, body)` sends a callback with the
    session's own secret (or `secret=`)."""

    def make(contacts, franchise=None, user=None):
        secret = secrets.token_urlsafe(32)
        session = DialSession.objects.create(
            franchise=franchise or franchise_a,
            created_by=user or alice,
            status=DialSession.Status.LAUNCHED,
            callback_secret_hash=callback_secret_hash(secret),
        )
        session.contacts.set(contacts)
        client = Client()

        def post(kind: str, body, *, secret_: str = secret, raw: bytes | None = None):
            data = raw if raw is not None else json.dumps(body)
            path = f"/hooks/phoneburner/{session.pk}/{secret_}/{kind}/"
            return client.post(path, data, content_type="application/json")

        return session, post

    return make


def done(
    contact,
    call_id="1767709",
    status="Left Message",
    *,
    connected="0",
    duration=54,
    phones=None,
    notes=None,
    phone=None,
):
    phone = phone or contact.primary_phone.removeprefix("+1")
    return {
        "status": status,
        "duration": duration,
        "call_id": call_id,
        "connected": connected,
        "contact": {
            "user_id": "30919237",
            "lead_id": str(contact.pk),
            "phone": phone,
            "first_name": contact.first_name,
            "last_name": contact.last_name,
            "phones": [{"number": p, "phone_type": "Home", "phone_label": None} for p in (phones or [phone])],
            "addresses": [],
            "notes": notes,
        },
    }


def begin(contact, call_id="1767709", ds_id="70951"):
    return {"lead_id": str(contact.pk), "custom_data": {"breesy_session": "x"}, "ds_id": ds_id, "call_id": call_id}


# --- Who may call back, and with what --------------------------------------------------------------


def test_a_wrong_or_missing_secret_is_a_404_that_writes_nothing(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    session, post = session_for([ann])
    assert post("calldone", done(ann), secret_="wrong-secret").status_code == 404
    assert post("calldone", done(ann), secret_=secrets.token_urlsafe(32)).status_code == 404
    assert (
        Client().post(f"/hooks/phoneburner/{session.pk}//calldone/", "{}", content_type="application/json").status_code
        == 404
    )
    assert not DialCall.objects.exists()


def test_an_unknown_session_or_kind_is_a_404(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    session, post = session_for([ann])
    assert post("calldone-please", done(ann)).status_code == 404
    other = Client().post(
        "/hooks/phoneburner/00000000-0000-0000-0000-000000000000/x/calldone/", "{}", content_type="application/json"
    )
    assert other.status_code == 404
    assert not DialCall.objects.exists()


def test_a_body_over_64_kb_is_a_413(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    _, post = session_for([ann])
    big = done(ann, notes="x" * 70_000)
    assert post("calldone", big).status_code == 413
    assert not DialCall.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"[]", b'"text"', b'{"status": "No Answer"}', b'{"call_id": "1", "duration": "long"}', b"\xff\xfe"],
    ids=["bad json", "a list", "a string", "no call id", "duration not a number", "not utf-8"],
)
def test_a_body_that_is_not_a_calldone_is_a_400(session_for, make_contact, franchise_a, raw):
    ann = make_contact(franchise_a, "Ann Lee")
    _, post = session_for([ann])
    response = post("calldone", None, raw=raw)
    assert response.status_code == 400
    assert "Not a calldone callback" in response.json()["detail"]
    assert not DialCall.objects.exists()


def test_callbacks_are_posts(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    session, _ = session_for([ann])
    assert Client().get(f"/hooks/phoneburner/{session.pk}/x/calldone/").status_code == 405


# --- Idempotent on (session, call_id) ----------------------------------------------------------------


def test_calldone_five_times_makes_one_dial_call_and_changes_the_contact_once(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee", notes="Prefers mornings.")
    session, post = session_for([ann])
    body = done(ann, notes="Prefers mornings.\n-- Aug 06, 2023 9:02 am - PB - Left a message.")
    assert [post("calldone", body).status_code for _ in range(5)] == [200] * 5
    (call,) = DialCall.objects.all()
    assert (call.session, call.contact, call.disposition, call.family, call.duration) == (
        session,
        ann,
        "Left Message",
        "voicemail",
        54,
    )
    assert (call.phone, call.connected, call.voicemail) == (ann.primary_phone, False, True)
    assert call.note == "-- Aug 06, 2023 9:02 am - PB - Left a message."
    ann.refresh_from_db()
    assert ann.notes == "Prefers mornings.\n-- Aug 06, 2023 9:02 am - PB - Left a message."


def test_a_calldone_that_arrives_before_its_callbegin_still_lands(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    session, post = session_for([ann])
    assert post("calldone", done(ann, status="No Answer", duration=20)).status_code == 200
    started = DialCall.objects.get().started_at
    assert post("callbegin", begin(ann)).status_code == 200
    (call,) = DialCall.objects.all()
    assert (call.disposition, call.family, call.duration, call.started_at) == ("No Answer", "no_answer", 20, started)
    session.refresh_from_db()
    assert session.phoneburner_session_id == "70951"


def test_callbegin_teaches_us_phoneburners_session_id_once(session_for, make_contact, franchise_a):
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    session, post = session_for([ann, bo])
    assert post("contact-displayed", {"endpoint": "x", "contact_user_id": 1, "lead_id": str(ann.pk)}).status_code == 200
    assert post("callbegin", begin(ann, call_id="1", ds_id="70951")).status_code == 200
    assert post("callbegin", begin(bo, call_id="2", ds_id="99999")).status_code == 200
    session.refresh_from_db()
    assert session.phoneburner_session_id == "70951"
    assert session.last_callback_at is not None
    assert DialCall.objects.filter(family="").count() == 2  # begun, not done


def test_the_same_call_id_in_two_sessions_makes_two_calls_that_never_touch_each_other(
    session_for, make_contact, franchise_a, franchise_b, carol
):
    ann = make_contact(franchise_a, "Ann Lee")
    cy = make_contact(franchise_b, "Cy Cole")
    mine, post_mine = session_for([ann])
    theirs, post_theirs = session_for([cy], franchise=franchise_b, user=carol)
    assert post_mine("calldone", done(ann, status="No Answer")).status_code == 200
    # Carol's session reports the same call id, and our contact's id as its lead: it stays hers.
    assert post_theirs("calldone", done(ann, status="Do Not Call", connected="1")).status_code == 200
    calls = {c.session_id: c for c in DialCall.objects.all()}
    assert (calls[mine.pk].contact, calls[mine.pk].disposition) == (ann, "No Answer")
    assert (calls[theirs.pk].contact, calls[theirs.pk].family) == (None, "do_not_call")
    ann.refresh_from_db()
    assert not ann.do_not_call


def test_a_lead_id_outside_the_session_is_matched_by_phone_or_not_at_all(session_for, make_contact, franchise_a):
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    _, post = session_for([ann])
    body = done(bo)
    body["contact"]["lead_id"] = str(bo.pk)
    assert post("calldone", body).status_code == 200
    assert DialCall.objects.get().contact is None
    body = done(ann, call_id="2")
    body["contact"]["lead_id"] = ""
    post("calldone", body)
    assert DialCall.objects.get(phoneburner_call_id="2").contact == ann


# --- What an outcome changes ---------------------------------------------------------------------------


def test_a_do_not_call_disposition_marks_the_contact_and_the_gate_leaves_them_out(
    session_for, make_contact, franchise_a, alice, signed_in
):
    ann = make_contact(franchise_a, "Ann Lee")
    _, post = session_for([ann])
    assert post("calldone", done(ann, status="Do Not Call", connected="1")).status_code == 200
    ann.refresh_from_db()
    assert ann.do_not_call
    assert dial_gate(franchise=franchise_a, contacts=[ann]).dialable == []
    page = signed_in(alice).get(f"/contacts/{ann.pk}/").content.decode()
    assert 'data-testid="dnc-flag"' in page
    assert 'data-testid="dial-outcome"' in page and "Do Not Call" in page


def test_a_bad_number_disposition_marks_that_phone_bad(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001")
    bo = make_contact(franchise_a, "Bo Park", phone="+15552010002", alternate_phones=["+15552010003"])
    _, post = session_for([ann, bo])
    post("calldone", done(ann, call_id="1", status="Bad Phone"))
    post("calldone", done(bo, call_id="2", status="Wrong Number", connected="1"))
    assert set(BadPhone.objects.values_list("number", flat=True)) == {"+15552010001", "+15552010002"}
    result = dial_gate(franchise=franchise_a, contacts=[ann, bo])
    assert [(e.contact, e.reason) for e in result.excluded] == [(ann, BAD_NUMBER)]
    assert [(d.contact, d.phone) for d in result.dialable] == [(bo, "+15552010003")]


def test_a_phone_the_agent_added_joins_the_contact_when_no_one_else_has_it(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001")
    make_contact(franchise_a, "Bo Park", phone="+15552010009")
    _, post = session_for([ann])
    body = done(ann, phones=["5552010001", "(555) 201-0002", "555-201-0009"])
    assert post("calldone", body).status_code == 200
    ann.refresh_from_db()
    assert ann.alternate_phones == ["+15552010002"]  # the Bo's phone stays Bo's: one phone, one contact
    post("calldone", body)
    ann.refresh_from_db()
    assert ann.alternate_phones == ["+15552010002"]


def test_a_franchises_own_mapping_decides_the_family(session_for, make_contact, franchise_a):
    DispositionMapping.objects.create(franchise=franchise_a, disposition="Booked Job", family=Family.APPOINTMENT)
    DispositionMapping.objects.create(franchise=franchise_a, disposition="left message", family=Family.OTHER)
    ann, bo, cy = (make_contact(franchise_a, n) for n in ("Ann Lee", "Bo Park", "Cy Cole"))
    _, post = session_for([ann, bo, cy])
    post("calldone", done(ann, call_id="1", status="Booked Job", connected="1"))
    post("calldone", done(bo, call_id="2", status="Left Message"))
    post("calldone", done(cy, call_id="3", status="Left voicemail #2"))  # no row: read from its words
    families = dict(DialCall.objects.values_list("phoneburner_call_id", "family"))
    assert families == {"1": "appointment", "2": "other", "3": "voicemail"}


def test_a_session_whose_every_contact_was_called_is_finished(session_for, make_contact, franchise_a):
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    session, post = session_for([ann, bo])
    post("calldone", done(ann, call_id="1"))
    session.refresh_from_db()
    assert session.status == DialSession.Status.LAUNCHED
    post("calldone", done(bo, call_id="2"))
    session.refresh_from_db()
    assert session.status == DialSession.Status.FINISHED and session.finished_at is not None


def test_a_contact_deleted_meanwhile_does_not_break_the_callback(session_for, make_contact, franchise_a):
    ann = make_contact(franchise_a, "Ann Lee")
    _, post = session_for([ann])
    body = done(ann, status="Do Not Call")
    Contact.objects.filter(pk=ann.pk).delete()
    assert post("calldone", body).status_code == 200
    assert DialCall.objects.get().contact is None


# --- Triage and the contact's history --------------------------------------------------------------


def test_a_dial_attempt_calls_the_callers_recent_calls_back_and_an_appointment_books_them(
    session_for, make_contact, make_call, franchise_a, alice
):
    from datetime import timedelta

    from django.utils import timezone

    from calls.models import Call

    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001")
    recent = make_call(franchise_a, caller_id="+15552010001", timestamp=timezone.now() - timedelta(hours=3))
    closed = make_call(franchise_a, caller_id="+15552010001", timestamp=timezone.now() - timedelta(hours=2))
    Call.objects.filter(pk=closed.pk).update(state=Call.State.NOT_NEEDED)
    old = make_call(franchise_a, caller_id="+15552010001", timestamp=timezone.now() - timedelta(days=40))
    _, post = session_for([ann])
    post("callbegin", begin(ann))
    states = dict(Call.objects.values_list("pk", "state"))
    assert (states[recent.pk], states[closed.pk], states[old.pk]) == ("called_back", "not_needed", "new")
    assert Call.objects.get(pk=recent.pk).state_changed_by == alice
    post("calldone", done(ann, status="Set Appointment", connected="1"))
    states = dict(Call.objects.values_list("pk", "state"))
    assert (states[recent.pk], states[closed.pk], states[old.pk]) == ("booked", "not_needed", "new")


def test_the_do_not_call_mark_is_kept_in_the_contacts_history_with_who_and_why(
    session_for, make_contact, franchise_a, alice, signed_in
):
    from contacts.models import ContactChange

    ann = make_contact(franchise_a, "Ann Lee")
    _, post = session_for([ann])
    for _ in range(3):
        post("calldone", done(ann, call_id="1767709", status="Do Not Call", connected="1"))
    (change,) = ContactChange.objects.filter(contact=ann, changes__has_key="do_not_call")
    assert (change.source, change.by, change.changes["do_not_call"]) == ("dialer", alice, [False, True])
    assert "Do Not Call" in change.reason and "1767709" in change.reason
    page = signed_in(alice).get(f"/contacts/{ann.pk}/").content.decode()
    history = page[page.index('data-testid="contact-history"') :]
    assert "Dialer" in history and "Do Not Call" in history
