"""Per-object access for the staff pages: a call of the signed-in user's current franchise."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from calls.models import Call


def get_call_for_user(request: HttpRequest, conversation_id: str) -> Call:
    """The current franchise's call with this conversation id, or 404 (also for another franchise's)."""
    call = (
        Call.objects.filter(franchise=request.workspace.franchise, conversation_id=conversation_id)
        .select_related("location", "franchise")
        .first()
    )
    if call is None:
        raise Http404("No such call")
    return call
