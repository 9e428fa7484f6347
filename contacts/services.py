"""Writing contacts: every write of phones goes through here so `ContactPhone` stays in step."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction

from contacts.models import Contact, ContactPhone, Tag
from franchises.models import Franchise


class PhoneTaken(ValueError):
    """A phone given for a contact already belongs to another contact of the franchise."""

    def __init__(self, number: str, contact_id: int):
        super().__init__(f"{number} already belongs to contact {contact_id}")
        self.number = number
        self.contact_id = contact_id


def contact_set_phones(*, contact: Contact, primary: str | None, alternates: Iterable[str]) -> None:
    """Give `contact` these (already E.164) phones. Raises PhoneTaken when one belongs to another
    contact of the franchise; the caller's transaction then rolls back and nothing changes."""
    alternates = [p for p in dict.fromkeys(alternates) if p and p != primary]
    wanted = ([primary] if primary else []) + alternates
    existing = {row.number: row for row in ContactPhone.objects.filter(contact=contact)}
    ContactPhone.objects.filter(contact=contact).exclude(number__in=wanted).delete()
    for number in wanted:
        row = existing.get(number)
        is_primary = number == primary
        if row is None:
            try:
                with transaction.atomic():
                    ContactPhone.objects.create(
                        franchise_id=contact.franchise_id, contact=contact, number=number, is_primary=is_primary
                    )
            except IntegrityError:
                owner = (
                    ContactPhone.objects.filter(franchise_id=contact.franchise_id, number=number)
                    .values_list("contact_id", flat=True)
                    .first()
                )
                raise PhoneTaken(number, owner or 0) from None
        elif row.is_primary != is_primary:
            row.is_primary = is_primary
            row.save(update_fields=["is_primary"])
    contact.primary_phone = primary
    contact.alternate_phones = alternates
    contact.save(update_fields=["primary_phone", "alternate_phones", "updated_at"])


def contact_find_by_phones(*, franchise: Franchise, phones: Iterable[str]) -> Contact | None:
    """The franchise's contact owning any of these E.164 phones (primary or alternate)."""
    contact_id = (
        ContactPhone.objects.filter(franchise=franchise, number__in=list(phones))
        .order_by("-is_primary", "id")
        .values_list("contact_id", flat=True)
        .first()
    )
    return Contact.objects.filter(pk=contact_id).first() if contact_id else None


def tags_resolve(*, franchise: Franchise, names: Iterable[str]) -> list[Tag]:
    """The franchise's tags with these names (case-insensitive), creating the missing ones."""
    tags = []
    for name in dict.fromkeys(n.strip() for n in names if n and n.strip()):
        tag = Tag.objects.filter(franchise=franchise, name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(franchise=franchise, name=name)
            except IntegrityError:  # created by a concurrent request
                tag = Tag.objects.get(franchise=franchise, name__iexact=name)
        tags.append(tag)
    return tags


def contact_upsert(
    *,
    franchise: Franchise,
    primary_phone: str,
    alternate_phones: Iterable[str] = (),
    tags: Iterable[str] | None = None,
    primary_contact_tags: Iterable[str] | None = None,
    **fields: Any,
) -> tuple[Contact, bool]:
    """Create the contact owning `primary_phone` (already E.164), or update the existing contact that
    owns it or any of `alternate_phones`. Returns (contact, created).

    Two concurrent calls with one new phone make one contact: the loser's ContactPhone insert
    waits on the winner's unique-index entry, fails, and the retry finds and updates the winner.
    """
    alternate_phones = list(alternate_phones)
    for attempt in range(3):
        try:
            with transaction.atomic():
                contact = contact_find_by_phones(franchise=franchise, phones=[primary_phone, *alternate_phones])
                created = contact is None
                if created:
                    contact = Contact.objects.create(franchise=franchise, **fields)
                else:
                    for name, value in fields.items():
                        setattr(contact, name, value)
                    contact.save()
                merged = alternate_phones if created else [*contact.alternate_phones, *alternate_phones]
                primary = primary_phone if created or not contact.primary_phone else contact.primary_phone
                if primary != primary_phone:
                    merged.append(primary_phone)
                contact_set_phones(contact=contact, primary=primary, alternates=merged)
                if tags is not None:
                    contact.tags.set(tags_resolve(franchise=franchise, names=tags))
                if primary_contact_tags is not None:
                    contact.primary_contact_tags.set(tags_resolve(franchise=franchise, names=primary_contact_tags))
                return contact, created
        except PhoneTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")
