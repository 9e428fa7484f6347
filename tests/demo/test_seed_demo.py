"""`manage.py seed_demo`: demo data a new user can sign in to, with recordings that really play."""

from __future__ import annotations

import io
import json
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from calls.models import Call, Recording
from contacts.models import Contact, ContactPhone, Tag
from contacts.queries import contact_duplicates
from demo.seed import DEMO_DIR, FRANCHISE_NAME
from dialer.queries import queue_calls
from franchises.models import Franchise

pytestmark = pytest.mark.django_db

BITRATES = {1: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320]}
BITRATES[2] = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160]
SAMPLE_RATES = {3: (1, [44100, 48000, 32000]), 2: (2, [22050, 24000, 16000]), 0: (2, [11025, 12000, 8000])}


def mp3_seconds(data: bytes) -> float:
    """Walk the MPEG audio layer III frames of `data` and add up their length; fails on anything else."""
    pos, seconds, frames = 0, 0.0, 0
    if data[:3] == b"ID3":
        pos = 10 + int.from_bytes(bytes(b & 0x7F for b in data[6:10]), "big")
    while pos + 4 <= len(data):
        b1, b2, b3 = data[pos], data[pos + 1], data[pos + 2]
        assert b1 == 0xFF and b2 & 0xE0 == 0xE0 and (b2 >> 1) & 3 == 1, f"no layer III frame at byte {pos}"
        version, rates = SAMPLE_RATES[(b2 >> 3) & 3]
        bitrate = BITRATES[version][b3 >> 4] * 1000
        rate = rates[(b3 >> 2) & 3]
        per_frame = 1152 if version == 1 else 576
        pos += (per_frame // 8) * bitrate // rate + ((b3 >> 1) & 1)
        seconds += per_frame / rate
        frames += 1
    assert frames > 100
    return seconds


def seed(*args: str) -> list[str]:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue().strip().splitlines()


def test_the_demo_franchise_has_calls_of_every_kind_over_recent_weeks():
    seed()
    franchise = Franchise.objects.get(name=FRANCHISE_NAME)
    assert sorted(franchise.locations.values_list("name", flat=True)) == ["North Branch", "South Branch"]
    calls = Call.objects.filter(franchise=franchise)
    assert calls.count() == 300
    categories = Counter(calls.values_list("call_category", flat=True))
    assert set(categories) == {
        "new_urgent_service_request",
        "existing_job_update",
        "estimate_request",
        "billing_question",
        "spam",
    }
    assert len(set(calls.values_list("agent_type", flat=True))) >= 3
    newest, oldest = calls.first().timestamp, calls.last().timestamp
    assert 20 <= (newest - oldest).days <= 28
    assert set(calls.values_list("location__name", flat=True)) == {"North Branch", "South Branch"}


def test_every_demo_call_has_a_real_recording_matching_its_transcript():
    seed()
    dialogues = json.loads((DEMO_DIR / "dialogues.json").read_text())
    by_file = {Path(d["file"]).name: d for d in dialogues.values()}
    sources = {name: (DEMO_DIR / d["file"]).read_bytes() for name, d in by_file.items()}
    assert sum(len(b) for b in sources.values()) < 1_000_000

    calls = Call.objects.select_related("recording")
    assert Recording.objects.count() == calls.count() == 300
    for call in calls[:40]:
        audio = call.recording.file.read()
        source = next(name for name, data in sources.items() if data == audio)
        dialogue = by_file[source]
        assert call.recording.size == len(audio) and call.recording.content_type == "audio/mpeg"
        assert call.transcript_turns == dialogue["turns"]
        assert abs(mp3_seconds(audio) - call.duration) <= 1.5
        assert call.transcript_turns[-1]["start"] < call.duration
        assert call.transcript.startswith("Agent: " + dialogue["turns"][0]["text"])


def test_contacts_are_linked_to_calls_by_phone_and_tagged():
    seed()
    franchise = Franchise.objects.get(name=FRANCHISE_NAME)
    contacts = Contact.objects.filter(franchise=franchise)
    assert contacts.count() == 60
    owned = set(ContactPhone.objects.filter(franchise=franchise).values_list("number", flat=True))
    for call in Call.objects.exclude(call_category="spam"):
        assert call.caller_id_e164 in owned
    assert not Call.objects.filter(call_category="spam", caller_id_e164__in=owned).exists()
    some = contacts.exclude(alternate_phones=[]).first()
    assert Call.objects.filter(Q(caller_id_e164__in=some.phones) | Q(callback_number_e164__in=some.phones)).exists()
    names = set(Tag.objects.filter(franchise=franchise).values_list("name", flat=True))
    assert {"VIP", "Repeat Customer", "Insurance Claim"} <= names
    # Callers wait in the call-back queue, each a contact with a phone to ring (make run's dialer).
    waiting = list(queue_calls(franchise))
    assert len(waiting) >= 10 and all(call.caller_contact_id for call in waiting)
    # One obvious duplicate pair to merge: the same name and address under two phones.
    twin = contacts.last()
    (original,) = [c for c in contact_duplicates(twin) if c.addr_line1 == twin.addr_line1]
    assert original.display_name == twin.display_name
    assert original.primary_phone != twin.primary_phone


def test_seeding_again_changes_nothing_but_refreshes_the_same_rows():
    seed()
    before = (Franchise.objects.count(), Call.objects.count(), Contact.objects.count(), Recording.objects.count())
    tags_before = Tag.objects.count()
    seed()
    assert before == (
        Franchise.objects.count(),
        Call.objects.count(),
        Contact.objects.count(),
        Recording.objects.count(),
    )
    assert Tag.objects.count() == tags_before


def test_if_empty_leaves_a_database_with_a_franchise_alone(franchise_a):
    assert seed("--if-empty") == ["Demo data not loaded: the database already has franchises"]
    assert not Franchise.objects.filter(name=FRANCHISE_NAME).exists() and not Call.objects.exists()


def test_the_printed_login_signs_in_to_the_admin_and_plays_a_recording(client):
    printed = seed("--if-empty")[-1]
    out = io.StringIO()
    call_command("demo_login", stdout=out)
    assert out.getvalue().strip() == printed
    username, password = printed.removeprefix("Demo login: ").split(" (")[0].split(" / ")
    assert client.login(username=username, password=password)

    page = client.get(reverse("admin:calls_call_changelist")).content.decode()
    assert "CAdemo" in page
    call = Call.objects.first()
    response = client.get(reverse("admin:calls_call_recording", args=[call.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "audio/mpeg"
    assert mp3_seconds(b"".join(response.streaming_content)) > 10


def test_the_demo_calls_stand_where_weeks_of_work_left_them():
    seed()
    states = Counter(Call.objects.values_list("state", flat=True))
    assert states["needs_callback"] and states["booked"] and states["new"], states
    spam = Call.objects.filter(call_category="spam")
    assert set(spam.values_list("state", "state_reason")) == {("not_needed", "spam")}
    today = Call.objects.filter(timestamp__gte=timezone.now() - timedelta(hours=20)).exclude(call_category="spam")
    assert set(today.values_list("state", flat=True)) == {"new"}
