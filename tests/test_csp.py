"""The Content-Security-Policy header: the same strict text on pages and API answers as django-csp
would build, and django-csp's own path wherever a view asks for a policy of its own."""

from __future__ import annotations

import pytest
from csp.decorators import csp_update
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import StaticPolicyCSPMiddleware

pytestmark = pytest.mark.django_db


# The policy as a browser reads it. django-csp writes the directives in no fixed order (a set), so a
# header is compared directive by directive.
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def directives(header: str) -> set[str]:
    return set(header.split("; "))


def test_pages_and_api_answers_carry_the_strict_policy(client, api_a):
    assert directives(client.get("/accounts/login/")["Content-Security-Policy"]) == directives(POLICY)
    assert directives(api_a.get("/data/calls")["Content-Security-Policy"]) == directives(POLICY)


def test_a_plain_view_gets_the_settings_policy_and_an_updated_one_does_not_leak():
    def plain_view(request):
        return HttpResponse("plain")

    @csp_update({"img-src": "https://maps.example.com"})
    def map_view(request):
        return HttpResponse("map")

    plain = StaticPolicyCSPMiddleware(plain_view)
    own = StaticPolicyCSPMiddleware(map_view)
    answers = [plain(RequestFactory().get("/")), own(RequestFactory().get("/map")), plain(RequestFactory().get("/"))]

    assert [("maps.example.com" in a["Content-Security-Policy"]) for a in answers] == [False, True, False]
    assert directives(answers[0]["Content-Security-Policy"]) == directives(POLICY)
