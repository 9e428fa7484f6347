"""django-csp's middleware, with the policy text built once; and no cache for a signed-in person's pages.

django-csp 4 turns CONTENT_SECURITY_POLICY into header text for every response, ≈ 0.15 ms: an eighth
of a small API request. The text only changes with a nonce or a view's own policy (`@csp_update`,
`@csp_replace`, `@csp`), so a response with neither gets the text built once from settings, and
every other case (those, exemptions, excluded prefixes, a report-only policy, DEBUG error pages)
takes django-csp's own path.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import patch_cache_control

VIEW_POLICY = ("_csp_config", "_csp_update", "_csp_replace", "_csp_config_ro", "_csp_update_ro", "_csp_replace_ro")


class StaticPolicyCSPMiddleware(CSPMiddleware):
    @cached_property
    def policy(self) -> str | None:
        """The header text from settings, or None when settings ask for more than one fixed text."""
        enforced = getattr(settings, "CONTENT_SECURITY_POLICY", None) or {}
        if enforced.get("EXCLUDE_URL_PREFIXES") or getattr(settings, "CONTENT_SECURITY_POLICY_REPORT_ONLY", None):
            return None
        return build_policy() or None

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if (
            self.policy is None
            or settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or getattr(response, "_csp_exempt", False)
            or HEADER in response
            or any(hasattr(response, name) for name in VIEW_POLICY)
        ):
            return super().process_response(request, response)
        response[HEADER] = self.policy
        # As django-csp does: a nonce asked for after the header is written is an error, not a gap.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response


class PrivatePagesMiddleware:
    """Every answer to a signed-in person is theirs alone: staff pages show callers, phones, notes and
    recordings. `Cache-Control: private, no-store` keeps shared caches (proxies, CDNs) and the
    browser's disk from keeping a copy (one more sign-out later, the back button shows nothing)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True, no_store=True)
        return response
