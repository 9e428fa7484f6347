"""GET/HEAD /data/recordings: streaming, Range, metadata, and one 404 for every kind of missing."""

from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from wsgiref.util import FileWrapper, setup_testing_defaults

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import InMemoryStorage
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, connection
from django.test import RequestFactory

from calls.models import Recording
from calls.streaming import ranged_file_response
from tests.api_fixtures import DEMO_AUDIO

# Every test runs on the local disk and on the S3 server, except where it says which storage it is about.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("recording_storage")]
DISK_ONLY = pytest.mark.parametrize("recording_storage", ["disk"], indirect=True)
AUDIO = DEMO_AUDIO.read_bytes()


@pytest.fixture
def recorded(franchise_a, make_call, make_recording):
    call = make_call(franchise_a)
    make_recording(call)
    return call


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def test_it_streams_the_whole_mp3(api_a, recorded):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}")

    assert response.status_code == 200
    assert response["Content-Type"] == "audio/mpeg"
    assert response["Accept-Ranges"] == "bytes"
    assert response["Content-Length"] == str(len(AUDIO))
    assert body(response) == AUDIO
    assert "X-RateLimit-Remaining" in response


@pytest.mark.parametrize("form", ["conversation_id", "call_id"])
def test_the_query_forms_serve_the_same_audio(api_a, recorded, form):
    response = api_a.get("/data/recordings", {form: recorded.conversation_id})

    assert response.status_code == 200 and body(response) == AUDIO


def test_the_query_form_without_an_id_is_a_400(api_a):
    response = api_a.get("/data/recordings")

    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


@pytest.mark.parametrize(
    ("header", "first", "last"),
    [
        ("bytes=0-99", 0, 99),
        ("bytes=100-", 100, len(AUDIO) - 1),
        ("bytes=-500", len(AUDIO) - 500, len(AUDIO) - 1),
        ("bytes=10-999999999", 10, len(AUDIO) - 1),
        ("bytes=-999999999", 0, len(AUDIO) - 1),
    ],
)
def test_a_range_gets_206_with_exactly_those_bytes(api_a, recorded, header, first, last):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}", HTTP_RANGE=header)

    assert response.status_code == 206
    assert response["Content-Range"] == f"bytes {first}-{last}/{len(AUDIO)}"
    assert response["Content-Length"] == str(last - first + 1)
    assert body(response) == AUDIO[first : last + 1]


@pytest.mark.parametrize("header", [f"bytes={len(AUDIO)}-", "bytes=500-100", "bytes=-0", "bytes=" + "9" * 5000 + "-"])
def test_an_unsatisfiable_range_is_a_416_saying_why(api_a, recorded, header):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}", HTTP_RANGE=header)

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{len(AUDIO)}"
    assert response.json()["code"] == "range_not_satisfiable"


def test_a_range_it_cannot_read_sends_the_whole_file(api_a, recorded):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}", HTTP_RANGE="pages=1-2")

    assert response.status_code == 200 and body(response) == AUDIO


def test_head_sends_headers_without_a_body(api_a, recorded):
    response = api_a.head(f"/data/recordings/{recorded.conversation_id}")

    assert response.status_code == 200
    assert response["Content-Length"] == str(len(AUDIO))
    assert body(response) == b""


def test_accept_json_returns_the_metadata(api_a, recorded):
    response = api_a.get(f"/data/recordings/{recorded.conversation_id}", HTTP_ACCEPT="application/json")

    assert response.json() == {
        "conversation_id": recorded.conversation_id,
        "recording_url": f"http://testserver/data/recordings/{recorded.conversation_id}",
        "breesy_url": f"http://testserver/insights?tab=calldata&callId=conv_{recorded.conversation_id}",
        "content_type": "audio/mpeg",
    }


def test_missing_call_call_without_audio_and_other_franchise_are_the_same_404(
    api_a, api_b, franchise_a, recorded, make_call
):
    silent = make_call(franchise_a)
    answers = [
        api_a.get("/data/recordings/CA-no-such-call"),
        api_a.get(f"/data/recordings/{silent.conversation_id}"),
        api_b.get(f"/data/recordings/{recorded.conversation_id}"),
        api_b.get(f"/data/recordings/{recorded.conversation_id}", HTTP_ACCEPT="application/json"),
        api_b.get("/data/recordings", {"call_id": recorded.conversation_id}),
    ]

    for response in answers:
        assert response.status_code == 404
        assert response.json() == {"detail": "Recording not found", "code": "not_found"}


def test_the_body_streams_in_blocks_rather_than_loading_the_file(api_a, franchise_a, make_call, make_recording):
    from calls.streaming import BLOCK_SIZE

    big = bytes(range(256)) * (BLOCK_SIZE // 64)  # four blocks
    call = make_call(franchise_a)
    make_recording(call, audio=big)

    response = api_a.get(f"/data/recordings/{call.conversation_id}")

    assert response.streaming
    chunks = list(response.streaming_content)
    assert max(len(c) for c in chunks) <= BLOCK_SIZE and b"".join(chunks) == big


def open_in_this_process(path: Path) -> bool:
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") == str(path):
                return True
        except OSError:
            continue  # the listing's own descriptor, gone once listed
    return False


@contextmanager
def inside_the_test_transaction():
    # What Django's test client does: a real WSGI request would otherwise close the test's connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@DISK_ONLY  # the way out of a file on local disk: the WSGI server's file_wrapper
def test_a_server_that_reads_the_file_wrapper_gets_exactly_the_range_and_the_file_is_closed(token_a, recorded):
    """runserver (wsgiref) takes the file through `wsgi.file_wrapper` but reads it rather than sendfile
    it: it must stop at the end of the range, not the end of the file."""
    path = Path(Recording.objects.get(call=recorded).file.path)
    environ = {
        "PATH_INFO": f"/data/recordings/{recorded.conversation_id}",
        "HTTP_HOST": "testserver",
        "HTTP_AUTHORIZATION": f"Bearer {token_a}",
        "HTTP_RANGE": "bytes=1000-1999",
        "wsgi.file_wrapper": FileWrapper,
    }
    setup_testing_defaults(environ)
    started = []

    with inside_the_test_transaction():
        result = WSGIHandler()(environ, lambda status, headers, exc_info=None: started.append((status, dict(headers))))
        body = b"".join(result)
        still_open = open_in_this_process(path)
        result.close()

    assert isinstance(result, FileWrapper)  # handed to the server as a file, so gunicorn can sendfile it
    status, headers = started[0]
    assert status.startswith("206") and headers["Content-Length"] == "1000"
    assert body == AUDIO[1000:2000]
    assert still_open and not open_in_this_process(path)


@DISK_ONLY  # about a storage of its own
@pytest.mark.parametrize(
    ("header", "first", "last"),
    [(None, 0, len(AUDIO) - 1), ("bytes=300-4000", 300, 4000), ("bytes=-10", len(AUDIO) - 10, len(AUDIO) - 1)],
)
def test_a_storage_without_a_file_descriptor_streams_the_same_bytes_in_blocks(header, first, last):
    storage = InMemoryStorage()
    name = storage.save("audio.mp3", ContentFile(AUDIO))
    request = RequestFactory().get("/", headers={"Range": header} if header else {})

    response = ranged_file_response(
        request, storage, name, size=len(AUDIO), content_type="audio/mpeg", filename="a.mp3"
    )

    assert response.status_code == (206 if header else 200)
    assert response["Content-Length"] == str(last - first + 1)
    assert b"".join(response.streaming_content) == AUDIO[first : last + 1]


def test_the_lookup_compiled_once_still_answers_each_franchise_for_its_own_calls(
    api_a, api_b, franchise_b, recorded, make_call, make_recording
):
    from config import compiled

    theirs = make_call(franchise_b)
    make_recording(theirs)
    compiled._SQL.clear()

    answers = [
        api_a.get(f"/data/recordings/{recorded.conversation_id}").status_code,
        api_a.get(f"/data/recordings/{theirs.conversation_id}").status_code,
        api_b.get(f"/data/recordings/{theirs.conversation_id}").status_code,
        api_b.get(f"/data/recordings/{recorded.conversation_id}").status_code,
    ]

    assert answers == [200, 404, 200, 404]
    if connection.vendor == "postgresql":  # one statement, compiled on the first request only
        assert [shape for shape, sql in compiled._SQL.items() if sql] == ["recording"]
