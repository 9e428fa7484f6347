"""The webhook's admin: a failed recording fetch is visible with its reason and retried from there."""

from __future__ import annotations

import pytest
from django.urls import reverse

from calls.models import RecordingFetch
from calls.recording_fetch import recordings_fetch_pending
from franchises.roles import staff_groups_sync
from tests.calls.test_recording_fetch import audio_server, deliver
from tests.loopback_server import loopback_server


@pytest.fixture(autouse=True)
def loopback_only(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]


def admin_of(client, user):
    staff_groups_sync(user)
    client.force_login(user)
    return client


def test_an_owner_sees_a_failed_fetch_with_its_reason_and_retries_it_to_the_audio(client, alice, franchise_a, carol):
    # The platform first answers with a page rather than the audio, then with the audio.
    with loopback_server(audio_server(200)) as server:
        call = deliver(client, franchise_a, f"{server.url}/rec.mp3")
        recordings_fetch_pending()
        fetch = RecordingFetch.objects.get(call=call)
        assert fetch.status == "failed"

        listing = admin_of(client, alice).get(reverse("admin:calls_recordingfetch_changelist")).content.decode()
        assert "the answer is text/plain, not audio/*" in listing and str(call) in listing
        answer = client.post(
            reverse("admin:calls_recordingfetch_changelist"),
            {"action": "retry_now", "_selected_action": [fetch.pk]},
            follow=True,
        )
    assert "1 fetches queued." in answer.content.decode()
    fetch.refresh_from_db()
    assert fetch.status == "fetched"  # the queued attempt ran (jobs run inline in tests)
    assert call.recording.size > 0

    client.logout()
    theirs = admin_of(client, carol).get(reverse("admin:calls_recordingfetch_changelist")).content.decode()
    assert str(call) not in theirs and "text/plain" not in theirs
