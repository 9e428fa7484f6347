from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from config.fields import EncryptedTextField, EncryptionKeyError


def reencrypt(model: type[models.Model], field: EncryptedTextField) -> int:
    """Read every stored value of `field` (under any key) and write it back (under the newest); returns the count."""
    rows = model._base_manager.exclude(**{f"{field.attname}__isnull": True}).exclude(**{field.attname: ""})
    count, page = 0, rows.order_by("pk")
    # Pages by primary key rather than iterator(): a server-side cursor would outlive the rollback
    # when a value cannot be decrypted halfway.
    while batch := list(page.values_list("pk", field.attname)[:500]):
        for pk, plaintext in batch:
            # update() passes the value through the field again, which encrypts under the newest key.
            model._base_manager.filter(pk=pk).update(**{field.attname: plaintext})
        count += len(batch)
        page = rows.order_by("pk").filter(pk__gt=batch[-1][0])
    return count


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field value under the newest key of FIELD_ENCRYPTION_KEYS. "
        "Run it after putting a new key first; then the older keys can be removed."
    )

    def handle(self, *args, **options):
        fields = [
            (model, field)
            for model in apps.get_models()
            for field in model._meta.concrete_fields
            if isinstance(field, EncryptedTextField)
        ]
        total = 0
        try:
            with transaction.atomic():  # all or nothing: a value no key opens stops the run, nothing rewritten
                for model, field in fields:
                    count = reencrypt(model, field)
                    self.stdout.write(f"{model._meta.label}.{field.name}: {count} re-encrypted")
                    total += count
        except EncryptionKeyError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"re-encrypted {total} values in {len(fields)} fields under the newest key")
