"""The fake PhoneBurner over real HTTP on 127.0.0.1, driven by the same client the app uses: its
answers have the spec's shapes, its dialer page plays a session and fires the three callbacks, and
with callbacks dropped the calls are still there through the GET routes."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from dialer.phoneburner.client import PhoneBurnerClient, PhoneBurnerError
from dialer.phoneburner.fake import DEFAULT_TOKEN, FakePhoneBurner, is_loopback, running
from dialer.phoneburner.types import CallBegin, CallDone, ContactDisplayed, DialContact
from tests.dialer.phoneburner_helpers import DialerBrowser, callback_recorder

EXAMPLES = json.loads((Path(__file__).parents[1] / "fixtures" / "phoneburner_examples.json").read_text())
EASTERN = ZoneInfo("America/New_York")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 6, 22, 9, 0, tzinfo=EASTERN)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=20)
        return self.now


@pytest.fixture
def fake() -> FakePhoneBurner:
    return FakePhoneBurner(tokens={DEFAULT_TOKEN: "Pat Dialer", "second-token": "Sam Second"}, now=Clock())


@pytest.fixture
def base(fake):
    with running(fake) as url:
        yield url


@pytest.fixture
def pb(base):
    with httpx.Client(base_url=base, timeout=5, verify=False) as http:
        yield PhoneBurnerClient(DEFAULT_TOKEN, http=http, sleep=lambda s: None)


@pytest.fixture
def recorder():
    with callback_recorder() as (recorder, url):
        recorder.url = url
        yield recorder


def three_contacts() -> list[DialContact]:
    return [
        DialContact(lead_id="101", phone="9495551001", first_name="Ana", last_name="Ames", email="ana@example.com"),
        DialContact(lead_id="102", phone="9495551002", first_name="Ben", last_name="Bose", category_id="11991"),
        DialContact(lead_id="103", phone="9495551003", first_name="Cy", last_name="Cole"),
    ]


def callbacks(url: str) -> dict[str, str]:
    return {kind: f"{url}/{kind}" for kind in ("api_callbegin", "api_contact_displayed", "api_calldone")}


def keys(value):
    """The shape of a JSON value: its keys, recursively, and the types of its leaves ("null" for
    null). A list's shape merges its items, so a null in one item takes the type of another."""
    if isinstance(value, dict):
        return {key: keys(item) for key, item in value.items()}
    if isinstance(value, list):
        merged: dict | str = "null"
        for item in map(keys, value):
            merged = item if merged == "null" else merge(merged, item)
        return [merged] if value else []
    return type(value).__name__ if value is not None else "null"


def merge(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return {key: merge(a.get(key, "null"), b.get(key, "null")) for key in a | b}
    return b if a == "null" else a


def same_shape(ours, spec) -> bool:
    """Same keys everywhere and the same leaf types, null standing for any type."""
    if isinstance(ours, dict) and isinstance(spec, dict):
        return ours.keys() == spec.keys() and all(same_shape(ours[k], spec[k]) for k in ours)
    if isinstance(ours, list) and isinstance(spec, list):
        return not ours or not spec or same_shape(ours[0], spec[0])
    return "null" in (ours, spec) or ours == spec


def assert_shaped_like(ours, spec) -> None:
    assert same_shape(keys(ours), keys(spec)), (keys(ours), keys(spec))


# Plain HTTP on loopback: no CA bundle to load (httpx spends ~0.2 s on it per client).
LOCAL = httpx.Client(timeout=5, verify=False)


def raw(base: str, path: str, token: str = DEFAULT_TOKEN, **params) -> httpx.Response:
    return LOCAL.get(f"{base}{path}", params=params, headers={"Authorization": f"Bearer {token}"})


def play(redirect_url: str, *dispositions: tuple[str, str]) -> DialerBrowser:
    browser = DialerBrowser(redirect_url)
    for disposition, note in dispositions:
        browser.dial()
        browser.dispose(disposition, note=note)
    return browser


# --- Accounts --------------------------------------------------------------------------------------


def test_the_linked_member_is_the_one_the_token_belongs_to(base):
    with httpx.Client(base_url=base, timeout=5, verify=False) as http:
        assert PhoneBurnerClient(DEFAULT_TOKEN, http=http).me().name == "Pat Dialer"
        assert PhoneBurnerClient("second-token", http=http).me().name == "Sam Second"


def test_an_unknown_token_is_refused_with_a_message_to_relink(base):
    with (
        httpx.Client(base_url=base, timeout=5, verify=False) as http,
        pytest.raises(PhoneBurnerError, match="relink") as error,
    ):
        PhoneBurnerClient("not-a-token", http=http).me()
    assert error.value.status == 401


def test_the_fake_answers_in_the_shapes_of_the_spec(base, pb):
    assert_shaped_like(raw(base, "/rest/1/members/").json(), EXAMPLES["members"])
    assert_shaped_like(raw(base, "/rest/1/folders").json(), EXAMPLES["folders"])
    assert_shaped_like(raw(base, "/rest/1/dialsession/settings").json(), EXAMPLES["settings"])
    structured = raw(base, "/rest/1/folders", structure="1").json()
    assert_shaped_like(structured["folders"]["1"], EXAMPLES["folders_structure"]["folders"]["1"])

    launched = pb.create_dial_session(contacts=three_contacts()[:2], callbacks={})
    play(launched.redirect_url, ("Busy Phone", ""), ("Left Message", ""))
    (session,) = pb.dial_sessions().sessions
    assert_shaped_like(raw(base, "/rest/1/dialsession").json(), EXAMPLES["dialsession_list"])
    detail = raw(base, f"/rest/1/dialsession/{session.dialsession_id}").json()
    assert_shaped_like(detail, EXAMPLES["dialsession_detail"])
    call_id = detail["dialsessions"]["dialsessions"]["calls"][0]["call_id"]
    assert_shaped_like(raw(base, f"/rest/1/dialsession/call/{call_id}").json(), EXAMPLES["dialsession_call"])
    usage = raw(base, "/rest/1/dialsession/usage", date_start="2026-06-01", date_end="2026-06-30").json()
    assert_shaped_like(usage["usage"]["1234567"], EXAMPLES["usage"]["usage"]["95074688"])


# --- A session, played in the fake's dialer --------------------------------------------------------


def test_a_session_plays_in_the_dialer_and_fires_the_three_callbacks_with_the_spec_bodies(pb, recorder):
    launched = pb.create_dial_session(
        contacts=three_contacts(), callbacks=callbacks(recorder.url), custom_data={"session": "ours-1"}
    )
    browser = DialerBrowser(launched.redirect_url)
    assert browser.contact_name() == "Ana Ames"
    browser.dial()
    browser.dispose("Left Message", note="Said she'd call back")
    assert browser.contact_name() == "Ben Bose"
    browser.dispose("Do Not Call", new_phone="(949) 555-9999")  # a disposition without "Dial" dials first
    browser.skip()
    assert browser.finished()

    displayed = [ContactDisplayed.parse(b) for b in recorder.bodies("/api_contact_displayed")]
    begun = [CallBegin.parse(b) for b in recorder.bodies("/api_callbegin")]
    done = [CallDone.parse(b) for b in recorder.bodies("/api_calldone")]
    assert [d.lead_id for d in displayed] == ["101", "102", "103"]
    assert [b.lead_id for b in begun] == ["101", "102"]
    assert {b.ds_id for b in begun} == {pb.dial_sessions().sessions[0].dialsession_id}
    assert begun[0].custom_data == {"session": "ours-1"}
    assert [(d.lead_id, d.status, d.connected) for d in done] == [
        ("101", "Left Message", False),
        ("102", "Do Not Call", True),
    ]
    assert [d.call_id for d in done] == [b.call_id for b in begun]
    assert done[0].duration == 20  # the fake's clock moves 20 s a tick
    assert "Said she'd call back" in done[0].notes
    assert done[1].phones == ("9495551002", "9495559999")
    for body in recorder.bodies("/api_calldone"):
        assert_shaped_like(body, EXAMPLES["api_calldone"])
    assert_shaped_like(recorder.bodies("/api_contact_displayed")[0], EXAMPLES["api_contact_displayed"])
    assert recorder.bodies("/api_callbegin")[0].keys() == EXAMPLES["api_callbegin"].keys()


def test_the_sign_in_link_works_once(pb):
    launched = pb.create_dial_session(contacts=three_contacts(), callbacks={})
    assert DialerBrowser(launched.redirect_url).contact_name() == "Ana Ames"
    again = DialerBrowser(launched.redirect_url)
    assert again.page.status_code == 403
    assert again.contact_name() is None


def test_the_sessions_calls_are_visible_through_the_get_routes(base, pb):
    launched = pb.create_dial_session(contacts=three_contacts(), callbacks={})
    play(launched.redirect_url, ("Set Appointment", "Tuesday 10am"), ("No Answer", ""), ("Bad Phone", ""))
    (listed,) = pb.dial_sessions(date_start=date(2026, 6, 22), date_end=date(2026, 6, 22)).sessions
    assert pb.dial_sessions(date_start=date(2026, 6, 23)).sessions == ()
    session = pb.dial_session_with_calls(listed.dialsession_id, include_recording=True)
    assert [(c.phone, c.disposition, c.connected) for c in session.calls] == [
        ("9495551001", "Set Appointment", True),
        ("9495551002", "No Answer", False),
        ("9495551003", "Bad Phone", False),
    ]
    assert session.call_count == 3
    assert "Tuesday 10am" in session.calls[0].note
    assert session.calls[0].recording_url.startswith(base)
    assert LOCAL.get(session.calls[0].recording_url).headers["Content-Type"] == "audio/wav"
    assert session.calls[1].recording_url is None
    one = pb.dial_session_call(session.calls[1].call_id)
    assert (one.disposition, one.duration) == ("No Answer", 20)


def test_a_sessions_calls_page_by_page_size(pb):
    launched = pb.create_dial_session(contacts=three_contacts(), callbacks={})
    play(launched.redirect_url, ("No Answer", ""), ("No Answer", ""), ("Busy Phone", ""))
    ds_id = pb.dial_sessions().sessions[0].dialsession_id
    first, paging = pb.dial_session(ds_id, page=1, page_size=2)
    assert (len(first.calls), paging.total_pages, paging.total_results) == (2, 2, 3)
    second, _ = pb.dial_session(ds_id, page=2, page_size=2)
    assert [c.disposition for c in second.calls] == ["Busy Phone"]


def test_another_members_session_and_calls_are_not_found(base, pb):
    launched = pb.create_dial_session(contacts=three_contacts()[:1], callbacks={})
    play(launched.redirect_url, ("No Answer", ""))
    session = pb.dial_session_with_calls(pb.dial_sessions().sessions[0].dialsession_id)
    with httpx.Client(base_url=base, timeout=5, verify=False) as http:
        other = PhoneBurnerClient("second-token", http=http)
        assert other.dial_sessions().sessions == ()
        with pytest.raises(PhoneBurnerError) as error:
            other.dial_session(session.dialsession_id)
        assert error.value.reason == "not_found"
        with pytest.raises(PhoneBurnerError):
            other.dial_session_call(session.calls[0].call_id)


def test_with_callbacks_dropped_nothing_is_sent_but_the_calls_are_recorded(fake, pb, recorder):
    fake.drop_callbacks = True
    launched = pb.create_dial_session(contacts=three_contacts()[:2], callbacks=callbacks(recorder.url))
    play(launched.redirect_url, ("Left Message", ""), ("Interested", ""))
    assert recorder.received == []
    assert {d.error for d in fake.deliveries} == {"dropped (drop_callbacks is on)"}
    session = pb.dial_session_with_calls(pb.dial_sessions().sessions[0].dialsession_id)
    assert [c.disposition for c in session.calls] == ["Left Message", "Interested"]


def test_a_callback_that_fails_does_not_stop_the_session(fake, pb, recorder):
    recorder.status = 500
    launched = pb.create_dial_session(contacts=three_contacts()[:2], callbacks=callbacks(recorder.url))
    browser = play(launched.redirect_url, ("No Answer", ""), ("No Answer", ""))
    assert browser.finished()
    assert {d.status for d in fake.deliveries} == {500}


def test_the_session_post_is_refused_without_contacts_or_with_a_bad_callback(base):
    def post(body) -> httpx.Response:
        headers = {"Authorization": f"Bearer {DEFAULT_TOKEN}"}
        return LOCAL.post(f"{base}/rest/1/dialsession", json=body, headers=headers)

    assert post({"contacts": []}).status_code == 400
    bad = post(
        {"contacts": [{"phone": "9495551001"}], "callbacks": [{"callback_type": "api_x", "callback": "http://a"}]}
    )
    assert (bad.status_code, bad.json()["errors"]) == (400, ["Unknown callback_type 'api_x'"])
    assert post({"contacts": [{"phone": "9495551001", "category_id": 999}]}).status_code == 400


def test_callbacks_go_only_to_loopback_addresses():
    assert is_loopback("http://127.0.0.1:8000/hooks")
    assert is_loopback("http://[::1]:8000/hooks")
    assert not is_loopback("http://10.1.2.3/hooks")
    assert not is_loopback("http://192.0.2.10/hooks")
    assert not is_loopback("http://testserver/hooks")  # a name is never resolved


# --- Settings and usage ----------------------------------------------------------------------------


def test_settings_are_kept_per_member_and_checked(base, pb):
    assert pb.update_dial_settings(dialsecs=45, calltime_min="0900", calltime_max="1700").dialsecs == 45
    got = pb.dial_settings()
    assert (got.dialsecs, got.calltime_min, got.calltime_max) == (45, "0900", "1700")
    with httpx.Client(base_url=base, timeout=5, verify=False) as http:
        assert PhoneBurnerClient("second-token", http=http).dial_settings().dialsecs == 30
    with pytest.raises(PhoneBurnerError, match="greater than 20") as error:
        pb.update_dial_settings(dialsecs=10)
    assert error.value.reason == "bad_request"
    with pytest.raises(PhoneBurnerError, match="0800 to 2100"):
        pb.update_dial_settings(calltime_min="0600")
    assert pb.dial_settings().dialsecs == 45


def test_the_spec_curls_settings_body_without_a_content_type_is_accepted(base):
    answer = LOCAL.put(
        f"{base}/rest/1/dialsession/settings",
        content=b'{"dialsecs": "30", "ringing": "1", "busy": 0}',
        headers={"Authorization": f"Bearer {DEFAULT_TOKEN}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    assert answer.json()["settings"]["settings"]["busy"] is None


def test_usage_counts_each_members_dialling_and_refuses_more_than_ninety_days(pb):
    launched = pb.create_dial_session(contacts=three_contacts(), callbacks={})
    play(launched.redirect_url, ("Interested", ""), ("Left Message", ""), ("Not Interested", ""))
    usage = {u.user_id: u for u in pb.usage(date_start=date(2026, 6, 1), date_end=date(2026, 6, 30))}
    mine, theirs = usage["1234567"], usage["1234568"]
    assert (mine.sessions, mine.calls, mine.connected, mine.voicemail) == (1, 3, 2, 1)
    assert (theirs.sessions, theirs.calls) == (0, 0)
    assert pb.usage(date_start=date(2026, 5, 1), date_end=date(2026, 5, 31))[0].calls == 0
    with pytest.raises(PhoneBurnerError, match="90 days") as error:
        pb.usage(date_start=date(2026, 1, 1), date_end=date(2026, 6, 30))
    assert error.value.status == 403


def test_usage_reads_an_overflowing_date_the_way_the_spec_example_does(base):
    answer = raw(base, "/rest/1/dialsession/usage", date_start="2018-04-01", date_end="2018-04-31")
    assert answer.status_code == 200
