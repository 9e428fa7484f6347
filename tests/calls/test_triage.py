"""Triage: staff set a call's state; the system moves it forward from what it learns."""

from __future__ import annotations

import pytest

from calls.models import Call
from calls.triage import BadCallState, call_state_set

State = Call.State


@pytest.fixture
def call(franchise_a, make_call) -> Call:
    return make_call(franchise_a)


def test_a_new_call_is_new_and_untouched(call):
    call.refresh_from_db()
    assert (call.state, call.state_changed_by, call.state_changed_at) == (State.NEW, None, None)


def test_staff_set_a_state_and_it_keeps_who_and_when(call, bob):
    changed = call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.REVIEWED, by=bob)
    call.refresh_from_db()
    assert changed == 1
    assert (call.state, call.state_changed_by) == (State.REVIEWED, bob)
    assert call.state_changed_at is not None


def test_setting_the_same_state_again_changes_nothing(call, bob, alice):
    call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.REVIEWED, by=bob)
    assert call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.REVIEWED, by=alice) == 0
    call.refresh_from_db()
    assert call.state_changed_by == bob


def test_not_needed_keeps_its_reason_and_refuses_an_unknown_one(call, bob):
    call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.NOT_NEEDED, by=bob, reason="spam")
    call.refresh_from_db()
    assert (call.state, call.state_reason) == (State.NOT_NEEDED, "spam")
    with pytest.raises(BadCallState):
        call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.NOT_NEEDED, reason="because")
    with pytest.raises(BadCallState):
        call_state_set(calls=Call.objects.filter(pk=call.pk), state="lost")


def test_an_automatic_change_only_moves_a_call_forward(franchise_a, make_call, bob):
    new, booked, closed = make_call(franchise_a), make_call(franchise_a), make_call(franchise_a)
    call_state_set(calls=Call.objects.filter(pk=booked.pk), state=State.BOOKED, by=bob)
    call_state_set(calls=Call.objects.filter(pk=closed.pk), state=State.NOT_NEEDED, by=bob, reason="wrong number")

    changed = call_state_set(calls=Call.objects.filter(franchise=franchise_a), state=State.CALLED_BACK, automatic=True)

    states = dict(Call.objects.values_list("pk", "state"))
    assert changed == 1
    assert states == {new.pk: State.CALLED_BACK, booked.pk: State.BOOKED, closed.pk: State.NOT_NEEDED}


def test_a_booking_closes_a_called_back_call(call):
    call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.CALLED_BACK, automatic=True)
    call_state_set(calls=Call.objects.filter(pk=call.pk), state=State.BOOKED, automatic=True)
    call.refresh_from_db()
    assert call.state == State.BOOKED
