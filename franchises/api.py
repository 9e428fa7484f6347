"""`GET /data/locations`: the franchise's locations, to filter other endpoints by location_id."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Router

from config.api_base import json_response
from config.schemas import ERRORS
from franchises.models import Location
from franchises.schemas import LocationsOut

router = Router(tags=["locations"])


@router.get("/locations", response={200: LocationsOut, **ERRORS}, summary="List your franchise's locations")
def list_locations(request: HttpRequest) -> HttpResponse:
    franchise = request.auth.franchise
    rows = Location.objects.filter(franchise=franchise).order_by("name", "id").values_list("id", "name")
    return json_response(
        {
            "franchise_id": franchise.id,
            "locations": [{"location_id": pk, "location_name": name} for pk, name in rows],
        }
    )
