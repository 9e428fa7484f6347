"""django-csp's middleware, with the policy text built once.

django-csp 4 turns CONTENT_SECURITY_POLICY into header text for every response, ≈ 0.15 ms: an eighth
of a small API request. The text only changes with a nonce or a view's own policy (`@csp_update`,
`@csp_replace`, `@csp`), so a response with neither gets the text built once from settings, and
every other case (those, exemptions, excluded prefixes, a report-only policy, DEBUG error pages)
takes django-csp's own path.
"""

from __future__ import annotations

from functools import cached_property

from csp.constants import HEADER
from csp.middleware import CheckableLazyObject, CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

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
