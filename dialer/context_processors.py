"""The call-back queue's size for the navigation, on every staff page."""

from __future__ import annotations

from django.core.cache import cache
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from dialer.outcomes import queue_count_key
from dialer.queries import queue_calls

COUNT_SECONDS = 60  # a dial outcome clears it at once; other changes show within a minute


def queue_count(request: HttpRequest) -> dict:
    """`dial_queue_count`: callers waiting in the current franchise's queue, counted only when a
    template shows it, and kept a minute in the shared cache."""
    workspace = getattr(request, "workspace", None)
    if workspace is None:
        return {}

    def count() -> int:
        key = queue_count_key(workspace.franchise.pk)
        found = cache.get(key)
        if found is None:
            found = queue_calls(workspace.franchise).count()
            cache.set(key, found, COUNT_SECONDS)
        return found

    return {"dial_queue_count": SimpleLazyObject(count)}
