"""The page a throttled staff sign-in gets (django-axes calls `locked_out`; see AXES_* in settings).

It says when to try again and nothing else: the same words for every username, existing or not, so
it tells nobody which accounts exist.
"""

from __future__ import annotations

import math

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def locked_out(request: HttpRequest, original_response: HttpResponse | None = None, credentials=None) -> HttpResponse:
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    minutes = math.ceil(seconds / 60)
    response = render(request, "registration/locked_out.html", {"minutes": minutes}, status=429)
    response["Retry-After"] = str(seconds)
    return response
