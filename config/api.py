"""The Data Share API (`/data/`), served by django-ninja. See ../shared/specs/data-share-api.txt.

Every error is JSON `{"detail": ..., "code": ...}`; every validation failure is a 400 (ninja's
default is 422); every authenticated response carries the `X-RateLimit-*` headers.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from ninja import NinjaAPI, Router
from ninja.errors import HttpError, ValidationError

from calls.api import router as calls_router
from config.api_base import SERVER_ERROR, ApiError, ORJSONRenderer, error_response
from config.errors import Conflict, DomainError, NotFound
from config.keyset import BadCursor
from contacts.api import router as contacts_router
from franchises.api import router as franchises_router
from franchises.auth import bearer_auth

server_log = logging.getLogger("django.request")

api = NinjaAPI(
    title="Breesy Data Share API",
    version="1.0",
    description=(
        "Calls, recordings and CRM contacts of one franchise, for integrators. Authenticate with "
        "`Authorization: Bearer <api_token>`; the franchise comes from the token. Limits: "
        "60 requests a minute and 5,000 a day per token, reported in `X-RateLimit-*` headers. Errors are "
        'JSON `{"detail": ..., "code": ...}`; unknown or repeated query parameters are a 400.'
    ),
    urls_namespace="data",
    docs_url="/docs",
    openapi_url="/openapi.json",
    auth=bearer_auth,
    renderer=ORJSONRenderer(),
)


def add_ratelimit_headers(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Where this request stands against its token's limits, once authentication has counted it."""
    state = getattr(request, "ratelimit", None)
    if state is not None:
        for name, value in state.headers().items():
            response[name] = value
    return response


def with_ratelimit_headers(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Wraps each operation, auth included, so errors carry the headers as well as successes."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return add_ratelimit_headers(request, run(request, *args, **kwargs))

    return wrapper


def reject_unknown_query_parameters(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A mistyped filter (`locaton_id=...`) must not silently widen the answer: unknown or repeated
    query parameters are a 400. Runs after authentication and validation of the known ones."""
    known = set(inspect.signature(view).parameters)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        unknown = sorted(set(request.GET) - known)
        if unknown:
            raise ApiError(400, "unknown_parameter", f"Unknown query parameter: {unknown[0][:100]}")
        repeated = sorted(name for name, values in request.GET.lists() if len(values) > 1)
        if repeated:  # every parameter takes one value; which of several was meant is a guess
            raise ApiError(400, "repeated_parameter", f"Query parameter given more than once: {repeated[0]}")
        return view(request, *args, **kwargs)

    return wrapper


api.add_decorator(with_ratelimit_headers, mode="view")
api.add_decorator(reject_unknown_query_parameters, mode="operation")


@api.exception_handler(ApiError)
def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, exc.detail, exc.headers)


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    problems = []
    for error in exc.errors[:5]:
        loc = error.get("loc", ())
        # ("query", "page_size") → "page_size"; ("body", "payload", "id") → "id"
        where = ".".join(str(part) for part in loc[2 if loc[:1] == ("body",) else 1 :]) or "body"
        problems.append(f"{where}: {error.get('msg', 'invalid')}")
    return error_response(400, "invalid_request", "; ".join(problems) or "Invalid request")


# Domain errors (config/errors.py) to HTTP, in this one place: services know nothing of statuses.
DOMAIN_STATUS: tuple[tuple[type[DomainError], int], ...] = ((NotFound, 404), (Conflict, 409))


@api.exception_handler(DomainError)
def on_domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    status = next((status for kind, status in DOMAIN_STATUS if isinstance(exc, kind)), 400)
    return error_response(status, exc.code, exc.detail)


@api.exception_handler(BadCursor)
def on_bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return error_response(400, "invalid_cursor", "Invalid cursor: pass back a next_cursor exactly as received")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises these itself, e.g. 400 "Cannot parse request body" for malformed JSON.
    if exc.status_code == 400:
        return error_response(400, "invalid_json", "The request body is not valid JSON")
    return error_response(exc.status_code, "error", exc.message)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(413, "too_large", "The request body is too large")


@api.exception_handler(SuspiciousOperation)
def on_suspicious(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return error_response(400, "invalid_request", "Bad request")


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", str(exc) or "Not found")


@api.exception_handler(Exception)
def on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    # Ours to fix, never the client's: logged with its traceback as Django logs a 500, answered in
    # the API's own shape rather than an HTML page.
    server_log.error(
        "Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500, "request": request}
    )
    return error_response(500, "server_error", SERVER_ERROR)


api.add_router("", franchises_router)
api.add_router("", calls_router)
api.add_router("", contacts_router)

# Last, so it only sees paths no operation matched: a JSON 404 rather than Django's HTML page.
fallback = Router()


@fallback.api_operation(
    ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"], "/{path:rest}", auth=None, include_in_schema=False
)
def unknown_endpoint(request: HttpRequest, rest: str) -> HttpResponse:
    return error_response(404, "not_found", "No such endpoint; see /data/docs")


api.add_router("", fallback)


def method_not_allowed_as_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """ninja answers a method a path does not take with a bare 405 before any operation runs. Make
    it an answer like every other: authenticated and counted (a 401 without a token), JSON, with
    `Allow` and the `X-RateLimit-*` headers."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if not isinstance(response, HttpResponseNotAllowed):
            return response
        allow = ", ".join(sorted(method.strip() for method in response["Allow"].split(",")))
        try:
            bearer_auth(request)
        except ApiError as exc:
            return add_ratelimit_headers(request, on_api_error(request, exc))
        detail = f"{request.method} is not allowed here; allowed: {allow}"
        return add_ratelimit_headers(request, error_response(405, "method_not_allowed", detail, {"Allow": allow}))

    return wrapper


def data_urls() -> tuple[list, str, str]:
    """`api.urls` for `config/urls.py`, each path's view answering a wrong method as JSON."""
    patterns, app_name, namespace = api.urls
    for pattern in patterns:
        pattern.callback = method_not_allowed_as_json(pattern.callback)
    return patterns, app_name, namespace
