"""The Content-Security-Policy header: the same strict text on pages and API answers as django-csp
would build, and django-csp's own path wherever a view asks for a policy of its own."""

from __future__ import annotations

import pytest
from csp.decorators import csp_update
from csp.utils import build_policy
from django.http import HttpResponse
from django.test import RequestFactory

from config.middleware import StaticPolicyCSPMiddleware

pytestmark = pytest.mark.django_db


def test_pages_and_api_answers_carry_the_policy_django_csp_builds(client, api_a):
    expected = build_policy()

    assert "default-src 'self'" in expected and "frame-ancestors 'none'" in expected
    assert client.get("/accounts/login/")["Content-Security-Policy"] == expected
    assert api_a.get("/data/calls")["Content-Security-Policy"] == expected


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
    assert answers[0]["Content-Security-Policy"] == build_policy()
