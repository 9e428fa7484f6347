"""Bringing calls in: JSON objects in the Data Share API's call shape become `Call` rows.

`calls_import` serves `manage.py import_calls` and is meant for the voice-agent webhook too: it
validates each call on its own (a bad one is reported and skipped, the rest are kept), writes in
batches with one upsert per batch, and is idempotent on `conversation_id`.
"""

from __future__ import annotations

import json
import mimetypes
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.files import File
from django.db import transaction

from calls.models import Call, Recording
from calls.queries import YEARS
from franchises.models import Franchise, Location

BATCH_SIZE = 1000

# Plain text columns of the call shape, copied as they come (str or null); the import also takes
# the customer's phone, which the shape does not show.
TEXT_FIELDS = (
    *(
        name
        for name in Call.SHAPE_FIELDS
        if name not in {"conversation_id", "timestamp", "duration", "location_id", "location"}
    ),
    "customer_phone",
)
# Columns that are NOT NULL in the model: a null there is stored as "".
NOT_NULL_TEXT = {"caller_id", "agent_type", "call_category", "transcript"}
# Everything an upsert may overwrite; `franchise` and `conversation_id` never change.
UPDATE_FIELDS = [
    "location",
    "timestamp",
    "duration",
    *TEXT_FIELDS,
    "transcript_turns",
    *(f"real_estate_{name}" for name in Call.REAL_ESTATE_FIELDS),
    "caller_id_e164",
    "callback_number_e164",
    "customer_phone_e164",
    "updated_at",
]


class BadCall(ValueError):
    """One call of an import cannot be stored; the message says why in an operator's words, `field`
    names the field at fault (as a JSON path: `real_estate.address`, `transcript_turns[2].text`) and
    `code` is "conflict" when the conversation_id is another franchise's."""

    def __init__(self, message: str, *, field: str | None = None, code: str = "bad_call"):
        super().__init__(message)
        self.field = field
        self.code = code


@dataclass
class ImportResult:
    """What an import did: counts, and each skipped line with its reason."""

    created: int = 0
    updated: int = 0
    recordings: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        return (
            f"{self.imported} calls imported ({self.created} created, {self.updated} updated, "
            f"{self.recordings} recordings), {len(self.errors)} bad lines skipped"
        )


@dataclass
class _Parsed:
    line_no: int
    call: Call
    recording_path: Path | None


def _text(data: dict[str, Any], name: str, max_length: int | None, within: str = "") -> str | None:
    value = data.get(name)
    if value is None:
        return "" if name in NOT_NULL_TEXT else None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise BadCall(f"{within}{name} must be a string", field=f"{within}{name}")
    value = str(value)
    if max_length and len(value) > max_length:
        raise BadCall(f"{within}{name} is longer than {max_length} characters", field=f"{within}{name}")
    return value


def _timestamp(value: Any, franchise: Franchise) -> datetime:
    if not isinstance(value, str) or not value:
        raise BadCall("timestamp is required (ISO 8601, e.g. 2026-06-22T18:04:11+00:00)", field="timestamp")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise BadCall(f"timestamp {value!r} is not ISO 8601", field="timestamp") from None
    if moment.year not in YEARS:  # beyond them a zone applied leaves Python's datetime range (pages, admin)
        raise BadCall(f"timestamp {value!r} must be in the years {YEARS.start}–{YEARS.stop - 1}", field="timestamp")
    # A time without an offset is read in the franchise's own time zone, as its staff would say it.
    return moment if moment.tzinfo else moment.replace(tzinfo=franchise.tzinfo)


def _duration(value: Any) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, bool):
        raise BadCall("duration must be whole seconds", field="duration")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if not isinstance(value, int) or value < 0 or value > 2_000_000_000:
        raise BadCall(f"duration {value!r} must be whole seconds (a number or a string of digits)", field="duration")
    return value


def _turns(value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadCall("transcript_turns must be a list", field="transcript_turns")
    turns = []
    for i, turn in enumerate(value):
        if not isinstance(turn, dict):
            raise BadCall(f"transcript_turns[{i}] must be an object", field=f"transcript_turns[{i}]")
        speaker, text, start = turn.get("speaker"), turn.get("text"), turn.get("start", 0)
        if speaker not in ("agent", "caller"):
            raise BadCall(
                f'transcript_turns[{i}].speaker must be "agent" or "caller"', field=f"transcript_turns[{i}].speaker"
            )
        if not isinstance(text, str):
            raise BadCall(f"transcript_turns[{i}].text must be a string", field=f"transcript_turns[{i}].text")
        if isinstance(start, bool) or not isinstance(start, int | float) or start < 0:
            raise BadCall(
                f"transcript_turns[{i}].start must be seconds (a number >= 0)", field=f"transcript_turns[{i}].start"
            )
        turns.append({"speaker": speaker, "text": text, "start": start})
    return turns


def _location(data: dict[str, Any], locations: dict[str, Location]) -> Location | None:
    """`location_id` (a uuid) wins over `location` (a name); both must be of the import's franchise."""
    location_id, name = data.get("location_id"), data.get("location")
    if location_id not in (None, ""):
        try:
            key = str(uuid.UUID(str(location_id)))
        except ValueError:
            raise BadCall(f"location_id {location_id!r} is not a uuid", field="location_id") from None
        if key not in locations:
            raise BadCall(f"location_id {location_id} is not a location of this franchise", field="location_id")
        return locations[key]
    if name not in (None, ""):
        match = [loc for loc in locations.values() if loc.name == name]
        if not match:
            raise BadCall(f"location {name!r} is not a location of this franchise", field="location")
        return match[0]
    return None


def call_from_data(
    data: Any, *, franchise: Franchise, locations: dict[str, Location], base_dir: Path | None
) -> tuple[Call, Path | None]:
    """An unsaved `Call` from one object in the call shape, and the recording file it names.
    Raises BadCall with the reason when the object cannot be stored."""
    if not isinstance(data, dict):
        raise BadCall("each line must be a JSON object")
    conversation_id = data.get("conversation_id")
    if conversation_id is None or conversation_id == "":
        raise BadCall("conversation_id is required", field="conversation_id")
    if not isinstance(conversation_id, str) or not conversation_id.strip():
        raise BadCall("conversation_id must be a non-blank string", field="conversation_id")
    if len(conversation_id) > 100:
        raise BadCall("conversation_id is longer than 100 characters", field="conversation_id")

    values: dict[str, Any] = {name: _text(data, name, Call._meta.get_field(name).max_length) for name in TEXT_FIELDS}
    real_estate = data.get("real_estate") or {}
    if not isinstance(real_estate, dict):
        raise BadCall("real_estate must be an object", field="real_estate")
    for name in Call.REAL_ESTATE_FIELDS:
        values[f"real_estate_{name}"] = _text(
            real_estate, name, Call._meta.get_field(f"real_estate_{name}").max_length, within="real_estate."
        )
    turns = _turns(data.get("transcript_turns"))
    if turns and not values["transcript"]:
        values["transcript"] = " ".join(f"{t['speaker'].capitalize()}: {t['text']}" for t in turns)

    call = Call(
        franchise=franchise,
        conversation_id=conversation_id.strip(),
        timestamp=_timestamp(data.get("timestamp"), franchise),
        duration=_duration(data.get("duration")),
        location=_location(data, locations),
        transcript_turns=turns,
        **values,
    )
    call.set_normalized_phones(franchise.phone_region)

    recording_path = None
    recording_file = data.get("recording_file")
    if recording_file not in (None, ""):
        # Only a trusted caller (the CLI, reading the operator's own files) passes base_dir; from
        # anyone else a path would let them read files off this machine.
        if base_dir is None:
            raise BadCall("recording_file is only read from local imports", field="recording_file")
        if not isinstance(recording_file, str):
            raise BadCall("recording_file must be a path", field="recording_file")
        recording_path = base_dir / recording_file
        if not recording_path.is_file():
            raise BadCall(f"recording_file {recording_file!r} not found", field="recording_file")
    return call, recording_path


def _recording_put(recording: Recording, path: Path, content_type: str | None = None) -> None:
    if recording.file:
        recording.file.delete(save=False)
    with path.open("rb") as fh:
        recording.file.save(path.name, File(fh), save=False)
    recording.size = path.stat().st_size
    recording.content_type = content_type or mimetypes.guess_type(path.name)[0] or "audio/mpeg"


def recording_store(*, call: Call, path: Path, content_type: str | None = None) -> Recording:
    """Put the audio at `path` into storage as `call`'s recording, replacing any earlier one. The
    content type is guessed from the file name unless given (a fetched file's answer says it)."""
    recording = Recording.objects.filter(call=call).first() or Recording(call=call)
    _recording_put(recording, path, content_type)
    recording.save()
    return recording


def _store_recordings(franchise: Franchise, parsed: list[_Parsed]) -> int:
    """Store the recordings named by stored calls: files one by one, rows in two bulk writes."""
    ids = dict(
        Call.objects.filter(
            franchise=franchise, conversation_id__in=[p.call.conversation_id for p in parsed]
        ).values_list("conversation_id", "id")
    )
    existing = {r.call_id: r for r in Recording.objects.filter(call_id__in=list(ids.values()))}
    new, changed = [], []
    for p in parsed:
        p.call.pk = ids[p.call.conversation_id]
        recording = existing.get(p.call.pk) or Recording(call=p.call)
        _recording_put(recording, p.recording_path)
        (changed if recording.pk else new).append(recording)
    Recording.objects.bulk_create(new)
    Recording.objects.bulk_update(changed, ["file", "size", "content_type"])
    return len(parsed)


def _write_batch(franchise: Franchise, batch: list[_Parsed], result: ImportResult) -> list[_Parsed]:
    """Upsert one batch; returns the parsed lines that were stored."""
    # A later line with the same conversation_id replaces an earlier one (one upsert row each).
    latest = {p.call.conversation_id: p for p in batch}
    for _attempt in range(2):
        owners = dict(
            Call.objects.filter(conversation_id__in=list(latest)).values_list("conversation_id", "franchise_id")
        )
        for conversation_id, owner in owners.items():
            if owner != franchise.pk:
                parsed = latest.pop(conversation_id)
                result.errors.append(
                    (parsed.line_no, f"conversation_id {conversation_id} belongs to another franchise")
                )
        if not latest:
            return []
        with transaction.atomic():
            Call.objects.bulk_create(
                [p.call for p in latest.values()],
                update_conflicts=True,
                unique_fields=["conversation_id"],
                update_fields=UPDATE_FIELDS,
            )
            # Another franchise may have taken one of these ids since the check above; the upsert
            # then touched its row. Roll the batch back and check again rather than allow that.
            if not Call.objects.filter(conversation_id__in=list(latest)).exclude(franchise=franchise).exists():
                updated = sum(1 for cid in latest if cid in owners)
                result.updated += updated
                result.created += len(latest) - updated
                return list(latest.values())
            transaction.set_rollback(True)
    raise RuntimeError("calls kept being taken by another franchise during the import")


def call_upsert(*, franchise: Franchise, data: Any) -> tuple[Call, bool]:
    """One call from the voice-agent webhook, by the import's own rules and upsert; returns the call
    as written (its primary key set by the upsert; columns the upsert leaves alone, such as a known
    call's state, are not read back) and whether it is new. Raises BadCall (code "conflict" for
    another franchise's conversation_id)."""
    named = isinstance(data, dict) and any(data.get(key) not in (None, "") for key in ("location_id", "location"))
    locations = {str(loc.pk): loc for loc in Location.objects.filter(franchise=franchise)} if named else {}
    call, _ = call_from_data(data, franchise=franchise, locations=locations, base_dir=None)
    result = ImportResult()
    if not _write_batch(franchise, [_Parsed(1, call, None)], result):
        raise BadCall(result.errors[0][1], field="conversation_id", code="conflict")
    if call.pk is None:  # a database whose upsert returns no keys
        call = Call.objects.get(conversation_id=call.conversation_id)
    return call, result.created == 1


def calls_import(
    *, franchise: Franchise, lines: Iterable[str], base_dir: Path | None = None, batch_size: int = BATCH_SIZE
) -> ImportResult:
    """Import JSON Lines of calls into `franchise`. Blank lines are ignored; a line that is not a
    storable call is reported with its (1-based) number and skipped; the others are upserted on
    `conversation_id`. A conversation_id that belongs to another franchise is never touched.
    `recording_file` paths are read relative to `base_dir`, and refused when it is None (pass None
    for anything that did not come from the operator's own disk)."""
    result = ImportResult()
    locations = {str(loc.pk): loc for loc in Location.objects.filter(franchise=franchise)}
    batch: list[_Parsed] = []

    def flush() -> None:
        stored = _write_batch(franchise, batch, result)
        with_audio = [p for p in stored if p.recording_path]
        if with_audio:
            result.recordings += _store_recordings(franchise, with_audio)
        batch.clear()

    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            result.errors.append((line_no, f"not valid JSON ({exc.msg})"))
            continue
        try:
            call, recording_path = call_from_data(data, franchise=franchise, locations=locations, base_dir=base_dir)
        except BadCall as exc:
            result.errors.append((line_no, str(exc)))
            continue
        batch.append(_Parsed(line_no, call, recording_path))
        if len(batch) >= batch_size:
            flush()
    if batch:
        flush()
    result.errors.sort()
    return result
