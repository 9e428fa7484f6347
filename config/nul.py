"""NUL characters refused at the door: one rule for every page, view and form.

PostgreSQL text cannot hold NUL (0x00): a NUL that reached a query or a write would fail inside the
database as a 500. So a request with one in its path, query string, cookies or form fields is a 400
before any view runs (JSON on the Data Share API, whose bodies its own schemas check the same way).
Bodies of `/data/` and `/hooks/` are not read here: those views read and bound their bodies themselves.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from config.api_base import error_response

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
OWN_BODIES = ("/data/", "/hooks/")


def _first_nul(kind: str, pairs: Iterable[tuple[str, list]]) -> str | None:
    for name, values in pairs:
        if "\x00" in name or any(isinstance(value, str) and "\x00" in value for value in values):
            return f"{kind} {name.replace(chr(0), '')[:50]!r}"
    return None


def where_nul(request: HttpRequest) -> str | None:
    """Which part of the request holds a NUL ("query parameter 'q'"), or None."""
    if "\x00" in request.path:
        return "the path"
    found = _first_nul("query parameter", request.GET.lists()) or _first_nul(
        "cookie", ((name, [value]) for name, value in request.COOKIES.items())
    )
    form = request.method == "POST" and request.content_type in FORM_TYPES
    if found is None and form and not request.path.startswith(OWN_BODIES):
        found = _first_nul("form field", request.POST.lists())
    return found


class RefuseNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        where = where_nul(request)
        if where is None:
            return self.get_response(request)
        detail = f"{where[0].upper()}{where[1:]} must not contain NUL characters."
        if request.path.startswith("/data/"):
            return error_response(400, "invalid_request", detail)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
