"""Shapes of `/data/contacts` (see specs/data-share-api.txt).

Write bodies forbid unknown fields (a 400), so a client can never set a franchise, an id or any
column the spec does not list as writable. Lengths match the columns, so nothing a client sends
can fail inside the database.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from ninja import Schema
from pydantic import ConfigDict, Field

from config.api_base import Text
from config.schemas import Pagination

MAX_ID = 2**63 - 1  # bigint: anything larger cannot be a contact id
ContactId = Annotated[int, Field(ge=1, le=MAX_ID)]
Phone = Text(40)
Email = Text(254)
TagName = Text(100)


class Address(Schema):
    line1: str | None
    line2: str | None
    city: str | None
    state: str | None
    postal: str | None
    country: str | None


class ContactOut(Schema):
    id: int
    first_name: str | None
    last_name: str | None
    organization_name: str | None
    is_business: bool
    primary_phone: str | None
    primary_email: str | None
    alternate_phones: list[str]
    alternate_emails: list[str]
    tags: list[str]
    primary_contact_tags: list[str]
    notes: str | None
    referred_by: str | None
    address: Address
    location_id: list[UUID]
    total_calls: int
    last_contact_date: datetime | None
    lifetime_value: float | None
    is_verified: bool
    created_at: datetime
    updated_at: datetime


class ContactsScope(Schema):
    franchise_id: UUID


class ContactsPage(Schema):
    scope: ContactsScope
    pagination: Pagination
    contacts: list[ContactOut]


class ContactOne(Schema):
    scope: ContactsScope
    contact: ContactOut


class ContactWritten(Schema):
    contact: ContactOut


class ContactCreated(Schema):
    contact: ContactOut
    matched_existing: bool


class ContactFields(Schema):
    """The writable fields of a contact; on PATCH only those present in the body change."""

    model_config = ConfigDict(extra="forbid")

    first_name: Text(100) | None = None
    last_name: Text(100) | None = None
    organization_name: Text(200) | None = None
    is_business: bool = None  # type: ignore[assignment]  # may be left out, never null
    primary_email: Email | None = None
    alternate_phones: list[Phone] = Field(None, max_length=20)  # type: ignore[assignment]
    alternate_emails: list[Email] = Field(None, max_length=20)  # type: ignore[assignment]
    tags: list[TagName] = Field(None, max_length=50)  # type: ignore[assignment]
    primary_contact_tags: list[TagName] = Field(None, max_length=50)  # type: ignore[assignment]
    notes: Text(20000) | None = None
    referred_by: Text(200) | None = None
    addr_line1: Text(200) | None = None
    addr_line2: Text(200) | None = None
    addr_city: Text(100) | None = None
    addr_state: Text(100) | None = None
    addr_postal: Text(20) | None = None
    addr_country: Text(2) | None = None
    location_id: list[UUID] = Field(None, max_length=50)  # type: ignore[assignment]


class ContactPatchIn(ContactFields):
    id: ContactId
    primary_phone: Phone = None  # type: ignore[assignment]  # may be left out, never null: a contact keeps one


class ContactCreateIn(ContactFields):
    primary_phone: Phone
