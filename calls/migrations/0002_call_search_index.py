"""A GIN index on the staff pages' full-text search expression (calls.queries.SEARCH_VECTOR).

PostgreSQL only: SQLite has no tsvector and searches with a plain icontains fallback, so there
the migration does nothing. The expression must stay exactly the one Django compiles for
SEARCH_VECTOR, or the planner will not use the index (tests/calls/test_views_calls.py checks it).
"""

from django.db import migrations

INDEX = "call_search_gin"
EXPRESSION = (
    "to_tsvector('english'::regconfig, COALESCE(transcript, '') || ' ' || COALESCE(call_summary, '')"
    " || ' ' || COALESCE(customer_name, '') || ' ' || COALESCE(notes, ''))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON calls_call USING gin ({EXPRESSION})")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("calls", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
