"""The contact admin when two saves claim one phone at nearly the same moment: the loser gets a
form error on the phone, not a 500, and none of its changes are kept."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from contacts import admin as contacts_admin
from contacts.models import Contact, ContactPhone
from contacts.services import contact_set_phones, contact_upsert
from franchises.roles import staff_groups_sync

CLASH = "+15557770000"


def admin_client(user) -> Client:
    staff_groups_sync(user)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def change_form(contact: Contact, **fields) -> dict:
    return {
        "first_name": contact.first_name,
        "primary_phone": contact.primary_phone,
        "alternate_phones": "[]",
        "alternate_emails": "[]",
        "phone_rows-TOTAL_FORMS": "0",
        "phone_rows-INITIAL_FORMS": "0",
        **fields,
    }


def phones_of(contact: Contact) -> set[str]:
    return set(ContactPhone.objects.filter(contact=contact).values_list("number", flat=True))


def test_a_phone_taken_between_the_check_and_the_save_is_a_form_error(db, alice, franchise_a, monkeypatch):
    dana, _ = contact_upsert(franchise=franchise_a, primary_phone="+15550000001", first_name="Dana")
    erin, _ = contact_upsert(franchise=franchise_a, primary_phone="+15550000002", first_name="Erin")

    def another_save_wins_first(*, contact, primary, alternates):
        # Erin's save (another admin, the API, a CRM sync) takes the phone after Dana's form was checked.
        contact_set_phones(contact=erin, primary=erin.primary_phone, alternates=[CLASH])
        contact_set_phones(contact=contact, primary=primary, alternates=alternates)

    monkeypatch.setattr(contacts_admin, "contact_set_phones", another_save_wins_first)
    url = reverse("admin:contacts_contact_change", args=[dana.pk])
    response = admin_client(alice).post(
        url, change_form(dana, first_name="Dana Renamed", alternate_phones=f'["{CLASH}"]')
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "errorlist" in page and CLASH in page and "nothing was saved" in page
    dana.refresh_from_db()
    assert (dana.first_name, dana.alternate_phones) == ("Dana", [])
    assert phones_of(dana) == {"+15550000001"}


@pytest.mark.postgres_only
def test_two_admins_saving_one_phone_at_once_get_one_save_and_one_form_error(
    transactional_db, alice, franchise_a, monkeypatch
):
    dana, _ = contact_upsert(franchise=franchise_a, primary_phone="+15550000001", first_name="Dana")
    erin, _ = contact_upsert(franchise=franchise_a, primary_phone="+15550000002", first_name="Erin")
    client = admin_client(alice)

    # Both forms pass their check before either saves: each waits here for the other.
    both_checked = threading.Barrier(2, timeout=10)
    waited = threading.local()
    real_clean = contacts_admin.ContactForm.clean

    def clean(self):
        data = real_clean(self)
        if not getattr(waited, "done", False):
            waited.done = True
            both_checked.wait()
        return data

    monkeypatch.setattr(contacts_admin.ContactForm, "clean", clean)
    responses = {}

    def save(contact: Contact) -> None:
        try:
            url = reverse("admin:contacts_contact_change", args=[contact.pk])
            form = change_form(contact, first_name=f"{contact.first_name} Renamed", alternate_phones=f'["{CLASH}"]')
            responses[contact.first_name] = client.post(url, form)
        finally:
            connection.close()

    threads = [threading.Thread(target=save, args=(c,)) for c in (dana, erin)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(r.status_code for r in responses.values()) == [200, 302]
    winner_name = next(name for name, r in responses.items() if r.status_code == 302)
    loser_name = next(name for name, r in responses.items() if r.status_code == 200)
    assert CLASH in responses[loser_name].content.decode()
    winner = Contact.objects.get(first_name=f"{winner_name} Renamed")
    loser = Contact.objects.get(first_name=loser_name)  # not renamed: none of its changes were kept
    assert ContactPhone.objects.get(franchise=franchise_a, number=CLASH).contact == winner
    assert loser.alternate_phones == [] and CLASH not in phones_of(loser)
