from django.db import migrations


def set_unlogged(apps, schema_editor, unlogged: bool = True) -> None:
    # Rate-limit counters need no crash safety (a crash at worst resets a window), so on PostgreSQL
    # their table skips the WAL: a request's counter bump then commits without waiting for a flush
    # while it holds the token's row lock, which is what serialised concurrent requests.
    if schema_editor.connection.vendor == "postgresql":
        mode = "UNLOGGED" if unlogged else "LOGGED"
        schema_editor.execute(f"ALTER TABLE franchises_ratelimitcounter SET {mode}")


def set_logged(apps, schema_editor) -> None:
    set_unlogged(apps, schema_editor, unlogged=False)


class Migration(migrations.Migration):
    dependencies = [("franchises", "0001_initial")]

    operations = [migrations.RunPython(set_unlogged, set_logged, elidable=False)]
