"""`GET /data/calls` and `GET|HEAD /data/recordings/...` (see specs/data-share-api.txt).

The call list is the hot path: rows come from one `.values_list()` query (the location name joined
in the same SQL) and go straight to orjson, with no model or Schema instance per row.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from calls.models import Call
from calls.queries import CallFilters, calls_page, next_cursor, recording_of
from calls.recordings import recording_response
from calls.schemas import CallsPage, RecordingMetadata
from config.api_base import ApiError, Text, json_response
from config.keyset import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from config.schemas import ERRORS, Error

router = Router(tags=["calls"])

# The call's own columns in the shape's order (the location's name joined in); real estate nests below.
PLAIN_FIELDS = tuple("location__name" if name == "location" else name for name in Call.SHAPE_FIELDS)
REAL_ESTATE_COLUMNS = tuple(f"real_estate_{name}" for name in Call.REAL_ESTATE_FIELDS)
COLUMNS = ("id", *PLAIN_FIELDS, *REAL_ESTATE_COLUMNS)
N_PLAIN = len(PLAIN_FIELDS)
KEYS = Call.SHAPE_FIELDS
REAL_ESTATE_KEYS = Call.REAL_ESTATE_FIELDS


def recording_url(conversation_id: str, site: str | None = None) -> str:
    return f"{site or settings.SITE_URL}/data/recordings/{conversation_id}"


def recording_breesy_url(conversation_id: str, site: str | None = None) -> str:
    return f"{site or settings.SITE_URL}/insights?tab=calldata&callId=conv_{conversation_id}"


def call_rows(rows: list[tuple], *, include_recording_url: bool) -> list[dict]:
    """API dicts from `COLUMNS` tuples. The hot loop of every page: no call or lookup it can avoid."""
    calls = []
    recordings, insights = recording_url(""), recording_breesy_url("")  # the links without the id
    for row in rows:
        # The slices have the keys' lengths by construction of COLUMNS; strict=True would cost 20%.
        call = dict(zip(KEYS, row[1 : N_PLAIN + 1], strict=False))
        call["duration"] = str(call["duration"])
        call["real_estate"] = dict(zip(REAL_ESTATE_KEYS, row[N_PLAIN + 1 :], strict=False))
        if include_recording_url:
            call["recording_url"] = recordings + row[1]  # COLUMNS: 1 is the conversation_id
            call["recording_breesy_url"] = insights + row[1]
        calls.append(call)
    return calls


@router.get(
    "/calls",
    response={200: CallsPage, **ERRORS},
    summary="List calls, newest first",
    description="Voice-agent calls of your franchise with Breesy recording links, newest first, "
    "paged with an opaque cursor. `YYYY-MM-DD` dates are whole days in the franchise's time zone.",
)
def list_calls(
    request: HttpRequest,
    location_id: UUID | None = None,
    start_date: Annotated[Text(40) | None, Query(description="Inclusive start: ISO 8601 or YYYY-MM-DD")] = None,
    end_date: Annotated[Text(40) | None, Query(description="Inclusive end: ISO 8601 or YYYY-MM-DD")] = None,
    call_id: Annotated[Text(100) | None, Query(description="Exact conversation_id")] = None,
    phone: Annotated[Text(40) | None, Query(description="Caller ID, callback number or customer phone")] = None,
    cursor: Annotated[Text(500) | None, Query(description="next_cursor of the previous page")] = None,
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
    include_recording_url: bool = True,
) -> HttpResponse:
    franchise = request.auth.franchise
    filters = CallFilters.parse(
        franchise,
        location_id=str(location_id) if location_id else None,
        start_date=start_date,
        end_date=end_date,
        call_id=call_id,
        phone=phone,
    )
    rows = calls_page(franchise, filters, cursor, columns=COLUMNS, size=page_size + 1)
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    last = rows[-1] if has_more else None
    return json_response(
        {
            "scope": {"franchise_id": franchise.id, "location_id": location_id},
            "pagination": {
                "page_size": page_size,
                "has_more": has_more,
                # COLUMNS: 0 is the id, 3 the timestamp.
                "next_cursor": next_cursor(last[3], last[0]) if last else None,
            },
            "calls": call_rows(rows, include_recording_url=include_recording_url),
        }
    )


RECORDING_RESPONSES = {200: RecordingMetadata, 206: None, 404: Error, 416: None, **ERRORS}
AUDIO_CONTENT = {"audio/mpeg": {"schema": {"type": "string", "format": "binary"}}}
RECORDING_OPENAPI = {
    "responses": {
        200: {
            "description": "The audio (`audio/mpeg`, `Accept-Ranges: bytes`), or with `Accept: application/json` "
            "its metadata",
            "content": AUDIO_CONTENT,
        },
        206: {"description": "The requested byte range (`Content-Range`)", "content": AUDIO_CONTENT},
        416: {"description": "Range not satisfiable (`Content-Range: bytes */size`)"},
    }
}


def serve_recording(request: HttpRequest, conversation_id: str) -> HttpResponse:
    """The audio of the franchise's call, or its metadata; the same 404 for a missing call, one
    without audio and another franchise's call, so ids of other franchises cannot be probed."""
    recording = recording_of(franchise_id=request.auth.franchise.pk, conversation_id=conversation_id)
    if recording is None:
        raise ApiError(404, "not_found", "Recording not found")
    if "application/json" in request.headers.get("Accept", ""):
        return json_response(
            {
                "conversation_id": conversation_id,
                "recording_url": recording_url(conversation_id),
                "breesy_url": recording_breesy_url(conversation_id),
                "content_type": recording.content_type,
            }
        )
    return recording_response(request, recording, conversation_id=conversation_id)


# GET and HEAD are two operations of one view: each operation needs an operationId of its own.
RECORDING = {"response": RECORDING_RESPONSES, "openapi_extra": RECORDING_OPENAPI}
HEAD_SUMMARY = "A call recording's headers (size, type, ranges) without the audio"


@router.get(
    "/recordings/{conversation_id}", operation_id="calls_api_recording", summary="Stream a call recording", **RECORDING
)
@router.api_operation(
    ["HEAD"],
    "/recordings/{conversation_id}",
    operation_id="calls_api_recording_head",
    summary=HEAD_SUMMARY,
    **RECORDING,
)
def recording(request: HttpRequest, conversation_id: Text(100)) -> HttpResponse:
    return serve_recording(request, conversation_id)


@router.get(
    "/recordings",
    operation_id="calls_api_recording_by_query",
    summary="Stream a call recording (by query parameter)",
    **RECORDING,
)
@router.api_operation(
    ["HEAD"],
    "/recordings",
    operation_id="calls_api_recording_by_query_head",
    summary=f"{HEAD_SUMMARY} (by query parameter)",
    **RECORDING,
)
def recording_by_query(
    request: HttpRequest,
    conversation_id: Text(100) | None = None,
    call_id: Annotated[Text(100) | None, Query(description="Same as conversation_id")] = None,
) -> HttpResponse:
    wanted = conversation_id or call_id
    if not wanted:
        raise ApiError(400, "invalid_request", "conversation_id or call_id is required")
    return serve_recording(request, wanted)
