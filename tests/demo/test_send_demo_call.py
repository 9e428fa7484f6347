"""`manage.py send_demo_call`: a signed call posted to a running app, its audio fetched from 127.0.0.1."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calls.models import Call, RecordingFetch, WebhookSecret
from demo.seed import FRANCHISE_NAME, LOCATIONS
from franchises.models import Franchise, Location

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def demo_franchise() -> Franchise:
    franchise = Franchise.objects.create(name=FRANCHISE_NAME)
    Location.objects.create(franchise=franchise, name=LOCATIONS[0])
    return franchise


def send(live_server) -> list[str]:
    out = StringIO()
    call_command("send_demo_call", url=live_server.url, wait=10, stdout=out)
    return out.getvalue().splitlines()


def test_the_call_is_stored_with_its_audio_and_the_next_one_is_signed_with_the_same_secret(
    live_server, demo_franchise, settings
):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]  # as make run sets it
    lines = send(live_server)
    assert lines[0].startswith(f"{FRANCHISE_NAME} had no webhook secret: made whsec_")
    assert " 201 " in lines[1] and '"status":"created"' in lines[1].replace(" ", "")
    assert lines[-1].startswith("audio fetched ") and lines[-1].endswith(" s after the post")
    call = Call.objects.get(franchise=demo_franchise)
    assert f"{live_server.url}/calls/{call.conversation_id}/" in lines[2]
    assert (call.location.name, call.recording.content_type) == (LOCATIONS[0], "audio/mpeg")
    assert call.recording.size > 10_000 and call.transcript_turns

    again = send(live_server)
    assert "had no webhook secret" not in again[0] and again[-1].startswith("audio fetched ")
    assert (Call.objects.count(), WebhookSecret.objects.count()) == (2, 1)


def test_it_fails_saying_why_when_the_audio_cannot_be_fetched(live_server, demo_franchise, settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []  # 127.0.0.1 not listed: the guard refuses the audio's address
    with pytest.raises(CommandError, match="the audio fetch failed: refused by the outbound guard"):
        send(live_server)
    assert RecordingFetch.objects.get().status == "failed"
    assert Call.objects.filter(franchise=demo_franchise).exists()
