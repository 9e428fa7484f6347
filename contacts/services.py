"""Writing contacts: every write of phones goes through here so `ContactPhone` stays in step.

The services raise the contact errors below, domain errors in the operator's words; the API's
composition root (`config/api.py`) maps them to HTTP statuses, the admin and pages to form errors.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.db.models import F

from config.errors import Conflict, DomainError, NotFound, PreconditionFailed
from contacts.models import Contact, ContactChange, ContactPhone, Tag
from franchises.models import Franchise, Location
from franchises.phones import InvalidPhone, normalize_phones

# The plain columns a client may write (the lists, phones and locations have their own rules).
CONTACT_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "organization_name",
        "is_business",
        "primary_email",
        "alternate_emails",
        "notes",
        "referred_by",
        *(f"addr_{part}" for part in Contact.ADDRESS_FIELDS),
        "timezone",  # the contact's own IANA zone (the CRM sync writes it)
    }
)


class ContactError(DomainError):
    """A contact write the rules refuse; nothing of it was kept."""


class ContactNotFound(ContactError, NotFound):
    def __init__(self) -> None:
        super().__init__("Contact not found")


class PhoneTaken(ContactError, Conflict, ValueError):
    """A phone given for a contact already belongs to another contact of the franchise."""

    code = "phone_taken"

    def __init__(self, number: str, contact_id: int, field: str | None = None):
        super().__init__(f"{number} already belongs to contact {contact_id}")
        self.number = number
        self.contact_id = contact_id
        self.field = field  # "primary_phone" or "alternate_phones", when the writer knows


class StaleEdit(ContactError, Conflict):
    """The fields an editor is saving changed since they were read: saving would lose that change."""

    code = "stale_edit"

    def __init__(self, fields: Iterable[str]) -> None:
        self.fields = sorted(fields)
        super().__init__(f"{', '.join(self.fields)} changed since you opened them")


class TagAlreadyOn(ContactError, Conflict):
    """The tag asked for is already on the contact's list."""

    code = "tag_already_on"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is already on this contact")
        self.name = name


class ContactChanged(ContactError, PreconditionFailed):
    """The contact is no longer at the version the client read (its If-Match)."""

    def __init__(self, version: int) -> None:
        super().__init__(
            f"The contact has changed since you read it (it is at version {version} now): read it again, "
            "re-apply your change and send it with the new ETag"
        )
        self.version = version


class BadContactPhone(ContactError, ValueError):
    """One of the phones given in `field` is not a possible phone number."""

    code = "invalid_phone"

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} must be valid phone numbers")
        self.field = field


class UnknownLocation(ContactError):
    """A location id that is not one of the franchise's locations."""

    code = "invalid_location"

    def __init__(self) -> None:
        super().__init__("location_id must list locations of your franchise")


def _phones(franchise: Franchise, raws: Iterable[str], field: str) -> list[str]:
    try:
        return normalize_phones(raws, franchise.phone_region)
    except InvalidPhone:
        raise BadContactPhone(field) from None


def _locations(franchise: Franchise, ids: Iterable[uuid.UUID | str]) -> list[Location]:
    ids = set(ids)
    locations = list(Location.objects.filter(franchise=franchise, id__in=ids))
    if len(locations) != len(ids):
        raise UnknownLocation()
    return locations


class BadCountry(ContactError, ValueError):
    """`addr_country` is not two letters once upper-cased ("ßß" becomes "SSSS")."""

    code = "invalid_country"

    def __init__(self) -> None:
        super().__init__("addr_country must be a two-letter country code")


def _with_rules(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Plain column values as stored: a country code is upper case, whoever wrote it, and checked
    after that (upper-casing may lengthen it)."""
    fields = dict(fields)
    if fields.get("addr_country"):
        fields["addr_country"] = fields["addr_country"].upper()
        if len(fields["addr_country"]) > Contact._meta.get_field("addr_country").max_length:
            raise BadCountry()
    return fields


# The do-not-disturb flags: staff, the dialer and the CRM sync set them, the API only reads them.
DO_NOT_FIELDS = frozenset({"do_not_call", "do_not_text", "do_not_email"})
# What a contact's history follows: its own columns, its phones, and its lists of tags and locations.
TRACKED_FIELDS = (*sorted(CONTACT_FIELDS | DO_NOT_FIELDS), "primary_phone", "alternate_phones")
Source = ContactChange.Source


def contact_snapshot(
    contact: Contact,
    *,
    tags: Iterable[str] | None = None,
    primary_contact_tags: Iterable[str] | None = None,
    locations: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The contact's tracked values as JSON-ready data (None for a contact not saved yet). Lists of
    names already known (a contact just created with them) may be given, saving their queries."""
    if contact.pk is None:
        return {}
    values = {name: getattr(contact, name) for name in TRACKED_FIELDS}
    lists = {"tags": tags, "primary_contact_tags": primary_contact_tags, "locations": locations}
    for name, known in lists.items():
        related = getattr(contact, name)
        values[name] = sorted(known if known is not None else related.values_list("name", flat=True))
    return values


def contact_fingerprint(contact: Contact, fields: Iterable[str]) -> str:
    """A short digest of these columns of `contact` as they are now (a blank is a blank, None or ""):
    an editor sends back the one it was given, and a save whose fields changed meanwhile is refused."""
    values = {name: getattr(contact, name) for name in sorted(fields)}
    values = {name: None if value in ("", None, []) else value for name, value in values.items()}
    return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:20]


@contextmanager
def contact_changes(
    contact: Contact, *, source: str, by: AbstractBaseUser | None = None, reason: str = ""
) -> Iterator[None]:
    """Record what the block changes in the saved `contact` as one `ContactChange` (none when nothing
    changed). Use it inside the write's transaction, so a refused write leaves no history either."""
    before = contact_snapshot(contact)
    yield
    contact_change_record(contact, before, source=source, by=by, reason=reason)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list]:
    """Each tracked field that differs, as [before, after]."""
    # None and "" are one blank (forms write "", the API null); a new contact records the values it got.
    blank = (None, "", []) if before else (None, "", [], False)
    return {
        name: [before.get(name), value]
        for name, value in after.items()
        if before.get(name) != value and not (before.get(name) in blank and value in blank)
    }


def _change_row(
    contact: Contact, changed: dict[str, list], *, source: str, by: AbstractBaseUser | None, reason: str
) -> ContactChange:
    return ContactChange(
        franchise_id=contact.franchise_id,
        contact=contact,
        by=by if by is not None and by.is_authenticated else None,
        source=source,
        changes=changed,
        reason=reason[:500],
    )


def contact_change_record(
    contact: Contact, before: dict[str, Any], *, source: str, by: AbstractBaseUser | None = None, reason: str = ""
) -> None:
    """Keep what changed since `before` (a `contact_snapshot`; {} for a new contact) as one
    `ContactChange`; nothing when nothing changed."""
    changed = _changed(before, contact_snapshot(contact))
    if changed:
        _change_row(contact, changed, source=source, by=by, reason=reason).save()
        Contact.objects.filter(pk=contact.pk).update(version=F("version") + 1)
        contact.version += 1


def contact_set_phones(*, contact: Contact, primary: str | None, alternates: Iterable[str]) -> None:
    """Give `contact` these (already E.164) phones. Raises PhoneTaken when one belongs to another
    contact of the franchise; the caller's transaction then rolls back and nothing changes."""
    alternates = [p for p in dict.fromkeys(alternates) if p and p != primary]
    wanted = ([primary] if primary else []) + alternates
    existing = {row.number: row for row in ContactPhone.objects.filter(contact=contact)}
    ContactPhone.objects.filter(contact=contact).exclude(number__in=wanted).delete()
    # New numbers are inserted in one global order: two writes claiming each other's phones
    # ({P1, alt P2} and {P2, alt P1}) then wait on the same entry first instead of deadlocking, and
    # the loser's PhoneTaken sends contact_upsert back to find the winner.
    for number in sorted(wanted):
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
                raise PhoneTaken(number, owner or 0, "primary_phone" if is_primary else "alternate_phones") from None
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


def contact_tags_add(
    *,
    contact: Contact,
    kind: str,
    names: Iterable[str],
    by: AbstractBaseUser | None = None,
    source: str = Source.STAFF,
    refuse_present: bool = False,
) -> None:
    """Add tags by name to the contact's `kind` list ("tags" or "primary_contact_tags"), creating
    the franchise's missing tags. Each is added on its own (never the whole list rewritten), so
    tags someone else added or removed meanwhile stay as they left them. With `refuse_present`,
    a tag already on the list raises TagAlreadyOn and nothing changes."""
    with transaction.atomic(), contact_changes(contact, source=source, by=by):
        tags = tags_resolve(franchise=contact.franchise, names=names)
        related = getattr(contact, kind)
        if refuse_present:
            present = related.filter(pk__in=[t.pk for t in tags]).first()
            if present is not None:
                raise TagAlreadyOn(present.name)
        related.add(*tags)


def contact_tag_remove(
    *, contact: Contact, kind: str, tag: Tag, by: AbstractBaseUser | None = None, source: str = Source.STAFF
) -> None:
    """Take one tag off the contact's `kind` list (the tag stays for other contacts); the rest of
    the list is left as it is, whatever another editor did to it meanwhile."""
    with transaction.atomic(), contact_changes(contact, source=source, by=by):
        getattr(contact, kind).remove(tag)


def contact_upsert(
    *,
    franchise: Franchise,
    primary_phone: str,
    alternate_phones: Iterable[str] = (),
    tags: Iterable[str] | None = None,
    primary_contact_tags: Iterable[str] | None = None,
    locations: Iterable[uuid.UUID | str] | None = None,
    by: AbstractBaseUser | None = None,
    source: str = Source.API,
    reason: str = "",
    **fields: Any,
) -> tuple[Contact, bool]:
    """Create the contact owning `primary_phone`, or update the existing contact that owns it or any
    of `alternate_phones` (phones in any format the franchise's region reads). `locations` (ids of
    the franchise's locations) replaces the contact's. Returns (contact, created). The change is
    kept in the contact's history as made by `by` through `source`.
    Raises BadContactPhone, UnknownLocation or PhoneTaken, and then nothing is kept.

    Two concurrent calls with one new phone make one contact: the loser's ContactPhone insert
    waits on the winner's unique-index entry, fails, and the retry finds and updates the winner.
    """
    primary_phone = _phones(franchise, [primary_phone], "primary_phone")[0]
    alternate_phones = _phones(franchise, alternate_phones, "alternate_phones")
    found_locations = _locations(franchise, locations) if locations is not None else None
    fields = _with_rules(fields)
    for attempt in range(3):
        try:
            with transaction.atomic():
                contact = contact_find_by_phones(franchise=franchise, phones=[primary_phone, *alternate_phones])
                created = contact is None
                before = {} if created else contact_snapshot(contact)
                if created:
                    contact = Contact.objects.create(franchise=franchise, **fields)
                else:
                    for name, value in fields.items():
                        setattr(contact, name, value)
                    contact.save()
                merged = list(alternate_phones) if created else [*contact.alternate_phones, *alternate_phones]
                primary = primary_phone if created or not contact.primary_phone else contact.primary_phone
                if primary != primary_phone:
                    merged.append(primary_phone)
                contact_set_phones(contact=contact, primary=primary, alternates=merged)
                if tags is not None:
                    contact.tags.set(tags_resolve(franchise=franchise, names=tags))
                if primary_contact_tags is not None:
                    contact.primary_contact_tags.set(tags_resolve(franchise=franchise, names=primary_contact_tags))
                if found_locations is not None:
                    contact.locations.set(found_locations)
                contact_change_record(contact, before, source=source, by=by, reason=reason)
                return contact, created
        except PhoneTaken:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class NewContact:
    """One contact for `contact_create_many`: its column values, its (E.164) phones, the first
    primary, and its tags (the franchise's Tag rows)."""

    fields: dict[str, Any]
    phones: Sequence[str] = ()
    tags: Sequence[Tag] = ()


def contact_create_many(
    *,
    franchise: Franchise,
    new: Sequence[NewContact],
    by: AbstractBaseUser | None = None,
    source: str,
    reason: str = "",
) -> list[Contact]:
    """`contact_create` for a batch, in a few bulk inserts (a CRM's first sync brings thousands):
    the same rows, the same history. Raises PhoneTaken, keeping nothing, when a phone belongs to
    another contact (the unique constraint still decides); the caller may then create them one by one."""
    with transaction.atomic():
        numbers = [list(dict.fromkeys(p for p in item.phones if p)) for item in new]
        contacts = Contact.objects.bulk_create(
            [
                Contact(
                    franchise=franchise,
                    primary_phone=phones[0] if phones else None,
                    alternate_phones=phones[1:],
                    **_with_rules(item.fields),
                )
                for item, phones in zip(new, numbers, strict=True)
            ]
        )
        phones = [
            ContactPhone(franchise=franchise, contact=contact, number=number, is_primary=n == 0)
            for contact, own in zip(contacts, numbers, strict=True)
            for n, number in enumerate(own)
        ]
        try:
            with transaction.atomic():
                ContactPhone.objects.bulk_create(phones)
        except IntegrityError:
            taken = ContactPhone.objects.filter(franchise=franchise, number__in=[p.number for p in phones]).first()
            raise PhoneTaken(taken.number, taken.contact_id) if taken else PhoneTaken("a phone", 0) from None
        through = Contact.tags.through
        links = [
            through(contact_id=contact.pk, tag_id=tag.pk)
            for contact, item in zip(contacts, new, strict=True)
            for tag in {t.pk: t for t in item.tags}.values()
        ]
        through.objects.bulk_create(links)
        history = []
        for contact, item in zip(contacts, new, strict=True):
            after = contact_snapshot(contact, tags=[t.name for t in item.tags], primary_contact_tags=[], locations=[])
            history.append(_change_row(contact, _changed({}, after), source=source, by=by, reason=reason))
        ContactChange.objects.bulk_create(history)
    return contacts


def contact_create(
    *,
    franchise: Franchise,
    phones: Sequence[str] = (),
    tags: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
    source: str,
    reason: str = "",
    **fields: Any,
) -> Contact:
    """Create a contact with these (already E.164) phones, the first one primary — or none: a contact
    may be known by a name or an email alone — and tags by name, kept in its history as made by `by`
    through `source`. Unlike `contact_upsert` it matches nothing: the caller has decided this is a
    new contact. Raises PhoneTaken when a phone belongs to another contact, and then keeps nothing."""
    with transaction.atomic():
        item = NewContact(fields=fields, phones=phones, tags=tags_resolve(franchise=franchise, names=tags))
        return contact_create_many(franchise=franchise, new=[item], by=by, source=source, reason=reason)[0]


def contact_update(
    *,
    franchise: Franchise,
    contact_id: int,
    changes: Mapping[str, Any],
    by: AbstractBaseUser | None = None,
    source: str = Source.API,
    reason: str = "",
    seen: str | None = None,
    if_version: Iterable[int] | None = None,
) -> Contact:
    """Apply `changes` (only the fields a client sent: plain fields, the do-not-call/text/email
    flags, `primary_phone`, `alternate_phones`, `tags`, `primary_contact_tags`, `location_id`) to
    the franchise's contact, all or nothing, and keep the change in its history as made by `by`
    through `source`, for `reason`. With `seen` (the `contact_fingerprint` of the changed columns
    when the editor read them), a save over someone else's change of them raises StaleEdit. With
    `if_version` (the versions the client would write over, from its If-Match), a contact at any
    other version is left alone: ContactChanged. Raises ContactNotFound, BadContactPhone,
    UnknownLocation or PhoneTaken."""
    primary = None
    if changes.get("primary_phone") is not None:
        primary = _phones(franchise, [changes["primary_phone"]], "primary_phone")[0]
    alternates = (
        _phones(franchise, changes["alternate_phones"], "alternate_phones") if "alternate_phones" in changes else None
    )
    locations = _locations(franchise, changes["location_id"]) if "location_id" in changes else None
    with transaction.atomic():
        # Lock the row: two updates of one contact apply one after the other, never interleaved.
        contact = Contact.objects.select_for_update().filter(franchise=franchise, pk=contact_id).first()
        if contact is None:
            raise ContactNotFound()
        if seen is not None and contact_fingerprint(contact, changes) != seen:
            raise StaleEdit(changes)
        if if_version is not None and contact.version not in set(if_version):
            raise ContactChanged(contact.version)
        before = contact_snapshot(contact)
        plain = CONTACT_FIELDS | DO_NOT_FIELDS
        for name, value in _with_rules({k: v for k, v in changes.items() if k in plain}).items():
            setattr(contact, name, value)
        contact.save()
        if "primary_phone" in changes or alternates is not None:
            contact_set_phones(
                contact=contact,
                primary=primary if "primary_phone" in changes else contact.primary_phone,
                alternates=alternates if alternates is not None else contact.alternate_phones,
            )
        if "tags" in changes:
            contact.tags.set(tags_resolve(franchise=franchise, names=changes["tags"]))
        if "primary_contact_tags" in changes:
            contact.primary_contact_tags.set(tags_resolve(franchise=franchise, names=changes["primary_contact_tags"]))
        if locations is not None:
            contact.locations.set(locations)
        contact_change_record(contact, before, source=source, by=by, reason=reason)
    return contact


def contact_add(
    *,
    franchise: Franchise,
    primary_phone: str | None = None,
    alternate_phones: Iterable[str] = (),
    by: AbstractBaseUser | None = None,
    source: str,
    reason: str = "",
    **fields: Any,
) -> Contact:
    """A new contact from what a person typed: phones in any format the franchise's region reads.
    Raises BadContactPhone or PhoneTaken (naming the field), and then keeps nothing."""
    primary = _phones(franchise, [primary_phone], "primary_phone") if primary_phone else []
    alternates = _phones(franchise, alternate_phones, "alternate_phones")
    try:
        return contact_create(
            franchise=franchise, phones=[*primary, *alternates], by=by, source=source, reason=reason, **fields
        )
    except PhoneTaken as exc:
        exc.field = "primary_phone" if exc.number in primary else "alternate_phones"
        raise
