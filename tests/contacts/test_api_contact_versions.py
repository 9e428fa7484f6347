"""Optimistic concurrency on /data/contacts: an ETag on one contact, If-Match on PATCH (a 412 when
stale), so two clients editing one contact never silently lose each other's change."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import override_settings

from contacts.models import Contact
from contacts.services import contact_tags_add, contact_upsert
from tests.api_fixtures import bearer, issue

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def jordan(franchise_a):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+15551234567", first_name="Jordan", tags=["VIP"])
    return contact


def read(api, contact):
    response = api.get("/data/contacts", {"id": contact.pk})
    assert response.status_code == 200
    return response.json()["contact"], response["ETag"]


def patch(api, body: dict, etag: str | None = None):
    headers = {"If-Match": etag} if etag is not None else {}
    return api.patch("/data/contacts", body, content_type=JSON, headers=headers)


def test_one_contact_carries_an_etag_that_changes_with_every_write(api_a, jordan):
    _, first = read(api_a, jordan)
    written = patch(api_a, {"id": jordan.pk, "notes": "called back"}, first)
    _, second = read(api_a, jordan)

    assert first.startswith('"') and first != second
    assert written.status_code == 200 and written["ETag"] == second


def test_a_stale_if_match_is_a_412_and_writes_nothing(api_a, jordan):
    _, etag = read(api_a, jordan)
    assert patch(api_a, {"id": jordan.pk, "tags": ["VIP", "Roof"]}, etag).status_code == 200

    stale = patch(api_a, {"id": jordan.pk, "tags": ["VIP", "Flood"]}, etag)

    assert stale.status_code == 412
    assert stale.json()["code"] == "precondition_failed"
    assert stale["ETag"] == read(api_a, jordan)[1]
    assert sorted(jordan.tags.values_list("name", flat=True)) == ["Roof", "VIP"]


def test_a_change_made_elsewhere_makes_the_etag_stale(api_a, jordan):
    _, etag = read(api_a, jordan)
    contact_tags_add(contact=jordan, kind="tags", names=["Staff added"])

    assert patch(api_a, {"id": jordan.pk, "notes": "x"}, etag).status_code == 412


@pytest.mark.parametrize("header", ["*", None])
def test_without_a_version_to_check_the_update_applies(api_a, jordan, header):
    contact_tags_add(contact=jordan, kind="tags", names=["Staff added"])

    assert patch(api_a, {"id": jordan.pk, "notes": "x"}, header).status_code == 200


@pytest.mark.parametrize("header", ['W/"1"', "1", '"abc"', '"1'])
def test_a_weak_or_malformed_etag_never_matches(api_a, jordan, header):
    assert patch(api_a, {"id": jordan.pk, "notes": "x"}, header).status_code == 412


def test_an_etag_of_several_matches_any_of_them(api_a, jordan):
    _, etag = read(api_a, jordan)

    assert patch(api_a, {"id": jordan.pk, "notes": "x"}, f'"999", {etag}').status_code == 200


def test_another_franchises_contact_is_a_404_whatever_the_etag(api_b, jordan):
    assert patch(api_b, {"id": jordan.pk, "notes": "x"}, '"1"').status_code == 404


def test_a_null_primary_phone_is_a_400_and_keeps_the_phone(api_a, jordan):
    response = patch(api_a, {"id": jordan.pk, "primary_phone": None})

    assert response.status_code == 400 and "primary_phone" in response.json()["detail"]
    jordan.refresh_from_db()
    assert jordan.primary_phone == "+15551234567"


def test_the_api_description_documents_etag_and_if_match(client):
    spec = client.get("/data/openapi.json").json()
    operation = spec["paths"]["/data/contacts"]["patch"]

    assert "If-Match" in operation["description"] and "412" in operation["description"]
    assert any(p["name"] == "If-Match" and p["in"] == "header" for p in operation["parameters"])
    assert "412" in operation["responses"]
    assert "ETag" in spec["paths"]["/data/contacts"]["get"]["responses"]["200"]["headers"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_read_add_a_tag_patch_loses_nothing_silently(franchise_a):
    """The probe's race: clients each read the tags, add one and PATCH the list. With If-Match each
    write either keeps every earlier tag or is refused with a 412 (and retried by the client)."""
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+15551234567", tags=["VIP"])
    token = issue(franchise_a)
    clients, problems = 8, []
    barrier = threading.Barrier(clients)

    def add(n: int) -> None:
        api = bearer(token)
        try:
            barrier.wait()
            for _ in range(3 * clients):  # read, add, write; on a 412 read again
                body, etag = read(api, contact)
                response = patch(api, {"id": contact.pk, "tags": [*body["tags"], f"tag {n}"]}, etag)
                if response.status_code == 200:
                    return
                if response.status_code != 412:
                    problems.append(response.content)
                    return
            problems.append(f"client {n} never got its turn")
        except Exception as exc:
            problems.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(n,)) for n in range(clients)]
    with override_settings(API_RATE_LIMIT_PER_MINUTE=10**6):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert problems == []
    names = set(Contact.objects.get(pk=contact.pk).tags.values_list("name", flat=True))
    assert names == {"VIP", *(f"tag {n}" for n in range(clients))}
