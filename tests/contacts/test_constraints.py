"""One phone belongs to at most one contact of a franchise: primary or alternate, sequential or racing."""

from __future__ import annotations

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from contacts.models import Contact, ContactPhone
from contacts.services import PhoneTaken, contact_set_phones, contact_upsert

PHONE = "+15551230001"


@pytest.mark.django_db
def test_the_database_refuses_a_second_contact_with_the_same_phone(franchise_a):
    first = Contact.objects.create(franchise=franchise_a, first_name="Jordan")
    second = Contact.objects.create(franchise=franchise_a, first_name="Avery")
    ContactPhone.objects.create(franchise=franchise_a, contact=first, number=PHONE, is_primary=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        ContactPhone.objects.create(franchise=franchise_a, contact=second, number=PHONE)


@pytest.mark.django_db
def test_two_franchises_may_each_have_a_contact_with_the_same_phone(franchise_a, franchise_b):
    a, created_a = contact_upsert(franchise=franchise_a, primary_phone=PHONE, first_name="Jordan")
    b, created_b = contact_upsert(franchise=franchise_b, primary_phone=PHONE, first_name="Jordan")
    assert created_a and created_b and a.pk != b.pk


@pytest.mark.django_db
def test_an_alternate_phone_counts_as_taken(franchise_a):
    owner, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+15551230002", alternate_phones=[PHONE], first_name="Jordan"
    )
    other = Contact.objects.create(franchise=franchise_a, first_name="Avery")
    with pytest.raises(PhoneTaken) as taken, transaction.atomic():
        contact_set_phones(contact=other, primary=PHONE, alternates=[])
    assert taken.value.contact_id == owner.pk
    other.refresh_from_db()
    assert other.primary_phone is None and not ContactPhone.objects.filter(contact=other).exists()


@pytest.mark.django_db
def test_upserting_with_someone_elses_alternate_phone_updates_that_contact(franchise_a):
    owner, _ = contact_upsert(
        franchise=franchise_a, primary_phone="+15551230002", alternate_phones=[PHONE], first_name="Jordan"
    )
    again, created = contact_upsert(franchise=franchise_a, primary_phone=PHONE, last_name="Smith")
    assert not created and again.pk == owner.pk
    assert Contact.objects.count() == 1
    assert (again.first_name, again.last_name, again.primary_phone) == ("Jordan", "Smith", "+15551230002")


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_with_one_phone_makes_exactly_one_contact(franchise_a):
    workers = 6
    barrier = threading.Barrier(workers)
    outcomes: list[tuple[int, bool]] = []
    failures: list[BaseException] = []

    def create(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            contact, created = contact_upsert(franchise=franchise_a, primary_phone=PHONE, first_name=f"Caller {n}")
            outcomes.append((contact.pk, created))
        except BaseException as exc:  # reported below; a thread must not die silently
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert len(outcomes) == workers
    assert Contact.objects.filter(franchise=franchise_a).count() == 1
    assert len({pk for pk, _ in outcomes}) == 1
    assert sum(created for _, created in outcomes) == 1
    assert ContactPhone.objects.filter(franchise=franchise_a, number=PHONE).count() == 1
