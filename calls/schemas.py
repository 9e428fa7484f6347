"""Shapes of `GET /data/calls` and the recording metadata (see specs/data-share-api.txt).

They document the API in OpenAPI; the list itself is built from `.values_list()` rows in
`calls/api.py`, and `tests/calls/test_api_calls.py` checks the two agree.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from ninja import Schema

from config.schemas import Pagination


class RealEstate(Schema):
    address: str | None
    last_sale_value: str | None
    current_value: str | None
    owner_name1: str | None
    owner_name2: str | None
    room_count: str | None
    square_footage: str | None
    year_built: str | None


class CallOut(Schema):
    conversation_id: str
    caller_id: str
    timestamp: datetime
    duration: str
    agent_type: str
    call_category: str
    customer_name: str | None
    customer_email: str | None
    call_summary: str | None
    loss_type: str | None
    referral_source: str | None
    notes: str | None
    property_area: str | None
    request_type: str | None
    service_location: str | None
    callback_number: str | None
    location_id: UUID | None
    location: str | None
    transcript: str
    real_estate: RealEstate
    # Absent when include_recording_url=false.
    recording_url: str | None = None
    recording_breesy_url: str | None = None


class CallsScope(Schema):
    franchise_id: UUID
    location_id: UUID | None


class CallsPage(Schema):
    scope: CallsScope
    pagination: Pagination
    calls: list[CallOut]


class RecordingMetadata(Schema):
    conversation_id: str
    recording_url: str
    breesy_url: str
    content_type: str
