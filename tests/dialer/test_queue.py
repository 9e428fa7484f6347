"""The call-back queue's rules: recent call-back calls whose caller has not been dialled since, one
row per caller, newest first, filters, the count in the navigation, and "Dial these"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from dialer.models import DialCall, DialerSettings, DialSession
from dialer.queries import QueueFilters, queue_calls

pytestmark = pytest.mark.django_db


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def queued(franchise, **filters) -> list[str]:
    return [c.conversation_id for c in queue_calls(franchise, QueueFilters(**filters))]


def dialled(franchise, phone, *, at, contact=None) -> DialCall:
    session = DialSession.objects.create(franchise=franchise, status=DialSession.Status.FINISHED)
    return DialCall.objects.create(
        session=session,
        franchise=franchise,
        contact=contact,
        phoneburner_call_id=str(DialCall.objects.count() + 1),
        phone=phone,
        disposition="No Answer",
        family="no_answer",
        started_at=at,
    )


def test_recent_calls_in_call_back_categories_wait_in_the_queue(franchise_a, make_call):
    make_call(franchise_a, conversation_id="CA-new", timestamp=ago(hours=2))
    make_call(franchise_a, conversation_id="CA-spam", call_category="spam", timestamp=ago(hours=1))
    make_call(franchise_a, conversation_id="CA-old", timestamp=ago(days=8))
    assert queued(franchise_a) == ["CA-new"]


def test_a_franchise_chooses_its_call_back_categories_and_window(franchise_a, make_call):
    make_call(franchise_a, conversation_id="CA-bill", call_category="billing_question", timestamp=ago(hours=2))
    make_call(
        franchise_a, conversation_id="CA-urgent", call_category="new_urgent_service_request", timestamp=ago(days=9)
    )
    assert queued(franchise_a) == ["CA-bill"]
    DialerSettings.objects.create(
        franchise=franchise_a, callback_categories=["new_urgent_service_request"], queue_days=10
    )
    assert queued(franchise_a) == ["CA-urgent"]


def test_a_caller_dialled_since_their_call_leaves_the_queue(franchise_a, make_call):
    make_call(franchise_a, conversation_id="CA-1", caller_id="+15553330001", timestamp=ago(hours=5))
    make_call(franchise_a, conversation_id="CA-2", caller_id="+15553330002", timestamp=ago(hours=5))
    dialled(franchise_a, "+15553330001", at=ago(hours=1))
    dialled(franchise_a, "+15553330002", at=ago(hours=6))  # before the call: still waiting
    assert queued(franchise_a) == ["CA-2"]


def test_a_dial_to_any_phone_of_the_callers_contact_counts(franchise_a, make_call, make_contact):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15553330001", alternate_phones=["+15553330009"])
    make_call(franchise_a, conversation_id="CA-1", caller_id="+15553330001", timestamp=ago(hours=5))
    dialled(franchise_a, "+15553330009", at=ago(hours=1), contact=ann)
    assert queued(franchise_a) == []


def test_one_row_per_caller_with_their_newest_call(franchise_a, make_call, make_contact):
    make_contact(franchise_a, "Ann Lee", phone="+15553330001", alternate_phones=["+15553330002"])
    make_call(franchise_a, conversation_id="CA-ann-old", caller_id="+15553330001", timestamp=ago(hours=9))
    make_call(franchise_a, conversation_id="CA-ann-new", caller_id="+15553330002", timestamp=ago(hours=3))
    make_call(franchise_a, conversation_id="CA-new-1", caller_id="+15553339999", timestamp=ago(hours=4))
    make_call(franchise_a, conversation_id="CA-new-2", caller_id="+15553339999", timestamp=ago(hours=2))
    rows = list(queue_calls(franchise_a))
    assert [r.conversation_id for r in rows] == ["CA-new-2", "CA-ann-new"]
    assert [r.caller_calls for r in rows] == [2, 2]


def test_callers_who_must_not_be_called_are_not_in_the_queue(franchise_a, make_call, make_contact):
    make_contact(franchise_a, "Dee Nope", phone="+15553330001", do_not_call=True)
    make_call(franchise_a, conversation_id="CA-1", caller_id="+15553330001", timestamp=ago(hours=1))
    assert queued(franchise_a) == []


def test_filters_narrow_the_queue(franchise_a, make_call, location_a, location_a2):
    make_call(franchise_a, conversation_id="CA-north", location=location_a, timestamp=ago(minutes=30))
    make_call(
        franchise_a,
        conversation_id="CA-south",
        location=location_a2,
        call_category="estimate_request",
        timestamp=ago(hours=30),
    )
    assert queued(franchise_a, location=location_a.pk) == ["CA-north"]
    assert queued(franchise_a, category="estimate_request") == ["CA-south"]
    assert queued(franchise_a, age="1h") == ["CA-north"]


def test_the_queue_page_lists_callers_and_dials_them_as_filtered(
    franchise_a, bob, signed_in, make_call, location_a, make_contact
):
    ann = make_contact(franchise_a, "Ann Lee", phone="+15553330001")
    make_call(
        franchise_a,
        conversation_id="CA-ann",
        caller_id="+15553330001",
        call_summary="Basement flooded",
        timestamp=ago(hours=2),
    )
    make_call(
        franchise_a,
        conversation_id="CA-new",
        caller_id="+15553330002",
        customer_name="Rita Moreno",
        location=location_a,
        timestamp=ago(hours=3),
    )
    html = signed_in(bob).get("/dialer/queue/").content.decode()
    assert html.count('data-testid="queue-row"') == 2
    assert "Ann Lee" in html and "Basement flooded" in html and "Rita Moreno" in html
    assert f'href="/contacts/{ann.pk}/"' in html
    assert 'href="/dialer/new/?queue=1"' in html
    assert 'data-testid="queue-count">2<' in html
    filtered = signed_in(bob).get(f"/dialer/queue/?location={location_a.pk}").content.decode()
    assert filtered.count('data-testid="queue-row"') == 1
    assert f'href="/dialer/new/?queue=1&amp;location={location_a.pk}"' in filtered


def test_the_queue_never_shows_another_franchises_callers(franchise_a, franchise_b, carol, signed_in, make_call):
    make_call(franchise_a, conversation_id="CA-a", timestamp=ago(hours=1))
    html = signed_in(carol).get("/dialer/queue/").content.decode()
    assert 'data-testid="queue-row"' not in html and 'data-testid="queue-count">0<' in html


def test_a_bad_filter_is_a_400_with_the_reason(franchise_a, bob, signed_in):
    response = signed_in(bob).get("/dialer/queue/?location=nowhere&age=forever")
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()


def test_the_queue_page_costs_a_fixed_number_of_queries(
    franchise_a, bob, signed_in, make_call, make_contact, django_assert_max_num_queries
):
    for n in range(20):
        if n % 2:
            make_contact(franchise_a, f"Person {n}", phone=f"+1555444{n:04d}")
        make_call(franchise_a, caller_id=f"+1555444{n:04d}", timestamp=ago(hours=n + 1))
    client = signed_in(bob)
    with django_assert_max_num_queries(14):
        html = client.get("/dialer/queue/").content.decode()
    assert html.count('data-testid="queue-row"') == 20


def test_dialling_the_queue_launches_for_every_caller_in_it(
    fake_pb, franchise_a, alice, link, signed_in, make_call, make_contact
):
    link(alice)
    ann = make_contact(franchise_a, "Ann Lee", phone="+15553330001")
    make_call(franchise_a, caller_id="+15553330001", timestamp=ago(hours=2))
    make_call(franchise_a, caller_id="+15553330002", customer_name="Rita Moreno", timestamp=ago(hours=3))
    make_call(franchise_a, caller_id="+15553330003", call_category="spam", timestamp=ago(hours=3))
    client = signed_in(alice)
    dialog = client.get("/dialer/new/?queue=1").content.decode()
    assert "<strong>2</strong> people will be dialled" in dialog
    form = {
        "contact": [ann.pk],
        "call": [int(v) for v in __import__("re").findall(r'name="call" value="(\d+)"', dialog)],
        "mode": "power",
    }
    assert client.post("/dialer/new/", form).status_code == 303
    session = DialSession.objects.get()
    assert sorted(c.display_name for c in session.contacts.all()) == ["Ann Lee", "Rita Moreno"]
    # Launched and waiting: the queue still lists them until a dial is reported.
    assert len(queued(franchise_a)) == 2


def test_calls_whose_triage_is_closed_leave_the_queue(franchise_a, make_call):
    from calls.models import Call

    booked = make_call(franchise_a, conversation_id="CA-booked", caller_id="+15553330001", timestamp=ago(hours=2))
    spam = make_call(franchise_a, conversation_id="CA-not-needed", caller_id="+15553330002", timestamp=ago(hours=2))
    make_call(franchise_a, conversation_id="CA-reviewed", caller_id="+15553330003", timestamp=ago(hours=2))
    Call.objects.filter(pk=booked.pk).update(state=Call.State.BOOKED)
    Call.objects.filter(pk=spam.pk).update(state=Call.State.NOT_NEEDED, state_reason="spam")
    Call.objects.filter(conversation_id="CA-reviewed").update(state=Call.State.REVIEWED)
    assert queued(franchise_a) == ["CA-reviewed"]
