"""The 500 page Django falls back to when an error escapes a view or a middleware: JSON
`{"detail", "code"}` on the Data Share API, the plain HTML page everywhere else."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.defaults import server_error as html_server_error

from config.api_base import SERVER_ERROR, error_response


def server_error(request: HttpRequest) -> HttpResponse:
    if request.path.startswith("/data/"):
        return error_response(500, "server_error", SERVER_ERROR)
    return html_server_error(request)
