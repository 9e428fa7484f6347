"""The audio fetch: streamed from servers on 127.0.0.x only, retried, capped, refused by the guard."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from calls import recording_fetch
from calls.models import Call, RecordingFetch
from calls.recording_fetch import recording_fetch_attempt, retry_delay
from tests.calls.webhook_helpers import call_payload, new_secret, post_call
from tests.loopback_server import loopback_server

AUDIO = b"ID3\x04\x00" + bytes(range(256)) * 40  # ~10 KB that looks like an mp3 to nobody in particular


@pytest.fixture(autouse=True)
def loopback_only(settings, monkeypatch):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(recording_fetch, "_sleep", lambda seconds: None)  # retries inside an attempt: no waiting


def audio_server(*failures: int, content_type: str = "audio/mpeg", body: bytes = AUDIO, chunked: bool = False):
    """Answers each status in `failures` in turn, then the audio."""
    queue = list(failures)

    def respond(handler):
        if queue:
            return queue.pop(0), {"Content-Type": "text/plain"}, b"busy"
        return (
            200,
            {"Content-Type": content_type},
            (iter([body[i : i + 4096] for i in range(0, len(body), 4096)]) if chunked else body),
        )

    return respond


def deliver(client, franchise, url: str) -> Call:
    payload = call_payload(recording_source_url=url)
    assert post_call(client, franchise, new_secret(franchise), payload).status_code == 201
    return Call.objects.get(conversation_id=payload["conversation_id"])


def fetch_now() -> str:
    out = StringIO()
    call_command("fetch_pending_recordings", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.usefixtures("recording_storage")  # on the local disk and on the S3 server
def test_the_audio_is_fetched_after_503s_and_then_served(client, franchise_a, api_a):
    with loopback_server(audio_server(503, 503, 503, 503)) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec/1.mp3?sig=abc")
        assert fetch_now() == "fetched 0, pending 1, failed 0"  # three tries inside the attempt, all 503
        assert call.recording_fetch.__class__.objects.get(call=call).last_error == "the audio server answered 503"
        assert fetch_now() == "fetched 1, pending 0, failed 0"
    response = api_a.get(f"/data/recordings/{call.conversation_id}")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == AUDIO
    fetch = RecordingFetch.objects.get(call=call)
    assert (fetch.status, fetch.attempts, call.recording.content_type) == ("fetched", 2, "audio/mpeg")


@pytest.mark.usefixtures("recording_storage")  # on the local disk and on the S3 server
def test_a_streamed_answer_without_a_length_is_stored_whole(client, franchise_a):
    with loopback_server(audio_server(chunked=True, content_type="audio/wav")) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.wav")
        assert fetch_now() == "fetched 1, pending 0, failed 0"
    call.recording.refresh_from_db()
    assert (call.recording.size, call.recording.content_type) == (len(AUDIO), "audio/wav")
    assert call.recording.file.read() == AUDIO


@pytest.mark.parametrize("chunked", [False, True], ids=["declared", "streamed"])
def test_audio_over_the_size_cap_is_refused_and_marked_failed(client, franchise_a, settings, chunked):
    settings.RECORDING_FETCH_MAX_BYTES = 5000
    with loopback_server(audio_server(chunked=chunked)) as server:
        call = deliver(client, franchise_a, f"{server.url}/big.mp3")
        assert fetch_now() == "fetched 0, pending 0, failed 1"
    fetch = RecordingFetch.objects.get(call=call)
    assert "5,000-byte limit" in fetch.last_error
    assert not hasattr(Call.objects.get(pk=call.pk), "recording") or not Call.objects.get(pk=call.pk).recording


def test_an_answer_that_is_not_audio_is_refused(client, franchise_a):
    with loopback_server(audio_server(content_type="text/html")) as server:
        call = deliver(client, franchise_a, f"{server.url}/login")
        assert fetch_now() == "fetched 0, pending 0, failed 1"
    assert RecordingFetch.objects.get(call=call).last_error == "the answer is text/html, not audio/*"


def test_an_address_the_guard_refuses_fails_without_a_request(client, franchise_a):
    with loopback_server(audio_server(), host="127.0.0.2") as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        assert fetch_now() == "fetched 0, pending 0, failed 1"
    assert server.requests == []
    assert "refused by the outbound guard" in RecordingFetch.objects.get(call=call).last_error


def test_a_redirect_to_a_refused_address_fails(client, franchise_a, settings):
    with loopback_server(audio_server(), host="127.0.0.2") as inner:

        def redirect(handler):
            return 302, {"Location": f"{inner.url}/rec.mp3"}, b""

        with loopback_server(redirect) as outer:
            settings.OUTBOUND_ALLOWED_HOSTS = [f"127.0.0.1:{outer.port}"]
            call = deliver(client, franchise_a, f"{outer.url}/rec.mp3")
            assert fetch_now() == "fetched 0, pending 0, failed 1"
    assert inner.requests == []
    assert "127.0.0.2" in RecordingFetch.objects.get(call=call).last_error


def test_a_failed_attempt_waits_with_backoff_and_the_schedule_skips_it_until_due(client, franchise_a):
    with loopback_server(audio_server(*[503] * 10)) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        fetch = RecordingFetch.objects.get(call=call)
        assert recording_fetch_attempt(fetch_id=fetch.pk) == "pending"
        fetch.refresh_from_db()
        wait = fetch.next_attempt_at - timezone.now()
        assert timedelta(seconds=10) < wait <= timedelta(seconds=30)
        assert recording_fetch_attempt(fetch_id=fetch.pk) == "skipped"  # not due yet
        assert fetch.attempts == 1


def test_retrying_stops_after_six_hours_and_the_fetch_is_marked_failed(client, franchise_a):
    with loopback_server(audio_server(*[503] * 10)) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        RecordingFetch.objects.filter(call=call).update(started_at=timezone.now() - timedelta(hours=5, minutes=59))
        assert fetch_now() == "fetched 0, pending 1, failed 0"
        RecordingFetch.objects.filter(call=call).update(started_at=timezone.now() - timedelta(hours=6, minutes=1))
        assert fetch_now() == "fetched 0, pending 0, failed 1"


def test_backoff_doubles_with_jitter_up_to_thirty_minutes():
    for attempts, ceiling in [(1, 30), (2, 60), (3, 120), (7, 1800), (20, 1800)]:
        delays = [retry_delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1


def test_a_fetch_held_by_another_worker_is_not_attempted_twice(client, franchise_a):
    with loopback_server(audio_server()) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        RecordingFetch.objects.filter(call=call).update(claimed_until=timezone.now() + timedelta(minutes=1))
        assert fetch_now() == "fetched 0, pending 1, failed 0"
    assert server.requests == []


@pytest.mark.usefixtures("recording_storage")  # on the local disk and on the S3 server
def test_the_same_address_again_does_not_fetch_twice_and_a_new_one_replaces_the_audio(client, franchise_a):
    secret = new_secret(franchise_a)
    with loopback_server(audio_server()) as server:
        payload = call_payload(recording_source_url=f"{server.url}/v1.mp3")
        post_call(client, franchise_a, secret, payload)
        assert fetch_now() == "fetched 1, pending 0, failed 0"
        post_call(client, franchise_a, secret, {**payload, "call_summary": "edited"})
        assert fetch_now() == "fetched 0, pending 0, failed 0"
        post_call(client, franchise_a, secret, {**payload, "recording_source_url": f"{server.url}/v2.mp3"})
        assert fetch_now() == "fetched 1, pending 0, failed 0"
    assert [path for _, path, _ in server.requests] == ["/v1.mp3", "/v2.mp3"]


def test_the_fetch_runs_as_soon_as_the_delivery_commits(client, franchise_a, api_a, django_capture_on_commit_callbacks):
    with loopback_server(audio_server()) as server, django_capture_on_commit_callbacks(execute=True):
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
    assert RecordingFetch.objects.get(call=call).status == "fetched"
    assert api_a.get(f"/data/recordings/{call.conversation_id}").status_code == 200


def test_the_call_page_says_recording_pending_then_recording_failed(client, franchise_a, alice):
    with loopback_server(audio_server(*[503] * 10)) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        client.force_login(alice)
        page = client.get(f"/calls/{call.conversation_id}/").content.decode()
        assert 'data-testid="recording-pending"' in page and "Recording pending" in page
        RecordingFetch.objects.filter(call=call).update(started_at=timezone.now() - timedelta(hours=7))
        fetch_now()
    page = client.get(f"/calls/{call.conversation_id}/").content.decode()
    assert 'data-testid="recording-failed"' in page
    assert "Recording failed:" in page and "the audio server answered 503" in page


def test_a_long_recording_goes_from_the_platform_to_the_object_store_in_parts(client, franchise_a, s3_storage):
    """12 MB streamed by the platform goes up as a multipart upload, a part at a time: never whole in memory."""
    long_audio = bytes(range(256)) * (12 * 1024 * 1024 // 256)
    with loopback_server(audio_server(body=long_audio, chunked=True)) as server:
        call = deliver(client, franchise_a, f"{server.url}/long.mp3")
        assert fetch_now() == "fetched 1, pending 0, failed 0"

    name = call.recording.file.name
    head = s3_storage.connection.meta.client.head_object(Bucket=s3_storage.bucket_name, Key=name)
    assert head["ContentLength"] == len(long_audio)
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MB parts (the tests' part size)
