"""One log line per request (on in production): method, path, status, duration, franchise, request id.

    request method=GET path=/data/calls status=200 duration_ms=4.1 franchise=5f0c… request_id=9b1e… client=203.0.113.7

What is never written: the query string (integrators' tools put tokens there), headers (the bearer
token, cookies), bodies, and any part of the path that is a secret (a URL parameter whose name says
secret, token, key or signature is written as `***`). Control characters in the path are escaped,
so a crafted URL cannot forge a second line. The request id is echoed as `X-Request-ID`; one sent by a
trusted proxy (see config/proxies.py) is kept so the proxy's log and ours line up.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import MiddlewareNotUsed
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("breesy.requests")

REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
SECRET_PARAMETER = re.compile(r"secret|token|key|signature|password", re.IGNORECASE)
# Characters a path may show as they are; anything else (spaces, controls, quotes) is %-escaped.
PATH_SAFE = "/:@!$&'()*+,;=-._~%"


def request_id_for(request: HttpRequest) -> str:
    """The proxy's request id if it sent a sane one (only trusted proxies' headers survive), else new."""
    sent = request.META.get("HTTP_X_REQUEST_ID", "")
    return sent if REQUEST_ID.match(sent) else uuid.uuid4().hex


def loggable_path(request: HttpRequest) -> str:
    """The path without its query, with secret URL parameters masked and odd characters escaped."""
    path = request.path
    match = getattr(request, "resolver_match", None)
    if match is not None:
        for name, value in match.kwargs.items():
            if SECRET_PARAMETER.search(name) and str(value):
                path = path.replace(str(value), "***")
    return quote(path, safe=PATH_SAFE)


def franchise_of(request: HttpRequest) -> str:
    """The franchise the request acted for: the API token's, or the signed-in staff member's."""
    token = getattr(request, "auth", None)
    franchise = getattr(token, "franchise", None)
    if franchise is None:
        franchise = getattr(getattr(request, "workspace", None), "franchise", None)
    return str(franchise.pk) if franchise is not None else "-"


class RequestLogMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        if not settings.REQUEST_LOG:
            raise MiddlewareNotUsed
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        request.request_id = request_id_for(request)
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if getattr(request, "health", None) is not True:  # a load balancer's passing probes would drown the log
            logger.info(
                "request method=%s path=%s status=%d duration_ms=%.1f franchise=%s request_id=%s client=%s",
                quote(request.method or "-", safe=""),
                loggable_path(request),
                response.status_code,
                (time.perf_counter() - started) * 1000,
                franchise_of(request),
                request.request_id,
                quote(request.META.get("REMOTE_ADDR", "-"), safe=".:"),
            )
        return response
