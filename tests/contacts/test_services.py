"""contacts.services: the rules of a contact write hold whoever writes (API, admin, demo, CRM sync),
and a refused write keeps nothing."""

from __future__ import annotations

import pytest

from contacts.models import Contact
from contacts.services import (
    BadContactPhone,
    ContactNotFound,
    PhoneTaken,
    UnknownLocation,
    contact_update,
    contact_upsert,
)


def test_upsert_stores_the_country_in_capitals_and_normalises_phones(franchise_a, location_a):
    contact, created = contact_upsert(
        franchise=franchise_a,
        primary_phone="(312) 555-0100",
        alternate_phones=["312.555.0101"],
        addr_country="us",
        locations=[location_a.pk],
    )
    assert created and contact.addr_country == "US"
    assert contact.phones == ["+13125550100", "+13125550101"]
    assert list(contact.locations.all()) == [location_a]


def test_update_stores_the_country_in_capitals(franchise_a):
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550100")
    contact_update(franchise=franchise_a, contact_id=contact.pk, changes={"addr_country": "ca", "first_name": "Dana"})
    contact.refresh_from_db()
    assert (contact.addr_country, contact.first_name) == ("CA", "Dana")


def test_upsert_refuses_another_franchises_location_and_keeps_nothing(franchise_a, location_b):
    with pytest.raises(UnknownLocation):
        contact_upsert(franchise=franchise_a, primary_phone="+13125550100", locations=[location_b.pk])
    assert not Contact.objects.exists()


def test_upsert_names_the_field_of_a_bad_phone(franchise_a):
    with pytest.raises(BadContactPhone) as bad:
        contact_upsert(franchise=franchise_a, primary_phone="+13125550100", alternate_phones=["12"])
    assert str(bad.value) == "alternate_phones must be valid phone numbers"
    assert not Contact.objects.exists()


def test_update_of_another_franchises_contact_is_not_found_and_changes_nothing(franchise_a, franchise_b):
    theirs, _ = contact_upsert(franchise=franchise_b, primary_phone="+13125550100", first_name="Erin")
    with pytest.raises(ContactNotFound):
        contact_update(franchise=franchise_a, contact_id=theirs.pk, changes={"first_name": "Mallory"})
    theirs.refresh_from_db()
    assert theirs.first_name == "Erin"


def test_update_with_a_phone_of_another_contact_is_refused_whole(franchise_a):
    dana, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550100", first_name="Dana")
    contact_upsert(franchise=franchise_a, primary_phone="+13125550200")
    with pytest.raises(PhoneTaken):
        contact_update(
            franchise=franchise_a, contact_id=dana.pk, changes={"first_name": "X", "alternate_phones": ["+13125550200"]}
        )
    dana.refresh_from_db()
    assert (dana.first_name, dana.phones) == ("Dana", ["+13125550100"])
