"""PostgreSQL plans for GET /data/contacts: the search uses the trigram indexes of
contacts/migrations/0002, and the call statistics read calls through the covering indexes of
calls/migrations/0004 without visiting the heap. Each index only helps while its expression is
exactly what the query compiles to, which is what these tests hold."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F

from calls.queries import CallStatsOfPhones
from contacts.models import Contact
from contacts.queries import _search
from contacts.services import contact_upsert

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL indexes")


def _plan(sql: str, params, *settings: str) -> str:
    """EXPLAIN with the planner `settings` (enable_*) off."""
    with connection.cursor() as cursor:
        try:
            for setting in settings:
                cursor.execute(f"SET {setting} = off")
            cursor.execute("EXPLAIN " + sql, params)
            return "\n".join(row[0] for row in cursor.fetchall())
        finally:
            for setting in settings:
                cursor.execute(f"RESET {setting}")


@pytest.mark.django_db
def test_search_reads_the_trigram_index_of_every_searched_column(franchise_a):
    # The search's own condition, without the franchise (whose index would do on a test-sized table)
    # and with whole-table reads off: only the trigram indexes can then serve it, if they match it.
    # On the bench database (10k contacts) the planner picks them by itself for a rare word.
    qs = Contact.objects.filter(_search(franchise_a, "riley")).values("id")

    plan = _plan(*qs.query.sql_with_params(), "enable_seqscan", "enable_indexscan")

    for index in ("first_name", "last_name", "organization", "email", "phone"):
        assert f"Bitmap Index Scan on contact_{index}_trgm" in plan, plan


@pytest.mark.django_db(transaction=True)
def test_call_statistics_are_index_only_scans(franchise_a, make_call):
    contact_upsert(franchise=franchise_a, primary_phone="+15551234567", alternate_phones=["+15557654321"])
    for n in range(50):
        make_call(franchise_a, caller_id=f"+1555000{n:04d}", callback_number="+15557654321")
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE calls_call")  # index-only scans need the visibility map
    qs = (
        Contact.objects.filter(franchise=franchise_a)
        .annotate(stats=CallStatsOfPhones(F("franchise_id"), F("primary_phone"), F("alternate_phones")))
        .values("id", "stats")
    )

    plan = _plan(*qs.query.sql_with_params(), "enable_seqscan", "enable_bitmapscan")

    for index in ("call_caller_e164_stats", "call_callback_e164_stats", "call_customer_e164_stats"):
        assert f"Index Only Scan using {index}" in plan, plan
