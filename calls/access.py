"""Per-object access for the staff pages: calls of the signed-in user's current franchise."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404, HttpRequest

from calls.models import Call


def get_call_for_user(request: HttpRequest, conversation_id: str) -> Call:
    """The current franchise's call with this conversation id, or 404 (also for another franchise's)."""
    call = (
        Call.objects.filter(franchise=request.workspace.franchise, conversation_id=conversation_id)
        .select_related("location", "franchise", "state_changed_by")
        .first()
    )
    if call is None:
        raise Http404("No such call")
    return call


def calls_for_user(request: HttpRequest, conversation_ids: list[str]) -> QuerySet[Call]:
    """The current franchise's calls with these conversation ids; 404 if any one is not among them
    (another franchise's call included), so a batch acts on all it names or on none."""
    calls = Call.objects.filter(franchise=request.workspace.franchise, conversation_id__in=conversation_ids)
    if calls.count() != len(set(conversation_ids)):
        raise Http404("No such call")
    return calls
