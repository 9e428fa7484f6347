"""The fake CRM over real HTTP: it must behave as specs/crm-contacts-api.txt says, or the sync's
tests against it prove nothing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from django.core.management import CommandError, call_command

from contacts.crm.fake import FakeCrm, FakeCrmServer, digits

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def crm() -> FakeCrm:
    return FakeCrm.create(contacts=250, seed=7)


@pytest.fixture
def server(crm):
    with FakeCrmServer(crm) as running:
        yield running


@pytest.fixture
def http(server, crm):
    with httpx.Client(base_url=server.base_url, headers={"Authorization": f"Bearer {crm.api_key}"}, timeout=5) as c:
        yield c


def contacts_url(crm: FakeCrm) -> str:
    return f"/api/v1/businesses/{crm.business_id}/contacts"


def test_it_refuses_a_missing_or_wrong_key(server, crm):
    with httpx.Client(base_url=server.base_url, timeout=5) as anonymous:
        assert anonymous.get(contacts_url(crm)).status_code == 401
        wrong = anonymous.get(contacts_url(crm), headers={"Authorization": "Bearer sk-ak-wrong"})
    assert wrong.status_code == 401
    assert wrong.json()["message"] == "Invalid or missing API key"


def test_it_answers_404_for_another_business(http):
    assert http.get("/api/v1/businesses/3c90c3cc-0d44-4b50-8888-8dd25736052a/contacts").status_code == 404


def test_defaults_are_page_1_of_20_newest_first(http, crm):
    body = http.get(contacts_url(crm)).json()
    assert len(body["data"]) == 20
    created = [r["createdAt"] for r in body["data"]]
    assert created == sorted(created, reverse=True)
    assert body["pagination"]["total"] == 250


def test_paging_by_created_at_returns_every_record_once_and_ends_with_a_short_page(http, crm):
    seen, page = [], 1
    while True:
        data = http.get(contacts_url(crm), params={"page": page, "limit": 100, "sort": "createdAt"}).json()["data"]
        seen += data
        if len(data) < 100:
            break
        page += 1
    assert page == 3
    assert len(seen) == 250
    assert [r["createdAt"] for r in seen] == sorted(r["createdAt"] for r in seen)
    assert [(r.get("id"), r["createdAt"]) for r in seen] == [(r.get("id"), r["createdAt"]) for r in crm.records()]


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"limit": 0}, "limit must be between 1 and 100"),
        ({"limit": 101}, "limit must be between 1 and 100"),
        ({"page": 0}, "page must be >= 1"),
        ({"page": "two"}, "page must be an integer"),
        ({"sort": "email"}, "sort must be one of"),
        ({"include": "tags,notes"}, "unknown relation 'notes'"),
        ({"email": "not-an-email"}, "email must be an email address"),
        ({"search": "x" * 256}, "search must be at most 255 characters"),
    ],
)
def test_it_refuses_parameters_outside_the_spec_with_400(http, crm, params, reason):
    response = http.get(contacts_url(crm), params=params)
    assert response.status_code == 400
    assert reason in response.json()["message"]


def test_tags_come_only_with_include_tags(http, crm):
    plain = http.get(contacts_url(crm), params={"limit": 100}).json()["data"]
    tagged = http.get(contacts_url(crm), params={"limit": 100, "include": "tags"}).json()["data"]
    assert all("tags" not in r for r in plain)
    assert any(t["name"] for r in tagged for t in r["tags"])


def test_filters_by_exact_email_phone_and_tag_name(http, crm):
    record = next(r for r in crm.records() if r.get("email") and r.get("phone", "").startswith("+1") and r["tags"])
    by_email = http.get(contacts_url(crm), params={"email": record["email"].upper()}).json()["data"]
    by_phone = http.get(contacts_url(crm), params={"phone": record["phone"]}).json()["data"]
    tag = record["tags"][0]["name"]
    by_tag = http.get(contacts_url(crm), params={"tag": tag.lower(), "limit": 100, "include": "tags"}).json()["data"]
    assert [r["email"] for r in by_email] == [record["email"]]
    assert [r["phone"] for r in by_phone] == [record["phone"]]
    assert record["id"] in {r.get("id") for r in by_tag}
    assert all(tag in {t["name"] for t in r["tags"]} for r in by_tag)


def test_search_matches_name_email_or_phone_digits(http, crm):
    record = next(r for r in crm.records() if r.get("phone", "").startswith("+1"))
    by_name = http.get(contacts_url(crm), params={"search": record["lastName"].lower(), "limit": 100}).json()["data"]
    by_digits = http.get(contacts_url(crm), params={"search": record["phone"][-7:]}).json()["data"]
    assert record["id"] in {r.get("id") for r in by_name}
    assert all(record["lastName"].lower() in (r["name"] or "").lower() for r in by_name)
    assert record["id"] in {r.get("id") for r in by_digits}


def test_an_edit_moves_a_contact_to_the_front_of_newest_updated_first(http, crm):
    oldest = crm.records()[0]
    crm.edit_contact(oldest["id"], firstName="Edited")
    first = http.get(contacts_url(crm), params={"sort": "-updatedAt", "limit": 1}).json()["data"][0]
    assert first["id"] == oldest["id"]
    assert first["name"].startswith("Edited ")
    assert first["updatedAt"] > oldest["updatedAt"]


def test_added_contacts_append_at_the_end_of_oldest_created_first(http, crm):
    added = crm.add_contacts(3, callDND=True)
    last_page = http.get(contacts_url(crm), params={"sort": "createdAt", "limit": 100, "page": 3}).json()["data"]
    assert [r["id"] for r in last_page[-3:]] == [r["id"] for r in added]
    assert all(r["callDND"] for r in last_page[-3:])


def test_an_injected_429_carries_retry_after_then_the_route_recovers(http, crm):
    crm.fail(429, times=2, retry_after=3)
    first, second, third = (http.get(contacts_url(crm)) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["Retry-After"] == "3"


def test_a_fault_can_wait_for_a_given_page(http, crm):
    crm.fail(503, page=2)
    assert http.get(contacts_url(crm), params={"page": 1}).status_code == 200
    assert http.get(contacts_url(crm), params={"page": 2}).status_code == 503
    assert http.get(contacts_url(crm), params={"page": 2}).status_code == 200


def test_an_injected_401_refuses_even_the_right_key(http, crm):
    crm.fail(401)
    assert http.get(contacts_url(crm)).status_code == 401
    assert http.get(contacts_url(crm)).status_code == 200


def test_the_switches_work_over_http_with_the_key(http, server, crm):
    added = http.post("/_fake/contacts", json={"count": 2}).json()["data"]
    edited = http.patch(f"/_fake/contacts/{added[0]['id']}", json={"callDND": True}).json()["data"]
    assert http.post("/_fake/faults", json={"status": 500}).status_code == 201
    assert http.get(contacts_url(crm)).status_code == 500
    log = http.get("/_fake/requests").json()["requests"]
    with httpx.Client(base_url=server.base_url, timeout=5) as anonymous:
        refused = anonymous.post("/_fake/contacts", json={"count": 1})
    assert len(crm.records()) == 252
    assert edited["callDND"] is True
    assert log[-1]["status"] == 500
    assert refused.status_code == 401
    assert http.patch("/_fake/contacts/no-such-id", json={}).status_code == 404


def test_the_same_seed_makes_the_same_contacts_with_the_awkward_cases_a_sync_must_handle():
    first, again = FakeCrm.create(contacts=2000, seed=11), FakeCrm.create(contacts=2000, seed=11)
    records = first.records()
    assert [r.get("id") for r in records] == [r.get("id") for r in again.records()]
    assert first.api_key.startswith("sk-ak-")
    assert any(r["callDND"] for r in records)
    assert any(r["isTestContact"] for r in records)
    assert any(r["secondaryPhones"] for r in records)
    assert any(r["tags"] for r in records)
    assert any("id" not in r for r in records)
    assert any(r.get("updatedAt") in (None, "last tuesday", "2023-13-45T99:00:00Z") for r in records)
    readable = [p for r in records for p in [r["phone"], *r["secondaryPhones"]] if p and len(digits(p)) >= 10]
    assert len({digits(p) for p in readable}) == len(readable)


def test_the_command_serves_the_contacts_it_prints_until_terminated():
    command = [sys.executable, "manage.py", "fake_crm", "--port", "0", "--contacts", "30", "--seed", "5"]
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        url = process.stdout.readline().split(" at ")[-1].strip()
        business_id = process.stdout.readline().split(":")[-1].strip()
        key = process.stdout.readline().split(":")[-1].strip()
        response = httpx.get(
            f"{url}/api/v1/businesses/{business_id}/contacts",
            params={"limit": 100},
            headers={"Authorization": f"Bearer {key}"},
            timeout=5,
        )
    finally:
        process.terminate()
        returncode = process.wait(timeout=10)
    assert url.startswith("http://127.0.0.1:")
    assert len(response.json()["data"]) == 30
    assert returncode == 0


def test_the_command_refuses_a_key_without_the_sk_ak_prefix():
    with pytest.raises(CommandError, match="--api-key must start with sk-ak-"):
        call_command("fake_crm", "--port", "0", "--api-key", "secret")
