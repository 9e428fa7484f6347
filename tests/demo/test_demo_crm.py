"""`manage.py demo_crm`: the fake CRM `make run` starts, with the demo franchise connected to it."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from contacts.models import CrmConnection
from demo.seed import FRANCHISE_NAME
from franchises.models import Franchise
from tests.live_gunicorn import ROOT, database_url


def test_it_needs_the_demo_franchise(db):
    with pytest.raises(CommandError, match="no demo franchise: run `python manage.py seed_demo` first"):
        call_command("demo_crm")


@pytest.mark.django_db(transaction=True)
def test_it_serves_a_fake_crm_and_connects_the_demo_franchise_to_it():
    franchise = Franchise.objects.create(name=FRANCHISE_NAME)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
    }
    command = [sys.executable, "manage.py", "demo_crm", "--contacts", "40", "--site-url", "http://127.0.0.1:8000"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        returncode = process.wait(timeout=20)
    connection = CrmConnection.objects.get(franchise=franchise)
    assert line.startswith(f"Fake CRM with 40 contacts at {connection.base_url}; {FRANCHISE_NAME} is connected")
    assert line.rstrip().endswith("(watch a sync: http://127.0.0.1:8000/settings/crm/)")
    assert returncode == 0
