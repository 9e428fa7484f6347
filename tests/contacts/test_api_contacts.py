"""GET, PATCH and POST /data/contacts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.models import Contact, ContactPhone
from contacts.services import contact_upsert
from tests.api_fixtures import bearer, issue

pytestmark = pytest.mark.django_db
JSON = "application/json"


def contact_ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [c["id"] for c in response.json()["contacts"]]


@pytest.fixture
def jordan(franchise_a, location_a):
    contact, _ = contact_upsert(
        franchise=franchise_a,
        primary_phone="+15551234567",
        alternate_phones=["+15557654321"],
        first_name="Jordan",
        last_name="Smith",
        primary_email="jordan@example.com",
        tags=["VIP"],
    )
    contact.locations.set([location_a])
    return contact


@pytest.fixture
def riley(franchise_a):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+15550001111", first_name="Riley")
    return contact


# --- GET ------------------------------------------------------------------------------------------


def test_it_lists_contacts_with_call_statistics(api_a, franchise_a, jordan, make_call):
    make_call(franchise_a, caller_id="+15551234567", timestamp=datetime(2026, 6, 20, tzinfo=UTC))
    make_call(franchise_a, caller_id="+1 555 000 9999", callback_number="555-765-4321")
    make_call(franchise_a, caller_id="+15551234567", timestamp=datetime(2026, 6, 22, 18, 4, 11, tzinfo=UTC))

    (contact,) = api_a.get("/data/contacts").json()["contacts"]

    assert contact["total_calls"] == 3
    assert contact["last_contact_date"] == "2026-06-22T18:04:11+00:00"
    assert contact["tags"] == ["VIP"] and contact["alternate_phones"] == ["+15557654321"]


@pytest.mark.parametrize("written", ["(555) 765-4321", "+1 555 765 4321", "5557654321"])
def test_phone_matches_primary_or_alternate_in_any_format(api_a, jordan, riley, written):
    assert contact_ids(api_a.get("/data/contacts", {"phone": written})) == [jordan.pk]
    assert contact_ids(api_a.get("/data/contacts", {"phone": "555 123 4567"})) == [jordan.pk]


@pytest.mark.parametrize("term", ["jordan", "SMITH", "example.com", "555123"])
def test_search_matches_name_email_or_phone_ignoring_case(api_a, jordan, riley, term):
    assert contact_ids(api_a.get("/data/contacts", {"search": term})) == [jordan.pk]


@pytest.mark.parametrize(
    ("term", "found"),
    [
        ("ORD", True),  # inside the first name
        ("mIth", True),  # inside the last name, any case
        ("property MANAGEMENT", True),  # every word, in the organisation
        ("jordan smith", True),  # words in different columns
        ("jordan jones", False),  # every word must match
        ("@EXAMPLE.", True),  # inside the email
        ("+1555123", True),  # inside the primary phone
        ("555-765-4321", True),  # an alternate phone, written any way
        ("j_rdan", False),  # LIKE wildcards are plain characters
        ("jor%", False),
    ],
)
def test_search_is_a_case_insensitive_substring_match(api_a, franchise_a, jordan, riley, term, found):
    Contact.objects.filter(pk=jordan.pk).update(organization_name="Smith Property Management")

    assert contact_ids(api_a.get("/data/contacts", {"search": term})) == ([jordan.pk] if found else [])


def test_location_id_limits_to_contacts_tracked_there(api_a, jordan, riley, location_a, location_a2):
    assert contact_ids(api_a.get("/data/contacts", {"location_id": location_a.id})) == [jordan.pk]
    assert contact_ids(api_a.get("/data/contacts", {"location_id": location_a2.id})) == []


def test_id_returns_one_contact_with_scope(api_a, franchise_a, jordan):
    body = api_a.get(f"/data/contacts?id={jordan.pk}").json()

    assert body["scope"] == {"franchise_id": str(franchise_a.id)}
    assert body["contact"]["id"] == jordan.pk and body["contact"]["location_id"]


def test_id_of_another_franchise_or_missing_is_a_404(api_b, jordan):
    for response in (api_b.get(f"/data/contacts?id={jordan.pk}"), api_b.get("/data/contacts?id=999999")):
        assert response.status_code == 404
        assert response.json() == {"detail": "Contact not found", "code": "not_found"}


@pytest.mark.parametrize(
    "query", ["id=abc", "id=0", "id=99999999999999999999", "page_size=500", "cursor=x", "phone=1", "location_id=x"]
)
def test_bad_input_is_a_400(api_a, query):
    response = api_a.get(f"/data/contacts?{query}")

    assert response.status_code == 400 and set(response.json()) == {"detail", "code"}


def test_paging_returns_every_contact_once(api_a, franchise_a):
    made = [
        contact_upsert(franchise=franchise_a, primary_phone=f"+1555000{n:04d}", first_name=f"C{n}")[0].pk
        for n in range(7)
    ]
    seen, cursor = [], None
    while True:
        body = api_a.get("/data/contacts", {"page_size": 3} | ({"cursor": cursor} if cursor else {})).json()
        seen += [c["id"] for c in body["contacts"]]
        cursor = body["pagination"]["next_cursor"]
        if not cursor:
            break

    assert seen == made


def _contact_queries(queries) -> list[str]:
    """The request's SQL less the token check and the rate limit (franchises' tables)."""
    sql = [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]
    return [q for q in sql if "franchises_apitoken" not in q and "franchises_ratelimitcounter" not in q]


def test_a_page_costs_the_same_few_queries_at_every_page_size(api_a, franchise_a, location_a, make_call):
    for n in range(201):
        contact, _ = contact_upsert(
            franchise=franchise_a,
            primary_phone=f"+1555100{n:04d}",
            alternate_phones=[f"+1555200{n:04d}"],
            tags=["A", "B"],
            primary_contact_tags=["Owner"],
        )
        contact.locations.set([location_a])
        make_call(franchise_a, caller_id=f"+1555100{n:04d}", callback_number=f"+1555200{n:04d}")
    api_a.get("/data/contacts?page_size=1")

    totals, own = {}, {}
    for page_size in (1, 100, 200):
        with CaptureQueriesContext(connection) as queries:
            response = api_a.get(f"/data/contacts?page_size={page_size}")
        contacts = response.json()["contacts"]
        assert len(contacts) == page_size
        assert all(c["total_calls"] == 1 and sorted(c["tags"]) == ["A", "B"] and c["location_id"] for c in contacts)
        totals[page_size], own[page_size] = len(queries), _contact_queries(queries)

    assert len(set(totals.values())) == 1, totals
    if connection.vendor == "postgresql":
        # The page with its tags, locations and call statistics in one query; with the token and
        # the rate limit, at most three in all.
        assert all(len(sql) == 1 for sql in own.values()), own
        assert totals[200] <= 3, totals
    else:
        # SQLite: the page, then tags, primary-contact tags, locations and call statistics.
        assert all(len(sql) == 5 for sql in own.values()), own


def test_one_contact_by_id_is_one_query_on_postgresql(api_a, jordan):
    with CaptureQueriesContext(connection) as queries:
        response = api_a.get(f"/data/contacts?id={jordan.pk}")

    assert response.json()["contact"]["tags"] == ["VIP"]
    assert len(_contact_queries(queries)) == (1 if connection.vendor == "postgresql" else 5)


def test_call_statistics_count_a_call_once_whichever_of_its_phones_match(api_a, franchise_a, jordan, make_call):
    # Jordan's primary phone as caller and his alternate as callback: one call, not two.
    make_call(franchise_a, caller_id="+15551234567", callback_number="+15557654321")
    # Only the alternate phone, as the customer's phone.
    make_call(
        franchise_a,
        caller_id="+15559990000",
        customer_phone="555-765-4321",
        timestamp=datetime(2026, 7, 1, 9, 30, 15, tzinfo=UTC),
    )
    make_call(franchise_a, caller_id="+15559990001")  # someone else

    (contact,) = api_a.get("/data/contacts").json()["contacts"]

    assert contact["total_calls"] == 2
    assert contact["last_contact_date"] == "2026-07-01T09:30:15+00:00"


def test_call_statistics_ignore_another_franchises_calls(api_a, franchise_b, jordan, make_call):
    make_call(franchise_b, caller_id="+15551234567")

    (contact,) = api_a.get("/data/contacts").json()["contacts"]

    assert contact["total_calls"] == 0 and contact["last_contact_date"] is None


def test_a_contact_without_calls_tags_or_locations_reads_empty(api_a, riley):
    contact = api_a.get(f"/data/contacts?id={riley.pk}").json()["contact"]

    assert contact["tags"] == [] and contact["primary_contact_tags"] == [] and contact["location_id"] == []
    assert contact["total_calls"] == 0 and contact["last_contact_date"] is None


def test_locations_are_listed_by_name(api_a, jordan, location_a, location_a2):
    jordan.locations.set([location_a, location_a2])
    expected = [str(loc.id) for loc in sorted([location_a, location_a2], key=lambda loc: loc.name)]

    (contact,) = api_a.get("/data/contacts").json()["contacts"]

    assert contact["location_id"] == expected


# --- PATCH ----------------------------------------------------------------------------------------


def patch(api, body: dict):
    return api.patch("/data/contacts", body, content_type=JSON)


def test_patch_changes_only_the_fields_sent(api_a, jordan):
    response = patch(api_a, {"id": jordan.pk, "notes": "Signed annual maintenance agreement.", "addr_city": "Peoria"})

    assert response.status_code == 200
    contact = response.json()["contact"]
    assert contact["notes"] == "Signed annual maintenance agreement."
    assert contact["address"]["city"] == "Peoria"
    assert contact["first_name"] == "Jordan" and contact["tags"] == ["VIP"]
    assert contact["primary_phone"] == "+15551234567"


def test_patch_replaces_tags_and_locations(api_a, jordan, location_a2):
    response = patch(
        api_a,
        {
            "id": jordan.pk,
            "tags": ["Repeat Customer"],
            "primary_contact_tags": ["Owner"],
            "location_id": [str(location_a2.id)],
        },
    )

    contact = response.json()["contact"]
    assert contact["tags"] == ["Repeat Customer"] and contact["primary_contact_tags"] == ["Owner"]
    assert contact["location_id"] == [str(location_a2.id)]


def test_patch_normalises_the_primary_phone(api_a, jordan):
    response = patch(api_a, {"id": jordan.pk, "primary_phone": "(555) 222-3333"})

    assert response.json()["contact"]["primary_phone"] == "+15552223333"
    assert ContactPhone.objects.filter(contact=jordan, number="+15552223333", is_primary=True).exists()


def test_patch_with_another_contacts_phone_is_a_409_and_changes_nothing(api_a, jordan, riley):
    response = patch(api_a, {"id": riley.pk, "first_name": "Changed", "primary_phone": "555-123-4567"})

    assert response.status_code == 409 and response.json()["code"] == "phone_taken"
    riley.refresh_from_db()
    assert riley.first_name == "Riley" and riley.primary_phone == "+15550001111"


def test_patch_with_another_franchises_location_is_a_400_and_changes_nothing(api_a, jordan, location_b):
    response = patch(api_a, {"id": jordan.pk, "notes": "x", "location_id": [str(location_b.id)]})

    assert response.status_code == 400 and response.json()["code"] == "invalid_location"
    jordan.refresh_from_db()
    assert jordan.notes is None


def test_patch_of_another_franchises_contact_is_a_404_and_changes_nothing(api_b, jordan):
    response = patch(api_b, {"id": jordan.pk, "first_name": "Mallory"})

    assert response.status_code == 404
    jordan.refresh_from_db()
    assert jordan.first_name == "Jordan"


@pytest.mark.parametrize(
    "body",
    [
        {"notes": "no id"},
        {"id": "abc"},
        {"id": 1, "franchise_id": "x"},
        {"id": 1, "lifetime_value": 5},
        {"id": 1, "primary_phone": "12"},
        {"id": 1, "alternate_phones": ["nope"]},
        {"id": 1, "is_business": None},
        {"id": 1, "addr_country": "USA"},
        {"id": 1, "location_id": ["not-a-uuid"]},
        {"id": 1, "notes": "nul \x00 byte"},
        [1, 2],
    ],
)
def test_patch_bad_bodies_are_400s(api_a, jordan, body):
    if isinstance(body, dict) and body.get("id") == 1:
        body["id"] = jordan.pk
    response = patch(api_a, body)

    assert response.status_code == 400, response.content
    jordan.refresh_from_db()
    assert jordan.first_name == "Jordan"


def test_invalid_json_is_a_400(api_a):
    response = api_a.patch("/data/contacts", b"{not json", content_type=JSON)

    assert response.status_code == 400 and response.json()["code"] == "invalid_json"


# --- POST -----------------------------------------------------------------------------------------


def post(api, body: dict):
    return api.post("/data/contacts", body, content_type=JSON)


def test_post_creates_a_contact_with_a_normalised_phone(api_a, franchise_a, location_a):
    response = post(api_a, {"first_name": "Alex", "primary_phone": "555-987-6543", "location_id": [str(location_a.id)]})

    assert response.status_code == 201
    body = response.json()
    assert body["matched_existing"] is False
    assert body["contact"]["primary_phone"] == "+15559876543"
    assert Contact.objects.get(pk=body["contact"]["id"]).franchise == franchise_a


def test_post_matching_an_alternate_phone_updates_that_contact(api_a, jordan):
    response = post(api_a, {"primary_phone": "(555) 765-4321", "last_name": "Smith-Jones", "tags": ["Lead"]})

    assert response.status_code == 200
    body = response.json()
    assert body["matched_existing"] is True and body["contact"]["id"] == jordan.pk
    assert body["contact"]["last_name"] == "Smith-Jones" and body["contact"]["first_name"] == "Jordan"
    assert Contact.objects.count() == 1


def test_post_does_not_match_another_franchises_contact(api_b, jordan):
    response = post(api_b, {"primary_phone": "555-123-4567"})

    assert response.status_code == 201
    assert response.json()["contact"]["id"] != jordan.pk


@pytest.mark.parametrize(
    "body",
    [{"first_name": "No phone"}, {"primary_phone": "12"}, {"primary_phone": "555-987-6543", "id": 5}, {}],
)
def test_post_bad_bodies_are_400s_and_create_nothing(api_a, body):
    response = post(api_a, body)

    assert response.status_code == 400
    assert not Contact.objects.exists()


def test_an_oversized_body_is_refused_cleanly(api_a):
    response = api_a.post("/data/contacts", b'{"notes": "' + b"x" * 3_000_000 + b'"}', content_type=JSON)

    assert response.status_code == 413 and response.json()["code"] == "too_large"


def test_an_empty_body_is_a_400(api_a):
    assert api_a.post("/data/contacts", b"", content_type=JSON).status_code == 400


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_posts_of_one_phone_make_one_contact(franchise_a):
    token = issue(franchise_a)
    formats = ["555-444-3333", "(555) 444-3333", "+1 555 444 3333", "5554443333", "1-555-444-3333"]
    results: list = [None] * 20
    barrier = threading.Barrier(20)

    def send(n: int) -> None:
        try:
            barrier.wait()
            results[n] = post(bearer(token), {"primary_phone": formats[n % len(formats)], "notes": f"post {n}"})
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = sorted(r.status_code for r in results)
    assert statuses == [200] * 19 + [201], [r.content for r in results if r.status_code not in (200, 201)]
    assert len({r.json()["contact"]["id"] for r in results}) == 1
    assert Contact.objects.filter(franchise=franchise_a).count() == 1
