"""EncryptedTextField on the real database (a tests-only model), key rotation and the key setting."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import CommandError, call_command
from django.db import connection

from config.fields import EncryptionKeyError
from tests.fieldapp.models import Vault

ROOT = Path(__file__).resolve().parents[2]
OLD, NEW, STRANGER = (Fernet.generate_key().decode() for _ in range(3))
SECRET = "sk-ak-live-0123456789abcdef"


def stored(vault: Vault) -> str:
    """What the database holds for the secret, read past the field."""
    table = connection.ops.quote_name(Vault._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [vault.pk])
        return cursor.fetchone()[0]


@pytest.fixture
def keys(settings):
    def use(*keys: str) -> None:
        settings.FIELD_ENCRYPTION_KEYS = list(keys)

    use(OLD)
    return use


def test_the_database_holds_a_token_and_the_model_reads_the_plaintext(db, keys):
    vault = Vault.objects.create(label="crm", secret=SECRET)
    assert SECRET not in stored(vault)
    assert Fernet(OLD).decrypt(stored(vault).encode()).decode() == SECRET
    assert Vault.objects.get(pk=vault.pk).secret == SECRET


def test_empty_and_missing_values_stay_as_they_are(db, keys):
    assert Vault.objects.get(pk=Vault.objects.create(label="none", secret=None).pk).secret is None
    assert Vault.objects.get(pk=Vault.objects.create(label="empty", secret="").pk).secret == ""


def test_two_saves_of_one_secret_store_different_tokens(db, keys):
    one, two = Vault.objects.create(label="1", secret=SECRET), Vault.objects.create(label="2", secret=SECRET)
    assert stored(one) != stored(two)


def test_after_a_new_key_is_put_first_old_values_still_read_and_new_ones_use_the_new_key(db, keys):
    old = Vault.objects.create(label="old", secret=SECRET)
    keys(NEW, OLD)
    assert Vault.objects.get(pk=old.pk).secret == SECRET
    new = Vault.objects.create(label="new", secret="whsec_new")
    assert Fernet(NEW).decrypt(stored(new).encode()) == b"whsec_new"


def test_rotation_re_encrypts_everything_so_only_the_new_key_is_needed(db, keys):
    vaults = [Vault.objects.create(label=str(n), secret=f"{SECRET}-{n}") for n in range(3)]
    Vault.objects.create(label="none", secret=None)
    keys(NEW, OLD)
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "fieldapp.Vault.secret: 3 re-encrypted" in out.getvalue()
    assert re.fullmatch(
        r"re-encrypted 3 values in \d+ fields under the newest key", out.getvalue().strip().splitlines()[-1]
    )
    keys(NEW)
    assert [Vault.objects.get(pk=v.pk).secret for v in vaults] == [f"{SECRET}-{n}" for n in range(3)]
    with pytest.raises(InvalidToken):
        Fernet(OLD).decrypt(stored(vaults[0]).encode())


def test_a_value_no_key_opens_is_an_error_never_the_ciphertext(db, keys):
    vault = Vault.objects.create(label="crm", secret=SECRET)
    keys(STRANGER)
    with pytest.raises(EncryptionKeyError, match="fieldapp.Vault.secret cannot be decrypted") as error:
        Vault.objects.get(pk=vault.pk)
    assert stored(vault) not in str(error.value)


def test_rotation_with_a_missing_key_fails_and_rewrites_nothing(db, keys):
    first = Vault.objects.create(label="a", secret="one")
    keys(NEW)
    before = stored(first)
    with pytest.raises(CommandError, match="cannot be decrypted"):
        call_command("rotate_encryption_keys", stdout=StringIO())
    assert stored(first) == before


def _start(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in {"FIELD_ENCRYPTION_KEYS", "DEBUG"}}
    code = "import django; django.setup()"
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={
            **environment,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "SECRET_KEY": "production-secret-" + "k3y" * 16,
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_refuse_to_start_without_keys_in_one_clear_line():
    result = _start(DEBUG="false")
    assert result.returncode != 0
    assert "ImproperlyConfigured: FIELD_ENCRYPTION_KEYS must be set when DEBUG is off" in result.stderr.splitlines()[-1]


def test_a_malformed_key_is_refused_without_echoing_it():
    result = _start(DEBUG="false", FIELD_ENCRYPTION_KEYS=f"{NEW},not-a-real-key-value")
    assert "FIELD_ENCRYPTION_KEYS: key 2 is not a Fernet key" in result.stderr.splitlines()[-1]
    assert "not-a-real-key-value" not in result.stderr


def test_production_settings_start_with_keys_and_development_needs_none():
    assert _start(DEBUG="false", FIELD_ENCRYPTION_KEYS=f"{NEW},{OLD}").returncode == 0
    assert _start(DEBUG="true").returncode == 0
