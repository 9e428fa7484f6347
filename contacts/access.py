"""Per-object access for the staff pages: a contact of the signed-in user's current franchise."""

from __future__ import annotations

from django.http import Http404, HttpRequest

from contacts.models import Contact


def get_contact_for_user(request: HttpRequest, contact_id: int) -> Contact:
    """The current franchise's contact with this id, or 404 (also for another franchise's)."""
    contact = Contact.objects.filter(franchise=request.workspace.franchise, pk=contact_id).first()
    if contact is None:
        raise Http404("No such contact")
    return contact


def merged_contact_survivor(request: HttpRequest, contact_id: int) -> Contact | None:
    """The contact that the current franchise's contact `contact_id` was merged into (following
    later merges), or None when it was not merged (or is not the franchise's)."""
    franchise = request.workspace.franchise
    merged_into = (
        Contact.everything.filter(franchise=franchise, pk=contact_id).values_list("merged_into_id", flat=True).first()
    )
    for _ in range(10):  # a chain of merges, each one's survivor merged again later
        if merged_into is None:
            return None
        survivor = Contact.everything.filter(franchise=franchise, pk=merged_into).first()
        if survivor is None or survivor.merged_into_id is None:
            return survivor
        merged_into = survivor.merged_into_id
    return None
