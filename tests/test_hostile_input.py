"""The probe's reproductions (issue 13): input a client can send that once answered 500 is a 4xx with
a reason, on the Data Share API (JSON), the staff pages and the admin."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from config import urls
from config.errorpages import server_error
from contacts.models import Contact, ContactPhone
from contacts.services import contact_upsert
from tests.api_fixtures import bearer, issue

pytestmark = pytest.mark.django_db
HUGE = "9" * 5000  # int() refuses digit strings over 4,300 characters


@pytest.fixture
def clients(api_a, alice, admin_client, signed_in):
    return {"api": api_a, "staff": signed_in(alice), "admin": admin_client}


@pytest.fixture
def recorded(franchise_a, make_call, make_recording):
    call = make_call(franchise_a)
    make_recording(call, b"0123456789" * 10)
    return call


def audio_url(surface: str, call) -> str:
    if surface == "admin":
        return reverse("admin:calls_call_recording", args=[call.pk])
    return {"api": "/data/recordings/{id}", "staff": "/calls/{id}/recording"}[surface].format(id=call.conversation_id)


@pytest.mark.parametrize("surface", ["api", "staff", "admin"])
@pytest.mark.parametrize(
    ("header", "status", "content_range"),
    [
        (f"bytes={HUGE}-", 416, "bytes */100"),  # starts past the end
        (f"bytes=0-{HUGE}", 206, "bytes 0-99/100"),  # ends past the end: up to the end
        (f"bytes=-{HUGE}", 206, "bytes 0-99/100"),  # a suffix longer than the file: all of it
        (f"bytes={HUGE}-{HUGE}", 416, "bytes */100"),
    ],
)
def test_a_range_with_thousands_of_digits_is_read_as_a_huge_number(
    clients, recorded, surface, header, status, content_range
):
    response = clients[surface].get(audio_url(surface, recorded), headers={"Range": header})

    assert response.status_code == status
    assert response["Content-Range"] == content_range


FAR = ["9999-12-31", "0001-01-01", "9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+05:00"]


@pytest.mark.parametrize("value", FAR)
def test_a_far_date_is_a_400_on_the_api(api_a, value):
    for name in ("start_date", "end_date"):
        response = api_a.get("/data/calls", {name: value})

        assert response.status_code == 400, (name, value)
        assert response.json()["code"] == "invalid_parameter"
        assert "year" in response.json()["detail"]


@pytest.mark.parametrize("value", ["9999-12-31", "0001-01-01"])
def test_a_far_date_is_a_400_on_the_calls_page(signed_in, alice, value):
    response = signed_in(alice).get("/calls/", {"end": value})

    assert response.status_code == 400
    assert b"year" in response.content


def test_a_country_that_grows_when_upper_cased_is_a_400_and_keeps_nothing(api_a, franchise_a):
    created = api_a.post("/data/contacts", {"primary_phone": "5551230000", "addr_country": "ßß"}, "application/json")

    assert created.status_code == 400 and created.json()["code"] == "invalid_country"
    assert not Contact.objects.filter(franchise=franchise_a).exists()

    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="5551230000", addr_country="us")
    patched = api_a.patch("/data/contacts", {"id": contact.pk, "addr_country": "ßß"}, "application/json")

    assert patched.status_code == 400 and patched.json()["code"] == "invalid_country"
    contact.refresh_from_db()
    assert contact.addr_country == "US"


NUL_PAGES = [
    ("get", "/calls/", {"q": "\x00"}),
    ("get", "/calls/", {"category": "a\x00"}),
    ("get", "/calls/", {"agent_type": "\x00"}),
    ("get", "/calls/a\x00b/", {}),
    ("get", "/calls/a\x00b/recording", {}),
    ("get", "/contacts/", {"search": "\x00"}),
    ("get", "/contacts/", {"tag": "\x00"}),
    ("get", "/contacts/tags/suggest", {"name": "\x00"}),
    ("get", "/contacts/for-call/a\x00b/", {}),
    ("get", "/insights", {"tab": "calldata", "callId": "conv_\x00"}),
    ("get", "/", {"\x00": "x"}),
    ("post", "/settings/tokens/new", {"label": "a\x00b"}),
]


@pytest.mark.parametrize(("method", "path", "data"), NUL_PAGES)
def test_a_nul_byte_anywhere_in_a_staff_request_is_a_400(signed_in, alice, method, path, data):
    response = getattr(signed_in(alice), method)(path, data)

    assert response.status_code == 400
    assert b"NUL" in response.content


def test_a_nul_byte_in_a_contact_form_is_a_400_and_keeps_nothing(signed_in, alice, franchise_a):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="5551230000", notes="before")
    client = signed_in(alice)

    notes = client.post(f"/contacts/{contact.pk}/notes", {"notes": "after\x00"})
    tag = client.post(f"/contacts/{contact.pk}/tags/add", {"name": "a\x00b"})

    assert notes.status_code == tag.status_code == 400
    contact.refresh_from_db()
    assert contact.notes == "before" and not contact.tags.exists()


def test_a_nul_byte_in_the_path_of_the_api_is_a_json_400(api_a):
    response = api_a.get("/data/recordings/a\x00b")

    assert response.status_code == 400 and response.json()["code"] == "invalid_request"


def test_a_nul_byte_in_the_session_cookie_is_a_400(alice):
    client = Client()
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"

    assert client.get("/calls/").status_code == 400


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_posts_with_crossed_phones_never_deadlock(franchise_a):
    token = issue(franchise_a)
    rounds = 12
    failures: list[object] = []

    def send(barrier: threading.Barrier, body: dict) -> None:
        try:
            barrier.wait()
            response = bearer(token).post("/data/contacts", body, "application/json")
            if response.status_code not in (200, 201):
                failures.append(response.content)
        except Exception as exc:  # the test client re-raises what would have been a 500
            failures.append(exc)
        finally:
            connection.close()

    for n in range(rounds):
        one, two = f"+1555700{n:04d}", f"+1555800{n:04d}"
        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=send, args=(barrier, {"primary_phone": one, "alternate_phones": [two]})),
            threading.Thread(target=send, args=(barrier, {"primary_phone": two, "alternate_phones": [one]})),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert failures == []
    # One phone, one contact: each round made exactly one contact owning both phones.
    assert Contact.objects.filter(franchise=franchise_a).count() == rounds
    owners = ContactPhone.objects.filter(franchise=franchise_a).values_list("contact_id", flat=True)
    assert len(owners) == 2 * rounds and len(set(owners)) == rounds


def test_an_unexpected_error_on_the_api_is_a_json_500(franchise_a, token_a, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("calls.api.call_rows", broken)
    client = bearer(token_a)
    client.raise_request_exception = False

    response = client.get("/data/calls")

    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error; retry later.", "code": "server_error"}
    assert "X-RateLimit-Remaining" in response


def test_an_error_outside_the_api_operations_is_json_on_data_and_html_elsewhere(rf):
    assert urls.handler500 is server_error
    api = server_error(rf.get("/data/calls"))
    page = server_error(rf.get("/calls/"))

    assert api.status_code == page.status_code == 500
    assert api["Content-Type"] == "application/json" and b'"code":"server_error"' in api.content
    assert page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("method", "path", "allow"), [("delete", "/data/contacts", "GET, PATCH, POST"), ("post", "/data/calls", "GET")]
)
def test_a_method_the_api_does_not_take_is_a_json_405_with_allow_and_limits(api_a, method, path, allow):
    response = getattr(api_a, method)(path)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert response["Allow"] == allow
    assert "X-RateLimit-Limit" in response and "X-RateLimit-Remaining" in response


def test_a_method_the_api_does_not_take_without_a_token_is_a_401(client):
    assert client.delete("/data/contacts").status_code == 401


@pytest.mark.parametrize(
    "path", ["/", "/calls/", "/contacts/", "/contacts/{contact}/", "/calls/{call}/", "/settings/tokens/"]
)
def test_a_signed_in_persons_pages_are_never_kept_by_a_cache(signed_in, alice, franchise_a, make_call, path):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="5551230000")
    call = make_call(franchise_a)

    response = signed_in(alice).get(path.format(contact=contact.pk, call=call.conversation_id))

    assert response.status_code == 200
    assert {"private", "no-store"} <= {part.strip() for part in response["Cache-Control"].split(",")}
