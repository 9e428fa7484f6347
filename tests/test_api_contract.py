"""The spec's own examples, stored as in the spec, read back from the API field by field.

tests/fixtures/data_share_examples.json holds the example responses of specs/data-share-api.txt
verbatim; each test stores the same data and asserts the API answers with exactly that JSON.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.test import override_settings

from calls.models import Call
from contacts.models import Contact
from contacts.services import contact_set_phones, contact_upsert, tags_resolve
from franchises.models import Franchise, Location
from tests.api_fixtures import bearer, issue

EXAMPLES = json.loads((Path(__file__).parent / "fixtures" / "data_share_examples.json").read_text())
SPEC_SITE = "https://api.breesy.app"

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("spec_site")]


@pytest.fixture
def spec_site():
    with override_settings(SITE_URL=SPEC_SITE):
        yield


@pytest.fixture
def spec_franchise() -> Franchise:
    franchise = Franchise.objects.create(id=uuid.UUID(EXAMPLES["locations"]["franchise_id"]), name="Spec Franchise")
    for location in EXAMPLES["locations"]["locations"]:
        Location.objects.create(
            id=uuid.UUID(location["location_id"]), franchise=franchise, name=location["location_name"]
        )
    return franchise


@pytest.fixture
def spec_api(spec_franchise):
    return bearer(issue(spec_franchise))


def store_call(franchise: Franchise, example: dict, **overrides) -> Call:
    fields = {
        k: v
        for k, v in example.items()
        if k not in {"real_estate", "location", "recording_url", "recording_breesy_url"}
    }
    fields["duration"] = int(fields["duration"])
    fields["timestamp"] = datetime.fromisoformat(fields["timestamp"])
    fields["location_id"] = uuid.UUID(fields["location_id"])
    fields.update({f"real_estate_{k}": v for k, v in example["real_estate"].items()})
    fields.update(overrides)
    call = Call(franchise=franchise, **fields)
    call.set_normalized_phones()
    call.save()
    return call


def test_locations_match_the_spec_example(spec_api):
    assert spec_api.get("/data/locations").json() == EXAMPLES["locations"]


def test_a_call_reads_back_exactly_as_the_spec_example(spec_api, spec_franchise):
    example = EXAMPLES["calls"]["calls"][0]
    store_call(spec_franchise, example)

    body = spec_api.get("/data/calls?start_date=2026-06-01&end_date=2026-06-23&page_size=50").json()

    assert body["scope"] == EXAMPLES["calls"]["scope"]
    assert body["pagination"] == {"page_size": 50, "has_more": False, "next_cursor": None}
    (call,) = body["calls"]
    assert list(call) == list(example), "same fields, in the spec's order"
    for field, value in example.items():
        assert call[field] == value, field
    assert isinstance(call["duration"], str) and isinstance(call["real_estate"], dict)


def test_the_example_pagination_object_has_the_spec_shape(spec_api, spec_franchise):
    example = EXAMPLES["calls"]["calls"][0]
    store_call(spec_franchise, example)
    store_call(spec_franchise, example, conversation_id="CA-older", timestamp=datetime(2026, 6, 21, tzinfo=UTC))

    pagination = spec_api.get("/data/calls?page_size=1").json()["pagination"]

    assert set(pagination) == set(EXAMPLES["calls"]["pagination"])
    assert pagination["page_size"] == 1 and pagination["has_more"] is True
    assert isinstance(pagination["next_cursor"], str)


def test_recording_metadata_matches_the_spec_example(spec_api, spec_franchise, make_recording):
    call = store_call(spec_franchise, EXAMPLES["calls"]["calls"][0])
    make_recording(call)

    response = spec_api.get(f"/data/recordings/{call.conversation_id}", HTTP_ACCEPT="application/json")

    assert response.json() == EXAMPLES["recording_metadata"]


def store_contact(franchise: Franchise, example: dict) -> Contact:
    fields = ("first_name", "last_name", "organization_name", "is_business", "primary_email")
    fields += ("alternate_emails", "notes", "referred_by", "is_verified")
    contact = Contact.objects.create(
        id=example["id"],
        franchise=franchise,
        lifetime_value=Decimal(str(example["lifetime_value"])),
        **{k: example[k] for k in fields},
        **{f"addr_{k}": v for k, v in example["address"].items()},
    )
    contact_set_phones(contact=contact, primary=example["primary_phone"], alternates=example["alternate_phones"])
    contact.tags.set(tags_resolve(franchise=franchise, names=example["tags"]))
    contact.primary_contact_tags.set(tags_resolve(franchise=franchise, names=example["primary_contact_tags"]))
    contact.locations.set(example["location_id"])
    Contact.objects.filter(pk=contact.pk).update(
        created_at=datetime.fromisoformat(example["created_at"]),
        updated_at=datetime.fromisoformat(example["updated_at"]),
    )
    return contact


def test_a_contact_reads_back_exactly_as_the_spec_example(spec_api, spec_franchise):
    example = EXAMPLES["contacts"]["contacts"][0]
    last_call = datetime.fromisoformat(example["last_contact_date"])
    calls_example = EXAMPLES["calls"]["calls"][0]
    for n in range(example["total_calls"]):  # the three calls behind total_calls and last_contact_date
        store_call(spec_franchise, calls_example, conversation_id=f"CA-{n}", timestamp=last_call - timedelta(days=n))
    store_contact(spec_franchise, example)

    body = spec_api.get("/data/contacts?search=jordan&page_size=25").json()

    assert body["scope"] == EXAMPLES["contacts"]["scope"]
    assert body["pagination"] == EXAMPLES["contacts"]["pagination"]
    (contact,) = body["contacts"]
    assert list(contact) == list(example), "same fields, in the spec's order"
    for field, value in example.items():
        assert contact[field] == value, field
    one = spec_api.get(f"/data/contacts?id={example['id']}").json()
    assert one == {"scope": EXAMPLES["contacts"]["scope"], "contact": example}


def test_the_post_example_answers_with_the_spec_fields(spec_api):
    request = {
        "first_name": "Alex",
        "last_name": "Doe",
        "primary_phone": "555-987-6543",
        "primary_email": "alex@example.com",
        "tags": ["New Lead"],
    }

    response = spec_api.post("/data/contacts", request, content_type="application/json")

    assert response.status_code == 201
    body = response.json()
    expected = EXAMPLES["contact_post_response"]
    assert body["matched_existing"] is expected["matched_existing"]
    for field, value in expected["contact"].items():
        if field != "id":
            assert body["contact"][field] == value, field
    assert isinstance(body["contact"]["id"], int)


def test_the_patch_example_answers_with_the_spec_fields(spec_api, spec_franchise):
    example = EXAMPLES["contacts"]["contacts"][0]
    contact, _ = contact_upsert(
        franchise=spec_franchise,
        primary_phone=example["primary_phone"],
        first_name="Jordan",
        last_name="Smith",
        tags=["VIP"],
    )

    response = spec_api.patch(
        "/data/contacts",
        {"id": contact.pk, "tags": ["VIP", "Repeat Customer"], "notes": "Signed annual maintenance agreement."},
        content_type="application/json",
    )

    assert response.status_code == 200
    expected = EXAMPLES["contact_patch_response"]["contact"]
    for field, value in expected.items():
        if field != "id":
            assert response.json()["contact"][field] == value, field
