"""Covering indexes for contacts' call statistics (calls.queries.CallStatsOfPhones).

A contact's `total_calls` and `last_contact_date` come from the calls whose caller id, callback
number or customer phone is one of its phones. The plain (franchise, phone) indexes find those calls
but then read each one from the heap: about a thousand random pages of a table far larger than
`shared_buffers` for a page of 100 contacts. With the timestamp and id in the index, each lookup is
an index-only scan (the id tells apart calls found through two of their phones).

The three plain indexes of calls.models (call_caller_e164, call_callback_e164, call_customer_e164)
are prefixes of these and could go once nothing else relies on them; that is a change to Call.Meta.

Raw SQL rather than Meta.indexes: INCLUDE is PostgreSQL's, and the indexes are built CONCURRENTLY
so adding them to a table of millions of calls does not block call imports (hence atomic=False).
Elsewhere the migration does nothing; the migration state does not change.
"""

from django.db import migrations

INDEXES = {
    "call_caller_e164_stats": "caller_id_e164",
    "call_callback_e164_stats": "callback_number_e164",
    "call_customer_e164_stats": "customer_phone_e164",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON calls_call (franchise_id, {column}) "
            'INCLUDE ("timestamp", id)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0003_call_choice_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
