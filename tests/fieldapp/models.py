from django.db import models

from config.fields import EncryptedTextField


class Vault(models.Model):
    """A tests-only row with one encrypted secret, to exercise EncryptedTextField on a real database."""

    label = models.CharField(max_length=50)
    secret = EncryptedTextField(blank=True, null=True)

    def __str__(self) -> str:
        return self.label  # never the secret
