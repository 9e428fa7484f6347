"""`GET|PATCH|POST /data/contacts` (see specs/data-share-api.txt).

A page (or one contact) is one query on PostgreSQL whatever its size, five elsewhere: see
`contacts.queries.contact_rows`.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from ninja import Header, Query, Router

from config.api_base import Text, error_response, json_response
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
from contacts.services import ContactChanged, ContactNotFound, contact_update, contact_upsert
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
    "version",
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


def contact_one(franchise: Franchise, contact_id: int) -> tuple[dict, str] | None:
    """One contact in the API shape, and its ETag (its version)."""
    rows = contact_rows(franchise, Contact.objects.filter(franchise=franchise, pk=contact_id), columns=COLUMNS)
    return (contact_dict(rows[0]), etag(rows[0]["version"])) if rows else None


def etag(version: int) -> str:
    return f'"{version}"'


def if_match_versions(header: str | None) -> list[int] | None:
    """The versions an `If-Match` header names; None when it is absent or `*` (any version). Weak or
    malformed tags name no version, so they never match (If-Match compares strongly)."""
    if header is None or header.strip() == "*":
        return None
    tags = (tag.strip() for tag in header.split(","))
    return [int(tag[1:-1]) for tag in tags if len(tag) > 2 and tag[0] == tag[-1] == '"' and tag[1:-1].isdigit()]


def contact_response(body: dict, tag: str, status: int = 200) -> HttpResponse:
    response = json_response(body, status=status)
    response["ETag"] = tag
    return response


ETAG_HEADER = {
    "ETag": {"description": "The contact's version: send it back in `If-Match` on PATCH", "schema": {"type": "string"}}
}


@router.get(
    "/contacts",
    response={200: ContactsPage | ContactOne, 404: Error, **ERRORS},
    summary="List contacts, or read one with ?id=",
    description="With `?id=` the answer carries the contact's version as an `ETag`; send it back in `If-Match` "
    "on PATCH so a change made meanwhile by someone else is never overwritten.",
    openapi_extra={"responses": {200: {"headers": ETAG_HEADER}}},
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
        found = contact_one(franchise, id)
        if found is None:
            raise ContactNotFound()
        contact, tag = found
        return contact_response({"scope": scope, "contact": contact}, tag)
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
    response={200: ContactWritten, 412: Error, **WRITE_ERRORS},
    summary="Update a contact",
    description="Only the fields in the body change. `tags`, `primary_contact_tags`, `alternate_phones` and "
    "`location_id` replace the lists. A phone that belongs to another contact is a 409 `phone_taken`.\n\n"
    "Optimistic concurrency: every contact carries a version, the `ETag` of `GET /data/contacts?id=` (and of "
    "this answer). Send it in `If-Match` and the update applies only if the contact is still at that version; "
    "if someone changed it meanwhile, nothing is written and the answer is a 412 `precondition_failed` with "
    "the current `ETag`: read the contact again, re-apply your change, send it again. Without `If-Match` the "
    "update applies to whatever is stored (the last write wins).",
    openapi_extra={"responses": {200: {"headers": ETAG_HEADER}, 412: {"headers": ETAG_HEADER}}},
)
def update_contact(
    request: HttpRequest,
    payload: ContactPatchIn,
    if_match: Annotated[
        Text(1000) | None, Header(alias="If-Match", description="The ETag read: update only that version")
    ] = None,
) -> HttpResponse:
    franchise = request.auth.franchise
    changes = payload.model_dump(exclude_unset=True, exclude={"id"})
    try:
        contact_update(
            franchise=franchise, contact_id=payload.id, changes=changes, if_version=if_match_versions(if_match)
        )
    except ContactChanged as exc:
        return error_response(412, exc.code, exc.detail, {"ETag": etag(exc.version)})
    contact, tag = contact_one(franchise, payload.id)
    return contact_response({"contact": contact}, tag)


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
    written, tag = contact_one(franchise, contact.pk)
    return contact_response({"contact": written, "matched_existing": not created}, tag, status=201 if created else 200)
