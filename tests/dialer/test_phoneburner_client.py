"""The PhoneBurner client against respx: every route with the spec's own example answers, the
spec's quirks, retries (GET/PUT only, Retry-After honoured) and one actionable error type."""

from __future__ import annotations

import copy
import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx

from config.outbound import OutboundRefused
from dialer.phoneburner.client import PhoneBurnerClient, PhoneBurnerError
from dialer.phoneburner.types import CallBegin, CallDone, ContactDisplayed, DialContact

BASE = "https://pb.example.test"
TOKEN = "m8gZnWNplpHFAHFK79CLfSlBpqwCZ4THA9axa7dd"
EXAMPLES = json.loads((Path(__file__).parents[1] / "fixtures" / "phoneburner_examples.json").read_text())
EASTERN = ZoneInfo("America/New_York")


def example(name: str) -> dict:
    return copy.deepcopy(EXAMPLES[name])


@pytest.fixture
def slept() -> list[float]:
    return []


@pytest.fixture
def pb(slept):
    with httpx.Client(base_url=BASE, timeout=5) as http:
        yield PhoneBurnerClient(TOKEN, http=http, sleep=slept.append, attempts=3)


@pytest.fixture
def api():
    with respx.mock(base_url=BASE, assert_all_called=False) as mock:
        yield mock


# --- Every route, read from the spec's examples ------------------------------------------------------


def test_members_are_read_and_every_request_carries_the_bearer_token(pb, api):
    route = api.get("/rest/1/members").respond(200, json=example("members"))
    members = pb.members()
    assert [(m.user_id, m.name, m.email) for m in members] == [
        ("1234567", "Saul Goodman", "callsaul@bettercallsaul.com"),
        ("1300000", "Walter White", "walter@bettercallsaul.com"),
    ]
    assert route.calls.last.request.headers["Authorization"] == f"Bearer {TOKEN}"


def test_me_is_the_member_whose_bearer_token_we_sent(pb, api):
    answer = example("members")
    answer["members"]["members"][1]["oauth"]["bearer_token"] = TOKEN
    answer["members"]["members"][0]["oauth"]["bearer_token"] = "someone-else"
    api.get("/rest/1/members").respond(200, json=answer)
    assert pb.me().name == "Walter White"


def test_members_sent_as_one_object_in_the_envelope_are_read_too(pb, api):
    api.get("/rest/1/members").respond(200, json=example("member_put"))
    assert [m.name for m in pb.members()] == ["johnny5"]


def test_folders_keyed_by_position_are_read_in_order_with_their_sub_folders(pb, api):
    route = api.get("/rest/1/folders").respond(200, json=example("folders_structure"))
    folders = pb.folders()
    assert [(f.folder_id, f.name, f.parent_id) for f in folders] == [
        ("11888", "Folder #1", None),
        ("11990", "Folder #2", None),
        ("11991", "Sub Folder #2 - 1", "11990"),
        ("11992", "Sub Folder #2 - 2", "11990"),
    ]
    assert route.calls.last.request.url.params["structure"] == "1"


def test_folders_without_structure_are_read_too(pb, api):
    api.get("/rest/1/folders").respond(200, json=example("folders"))
    assert [f.name for f in pb.folders()] == ["Folder #1", "Folder #2", "Folder #3"]


def test_the_dial_session_list_is_paged_and_filtered_by_dates(pb, api):
    route = api.get("/rest/1/dialsession").respond(200, json=example("dialsession_list"))
    page = pb.dial_sessions(date_start=date(2023, 4, 1), date_end=date(2023, 4, 30), page=1, page_size=3)
    assert [s.dialsession_id for s in page.sessions] == ["49463", "70384", "70385"]
    assert (page.paging.page, page.paging.total_pages, page.paging.total_results) == (1, 25, 75)
    assert page.paging.has_next
    first = page.sessions[0]
    assert (first.callerid, first.end_when, first.call_count) == (None, None, 0)
    assert page.sessions[1].start_when == datetime(2023, 4, 30, 15, 31, 3, tzinfo=EASTERN)
    params = route.calls.last.request.url.params
    assert (params["date_start"], params["date_end"], params["page"], params["page_size"]) == (
        "2023-04-01",
        "2023-04-30",
        "1",
        "3",
    )


def test_iterating_dial_sessions_follows_the_pages(pb, api):
    first, second = example("dialsession_list"), example("dialsession_list")
    first["dialsessions"]["total_pages"] = second["dialsessions"]["total_pages"] = 2
    second["dialsessions"]["page"] = 2
    second["dialsessions"]["dialsessions"] = [{**second["dialsessions"]["dialsessions"][1], "dialsession_id": "80000"}]
    api.get("/rest/1/dialsession", params={"page": "1"}).respond(200, json=first)
    api.get("/rest/1/dialsession", params={"page": "2"}).respond(200, json=second)
    assert [s.dialsession_id for s in pb.iter_dial_sessions()] == ["49463", "70384", "70385", "80000"]


def test_one_dial_session_is_an_object_not_a_list_and_carries_its_calls(pb, api):
    route = api.get("/rest/1/dialsession/70951").respond(200, json=example("dialsession_detail"))
    session, paging = pb.dial_session("70951", include_recording=True)
    assert session.dialsession_id == "70951"
    assert session.call_count == 2
    busy, message = session.calls
    assert (busy.call_id, busy.phone, busy.disposition, busy.connected, busy.voicemail) == (
        "1767709",
        "9495551212",
        "Busy Phone",
        False,
        False,
    )
    assert busy.duration == 12
    assert (message.voicemail, message.note) == (
        True,
        "-- Aug 06, 2023 9:02 am - PB - Left a message. (Basic Voicemail)",
    )
    assert paging.total_results == 2
    assert route.calls.last.request.url.params["include_recording"] == "1"


def test_a_session_whose_calls_span_pages_is_read_whole(pb, api):
    one, two = example("dialsession_detail"), example("dialsession_detail")
    calls = one["dialsessions"]["dialsessions"]["calls"]
    one["dialsessions"].update(page_size=1, total_pages=2)
    two["dialsessions"].update(page=2, page_size=1, total_pages=2)
    one["dialsessions"]["dialsessions"]["calls"] = calls[:1]
    two["dialsessions"]["dialsessions"]["calls"] = calls[1:]
    api.get("/rest/1/dialsession/70951", params={"page": "1"}).respond(200, json=one)
    api.get("/rest/1/dialsession/70951", params={"page": "2"}).respond(200, json=two)
    session = pb.dial_session_with_calls("70951")
    assert [c.call_id for c in session.calls] == ["1767709", "1767710"]


def test_one_call_is_read_from_its_two_level_envelope(pb, api):
    answer = example("dialsession_call")
    answer["call"]["call"]["recording_url"] = "https://pb.example.test/rec/1766999.mp3"
    api.get("/rest/1/dialsession/call/1766999").respond(200, json=answer)
    call = pb.dial_session_call("1766999", include_recording=True)
    assert (call.call_id, call.disposition, call.voicemail, call.duration) == ("1766999", "No Answer", True, 16)
    assert call.recording_url == "https://pb.example.test/rec/1766999.mp3"


def test_settings_read_numbers_as_strings_and_null_as_a_string(pb, api):
    api.get("/rest/1/dialsession/settings").respond(200, json=example("settings"))
    got = pb.dial_settings()
    assert (got.dialsecs, got.ringing, got.emails, got.calltime_min, got.calltime_max) == (
        30,
        True,
        False,
        "0800",
        "2100",
    )
    assert got.connectme_preset is None
    assert got.email_messages["busy"] is None


def test_updating_settings_sends_the_spelling_the_answers_use(pb, api):
    answer = example("settings")
    answer["settings"]["settings"]["dialsecs"] = "45"
    route = api.put("/rest/1/dialsession/settings").respond(200, json=answer)
    got = pb.update_dial_settings(dialsecs=45, calltime_min="0900")
    assert got.dialsecs == 45
    assert json.loads(route.calls.last.request.content) == {"dialsecs": "45", "calltime_min": "0900"}


def test_usage_is_keyed_by_member(pb, api):
    route = api.get("/rest/1/dialsession/usage").respond(200, json=example("usage"))
    (usage,) = pb.usage(date_start=date(2018, 4, 1), date_end=date(2018, 4, 30))
    assert (usage.user_id, usage.sessions, usage.calls, usage.connected, usage.talktime, usage.avg_talktime) == (
        "95074688",
        1,
        4,
        2,
        30,
        15.0,
    )
    assert route.calls.last.request.url.params["date_end"] == "2018-04-30"


def test_usage_over_ninety_days_is_refused_with_phoneburners_reason(pb, api):
    api.get("/rest/1/dialsession/usage").respond(
        403, json={"http_status": 403, "status": "error", "errors": ["The date range may not exceed 90 days"]}
    )
    with pytest.raises(PhoneBurnerError, match="90 days") as error:
        pb.usage(date_start=date(2018, 1, 1), date_end=date(2018, 6, 1))
    assert error.value.reason == "refused"


def test_a_dial_session_is_created_with_contacts_callbacks_and_custom_data(pb, api):
    route = api.post("/rest/1/dialsession").respond(201, json=example("dialsession_create"))
    launched = pb.create_dial_session(
        contacts=[
            DialContact(lead_id="42", phone="9495551234", first_name="Johnny", last_name="Demo", category_id="12345"),
            DialContact(
                lead_id="43", phone="9495551235", email="marydoe@fakedomain.com", additional_phones=("9495550000",)
            ),
        ],
        callbacks={"api_callbegin": "https://app.test/cb/begin", "api_calldone": "https://app.test/cb/done"},
        custom_data={"breesy_session": "abc"},
        preview_mode=False,
    )
    assert launched.redirect_url.startswith("https://develop.phoneburner.com/index/sso_key_login?")
    sent = json.loads(route.calls.last.request.content)
    assert route.calls.last.request.headers["Content-Type"] == "application/json"
    assert sent == {
        "contacts": [
            {"lead_id": "42", "phone": "9495551234", "first_name": "Johnny", "last_name": "Demo", "category_id": 12345},
            {
                "lead_id": "43",
                "phone": "9495551235",
                "email": "marydoe@fakedomain.com",
                "additional_phone": [{"number": "9495550000", "phone_type": 5}],
            },
        ],
        "callbacks": [
            {"callback_type": "api_callbegin", "callback": "https://app.test/cb/begin"},
            {"callback_type": "api_calldone", "callback": "https://app.test/cb/done"},
        ],
        "custom_data": {"breesy_session": "abc"},
        "preview_mode": 0,
    }


def test_a_created_session_without_a_usable_link_is_an_error(pb, api):
    answer = example("dialsession_create")
    answer["dialsessions"]["redirect_url"] = "javascript:alert(1)"
    api.post("/rest/1/dialsession").respond(201, json=answer)
    with pytest.raises(PhoneBurnerError, match="did not return a link") as error:
        pb.create_dial_session(contacts=[DialContact(lead_id="1", phone="9495551234")], callbacks={})
    assert error.value.reason == "bad_answer"


# --- Callback bodies -----------------------------------------------------------------------------


def test_the_three_callback_bodies_of_the_spec_are_read():
    begin = CallBegin.parse(example("api_callbegin"))
    assert (begin.call_id, begin.ds_id, begin.lead_id, begin.custom_data) == ("12345", "12345", "12345", "")
    shown = ContactDisplayed.parse(example("api_contact_displayed"))
    assert (shown.lead_id, shown.contact_user_id) == ("16138032", "987684528")
    done = CallDone.parse(example("api_calldone"))
    assert (done.call_id, done.status, done.duration, done.connected, done.lead_id) == (
        "1767709",
        "No Answer",
        54,
        True,
        "abc123",
    )
    assert (done.phone, done.phones, done.first_name) == ("9495551212", ("9495551212",), "Colby")
    assert done.notes.startswith("This is all the notes data")


@pytest.mark.parametrize(
    "body",
    [[], {"status": "No Answer"}, {"call_id": "1", "duration": "long"}, {"call_id": "1", "contact": "x"}],
)
def test_a_calldone_body_not_shaped_as_the_spec_shows_is_refused(body):
    with pytest.raises(ValueError):
        CallDone.parse(body)


# --- Errors a staff member can act on ------------------------------------------------------------


def test_a_refused_token_says_to_relink_and_never_shows_the_token(pb, api):
    api.get("/rest/1/members").respond(
        401, json={"error": "invalid_token", "error_description": "The access token provided is invalid"}
    )
    with pytest.raises(PhoneBurnerError) as error:
        pb.members()
    assert "relink your account" in str(error.value)
    assert TOKEN not in str(error.value)
    assert error.value.reason == "token"


def test_an_answer_that_is_not_json_is_an_error_not_a_crash(pb, api):
    api.get("/rest/1/dialsession/settings").respond(200, text="<html>Maintenance</html>")
    with pytest.raises(PhoneBurnerError, match="not JSON") as error:
        pb.dial_settings()
    assert error.value.reason == "bad_answer"


def test_an_answer_of_the_wrong_shape_is_an_error_not_a_crash(pb, api):
    api.get("/rest/1/dialsession/70951").respond(200, json={"http_status": 200, "dialsessions": {"calls": "x"}})
    with pytest.raises(PhoneBurnerError, match="shape") as error:
        pb.dial_session("70951")
    assert error.value.reason == "bad_answer"


def test_an_id_that_is_not_a_number_is_refused_before_any_request(pb, api):
    route = api.get(url__regex=r".*")
    with pytest.raises(PhoneBurnerError, match="not a PhoneBurner id"):
        pb.dial_session("../members")
    assert not route.called


def test_a_refused_address_is_an_error_an_operator_can_fix(pb, api):
    api.get("/rest/1/members").mock(side_effect=OutboundRefused("127.0.0.1 is not allowed"))
    with pytest.raises(PhoneBurnerError, match="OUTBOUND_ALLOWED_HOSTS") as error:
        pb.members()
    assert error.value.reason == "blocked"


def test_an_empty_token_is_refused_before_any_request():
    with pytest.raises(PhoneBurnerError, match="link your account"):
        PhoneBurnerClient("  ", http=httpx.Client(base_url=BASE))


# --- Retries -------------------------------------------------------------------------------------


def test_a_get_is_retried_after_a_5xx_with_a_backoff(pb, api, slept):
    route = api.get("/rest/1/dialsession/settings")
    route.side_effect = [httpx.Response(503), httpx.Response(502), httpx.Response(200, json=example("settings"))]
    assert pb.dial_settings().dialsecs == 30
    assert route.call_count == 3
    assert len(slept) == 2


def test_a_get_is_retried_after_a_connect_error(pb, api, slept):
    route = api.get("/rest/1/members")
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=example("members"))]
    assert pb.me().user_id == "1234567"
    assert route.call_count == 2


def test_a_429_waits_as_long_as_retry_after_says(pb, api, slept):
    route = api.get("/rest/1/folders")
    route.side_effect = [
        httpx.Response(429, headers={"Retry-After": "7"}),
        httpx.Response(200, json=example("folders")),
    ]
    assert len(pb.folders()) == 3
    assert slept and slept[0] >= 7


def test_a_put_is_retried_after_a_5xx(pb, api):
    route = api.put("/rest/1/dialsession/settings")
    route.side_effect = [httpx.Response(500), httpx.Response(200, json=example("settings"))]
    assert pb.update_dial_settings(ringing=True).ringing is True
    assert route.call_count == 2


def test_retries_give_up_with_a_message_saying_to_try_later(pb, api):
    route = api.get("/rest/1/members").respond(503)
    with pytest.raises(PhoneBurnerError, match="having trouble") as error:
        pb.members()
    assert route.call_count == 3
    assert (error.value.reason, error.value.status) == ("unavailable", 503)


def test_a_429_that_persists_says_when_to_try_again(pb, api):
    api.get("/rest/1/members").respond(429, headers={"Retry-After": "2"})
    with pytest.raises(PhoneBurnerError, match="try again in 2 seconds") as error:
        pb.members()
    assert error.value.reason == "rate_limited"


@pytest.mark.parametrize(
    "failure",
    [httpx.Response(503), httpx.Response(429, headers={"Retry-After": "1"}), httpx.ConnectError("refused")],
    ids=["5xx", "429", "connect error"],
)
def test_the_dial_session_post_is_never_retried(pb, api, failure):
    route = api.post("/rest/1/dialsession")
    route.side_effect = [failure, httpx.Response(201, json=example("dialsession_create"))]
    with pytest.raises(PhoneBurnerError):
        pb.create_dial_session(contacts=[DialContact(lead_id="1", phone="9495551234")], callbacks={})
    assert route.call_count == 1


def test_a_dial_session_post_that_times_out_warns_the_session_may_have_started(pb, api):
    route = api.post("/rest/1/dialsession").mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(PhoneBurnerError, match="may have started anyway") as error:
        pb.create_dial_session(contacts=[DialContact(lead_id="1", phone="9495551234")], callbacks={})
    assert error.value.reason == "timeout"
    assert route.call_count == 1


# --- Defaults ------------------------------------------------------------------------------------


def test_the_default_http_client_uses_the_configured_base_url_and_a_timeout(settings):
    settings.PHONEBURNER_BASE_URL = "https://pb.example.test"
    client = PhoneBurnerClient(TOKEN)
    assert str(client.http.base_url).rstrip("/") == "https://pb.example.test"
    assert client.http.timeout.read is not None and client.http.timeout.connect is not None
