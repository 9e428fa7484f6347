"""The contacts admin's search finds a contact, and a phone row, by a phone fragment written any way,
in the user's own franchise (the staff pages' rule)."""

from __future__ import annotations

import pytest

from contacts.services import contact_upsert
from franchises.roles import staff_groups_sync


@pytest.mark.parametrize("q", ["555-1023", "(312) 555-1023", "555 1023", "3125551023"])
def test_the_admin_finds_a_contact_by_a_partial_phone(client, alice, franchise_a, franchise_b, q):
    staff_groups_sync(alice)
    client.force_login(alice)
    contact_upsert(franchise=franchise_a, primary_phone="+13125551023", first_name="Mine")
    contact_upsert(franchise=franchise_a, primary_phone="+13125559999", first_name="Notme")
    contact_upsert(franchise=franchise_b, primary_phone="+13125551023", first_name="Theirs")
    for url in ("/admin/contacts/contact/", "/admin/contacts/contactphone/"):
        page = client.get(url, {"q": q}).content.decode()
        assert "Mine" in page, url
        assert "Notme" not in page and "Theirs" not in page, url
