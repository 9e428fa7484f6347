"""HTMX plumbing shared by every app's staff pages."""

from __future__ import annotations

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """True for an HTMX request that swaps in a fragment. A history-restore request (the back button
    after htmx's cache evicted the page) needs the full page, form included."""
    return bool(request.htmx) and not request.htmx.history_restore_request
