"""Triage on the staff pages: ticked calls of the list, one call from its page, the `state` filter."""

from __future__ import annotations

import re

import pytest

from calls.models import Call

State = Call.State


def row_ids(response) -> list[str]:
    return re.findall(r'data-testid="call-row" data-conversation-id="([^"]+)"', response.content.decode())


def states(*calls) -> list[str]:
    return [Call.objects.get(pk=call.pk).state for call in calls]


def test_the_state_filter_lists_only_calls_in_that_state(alice, franchise_a, make_call, signed_in):
    waiting = make_call(franchise_a, state=State.NEEDS_CALLBACK)
    make_call(franchise_a)
    client = signed_in(alice)
    assert row_ids(client.get("/calls/", {"state": "needs_callback"})) == [waiting.conversation_id]
    page = client.get("/calls/", {"state": "needs_callback"}).content.decode()
    assert '<option value="needs_callback" selected>' in page
    assert re.search(r'data-testid="result-count">1 call matches<', page)
    assert client.get("/calls/", {"state": "lost"}).status_code == 400


@pytest.mark.parametrize("persona", ["alice", "bob"])
def test_staff_mark_ticked_calls_and_come_back_to_the_same_list(persona, request, franchise_a, make_call, signed_in):
    one, two, untouched = (make_call(franchise_a, agent_type="daytime") for _ in range(3))
    client = signed_in(request.getfixturevalue(persona))
    response = client.post(
        "/calls/state/",
        {"calls": [one.conversation_id, two.conversation_id], "state": "reviewed", "list": "agent_type=daytime"},
    )
    assert response.status_code == 302 and response["Location"] == "/calls/?agent_type=daytime"
    assert states(one, two, untouched) == [State.REVIEWED, State.REVIEWED, State.NEW]
    assert Call.objects.get(pk=one.pk).state_changed_by.username == persona


def test_htmx_gets_the_list_back_saying_what_changed(alice, franchise_a, make_call, signed_in):
    one, two = make_call(franchise_a), make_call(franchise_a)
    client = signed_in(alice)
    client.post("/calls/state/", {"calls": [one.conversation_id], "state": "reviewed"})
    response = client.post(
        "/calls/state/",
        {"calls": [one.conversation_id, two.conversation_id], "state": "reviewed", "list": "state=new"},
        headers={"HX-Request": "true"},
    )
    page = response.content.decode()
    assert response.status_code == 200 and "<html" not in page
    assert "2 calls marked reviewed (1 already were)." in page
    assert row_ids(response) == []  # the list of new calls, now empty


def test_applying_with_nothing_ticked_keeps_the_list_and_says_why(alice, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    response = signed_in(alice).post(
        "/calls/state/", {"state": "reviewed", "list": "state=new"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 400 and "<html" not in response.content.decode()
    assert "Tick at least one call." in response.content.decode()
    assert row_ids(response) == [call.conversation_id]  # the list as it was


def test_a_call_not_needed_keeps_its_reason(bob, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    signed_in(bob).post("/calls/state/", {"calls": [call.conversation_id], "state": "not_needed", "reason": "spam"})
    call.refresh_from_db()
    assert (call.state, call.state_reason) == (State.NOT_NEEDED, "spam")


def test_a_batch_naming_another_franchises_call_is_a_404_and_changes_nothing(
    alice, franchise_a, franchise_b, make_call, signed_in
):
    mine, theirs = make_call(franchise_a), make_call(franchise_b)
    response = signed_in(alice).post(
        "/calls/state/", {"calls": [mine.conversation_id, theirs.conversation_id], "state": "reviewed"}
    )
    assert response.status_code == 404
    assert states(mine, theirs) == [State.NEW, State.NEW]


@pytest.mark.parametrize(
    "data",
    [{"state": "reviewed"}, {"calls": ["x"], "state": "lost"}, {"calls": ["x"], "state": "not_needed", "reason": "x"}],
)
def test_a_bad_batch_is_a_400_with_a_reason(alice, data, signed_in):
    response = signed_in(alice).post("/calls/state/", data)
    assert response.status_code == 400 and response.content


def test_the_call_page_sets_the_state_and_shows_who_and_when(bob, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    client = signed_in(bob)
    url = f"/calls/{call.conversation_id}/"
    response = client.post(url + "state?q=flood", {"state": "needs_callback"})
    assert response.status_code == 302 and response["Location"] == url + "?q=flood"
    page = client.get(url).content.decode()
    assert re.search(r'data-testid="call-state">Needs call-back<', page)
    assert re.search(r'data-testid="call-state-changed">by bob, <time', page)
    fragment = client.post(url + "state", {"state": "booked"}, headers={"HX-Request": "true"}).content.decode()
    assert 'id="call-triage"' in fragment and "<html" not in fragment and ">Booked<" in fragment


def test_carol_cannot_triage_franchise_a_calls(carol, franchise_a, make_call, signed_in):
    call = make_call(franchise_a)
    assert signed_in(carol).post(f"/calls/{call.conversation_id}/state", {"state": "booked"}).status_code == 404
    assert states(call) == [State.NEW]


def test_anonymous_visitors_cannot_triage(client, franchise_a, make_call):
    call = make_call(franchise_a)
    assert client.post(f"/calls/{call.conversation_id}/state", {"state": "booked"}).status_code == 302
    assert client.post("/calls/state/", {"calls": [call.conversation_id], "state": "booked"}).status_code == 302
    assert states(call) == [State.NEW]


def test_from_after_to_is_an_error_beside_the_dates(alice, franchise_a, make_call, signed_in):
    make_call(franchise_a)
    client = signed_in(alice)
    page = client.get("/calls/", {"start": "2026-06-10", "end": "2026-06-01"})
    assert page.status_code == 400
    assert re.search(r'id="filter-errors"[^>]*>.*From must be on or before To', page.content.decode(), re.S)
    # htmx keeps the results on screen: only the errors change (out of band), and the URL stays.
    fragment = client.get("/calls/", {"start": "2026-06-10", "end": "2026-06-01"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 400
    assert fragment["HX-Reswap"] == "none" and fragment["HX-Push-Url"] == "false"
    assert 'hx-swap-oob="innerHTML"' in fragment.content.decode()
    assert "From must be on or before To" in fragment.content.decode()
