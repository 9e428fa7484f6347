"""The scheduled reconcile: declared in dialer/schedules.py, kept in django-q2, and doing the work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from dialer.models import DialCall
from dialer.tasks import reconcile_dial_sessions
from tests.dialer.phoneburner_helpers import DialerBrowser

pytestmark = pytest.mark.django_db


def test_reconcile_is_scheduled_every_fifteen_minutes():
    call_command("setup_schedules", stdout=io.StringIO())
    schedule = Schedule.objects.get(name="dialer.reconcile_dial_sessions")
    assert (schedule.func, schedule.schedule_type, schedule.minutes) == (
        "dialer.tasks.reconcile_dial_sessions",
        "I",
        15,
    )


def test_the_scheduled_task_fills_in_what_the_callbacks_missed(fake_pb, alice, launched, make_contact, franchise_a):
    fake_pb.drop_callbacks = True
    ann = make_contact(franchise_a, "Ann Lee")
    _, url = launched(alice, [ann])
    browser = DialerBrowser(url)
    browser.dispose("No Answer")
    assert reconcile_dial_sessions() == "sessions 1 (matched 1), calls added 1, updated 0, unchanged 0, errors 0"
    assert DialCall.objects.get().disposition == "No Answer"
