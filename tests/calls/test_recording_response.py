"""One `recording_response` for the API, the staff player and the admin: a file gone from storage is
a 404 everywhere (JSON on the API), the audio is never cached by others, a row without a size still
streams."""

from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.usefixtures("recording_storage")  # on the local disk and on the S3 server

AUDIO_PATHS = {
    "api": "/data/recordings/{id}",
    "staff": "/calls/{id}/recording",
}


@pytest.fixture
def clients(api_a, alice, admin_client, signed_in):
    return {"api": api_a, "staff": signed_in(alice), "admin": admin_client}


def audio_url(surface: str, call) -> str:
    if surface == "admin":
        return reverse("admin:calls_call_recording", args=[call.pk])
    return AUDIO_PATHS[surface].format(id=call.conversation_id)


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
def test_a_recording_file_gone_from_storage_is_a_404(clients, franchise_a, make_call, make_recording, surface, method):
    call = make_call(franchise_a)
    recording = make_recording(call)
    recording.file.storage.delete(recording.file.name)

    response = getattr(clients[surface], method)(audio_url(surface, call))

    assert response.status_code == 404
    if surface == "api":
        assert response["Content-Type"].startswith("application/json")
        assert method == "head" or response.json() == {"detail": "Recording not found", "code": "not_found"}
    else:
        assert not response["Content-Type"].startswith("application/json")


@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
def test_the_audio_is_private_and_never_stored_by_a_cache(clients, franchise_a, make_call, make_recording, surface):
    call = make_call(franchise_a)
    make_recording(call)

    response = clients[surface].get(audio_url(surface, call), headers={"Range": "bytes=0-9"})

    assert response.status_code == 206
    # (The admin adds its own never_cache directives to every answer.)
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))


@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
def test_a_recording_without_a_stored_size_is_measured(clients, franchise_a, make_call, make_recording, surface):
    call = make_call(franchise_a)
    recording = make_recording(call, b"0123456789" * 10)
    recording.size = 0
    recording.save(update_fields=["size"])

    response = clients[surface].get(audio_url(surface, call))

    assert response.status_code == 200 and response["Content-Length"] == "100"
    assert b"".join(response.streaming_content) == b"0123456789" * 10
