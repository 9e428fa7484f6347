"""Bearer-token authentication of the Data Share API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client, override_settings
from django.utils import timezone

from franchises.models import ApiToken
from tests.api_fixtures import bearer

pytestmark = pytest.mark.django_db


def assert_401(response) -> None:
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Token bds_x",
        "Basic YWxpY2U6cGFzcw==",
        "Bearer bds_not-a-real-token",
        "Bearer " + "x" * 5000,
    ],
)
def test_missing_malformed_or_unknown_tokens_are_401(header):
    client = Client(headers={"Authorization": header} if header is not None else {})

    for path in ("/data/locations", "/data/calls", "/data/contacts", "/data/recordings/CA1"):
        assert_401(client.get(path))


def test_a_valid_token_gets_in(api_a):
    assert api_a.get("/data/locations").status_code == 200


def test_an_expired_token_is_401(franchise_a):
    token, plaintext = ApiToken.issue(franchise=franchise_a, expires_in_days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    assert_401(bearer(plaintext).get("/data/locations"))


def test_a_revoked_token_fails_on_the_very_next_request(franchise_a):
    token, plaintext = ApiToken.issue(franchise=franchise_a)
    client = bearer(plaintext)
    assert client.get("/data/locations").status_code == 200

    token.revoke()

    assert_401(client.get("/data/locations"))


def test_the_token_is_stored_only_as_a_hash(franchise_a):
    token, plaintext = ApiToken.issue(franchise=franchise_a)

    assert plaintext not in str(ApiToken.objects.filter(pk=token.pk).values().get())


def test_last_used_at_is_kept_but_written_at_most_once_a_minute(franchise_a):
    token, plaintext = ApiToken.issue(franchise=franchise_a)
    client = bearer(plaintext)

    client.get("/data/locations")
    token.refresh_from_db()
    first = token.last_used_at
    client.get("/data/locations")
    token.refresh_from_db()

    assert first is not None and token.last_used_at == first


@override_settings(API_AUTH_FAILURES_PER_MINUTE=3)
def test_failed_authentication_is_limited_per_client_address(api_a):
    guesser = Client(headers={"Authorization": "Bearer bds_guess"}, REMOTE_ADDR="203.0.113.7")
    answers = [guesser.get("/data/calls") for _ in range(4)]

    assert [r.status_code for r in answers] == [401, 401, 401, 429]
    assert answers[-1].json()["code"] == "too_many_auth_failures"
    assert 1 <= int(answers[-1]["Retry-After"]) <= 60
    # Another address is not affected, and neither is a valid token.
    other = Client(headers={"Authorization": "Bearer bds_guess"}, REMOTE_ADDR="203.0.113.8")
    assert other.get("/data/calls").status_code == 401
    assert api_a.get("/data/calls", REMOTE_ADDR="203.0.113.7").status_code == 200


def test_the_docs_and_schema_need_no_token():
    assert Client().get("/data/openapi.json").status_code == 200
    assert Client().get("/data/docs").status_code == 200
