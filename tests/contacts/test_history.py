"""A contact's history: every write through the contact services keeps who, when, what and why."""

from __future__ import annotations

import pytest

from contacts.models import Contact, ContactChange
from contacts.services import PhoneTaken, contact_tags_add, contact_update, contact_upsert
from franchises.roles import staff_groups_sync

Source = ContactChange.Source


@pytest.fixture
def contact(franchise_a) -> Contact:
    contact, _ = contact_upsert(franchise=franchise_a, primary_phone="+1 555 010 0001", first_name="Dana")
    return contact


def test_a_new_contact_records_the_values_it_was_given(contact):
    (change,) = contact.changes.all()
    assert change.source == Source.API
    assert change.changes == {"first_name": [None, "Dana"], "primary_phone": [None, "+15550100001"]}


def test_an_update_records_each_changed_field_with_who_and_why(franchise_a, contact, bob):
    contact_update(
        franchise=franchise_a,
        contact_id=contact.pk,
        changes={"do_not_call": True, "first_name": "Dana", "tags": ["VIP"]},
        by=bob,
        source=Source.DIALER,
        reason="Disposition: Do Not Call",
    )
    latest = contact.changes.first()
    assert (latest.by, latest.source, latest.reason) == (bob, Source.DIALER, "Disposition: Do Not Call")
    assert latest.changes == {"do_not_call": [False, True], "tags": [[], ["VIP"]]}


def test_a_write_that_changes_nothing_records_nothing(franchise_a, contact):
    contact_update(franchise=franchise_a, contact_id=contact.pk, changes={"first_name": "Dana"})
    assert contact.changes.count() == 1


def test_a_refused_write_leaves_no_history(franchise_a, contact):
    contact_upsert(franchise=franchise_a, primary_phone="+1 555 010 0002", first_name="Eli")
    with pytest.raises(PhoneTaken):
        contact_update(
            franchise=franchise_a,
            contact_id=contact.pk,
            changes={"last_name": "Ng", "alternate_phones": ["+15550100002"]},
        )
    assert contact.changes.count() == 1
    contact.refresh_from_db()
    assert contact.last_name is None


def test_staff_tagging_is_kept_as_the_staff_member(contact, alice):
    contact_tags_add(contact=contact, kind="tags", names=["Insurance"], by=alice)
    latest = contact.changes.first()
    assert (latest.by, latest.source, latest.changes) == (alice, Source.STAFF, {"tags": [[], ["Insurance"]]})


def test_an_admin_edit_is_kept_as_the_operator(client, franchise_a, contact, alice):
    staff_groups_sync(alice)
    client.force_login(alice)
    form = {
        "first_name": "Dana",
        "last_name": "Okafor",
        "primary_phone": contact.primary_phone,
        "alternate_phones": "[]",
        "alternate_emails": "[]",
        "phone_rows-TOTAL_FORMS": "0",
        "phone_rows-INITIAL_FORMS": "0",
    }
    response = client.post(f"/admin/contacts/contact/{contact.pk}/change/", form)

    assert response.status_code == 302
    latest = contact.changes.first()
    assert (latest.by, latest.source, latest.changes) == (alice, Source.ADMIN, {"last_name": [None, "Okafor"]})
