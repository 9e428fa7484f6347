"""`GET|PATCH|POST /data/contacts` (see specs/data-share-api.txt).

A page (or one contact) is one query on PostgreSQL whatever its size, five elsewhere: see
`contacts.queries.contact_rows`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router

from config.api_base import Text, json_response
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
from contacts.services import ContactNotFound, contact_update, contact_upsert
from franchises.models import Franchise

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
            raise ContactNotFound()
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
    contact, created = contact_upsert(
        franchise=franchise,
        primary_phone=data.pop("primary_phone"),
        alternate_phones=data.pop("alternate_phones", None) or [],
        tags=data.pop("tags", None),
        primary_contact_tags=data.pop("primary_contact_tags", None),
        locations=data.pop("location_id", None),
        **data,
    )
    body = {"contact": contact_one(franchise, contact.pk), "matched_existing": not created}
    return json_response(body, status=201 if created else 200)
