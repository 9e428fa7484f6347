"""Which calls belong to which phones: `calls_with_phones`, `call_stats` (ORM) and
`CallStatsOfPhones` (PostgreSQL's SQL) answer it alike, for the API, the contacts page and the admin."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db.models import F

from calls.queries import CallStats, CallStatsOfPhones, call_stats, calls_with_phones
from contacts.models import Contact
from contacts.services import contact_upsert

T0 = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
def people(franchise_a, franchise_b, make_call):
    dana, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550100", alternate_phones=["+13125550101"])
    sam, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550200")
    quiet, _ = contact_upsert(franchise=franchise_a, primary_phone="+13125550300")
    make_call(franchise_a, caller_id="+13125550100", timestamp=T0)
    # Two of Dana's phones on one call: it counts once.
    make_call(franchise_a, caller_id="+13125550100", callback_number="+13125550101", timestamp=T0 + timedelta(days=1))
    make_call(franchise_a, customer_phone="+13125550101", caller_id="+18005550000", timestamp=T0 + timedelta(days=2))
    # Dana calls about Sam: one call, both contacts'.
    make_call(franchise_a, caller_id="+13125550100", callback_number="+13125550200", timestamp=T0 + timedelta(days=3))
    make_call(franchise_b, caller_id="+13125550100", timestamp=T0 + timedelta(days=9))  # another franchise
    return dana, sam, quiet


def test_calls_with_phones_are_the_franchises_calls_of_any_of_them(franchise_a, people):
    dana, sam, quiet = people
    assert calls_with_phones(franchise_a.pk, dana.phones).count() == 4
    assert calls_with_phones(franchise_a.pk, sam.phones).count() == 1
    assert not calls_with_phones(franchise_a.pk, quiet.phones).exists()
    assert not calls_with_phones(franchise_a.pk, [None, ""]).exists()
    newest = calls_with_phones(franchise_a.pk, dana.phones).first()
    assert newest.timestamp == T0 + timedelta(days=3)


def test_call_stats_count_each_call_once_per_contact(franchise_a, people):
    dana, sam, quiet = people
    stats = call_stats(franchise_a.pk, {c.pk: c.phones for c in people})
    assert stats == {
        dana.pk: CallStats(4, T0 + timedelta(days=3)),
        sam.pk: CallStats(1, T0 + timedelta(days=3)),
    }


@pytest.mark.postgres_only
def test_the_sql_and_the_orm_give_the_same_statistics(franchise_a, people):
    orm = call_stats(franchise_a.pk, {c.pk: c.phones for c in people})
    rows = Contact.objects.filter(franchise=franchise_a).annotate(
        stats=CallStatsOfPhones(F("franchise_id"), F("primary_phone"), F("alternate_phones"))
    )
    for contact in rows:
        last = contact.stats["last_contact_date"]
        sql = CallStats(contact.stats["total_calls"], datetime.fromisoformat(last) if last else None)
        assert sql == orm.get(contact.pk, CallStats()), contact
