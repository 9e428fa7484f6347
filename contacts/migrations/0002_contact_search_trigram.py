"""Trigram GIN indexes for the contacts `search` filter (contacts.queries._search).

On PostgreSQL `icontains` compiles to `UPPER(col::text) LIKE UPPER('%word%')` and `contains` to
`col::text LIKE '%word%'`. pg_trgm's `gin_trgm_ops` serves such a LIKE when the index is on exactly
that expression, so each searched column gets one, and the planner ORs their bitmaps instead of
testing every contact of the franchise row by row. The expressions must stay the ones Django
compiles for `_search`, or the planner will not use them (tests/contacts/test_search_indexes.py).

ANALYZE after the build gives the planner statistics on the expressions: without them it guesses
how common a word is, and walked every contact for a word none of them has.

PostgreSQL only (pg_trgm is a trusted extension: the database owner may create it); elsewhere the
migration does nothing either way (hence no TrigramExtension operation: Django's reverses without
checking the database). Unapplying leaves the extension, which other schemas may use. Built
CONCURRENTLY, so a large CRM keeps taking writes (hence atomic=False).
"""

from django.db import migrations

INDEXES = {
    "contact_first_name_trgm": 'UPPER(("first_name")::text)',
    "contact_last_name_trgm": 'UPPER(("last_name")::text)',
    "contact_organization_trgm": 'UPPER(("organization_name")::text)',
    "contact_email_trgm": 'UPPER(("primary_email")::text)',
    "contact_phone_trgm": '(("primary_phone")::text)',
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, expression in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON contacts_contact USING gin ({expression} gin_trgm_ops)"
        )
    schema_editor.execute("ANALYZE contacts_contact")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False
    dependencies = [("contacts", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
