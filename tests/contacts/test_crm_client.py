"""The CRM client (contacts/crm/client.py) against specs/crm-contacts-api.txt, with the HTTP layer
mocked by respx: what it sends, how it reads what the spec allows, and what each failure says."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
import respx

from config.outbound import outbound_client
from contacts.crm.client import CrmClient, CrmContact, CrmError, MalformedRecord
from contacts.crm.fake import FakeCrm, FakeCrmServer

BASE = "https://crm.example.com"
BUSINESS = "3c90c3cc-0d44-4b50-8888-8dd25736052a"
ROUTE = f"{BASE}/api/v1/businesses/{BUSINESS}/contacts"
KEY = "sk-ak-test-key"

# The spec's own example record, as its Response section shows it.
SPEC_RECORD = {
    "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "businessId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "firstName": "Jane",
    "lastName": "Doe",
    "name": "Jane Doe",
    "email": "jane@example.com",
    "phone": "+14155551234",
    "company": "Acme Inc",
    "website": "https://acme.com",
    "address": "<string>",
    "city": "<string>",
    "state": "<string>",
    "country": "<string>",
    "zipCode": "<string>",
    "ianaTimezone": "America/New_York",
    "source": "<string>",
    "note": "<string>",
    "emailDND": True,
    "smsDND": True,
    "callDND": True,
    "whatsappDND": True,
    "secondaryEmails": ["jsmith@example.com"],
    "secondaryPhones": ["<string>"],
    "isTestContact": True,
    "tags": [
        {
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "businessId": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "name": "VIP",
            "displayOrder": 123,
            "createdAt": "2023-11-07T05:31:56Z",
            "updatedAt": "2023-11-07T05:31:56Z",
        }
    ],
    "createdAt": "2023-11-07T05:31:56Z",
    "updatedAt": "2023-11-07T05:31:56Z",
}


class Sleeps(list):
    """Records the waits the client asks for instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def crm():
    with respx.mock(assert_all_called=False) as router:
        yield router


@pytest.fixture
def client(sleeps):
    with httpx.Client(base_url=BASE, timeout=5) as http:
        yield CrmClient(http, business_id=BUSINESS, api_key=KEY, attempts=4, base_delay=0.01, sleep=sleeps)


def test_it_asks_for_one_page_with_the_bearer_key_and_the_spec_parameters(crm, client):
    route = crm.get(ROUTE).respond(200, json={"data": []})
    client.contacts_page(page=3, limit=100, sort="-updatedAt", include="tags", tag="VIP")
    request = route.calls.last.request
    assert request.headers["Authorization"] == f"Bearer {KEY}"
    assert dict(request.url.params) == {
        "page": "3",
        "limit": "100",
        "sort": "-updatedAt",
        "include": "tags",
        "tag": "VIP",
    }


def test_it_reads_the_spec_example_into_a_typed_contact(crm, client):
    crm.get(ROUTE).respond(200, json={"data": [SPEC_RECORD], "pagination": {"total": 1}})
    page = client.contacts_page(page=1)
    contact = page.contacts[0]
    assert contact.id == SPEC_RECORD["id"]
    assert (contact.first_name, contact.last_name, contact.email, contact.phone) == (
        "Jane",
        "Doe",
        "jane@example.com",
        "+14155551234",
    )
    assert contact.company == "Acme Inc"
    assert contact.iana_timezone == "America/New_York"
    assert (contact.call_dnd, contact.sms_dnd, contact.email_dnd, contact.is_test_contact) == (True, True, True, True)
    assert contact.tags == ("VIP",)
    assert contact.secondary_emails == ("jsmith@example.com",)
    assert contact.updated_at == datetime(2023, 11, 7, 5, 31, 56, tzinfo=UTC)
    assert page.total == 1
    assert page.malformed == []


def test_it_tolerates_missing_null_and_oddly_typed_fields(crm, client):
    sparse = {
        "id": "c-1",
        "updatedAt": "2024-02-01T10:00:00.123+01:00",
        "firstName": None,
        "lastName": "  ",
        "zipCode": 78701,
        "callDND": "true",
        "smsDND": None,
        "secondaryPhones": None,
        "secondaryEmails": ["", None, "a@example.com", "a@example.com"],
        "tags": [{"id": "t"}, "Repeat customer", {"name": " Mold "}],
    }
    crm.get(ROUTE).respond(200, json={"data": [sparse]})
    contact = client.contacts_page().contacts[0]
    assert contact == CrmContact(
        id="c-1",
        updated_at=datetime(2024, 2, 1, 9, 0, 0, 123000, tzinfo=UTC),
        zip_code="78701",
        call_dnd=True,
        secondary_emails=("a@example.com",),
        tags=("Repeat customer", "Mold"),
    )


def test_a_record_without_id_or_readable_updated_at_is_reported_as_malformed_not_returned(crm, client):
    data = [
        {**SPEC_RECORD, "id": None},
        {**SPEC_RECORD, "id": "c-2", "updatedAt": "last tuesday"},
        {**SPEC_RECORD, "id": "c-3", "updatedAt": None},
        "garbage",
        {**SPEC_RECORD, "id": "c-5"},
    ]
    crm.get(ROUTE).respond(200, json={"data": data})
    page = client.contacts_page(limit=5)
    assert [c.id for c in page.contacts] == ["c-5"]
    assert page.malformed == [
        MalformedRecord(0, None, "record 1 of the page has no id"),
        MalformedRecord(1, "c-2", "updatedAt 'last tuesday' cannot be read"),
        MalformedRecord(2, "c-3", "updatedAt None cannot be read"),
        MalformedRecord(3, None, "record 4 of the page is not an object"),
    ]
    assert page.size == 5
    assert not page.is_last


def test_a_page_shorter_than_the_limit_is_the_last_and_an_unknown_pagination_is_ignored(crm, client):
    crm.get(ROUTE).respond(200, json={"data": [SPEC_RECORD] * 3, "pagination": {"next": "abc"}})
    page = client.contacts_page(limit=100)
    assert page.is_last
    assert page.total is None


def test_a_401_says_the_crm_refused_the_key_and_is_not_retried(crm, client, sleeps):
    route = crm.get(ROUTE).respond(401, json={"message": "Invalid API key"})
    with pytest.raises(CrmError, match="^the CRM refused the key$") as refused:
        client.contacts_page()
    assert refused.value.code == CrmError.KEY_REFUSED
    assert route.call_count == 1
    assert sleeps == []


def test_a_429_is_retried_after_the_wait_retry_after_asks_for(crm, client, sleeps):
    crm.get(ROUTE).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            httpx.Response(429, headers={"Retry-After": "1"}),
            httpx.Response(200, json={"data": [SPEC_RECORD]}),
        ]
    )
    page = client.contacts_page()
    assert [c.id for c in page.contacts] == [SPEC_RECORD["id"]]
    assert sleeps == [3.0, 1.0]


def test_5xx_is_retried_then_reported_with_the_status_and_the_attempts(crm, client, sleeps):
    route = crm.get(ROUTE).respond(503, json={"message": "maintenance"})
    with pytest.raises(CrmError) as failed:
        client.contacts_page()
    assert str(failed.value) == (
        "the CRM failed with HTTP 503 4 times in a row (the CRM said: maintenance); try again later"
    )
    assert failed.value.code == CrmError.UNAVAILABLE
    assert route.call_count == 4
    assert len(sleeps) == 3


def test_a_404_points_at_the_base_url_and_business_id(crm, client):
    crm.get(ROUTE).respond(404, json={"message": "Business not found"})
    with pytest.raises(CrmError, match="check the base URL and the business id") as missing:
        client.contacts_page()
    assert BUSINESS in str(missing.value)
    assert "Business not found" in str(missing.value)


def test_an_answer_that_is_not_json_is_a_clear_error(crm, client):
    crm.get(ROUTE).respond(200, text="<html>login</html>", headers={"Content-Type": "text/html"})
    with pytest.raises(CrmError, match=r"not JSON \(text/html\); is the base URL the CRM's API\?"):
        client.contacts_page()


def test_an_answer_without_a_data_list_is_a_clear_error(crm, client):
    crm.get(ROUTE).respond(200, json={"contacts": []})
    with pytest.raises(CrmError, match="no `data` list"):
        client.contacts_page()


def test_an_unreachable_crm_is_retried_then_reported(crm, client, sleeps):
    route = crm.get(ROUTE).mock(side_effect=httpx.ConnectError("connection refused"))
    with pytest.raises(CrmError, match="could not reach the CRM at crm.example.com") as unreachable:
        client.contacts_page()
    assert unreachable.value.code == CrmError.UNREACHABLE
    assert route.call_count == 4


def test_the_key_check_asks_for_the_smallest_page(crm, client):
    route = crm.get(ROUTE).respond(200, json={"data": []})
    client.key_check()
    assert dict(route.calls.last.request.url.params) == {"page": "1", "limit": "1", "sort": "-createdAt"}


def test_it_refuses_parameters_outside_the_spec_before_sending(crm, client):
    route = crm.get(ROUTE).respond(200, json={"data": []})
    with pytest.raises(ValueError):
        client.contacts_page(limit=101)
    with pytest.raises(ValueError):
        client.contacts_page(sort="email")
    assert route.call_count == 0


def test_through_the_outbound_client_it_pages_the_fake_crm_over_real_http(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = ["127.0.0.1"]
    fake = FakeCrm.create(contacts=120, seed=3)
    with FakeCrmServer(fake) as server, outbound_client(base_url=server.base_url) as http:
        client = CrmClient(http, business_id=fake.business_id, api_key=fake.api_key)
        first, second = client.contacts_page(page=1), client.contacts_page(page=2)
    returned = [c.id for c in first.contacts + second.contacts] + [m.crm_id for m in first.malformed + second.malformed]
    assert (first.is_last, second.is_last) == (False, True)
    assert first.total == 120
    assert sorted(filter(None, returned)) == sorted(r["id"] for r in fake.records() if r.get("id"))


def test_a_crm_on_a_local_address_not_listed_in_outbound_allowed_hosts_is_refused(settings):
    settings.OUTBOUND_ALLOWED_HOSTS = []
    with outbound_client(base_url="http://127.0.0.1:8401") as http:
        client = CrmClient(http, business_id=BUSINESS, api_key=KEY)
        with pytest.raises(CrmError, match="OUTBOUND_ALLOWED_HOSTS") as refused:
            client.contacts_page()
    assert refused.value.code == CrmError.REFUSED
