"""The one dial gate: each reason a contact is left out, and who gets through with which phone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from contacts.models import Contact
from dialer.gate import BAD_NUMBER, DNC_DISPOSITION, DO_NOT_CALL, NO_PHONE, OPEN_SESSION, dial_gate
from dialer.models import BadPhone, DialCall, DialSession, Family

pytestmark = pytest.mark.django_db


def reasons(result) -> dict[str, str]:
    return {e.contact.display_name: e.reason for e in result.excluded}


def session_with(franchise, contacts, *, status=DialSession.Status.LAUNCHED, hours_ago: float = 1) -> DialSession:
    session = DialSession.objects.create(franchise=franchise, status=status)
    session.contacts.set(contacts)
    DialSession.objects.filter(pk=session.pk).update(created_at=timezone.now() - timedelta(hours=hours_ago))
    return session


def dial(session, contact, *, family="", disposition="") -> DialCall:
    return DialCall.objects.create(
        session=session,
        franchise=session.franchise,
        contact=contact,
        phoneburner_call_id=str(DialCall.objects.count() + 1),
        phone=contact.primary_phone,
        family=family,
        disposition=disposition,
        started_at=timezone.now(),
    )


def test_a_contact_with_a_good_phone_is_dialled_on_it(franchise_a, make_contact):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001", alternate_phones=["+15552010002"])
    result = dial_gate(franchise=franchise_a, contacts=[ann])
    (dialable,) = result.dialable
    assert (dialable.contact, dialable.phone, dialable.other_phones) == (ann, "+15552010001", ("+15552010002",))
    assert result.excluded == []


def test_a_do_not_call_contact_is_left_out(franchise_a, make_contact):
    ann = make_contact(franchise_a, "Ann Lee", do_not_call=True)
    assert reasons(dial_gate(franchise=franchise_a, contacts=[ann])) == {"Ann Lee": DO_NOT_CALL}


def test_a_contact_who_got_a_do_not_call_disposition_is_left_out_even_with_the_flag_cleared(franchise_a, make_contact):
    ann = make_contact(franchise_a, "Ann Lee")
    dial(session_with(franchise_a, [ann], hours_ago=48), ann, family=Family.DO_NOT_CALL, disposition="Do Not Call")
    assert not Contact.objects.get(pk=ann.pk).do_not_call
    assert reasons(dial_gate(franchise=franchise_a, contacts=[ann])) == {"Ann Lee": DNC_DISPOSITION}


def test_a_contact_without_a_phone_is_left_out(franchise_a):
    nobody = Contact.objects.create(franchise=franchise_a, first_name="No", last_name="Phone")
    assert reasons(dial_gate(franchise=franchise_a, contacts=[nobody])) == {"No Phone": NO_PHONE}


def test_a_contact_whose_only_phone_is_bad_is_left_out_and_a_good_other_phone_is_used(franchise_a, make_contact):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001")
    bo = make_contact(franchise_a, "Bo Park", phone="+15552010003", alternate_phones=["+15552010004"])
    BadPhone.objects.create(franchise=franchise_a, number="+15552010001")
    BadPhone.objects.create(franchise=franchise_a, number="+15552010003")
    result = dial_gate(franchise=franchise_a, contacts=[ann, bo])
    assert reasons(result) == {"Ann Lee": BAD_NUMBER}
    assert [(d.contact, d.phone) for d in result.dialable] == [(bo, "+15552010004")]


def test_a_phone_marked_bad_at_another_franchise_does_not_count_here(franchise_a, franchise_b, make_contact):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15552010001")
    BadPhone.objects.create(franchise=franchise_b, number="+15552010001")
    assert dial_gate(franchise=franchise_a, contacts=[ann]).excluded == []


def test_a_contact_in_an_open_session_is_left_out_until_a_call_to_them_is_reported(franchise_a, make_contact):
    ann, bo = make_contact(franchise_a, "Ann Lee"), make_contact(franchise_a, "Bo Park")
    session = session_with(franchise_a, [ann, bo])
    assert reasons(dial_gate(franchise=franchise_a, contacts=[ann, bo])) == {
        "Ann Lee": OPEN_SESSION,
        "Bo Park": OPEN_SESSION,
    }
    dial(session, ann, family=Family.NO_ANSWER, disposition="No Answer")
    assert reasons(dial_gate(franchise=franchise_a, contacts=[ann, bo])) == {"Bo Park": OPEN_SESSION}


@pytest.mark.parametrize(
    "status, hours_ago",
    [
        (DialSession.Status.LAUNCHED, 13),  # launched more than 12 hours ago
        (DialSession.Status.FAILED, 1),  # PhoneBurner refused it
        (DialSession.Status.FINISHED, 1),  # PhoneBurner says it ended
    ],
)
def test_a_session_that_is_no_longer_open_does_not_hold_its_contacts(franchise_a, make_contact, status, hours_ago):
    ann = make_contact(franchise_a, "Ann Lee")
    session_with(franchise_a, [ann], status=status, hours_ago=hours_ago)
    assert [d.contact for d in dial_gate(franchise=franchise_a, contacts=[ann]).dialable] == [ann]


def test_another_franchises_contacts_never_get_through(franchise_a, franchise_b, make_contact):
    theirs = make_contact(franchise_b, "Cy Cole")
    result = dial_gate(franchise=franchise_a, contacts=[theirs])
    assert result.dialable == [] and result.excluded == []


def test_the_gate_keeps_the_order_it_was_given_and_drops_repeats(franchise_a, make_contact):
    ann, bo, cy = (make_contact(franchise_a, n) for n in ("Ann Lee", "Bo Park", "Cy Cole"))
    result = dial_gate(franchise=franchise_a, contacts=[cy, ann, cy, bo])
    assert [d.contact for d in result.dialable] == [cy, ann, bo]


def test_the_gate_asks_the_database_a_fixed_number_of_times(franchise_a, make_contact, django_assert_max_num_queries):
    contacts = [make_contact(franchise_a, f"Person {n}") for n in range(30)]
    session_with(franchise_a, contacts[:5])
    with django_assert_max_num_queries(4):
        result = dial_gate(franchise=franchise_a, contacts=contacts)
    assert len(result.dialable) == 25
