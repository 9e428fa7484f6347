"""A text field encrypted at rest (PhoneBurner tokens, CRM keys, webhook secrets).

Fernet (AES-128-CBC + HMAC-SHA256) through `MultiFernet`: keys come from `FIELD_ENCRYPTION_KEYS`,
newest first; values are written under the newest and read under any, so a key is rotated by
putting a new one in front, running `manage.py rotate_encryption_keys`, then dropping the old one.
A value that no key opens is an error, never handed back as if the ciphertext were the plaintext
(a later save would encrypt the ciphertext and the secret would be lost). Encryption is randomised,
so these fields cannot be filtered on. Plumbing: imports no app.
"""

from __future__ import annotations

import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import models


class EncryptionKeyError(Exception):
    """A stored value could not be decrypted with any key in FIELD_ENCRYPTION_KEYS."""


@functools.lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def fernet() -> MultiFernet:
    """The keys of `FIELD_ENCRYPTION_KEYS` (read each time, so a settings override takes effect)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedTextField(models.TextField):
    """Plain `str` in Python, a Fernet token in the database. None and "" are stored as they are."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return fernet().encrypt(str(value).encode()).decode()

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.decrypt(value)

    def decrypt(self, token: str) -> str:
        try:
            return fernet().decrypt(token.encode()).decode()
        except InvalidToken:
            where = f"{self.model._meta.label}.{self.name}" if hasattr(self, "model") else self.name
            raise EncryptionKeyError(
                f"a value of {where} cannot be decrypted with any key in FIELD_ENCRYPTION_KEYS "
                "(was the key it was written with removed before rotate_encryption_keys ran?)"
            ) from None
