"""Shapes of `GET /data/locations` (see specs/data-share-api.txt)."""

from __future__ import annotations

from uuid import UUID

from ninja import Schema


class LocationOut(Schema):
    location_id: UUID
    location_name: str


class LocationsOut(Schema):
    franchise_id: UUID
    locations: list[LocationOut]
