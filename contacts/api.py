"""`GET|PATCH|POST /data/contacts` (see specs/data-share-api.txt).

A page (or one contact) is one query on PostgreSQL whatever its size, five elsewhere: see
`contacts.queries.contact_rows`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated
from uuid import UUID

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from config.api_base import ApiError, Text, json_response
from config.keyset import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from config.schemas import ERRORS, Error
from contacts.models import Contact
from contacts.queries import ContactFilters, contact_rows, contacts_for, keyset_after, next_cursor
from contacts.schemas import (
    MAX_ID,
    ContactCreated,
    ContactCreateIn,
    ContactOne,
    ContactPatchIn,
    ContactsPage,
    ContactWritten,
)
from contacts.services import PhoneTaken, contact_set_phones, contact_upsert, tags_resolve
from franchises.models import Franchise, Location
from franchises.phones import InvalidPhone, normalize_phones

router = Router(tags=["contacts"])

COLUMNS = (
    "id",
    "first_name",
    "last_name",
    "organization_name",
    "is_business",
    "primary_phone",
    "primary_email",
    "alternate_phones",
    "alternate_emails",
    "notes",
    "referred_by",
    *(f"addr_{part}" for part in Contact.ADDRESS_FIELDS),
    "lifetime_value",
    "is_verified",
    "created_at",
    "updated_at",
)
SIMPLE_FIELDS = {
    "first_name",
    "last_name",
    "organization_name",
    "is_business",
    "primary_email",
    "alternate_emails",
    "notes",
    "referred_by",
    *(f"addr_{part}" for part in Contact.ADDRESS_FIELDS),
}


def contact_dict(row: dict) -> dict:
    """The API shape of a `contact_rows` row, fields in the spec's order."""
    value = row["lifetime_value"]
    return {
        "id": row["id"],
        "first_name": row["first_name"],
        "last_name": row["last_name"],
        "organization_name": row["organization_name"],
        "is_business": row["is_business"],
        "primary_phone": row["primary_phone"],
        "primary_email": row["primary_email"],
        "alternate_phones": row["alternate_phones"],
        "alternate_emails": row["alternate_emails"],
        "tags": row["tag_names"],
        "primary_contact_tags": row["primary_tag_names"],
        "notes": row["notes"],
        "referred_by": row["referred_by"],
        "address": {part: row[f"addr_{part}"] for part in Contact.ADDRESS_FIELDS},
        "location_id": row["location_ids"],
        "total_calls": row["total_calls"],
        "last_contact_date": row["last_contact_date"],
        "lifetime_value": float(value) if value is not None else None,
        "is_verified": row["is_verified"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def contact_one(franchise: Franchise, contact_id: int) -> dict | None:
    rows = contact_rows(franchise, Contact.objects.filter(franchise=franchise, pk=contact_id), columns=COLUMNS)
    return contact_dict(rows[0]) if rows else None


def _contact_not_found() -> ApiError:
    return ApiError(404, "not_found", "Contact not found")


@router.get(
    "/contacts",
    response={200: ContactsPage | ContactOne, 404: Error, **ERRORS},
    summary="List contacts, or read one with ?id=",
)
def list_contacts(
    request: HttpRequest,
    id: int | None = Query(None, ge=1, le=MAX_ID, description="Return this one contact"),  # noqa: A002
    phone: Annotated[Text(40) | None, Query(description="Primary or alternate phone, any format")] = None,
    search: Annotated[Text(200) | None, Query(description="Name, organization, email or phone")] = None,
    location_id: UUID | None = None,
    cursor: Annotated[Text(500) | None, Query(description="next_cursor of the previous page")] = None,
    page_size: int = Query(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE),
) -> HttpResponse:
    franchise = request.auth.franchise
    scope = {"franchise_id": franchise.id}
    if id is not None:
        contact = contact_one(franchise, id)
        if contact is None:
            raise _contact_not_found()
        return json_response({"scope": scope, "contact": contact})
    filters = ContactFilters.parse(
        franchise, phone=phone, search=search, location_id=str(location_id) if location_id else None
    )
    qs = keyset_after(contacts_for(franchise, filters), cursor)
    rows = contact_rows(franchise, qs, columns=COLUMNS, limit=page_size + 1)
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    return json_response(
        {
            "scope": scope,
            "pagination": {
                "page_size": page_size,
                "has_more": has_more,
                "next_cursor": next_cursor(rows[-1]["id"]) if has_more else None,
            },
            "contacts": [contact_dict(row) for row in rows],
        }
    )


def _phones(franchise: Franchise, raw: Iterable[str], field: str) -> list[str]:
    try:
        return normalize_phones(raw, franchise.phone_region)
    except InvalidPhone:
        raise ApiError(400, "invalid_phone", f"{field} must be valid phone numbers") from None


def _locations(franchise: Franchise, ids: list[UUID]) -> list[Location]:
    locations = list(Location.objects.filter(franchise=franchise, id__in=ids))
    if len(locations) != len(set(ids)):
        raise ApiError(400, "invalid_location", "location_id must list locations of your franchise")
    return locations


def _phone_taken(exc: PhoneTaken) -> ApiError:
    return ApiError(409, "phone_taken", f"{exc.number} already belongs to contact {exc.contact_id}")


def _simple(changes: dict) -> dict:
    fields = {name: value for name, value in changes.items() if name in SIMPLE_FIELDS}
    if fields.get("addr_country"):
        fields["addr_country"] = fields["addr_country"].upper()
    return fields


def contact_update(*, franchise: Franchise, contact_id: int, changes: dict) -> None:
    """Apply `changes` (only the fields a client sent) to the franchise's contact, all or nothing."""
    primary = None
    if changes.get("primary_phone") is not None:
        primary = _phones(franchise, [changes["primary_phone"]], "primary_phone")[0]
    alternates = (
        _phones(franchise, changes["alternate_phones"], "alternate_phones") if "alternate_phones" in changes else None
    )
    locations = _locations(franchise, changes["location_id"]) if "location_id" in changes else None
    with transaction.atomic():
        # Lock the row: two PATCHes of one contact apply one after the other, never interleaved.
        contact = Contact.objects.select_for_update().filter(franchise=franchise, pk=contact_id).first()
        if contact is None:
            raise _contact_not_found()
        for name, value in _simple(changes).items():
            setattr(contact, name, value)
        contact.save()
        if "primary_phone" in changes or alternates is not None:
            new_primary = primary if "primary_phone" in changes else contact.primary_phone
            try:
                contact_set_phones(
                    contact=contact,
                    primary=new_primary,
                    alternates=alternates if alternates is not None else contact.alternate_phones,
                )
            except PhoneTaken as exc:
                raise _phone_taken(exc) from None
        if "tags" in changes:
            contact.tags.set(tags_resolve(franchise=franchise, names=changes["tags"]))
        if "primary_contact_tags" in changes:
            contact.primary_contact_tags.set(tags_resolve(franchise=franchise, names=changes["primary_contact_tags"]))
        if locations is not None:
            contact.locations.set(locations)


WRITE_ERRORS = {404: Error, 409: Error, 413: Error, **ERRORS}


@router.patch(
    "/contacts",
    response={200: ContactWritten, **WRITE_ERRORS},
    summary="Update a contact",
    description="Only the fields in the body change. `tags`, `primary_contact_tags`, `alternate_phones` and "
    "`location_id` replace the lists. A phone that belongs to another contact is a 409 `phone_taken`.",
)
def update_contact(request: HttpRequest, payload: ContactPatchIn) -> HttpResponse:
    franchise = request.auth.franchise
    changes = payload.model_dump(exclude_unset=True, exclude={"id"})
    contact_update(franchise=franchise, contact_id=payload.id, changes=changes)
    return json_response({"contact": contact_one(franchise, payload.id)})


@router.post(
    "/contacts",
    response={200: ContactCreated, 201: ContactCreated, **WRITE_ERRORS},
    summary="Create a contact, or update the one with a matching phone",
    description="Matches an existing contact of your franchise by any of its phones: then it is updated and "
    "`matched_existing` is true (200); otherwise a contact is created (201).",
)
def create_contact(request: HttpRequest, payload: ContactCreateIn) -> HttpResponse:
    franchise = request.auth.franchise
    data = payload.model_dump(exclude_unset=True)
    primary = _phones(franchise, [data["primary_phone"]], "primary_phone")[0]
    alternates = _phones(franchise, data.get("alternate_phones", []), "alternate_phones")
    locations = _locations(franchise, data["location_id"]) if "location_id" in data else None
    try:
        with transaction.atomic():
            contact, created = contact_upsert(
                franchise=franchise,
                primary_phone=primary,
                alternate_phones=alternates,
                tags=data.get("tags"),
                primary_contact_tags=data.get("primary_contact_tags"),
                **_simple(data),
            )
            if locations is not None:
                contact.locations.set(locations)
    except PhoneTaken as exc:
        raise _phone_taken(exc) from None
    body = {"contact": contact_one(franchise, contact.pk), "matched_existing": not created}
    return json_response(body, status=201 if created else 200)
