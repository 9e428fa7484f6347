"""`manage.py import_calls`: JSON Lines in the Data Share call shape become calls of one franchise."""

from __future__ import annotations

import io
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from calls.models import Call, Recording
from calls.services import calls_import

DEMO_MP3 = Path(__file__).resolve().parents[2] / "demo" / "audio" / "spam.mp3"

SPEC_CALL = {
    "conversation_id": "CA0123456789abcdef0123456789abcdef",
    "caller_id": "+15551234567",
    "timestamp": "2026-06-22T18:04:11+00:00",
    "duration": "182",
    "agent_type": "afterhours",
    "call_category": "new_urgent_service_request",
    "customer_name": "Jordan Smith",
    "customer_email": "jordan@example.com",
    "call_summary": "Water damage in the basement after a pipe burst.",
    "loss_type": "Water",
    "referral_source": "Google",
    "notes": "Caller requested a morning callback.",
    "property_area": "Basement",
    "request_type": "INITIAL_SERVICE_REQUEST",
    "service_location": "123 Main St, Springfield",
    "callback_number": "(555) 765-4321",
    "location": "North Branch",
    "transcript": "Agent: Thanks for calling...",
    "real_estate": {
        "address": "123 Main St, Springfield",
        "last_sale_value": "415000",
        "current_value": "468000",
        "owner_name1": "Jordan Smith",
        "owner_name2": None,
        "room_count": "7",
        "square_footage": "2100",
        "year_built": "1998",
    },
    "recording_url": "https://api.breesy.app/data/recordings/CA0123456789abcdef0123456789abcdef",
}


def write_lines(path: Path, *items) -> Path:
    path.write_text("\n".join(i if isinstance(i, str) else json.dumps(i) for i in items) + "\n")
    return path


def run_import(franchise, path: Path) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_calls", "--franchise", franchise.name, str(path), stdout=out, stderr=err)
    return out.getvalue().strip().splitlines()[-1], err.getvalue()


def test_it_imports_a_call_in_the_spec_shape(tmp_path, location_a):
    item = {**SPEC_CALL, "customer_phone": "555.222.1111"}
    printed, _ = run_import(location_a.franchise, write_lines(tmp_path / "calls.jsonl", item))
    assert printed.startswith("1 calls imported (1 created, 0 updated")
    call = Call.objects.get()
    assert call.franchise == location_a.franchise and call.location == location_a
    assert call.timestamp == datetime(2026, 6, 22, 18, 4, 11, tzinfo=UTC)
    assert call.duration == 182
    assert call.real_estate_address == "123 Main St, Springfield"
    assert call.real_estate_owner_name2 is None and call.real_estate_year_built == "1998"
    assert call.caller_id_e164 == "+15551234567" and call.callback_number_e164 == "+15557654321"
    assert call.customer_phone_e164 == "+15552221111"
    assert call.callback_number == "(555) 765-4321"  # the raw value is kept as sent


def test_it_takes_the_location_by_uuid_and_an_integer_duration(tmp_path, location_a, location_a2):
    item = {**SPEC_CALL, "location_id": str(location_a2.pk), "location": None, "duration": 95}
    run_import(location_a.franchise, write_lines(tmp_path / "calls.jsonl", item))
    call = Call.objects.get()
    assert (call.location, call.duration) == (location_a2, 95)


def test_a_reimport_updates_the_call_and_never_duplicates_it(tmp_path, location_a):
    path = write_lines(tmp_path / "calls.jsonl", SPEC_CALL)
    run_import(location_a.franchise, path)
    created_at = Call.objects.get().created_at
    write_lines(path, {**SPEC_CALL, "call_summary": "Updated summary", "duration": "200"})
    printed, _ = run_import(location_a.franchise, path)
    assert "0 created, 1 updated" in printed
    call = Call.objects.get()
    assert (call.call_summary, call.duration, call.created_at) == ("Updated summary", 200, created_at)


def test_bad_lines_are_reported_by_number_and_the_good_ones_kept(tmp_path, location_a):
    path = write_lines(
        tmp_path / "calls.jsonl",
        {**SPEC_CALL, "conversation_id": "CAgood1"},
        "{not json",
        {**SPEC_CALL, "conversation_id": "CAbad-time", "timestamp": "last tuesday"},
        "",
        {**SPEC_CALL, "conversation_id": "CAbad-loc", "location": "Atlantis"},
        {**SPEC_CALL, "conversation_id": "CAbad-dur", "duration": "3 minutes"},
        {**SPEC_CALL, "conversation_id": "CAbad-re", "real_estate": "big house"},
        {**SPEC_CALL, "conversation_id": "CAbad-turns", "transcript_turns": [{"speaker": "robot", "text": "hi"}]},
        {**SPEC_CALL, "conversation_id": "CAbad-rec", "recording_file": "missing.mp3"},
        {**SPEC_CALL, "conversation_id": ""},
        ["a", "list"],
        {**SPEC_CALL, "conversation_id": "CAgood2"},
    )
    printed, errors = run_import(location_a.franchise, path)
    assert printed.startswith("2 calls imported") and printed.endswith("9 bad lines skipped")
    assert sorted(Call.objects.values_list("conversation_id", flat=True)) == ["CAgood1", "CAgood2"]
    reported = [line.split(":")[0] for line in errors.strip().splitlines()]
    assert reported == [f"line {n}" for n in (2, 3, 5, 6, 7, 8, 9, 10, 11)]
    assert "line 5: location 'Atlantis' is not a location of this franchise" in errors


def test_a_location_of_another_franchise_is_a_bad_line(tmp_path, location_a, location_b):
    item = {**SPEC_CALL, "location_id": str(location_b.pk)}
    with pytest.raises(CommandError, match="Nothing imported"):
        run_import(location_a.franchise, write_lines(tmp_path / "calls.jsonl", item))
    assert not Call.objects.exists()


def test_a_conversation_id_of_another_franchise_is_never_touched(tmp_path, location_a, franchise_b, make_call):
    theirs = make_call(franchise_b, conversation_id="CAtheirs", call_summary="B's call")
    path = write_lines(
        tmp_path / "calls.jsonl",
        {**SPEC_CALL, "conversation_id": "CAtheirs", "call_summary": "hijack"},
        {**SPEC_CALL, "conversation_id": "CAmine"},
    )
    printed, errors = run_import(location_a.franchise, path)
    assert "1 calls imported" in printed and "1 bad lines" in printed
    assert "line 1: conversation_id CAtheirs belongs to another franchise" in errors
    theirs.refresh_from_db()
    assert (theirs.franchise, theirs.call_summary) == (franchise_b, "B's call")


@pytest.mark.usefixtures("recording_storage")  # on the local disk and on the S3 server
def test_a_recording_file_is_stored_as_the_calls_recording(tmp_path, location_a):
    (tmp_path / "audio").mkdir()
    shutil.copy(DEMO_MP3, tmp_path / "audio" / "first.mp3")
    turns = [
        {"speaker": "agent", "text": "Thanks for calling.", "start": 0},
        {"speaker": "caller", "text": "Hi", "start": 2.5},
    ]
    item = {**SPEC_CALL, "recording_file": "audio/first.mp3", "transcript_turns": turns}
    printed, _ = run_import(location_a.franchise, write_lines(tmp_path / "calls.jsonl", item))
    assert "1 recordings" in printed
    recording = Recording.objects.get()
    assert recording.size == DEMO_MP3.stat().st_size and recording.content_type == "audio/mpeg"
    assert recording.file.read() == DEMO_MP3.read_bytes()
    assert Call.objects.get().transcript_turns == turns

    # Importing again replaces the audio rather than adding a second recording.
    run_import(location_a.franchise, tmp_path / "calls.jsonl")
    assert Recording.objects.count() == 1


def test_an_unknown_franchise_or_a_missing_file_is_a_one_line_error(tmp_path, franchise_a):
    with pytest.raises(CommandError, match="No franchise"):
        call_command("import_calls", "--franchise", "Nope", str(tmp_path / "x.jsonl"), stdout=io.StringIO())
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_calls", "--franchise", franchise_a.name, str(tmp_path / "x.jsonl"), stdout=io.StringIO())


def test_turns_without_a_transcript_make_the_transcript(franchise_a):
    item = {
        **SPEC_CALL,
        "location": None,
        "transcript": None,
        "transcript_turns": [
            {"speaker": "agent", "text": "Hello.", "start": 0},
            {"speaker": "caller", "text": "Hi.", "start": 1},
        ],
    }
    result = calls_import(franchise=franchise_a, lines=[json.dumps(item)])
    assert result.imported == 1
    assert Call.objects.get().transcript == "Agent: Hello. Caller: Hi."


def test_the_same_conversation_id_twice_in_one_file_keeps_the_last(franchise_a):
    lines = [json.dumps({**SPEC_CALL, "location": None, "notes": note}) for note in ("first", "second")]
    result = calls_import(franchise=franchise_a, lines=lines)
    assert Call.objects.get().notes == "second" and result.errors == []


def test_many_calls_import_in_batches(franchise_a):
    lines = [
        json.dumps({**SPEC_CALL, "location": None, "conversation_id": f"CAbulk{i:05d}", "caller_id": f"+1555{i:07d}"})
        for i in range(2500)
    ]
    result = calls_import(franchise=franchise_a, lines=lines, batch_size=1000)
    assert (result.created, result.updated) == (2500, 0)
    assert Call.objects.filter(franchise=franchise_a).count() == 2500
    assert Call.objects.get(conversation_id="CAbulk02499").caller_id_e164 == "+15550002499"
    result = calls_import(franchise=franchise_a, lines=lines, batch_size=1000)
    assert (result.created, result.updated) == (0, 2500)


def test_recording_files_are_refused_without_a_trusted_folder(franchise_a):
    """A caller passing untrusted input (e.g. a webhook) gives no base_dir: no reading local files."""
    item = {**SPEC_CALL, "location": None, "recording_file": str(DEMO_MP3)}
    result = calls_import(franchise=franchise_a, lines=[json.dumps(item)])
    assert result.errors == [(1, "recording_file is only read from local imports")]
    assert not Call.objects.exists() and not Recording.objects.exists()
