"""Franchise B's token against every franchise A id on every endpoint: a 404 or nothing, never data."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from contacts.services import contact_upsert

pytestmark = pytest.mark.django_db


@pytest.fixture
def a_data(franchise_a, location_a, make_call, make_recording):
    call = make_call(franchise_a, location=location_a, caller_id="+15553330000", customer_name="Quinn Secret")
    make_recording(call)
    make_call(franchise_a, location=location_a)  # a second call, so A's first page has a cursor
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+15553330000", first_name="Quinn")
    contact.locations.set([location_a])
    return {"call": call, "contact": contact, "location": location_a}


def test_reads_of_another_franchises_ids_find_nothing(api_b, api_a, a_data):
    conv = a_data["call"].conversation_id
    loc = a_data["location"].id
    contact = a_data["contact"]
    empty_lists = {
        "/data/calls": [f"call_id={conv}", f"location_id={loc}", "phone=5553330000", ""],
        "/data/contacts": ["phone=5553330000", "search=Quinn", f"location_id={loc}", ""],
    }
    for path, queries in empty_lists.items():
        key = path.rsplit("/", 1)[-1]
        for query in queries:
            response = api_b.get(f"{path}?{query}")
            assert response.status_code == 200 and response.json()[key] == [], (path, query)

    assert api_b.get("/data/locations").json()["locations"] == []
    for response in (
        api_b.get(f"/data/recordings/{conv}"),
        api_b.head(f"/data/recordings/{conv}"),
        api_b.get(f"/data/recordings/{conv}", HTTP_ACCEPT="application/json"),
        api_b.get(f"/data/recordings/{conv}", HTTP_RANGE="bytes=0-10"),
        api_b.get(f"/data/recordings?conversation_id={conv}"),
        api_b.get(f"/data/recordings?call_id={conv}"),
        api_b.get(f"/data/contacts?id={contact.pk}"),
    ):
        assert response.status_code == 404
        assert b"Quinn" not in response.content

    # Franchise A's cursor in B's hands pages B's calls only (none here).
    cursor = api_a.get("/data/calls?page_size=1").json()["pagination"]["next_cursor"]
    assert cursor and api_b.get("/data/calls", {"cursor": cursor}).json()["calls"] == []


def test_writes_cannot_touch_another_franchises_contacts_or_locations(api_b, franchise_b, a_data):
    contact = a_data["contact"]

    assert (
        api_b.patch(
            "/data/contacts", {"id": contact.pk, "first_name": "Mallory"}, content_type="application/json"
        ).status_code
        == 404
    )
    own = api_b.post("/data/contacts", {"primary_phone": "555-333-0000"}, content_type="application/json")
    assert own.status_code == 201 and own.json()["contact"]["id"] != contact.pk
    assert own.json()["contact"]["total_calls"] == 0, "A's calls never count for B's contact"
    moved = api_b.patch(
        "/data/contacts",
        {"id": own.json()["contact"]["id"], "location_id": [str(a_data["location"].id)]},
        content_type="application/json",
    )
    assert moved.status_code == 400

    contact.refresh_from_db()
    assert contact.first_name == "Quinn" and contact.franchise_id != franchise_b.id
    assert Contact.objects.filter(franchise=franchise_b).count() == 1
