"""The staff's call search (calls.search) runs `LIKE` patterns over one text expression; on
PostgreSQL a pg_trgm GIN index on exactly that expression answers them, so a search reads the
calls that hold the words' trigrams instead of every call's transcript. It replaces the full-text
index of 0002: full-text search found words in any order but no typo and no phone fragment, and
SQLite (`make run`) searched otherwise; now both databases search alike.

The expression must stay the one calls.search.SearchText compiles to, or the planner will not use
the index (tests/calls/test_search.py checks it). PostgreSQL only (pg_trgm is a trusted
extension); elsewhere the migration does nothing. Built CONCURRENTLY so calls keep arriving.
"""

from django.db import migrations

INDEX = "call_search_trgm"
EXPRESSION = (
    "(COALESCE(transcript, '') || ' ' || COALESCE(call_summary, '') || ' ' || COALESCE(customer_name, '')"
    " || ' ' || COALESCE(notes, ''))"
)
FULL_TEXT_INDEX = "call_search_gin"
FULL_TEXT_EXPRESSION = f"to_tsvector('english'::regconfig, {EXPRESSION})"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON calls_call USING gin ({EXPRESSION} gin_trgm_ops)")
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {FULL_TEXT_INDEX}")
    schema_editor.execute("ANALYZE calls_call")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {FULL_TEXT_INDEX} ON calls_call USING gin ({FULL_TEXT_EXPRESSION})"
    )
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0006_webhooks")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
