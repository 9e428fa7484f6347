"""Recordings in S3-compatible storage: what only an object store can get wrong. (Everything the local
disk does, the S3 server does too: tests/calls/test_api_recordings.py and test_recording_response.py run
on both.)"""

from __future__ import annotations

import io
import json
import random

import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django.urls import reverse

from calls.models import Recording
from tests.live_gunicorn import free_port
from tests.s3 import s3_storage_settings

pytestmark = pytest.mark.django_db
# 5 MB that never repeats: a range shifted by any number of bytes cannot compare equal.
AUDIO = random.Random(20260622).randbytes(5 * 1024 * 1024)


@pytest.fixture
def store_answers(s3_storage) -> list[dict]:
    """Every answer the store gives the app from now on: its operation and Content-Length."""
    seen: list[dict] = []

    def note(http_response, parsed, model, **kwargs):
        seen.append({"operation": model.name, "length": int(http_response.headers.get("Content-Length", 0))})

    storages["default"].connection.meta.client.meta.events.register("after-call.s3", note)
    return seen


@pytest.fixture
def recorded(s3_storage, franchise_a, make_call, make_recording):
    call = make_call(franchise_a)
    make_recording(call, audio=AUDIO)
    return call


def test_a_seek_reads_only_the_bytes_asked_for_from_the_store(api_a, recorded, store_answers):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}", headers={"Range": "bytes=4000000-4000999"})

    assert response.status_code == 206
    assert b"".join(response.streaming_content) == AUDIO[4_000_000:4_001_000]
    assert store_answers == [{"operation": "GetObject", "length": 1000}]


def test_head_asks_the_store_only_whether_the_audio_is_there(api_a, recorded, store_answers):
    response = api_a.head(f"/data/recordings/{recorded.conversation_id}")

    assert response.status_code == 200 and response["Content-Length"] == str(len(AUDIO))
    # The size is the row's; the store is asked for the object's metadata (a gone file is a 404), never its bytes.
    assert [answer["operation"] for answer in store_answers] == ["HeadObject"]


def test_the_stores_address_never_reaches_the_client(api_a, recorded, s3_server):
    answers = [
        api_a.get(f"/data/recordings/{recorded.conversation_id}"),
        api_a.get(f"/data/recordings/{recorded.conversation_id}", headers={"Accept": "application/json"}),
    ]

    for response in answers:
        assert response.status_code == 200 and "Location" not in response
        text = " ".join(f"{k}: {v}" for k, v in response.items())
        if not response.streaming:
            text += response.content.decode()
        assert s3_server.endpoint.removeprefix("http://") not in text and "breesy-test-" not in text


@pytest.fixture
def clients(api_a, alice, admin_client, signed_in):
    return {"api": api_a, "staff": signed_in(alice), "admin": admin_client}


def audio_url(surface: str, call) -> str:
    if surface == "admin":
        return reverse("admin:calls_call_recording", args=[call.pk])
    return {"api": "/data/recordings/{id}", "staff": "/calls/{id}/recording"}[surface].format(id=call.conversation_id)


def point_storage_at(settings, s3_server, bucket: str, endpoint: str | None = None) -> None:
    storage = s3_storage_settings(s3_server, bucket)
    if endpoint:
        storage["OPTIONS"]["endpoint_url"] = endpoint
    settings.STORAGES = {**settings.STORAGES, "default": storage}


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
def test_an_unreachable_store_is_a_json_503_to_retry(
    clients, recorded, settings, s3_server, s3_bucket, surface, method
):
    point_storage_at(settings, s3_server, s3_bucket, endpoint=f"http://127.0.0.1:{free_port()}")  # nobody there

    response = getattr(clients[surface], method)(audio_url(surface, recorded))

    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert response["Content-Type"] == "application/json"
    if method == "head":
        return
    assert response.json() == {
        "detail": "Recording storage is unavailable; retry later.",
        "code": "storage_unavailable",
    }


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
def test_a_store_that_refuses_us_is_a_json_502(clients, recorded, settings, s3_server, surface, method):
    point_storage_at(settings, s3_server, "breesy-no-such-bucket")

    response = getattr(clients[surface], method)(audio_url(surface, recorded), headers={"Range": "bytes=0-99"})

    assert response.status_code == 502 and response["Content-Type"] == "application/json"
    if method == "head":
        return
    assert response.json() == {"detail": "Recording storage failed to answer.", "code": "storage_error"}


def test_an_import_streams_a_long_recording_up_in_parts(s3_storage, tmp_path, location_a):
    """12 MB goes up as a multipart upload read a part at a time from the file, never whole in memory."""
    long_audio = random.Random(3).randbytes(12 * 1024 * 1024)
    (tmp_path / "long.mp3").write_bytes(long_audio)
    line = {
        "conversation_id": "CAlong0000000000000000000000000001",
        "caller_id": "+15551234567",
        "timestamp": "2026-06-22T18:04:11+00:00",
        "duration": "1800",
        "location": location_a.name,
        "recording_file": "long.mp3",
    }
    (tmp_path / "calls.jsonl").write_text(json.dumps(line) + "\n")

    call_command(
        "import_calls", "--franchise", location_a.franchise.name, str(tmp_path / "calls.jsonl"), stdout=io.StringIO()
    )

    recording = Recording.objects.get()
    storage = storages["default"]
    head = storage.connection.meta.client.head_object(Bucket=storage.bucket_name, Key=recording.file.name)
    assert head["ETag"].strip('"').endswith("-3")  # three 5 MB parts (the tests' part size)
    assert b"".join(storage.open_range(recording.file.name, 0, len(long_audio), block_size=1 << 20)) == long_audio
