"""Indexes on (franchise, call_category) and (franchise, agent_type) for the call list's filter
dropdowns, which walk them with a loose index scan (calls.views._choices) instead of reading every
call of the franchise.

Raw SQL rather than Meta.indexes: on PostgreSQL the indexes are built CONCURRENTLY, so adding them
to a table of millions of calls does not block call imports while they build (hence atomic=False).
The migration state does not change, so makemigrations sees nothing to do.
"""

from django.db import migrations

INDEXES = {"call_franchise_category": "call_category", "call_franchise_agent_type": "agent_type"}


def create(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name, column in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX {concurrently}IF NOT EXISTS {name} ON calls_call (franchise_id, {column})")


def drop(apps, schema_editor):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0002_call_search_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
