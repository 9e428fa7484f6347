"""Pieces every Data Share API router shares: the error type, fast JSON responses, safe input types.

Kept apart from `config/api.py` (which imports every router) so routers can import them freely.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from django.http import HttpRequest, HttpResponse
from ninja.renderers import BaseRenderer
from pydantic import AfterValidator, StringConstraints

# Timestamps as the spec writes them: "2026-06-22T18:04:11+00:00". Our own answers have string keys
# only; whatever ninja renders may not (a 25% slower encoding, so only there).
ORJSON_OPTIONS = orjson.OPT_OMIT_MICROSECONDS
RENDERER_OPTIONS = ORJSON_OPTIONS | orjson.OPT_NON_STR_KEYS


class ApiError(Exception):
    """An answer to the client other than success: rendered as {"detail": ..., "code": ...}."""

    def __init__(self, status: int, code: str, detail: str, headers: dict[str, str] | None = None):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}


SERVER_ERROR = "Internal server error; retry later."


def json_response(data: Any, status: int = 200) -> HttpResponse:
    """Serialise with orjson straight to bytes: list endpoints skip per-row Schema validation."""
    response = HttpResponse(orjson.dumps(data, option=ORJSON_OPTIONS), status=status, content_type="application/json")
    # A franchise's data: no shared cache (proxy, CDN) may keep or replay it.
    response["Cache-Control"] = "private, no-store"
    return response


def error_response(status: int, code: str, detail: Any, headers: dict[str, str] | None = None) -> HttpResponse:
    response = json_response({"detail": detail, "code": code}, status=status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ORJSONRenderer(BaseRenderer):
    media_type = "application/json"

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> bytes:
        return orjson.dumps(data, option=RENDERER_OPTIONS)


def _storable(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and a lone surrogate (legal in JSON "\ud800") cannot be encoded
    # to UTF-8: both would fail inside the database as a 500, so they are a 400 here.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def Text(max_length: int) -> Any:  # noqa: N802 (a type factory, used like a type)
    """A string the database can store in a column of `max_length` characters."""
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(_storable)]
