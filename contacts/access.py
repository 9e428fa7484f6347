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
