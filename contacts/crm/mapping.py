"""From a CRM record to a contact's fields, and the conflict rule between the CRM and edits here.

## The conflict rule

A contact synced from the CRM remembers, per field, what the CRM last sent and what the field
held here right after that sync (`Contact.crm_base`). At the next sync, for each field:

- **edited here since the last sync** (its value here differs from the one the last sync left):
  the value here wins; the CRM's value is not taken.
- otherwise, if **the CRM changed it** since the last sync, the CRM's value is taken;
- otherwise nothing changes (so an edit made here before the last sync stays until the CRM next
  changes that field: a re-sent, unchanged CRM record never undoes it).

Two exceptions:
- **Do-not-disturb flags**: a `callDND`, `smsDND` or `emailDND` that is true in the CRM always
  sets do-not-call / do-not-text / do-not-email here. An opt-out recorded anywhere holds; the dial
  gate must never dial a contact the CRM says not to call.
- **The first sync of a contact that already existed here** (matched by phone or email, no
  memory yet): what is here stays; the CRM fills the empty fields, and phones, alternate emails
  and tags are merged.

Phones are one field (primary first, then the others), as are tags (compared ignoring case) and
alternate emails.
"""

from __future__ import annotations

import functools
import zoneinfo
from typing import Any

from contacts.crm.client import CrmContact
from contacts.models import Contact
from franchises.phones import InvalidPhone, normalize_phone

SCALARS = (
    "first_name",
    "last_name",
    "organization_name",
    "primary_email",
    "addr_line1",
    "addr_city",
    "addr_state",
    "addr_postal",
    "addr_country",
    "timezone",
    "referred_by",
    "notes",
)
LISTS = ("phones", "alternate_emails", "tags")
FLAGS = ("do_not_call", "do_not_text", "do_not_email")
SYNCED = SCALARS + LISTS + FLAGS

COUNTRY_NAMES = {
    "united states": "US",
    "united states of america": "US",
    "usa": "US",
    "canada": "CA",
    "mexico": "MX",
    "united kingdom": "GB",
    "uk": "GB",
    "australia": "AU",
}


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _fit(field: str, value: str | None) -> str | None:
    """The value cut to the column's length (a CRM may allow longer text than we store)."""
    limit = Contact._meta.get_field(field).max_length
    return value[:limit] if value and limit else value


def crm_values(record: CrmContact, *, region: str) -> tuple[dict[str, Any], list[str]]:
    """The contact's synced fields as this CRM record gives them, and notes on what was left out
    (an unreadable phone, an unknown time zone): worth reporting, never a reason to skip."""
    notes: list[str] = []
    first, last = record.first_name, record.last_name
    if not first and not last and record.name:
        first, _, last = record.name.partition(" ")
    phones: list[str] = []
    for raw in (record.phone, *record.secondary_phones):
        if not raw:
            continue
        try:
            number = normalize_phone(raw, region)
        except InvalidPhone:
            notes.append(f"phone {raw!r} is not a phone number; left out")
            continue
        if number not in phones:
            phones.append(number)
    country = record.country
    if country and len(country.upper()) != 2:  # checked as stored: "ßß" upper-cases to "SSSS"
        country = COUNTRY_NAMES.get(country.lower())
        if country is None:
            notes.append(f"country {record.country!r} is not a two-letter code; left out")
    timezone = record.iana_timezone
    if timezone and timezone not in _time_zones():
        notes.append(f"time zone {timezone!r} is unknown; left out")
        timezone = None
    email = _fit("primary_email", record.email)
    values = {
        "first_name": _fit("first_name", first or None),
        "last_name": _fit("last_name", last or None),
        "organization_name": _fit("organization_name", record.company),
        "primary_email": email,
        "addr_line1": _fit("addr_line1", record.address),
        "addr_city": _fit("addr_city", record.city),
        "addr_state": _fit("addr_state", record.state),
        "addr_postal": _fit("addr_postal", record.zip_code),
        "addr_country": country.upper() if country else None,
        "timezone": timezone,
        "referred_by": _fit("referred_by", record.source),
        "notes": record.note,
        "phones": phones,
        "alternate_emails": [e for e in record.secondary_emails if e.lower() != (email or "").lower()],
        "tags": [name[:100] for name in dict.fromkeys(record.tags)],
        "do_not_call": record.call_dnd,
        "do_not_text": record.sms_dnd,
        "do_not_email": record.email_dnd,
    }
    return values, notes


def same(field: str, a: Any, b: Any) -> bool:
    """Do two values of `field` mean the same? (Empty text is no text; tags ignore case and order.)"""
    if field == "tags":
        return sorted({t.lower() for t in a or []}) == sorted({t.lower() for t in b or []})
    if field in LISTS:
        return list(a or []) == list(b or [])
    if field in FLAGS:
        return bool(a) == bool(b)
    return (a or None) == (b or None)


def _union(here: list[str], crm: list[str], *, fold: bool = False) -> list[str]:
    key = str.lower if fold else str
    seen = {key(v) for v in here}
    return [*here, *(v for v in crm if key(v) not in seen)]


def _first_link(field: str, here: Any, crm: Any) -> Any:
    if field in FLAGS:
        return bool(here) or bool(crm)
    if field in LISTS:
        return _union(list(here or []), list(crm or []), fold=field != "phones")
    return here if here else crm


def merge(*, here: dict[str, Any], crm: dict[str, Any], base: dict[str, Any] | None) -> dict[str, Any]:
    """The conflict rule (module docstring): the fields to change here, given their values here,
    the CRM's values, and the memory of the last sync (`{"crm": {...}, "here": {...}}`, or None
    for a contact never synced)."""
    changes: dict[str, Any] = {}
    for field in SYNCED:
        mine, theirs = here.get(field), crm.get(field)
        known = base is not None and field in base.get("crm", {}) and field in base.get("here", {})
        if not known:
            value = _first_link(field, mine, theirs)
        else:
            edited_here = not same(field, mine, base["here"][field])
            crm_changed = not same(field, theirs, base["crm"][field])
            value = theirs if crm_changed and not edited_here else mine
        if field in FLAGS and theirs:
            value = True
        if not same(field, value, mine):
            changes[field] = value
    return changes


def contact_values(contact: Contact, tag_names: list[str] | None = None) -> dict[str, Any]:
    """The synced fields as they are here (`tag_names` when already loaded)."""
    values = {field: getattr(contact, field) for field in SCALARS + FLAGS}
    values["phones"] = contact.phones
    values["alternate_emails"] = list(contact.alternate_emails or [])
    values["tags"] = tag_names if tag_names is not None else sorted(t.name for t in contact.tags.all())
    return values
