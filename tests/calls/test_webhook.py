"""POST /hooks/calls/{franchise_id}: signatures, idempotency, bad bodies, limits."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime

import pytest
from django.db import connections
from django.test import Client

from calls.models import Call, WebhookDelivery
from calls.webhooks import webhook_secret_by_prefix, webhook_secret_revoke
from tests.calls.webhook_helpers import STALE, call_payload, new_secret, post_call, signed

UNAUTHORIZED = {"detail": "Missing or invalid webhook signature.", "code": "unauthorized"}


@pytest.fixture
def secret_a(franchise_a) -> str:
    return new_secret(franchise_a)


def assert_refused_without_a_write(response):
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert Call.objects.count() == 0
    assert WebhookDelivery.objects.count() == 0


def test_a_signed_call_is_stored_and_answered_at_once(client, franchise_a, location_a, secret_a):
    payload = call_payload(location_id=str(location_a.pk), transcript_turns=[{"speaker": "agent", "text": "Hi"}])
    response = post_call(client, franchise_a, secret_a, payload)
    assert response.status_code == 201
    assert response.json() == {"status": "created", "conversation_id": payload["conversation_id"]}
    call = Call.objects.get(conversation_id=payload["conversation_id"])
    assert (call.franchise, call.location, call.duration) == (franchise_a, location_a, 182)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.http_status, delivery.call) == ("accepted", 201, call)


def test_a_signature_made_with_another_secret_is_refused(client, franchise_a, secret_a):
    stranger = "whsec_" + base64.b64encode(b"x" * 32).decode()
    assert_refused_without_a_write(post_call(client, franchise_a, stranger, call_payload()))


@pytest.mark.parametrize("shift", [-STALE, STALE], ids=["stale", "future"])
def test_a_timestamp_outside_five_minutes_is_refused(client, franchise_a, secret_a, shift):
    at = datetime.now(UTC) + shift
    assert_refused_without_a_write(post_call(client, franchise_a, secret_a, call_payload(), at=at))


def test_every_active_secret_is_accepted_during_a_rotation_and_a_revoked_one_is_not(client, franchise_a, secret_a):
    newer = new_secret(franchise_a)
    assert post_call(client, franchise_a, secret_a, call_payload()).status_code == 201
    assert post_call(client, franchise_a, newer, call_payload()).status_code == 201
    webhook_secret_revoke(secret=webhook_secret_by_prefix(franchise=franchise_a, prefix=secret_a[:14]))
    assert post_call(client, franchise_a, secret_a, call_payload()).status_code == 401
    assert post_call(client, franchise_a, newer, call_payload()).status_code == 201


def test_one_good_signature_among_several_is_enough(client, franchise_a, secret_a):
    body = json.dumps(call_payload()).encode()
    headers = signed(secret_a, body)
    headers["HTTP_WEBHOOK_SIGNATURE"] = (
        f"v1,{base64.b64encode(b'0' * 32).decode()} v2,abc {headers['HTTP_WEBHOOK_SIGNATURE']}"
    )
    response = client.post(f"/hooks/calls/{franchise_a.pk}", data=body, content_type="application/json", **headers)
    assert response.status_code == 201


@pytest.mark.parametrize(
    "change",
    [
        {"HTTP_WEBHOOK_SIGNATURE": "no-comma-here"},
        {"HTTP_WEBHOOK_SIGNATURE": "v1,%%%not-base64%%%"},
        {"HTTP_WEBHOOK_SIGNATURE": ""},
        {"HTTP_WEBHOOK_TIMESTAMP": "yesterday"},
        {"HTTP_WEBHOOK_TIMESTAMP": "1e400"},
        {"HTTP_WEBHOOK_ID": ""},
    ],
)
def test_garbage_headers_get_the_same_401(client, franchise_a, secret_a, change):
    body = json.dumps(call_payload()).encode()
    headers = {**signed(secret_a, body), **change}
    response = client.post(f"/hooks/calls/{franchise_a.pk}", data=body, content_type="application/json", **headers)
    assert_refused_without_a_write(response)


def test_a_body_that_is_not_utf8_gets_the_same_401(client, franchise_a, secret_a):
    body = b'{"conversation_id": "\xff\xfe"}'
    headers = signed(secret_a, body.decode("latin-1"))
    response = client.post(f"/hooks/calls/{franchise_a.pk}", data=body, content_type="application/json", **headers)
    assert_refused_without_a_write(response)


@pytest.mark.parametrize("franchise_id", ["not-a-uuid", "00000000-0000-0000-0000-000000000000"])
def test_an_unknown_franchise_gets_the_same_401(client, franchise_a, secret_a, franchise_id):
    body = json.dumps(call_payload()).encode()
    response = client.post(
        f"/hooks/calls/{franchise_id}", data=body, content_type="application/json", **signed(secret_a, body)
    )
    assert_refused_without_a_write(response)


def test_a_franchise_without_secrets_refuses_everything(client, franchise_b):
    other = "whsec_" + base64.b64encode(b"y" * 32).decode()
    assert_refused_without_a_write(post_call(client, franchise_b, other, call_payload()))


def test_another_franchises_secret_does_not_sign_for_this_one(client, franchise_a, franchise_b, secret_a):
    assert_refused_without_a_write(post_call(client, franchise_b, secret_a, call_payload()))


def test_five_replays_of_one_delivery_make_one_call(client, franchise_a, secret_a):
    payload = call_payload()
    answers = [post_call(client, franchise_a, secret_a, payload, webhook_id="msg_replayed") for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert answers[1].json() == {"status": "duplicate", "conversation_id": payload["conversation_id"]}
    assert Call.objects.filter(conversation_id=payload["conversation_id"]).count() == 1
    delivery = WebhookDelivery.objects.get()
    assert delivery.replays == 4


def test_a_corrected_delivery_updates_the_call(client, franchise_a, secret_a):
    payload = call_payload()
    post_call(client, franchise_a, secret_a, payload)
    corrected = {**payload, "transcript": "Agent: Hello. Caller: The water heater burst."}
    response = post_call(client, franchise_a, secret_a, corrected)
    assert response.status_code == 200
    assert response.json()["status"] == "updated"
    assert Call.objects.get(conversation_id=payload["conversation_id"]).transcript == corrected["transcript"]
    assert Call.objects.count() == 1
    assert WebhookDelivery.objects.count() == 2


def test_another_franchises_conversation_id_is_refused(client, franchise_a, franchise_b, make_call, secret_a):
    theirs = make_call(franchise_b, transcript="B's own call")
    response = post_call(client, franchise_a, secret_a, call_payload(theirs.conversation_id, transcript="taken"))
    assert response.status_code == 409
    assert response.json()["field"] == "conversation_id"
    theirs.refresh_from_db()
    assert (theirs.franchise, theirs.transcript) == (franchise_b, "B's own call")
    assert WebhookDelivery.objects.get().status == "rejected"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"timestamp": None}, "timestamp"),
        ({"timestamp": "last tuesday"}, "timestamp"),
        ({"timestamp": "9999-12-31T23:59:59-12:00"}, "timestamp"),  # was a 500 (a zone applied overflows)
        ({"timestamp": "0001-01-01T00:00:00Z"}, "timestamp"),  # was stored, and its page and the admin were 500s
        ({"duration": "three minutes"}, "duration"),
        ({"conversation_id": ""}, "conversation_id"),
        ({"transcript_turns": [{"speaker": "robot", "text": "hi"}]}, "transcript_turns[0].speaker"),
        ({"real_estate": {"address": ["a list"]}}, "real_estate.address"),
        ({"location": "Nowhere"}, "location"),
        ({"recording_source_url": "ftp://audio.example.com/a.mp3"}, "recording_source_url"),
        ({"recording_source_url": "http://127.0.0.1:99999/a.mp3"}, "recording_source_url"),  # no such port
        ({"recording_source_url": "https:///a.mp3"}, "recording_source_url"),  # no host
        ({"conversation_id": 12345}, "conversation_id"),
        ({"recording_file": "../../etc/passwd"}, "recording_file"),
    ],
)
def test_a_bad_body_is_a_400_with_the_reason_and_the_field(client, franchise_a, secret_a, change, field):
    response = post_call(client, franchise_a, secret_a, call_payload(**change))
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert response.json()["detail"]
    assert Call.objects.count() == 0
    assert WebhookDelivery.objects.get().error == response.json()["detail"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b'"a string"'])
def test_a_body_that_is_not_one_json_object_is_a_400(client, franchise_a, secret_a, body):
    response = post_call(client, franchise_a, secret_a, body)
    assert response.status_code == 400
    assert response.json()["code"] in {"bad_json", "bad_body"}


def test_a_rejected_delivery_can_be_sent_again_corrected_under_its_id(client, franchise_a, secret_a):
    payload = call_payload()
    assert post_call(client, franchise_a, secret_a, {**payload, "duration": "x"}, webhook_id="msg_1").status_code == 400
    assert post_call(client, franchise_a, secret_a, payload, webhook_id="msg_1").status_code == 201
    assert WebhookDelivery.objects.get().status == "accepted"


def test_a_body_over_one_megabyte_is_a_413_and_writes_nothing(client, franchise_a, secret_a):
    response = post_call(client, franchise_a, secret_a, call_payload(transcript="x" * (1024 * 1024)))
    assert response.status_code == 413
    assert Call.objects.count() == 0


def test_only_post_is_answered(client, franchise_a):
    assert client.get(f"/hooks/calls/{franchise_a.pk}").status_code == 405


def test_the_call_shows_in_the_call_list_at_once_and_its_recording_is_a_404_until_fetched(
    client, franchise_a, secret_a, alice, api_a
):
    payload = call_payload(recording_source_url="https://audio.example.com/rec/1.mp3")
    post_call(client, franchise_a, secret_a, payload)
    client.force_login(alice)
    assert payload["conversation_id"] in client.get("/calls/").content.decode()
    assert api_a.get(f"/data/recordings/{payload['conversation_id']}").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_one_delivery_sent_twice_at_once_makes_one_call_and_one_duplicate_answer(franchise_a):
    secret = new_secret(franchise_a)
    body = json.dumps(call_payload()).encode()
    headers = signed(secret, body, webhook_id="msg_twice")
    start = threading.Barrier(2)
    answers = []

    def send() -> None:
        try:
            start.wait()
            answers.append(
                Client().post(f"/hooks/calls/{franchise_a.pk}", data=body, content_type="application/json", **headers)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 201]
    assert {a.json()["status"] for a in answers} == {"created", "duplicate"}
    assert (Call.objects.count(), WebhookDelivery.objects.get().replays) == (1, 1)
