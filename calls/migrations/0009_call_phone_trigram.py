"""A phone fragment in the staff's call search ("555-1023") is a `LIKE '%5551023%'` over the call's
three normalised phones joined in one text (calls.search.PhoneText); on PostgreSQL a pg_trgm GIN
index on exactly that expression answers it, beside the text's index of 0007, instead of a scan of
the franchise's calls. PostgreSQL only; built CONCURRENTLY so calls keep arriving.
"""

from django.db import migrations

INDEX = "call_phones_trgm"
EXPRESSION = (
    "(COALESCE(caller_id_e164, '') || ' ' || COALESCE(callback_number_e164, '') || ' '"
    " || COALESCE(customer_phone_e164, ''))"
)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON calls_call USING gin ({EXPRESSION} gin_trgm_ops)")
    schema_editor.execute("ANALYZE calls_call")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("calls", "0008_call_comment")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
