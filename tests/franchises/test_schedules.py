"""setup_schedules: every app's schedules.py kept in django-q2, idempotently."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django_q.models import Schedule

from franchises import schedules_sync
from franchises.schedules_sync import declared_schedules


def run() -> str:
    out = StringIO()
    call_command("setup_schedules", stdout=out)
    return out.getvalue().strip().splitlines()[-1]


@pytest.mark.django_db
def test_migrate_already_made_every_declared_schedule_and_running_again_changes_nothing():
    declared = declared_schedules()
    assert {"calls.recordings_fetch_due", "franchises.ratelimit_counters_purge"} <= set(declared)
    assert set(Schedule.objects.values_list("name", flat=True)) >= set(declared)
    assert run() == "schedules: 0 created, 0 updated, 0 deleted"
    row = Schedule.objects.get(name="calls.recordings_fetch_due")
    assert (row.func, row.schedule_type, row.minutes, row.repeats) == ("calls.tasks.recordings_fetch_due", "I", 1, -1)


@pytest.mark.django_db
def test_a_changed_entry_is_updated_a_removed_one_deleted_and_hand_made_ones_left_alone(monkeypatch):
    Schedule.objects.create(name="nightly report by hand", func="math.floor", schedule_type="D")
    Schedule.objects.create(name="calls.retired_job", func="calls.tasks.gone", schedule_type="I", minutes=5)
    original = declared_schedules()
    changed = {**original, "calls.recordings_fetch_due": {**original["calls.recordings_fetch_due"], "minutes": 2}}
    monkeypatch.setattr(schedules_sync, "declared_schedules", lambda: changed)
    assert run() == "schedules: 0 created, 1 updated, 1 deleted"
    assert Schedule.objects.get(name="calls.recordings_fetch_due").minutes == 2
    assert Schedule.objects.filter(name="nightly report by hand").exists()
    assert not Schedule.objects.filter(name="calls.retired_job").exists()


@pytest.mark.django_db
def test_the_scheduled_cleanup_deletes_only_expired_rate_limit_counters():
    from datetime import UTC, datetime, timedelta

    from franchises.models import RateLimitCounter
    from franchises.tasks import ratelimit_counters_purge

    now = datetime.now(UTC)
    RateLimitCounter.objects.create(key="m:1:old", count=3, expires_at=now - timedelta(hours=1))
    RateLimitCounter.objects.create(key="m:1:live", count=3, expires_at=now + timedelta(seconds=30))
    assert ratelimit_counters_purge() == 1
    assert list(RateLimitCounter.objects.values_list("key", flat=True)) == ["m:1:live"]


@pytest.mark.django_db
def test_the_daily_cleanup_deletes_sign_in_records_older_than_signin_log_days(settings):
    from datetime import timedelta

    from axes.models import AccessLog
    from django.utils import timezone

    from franchises.tasks import signin_records_purge

    settings.SIGNIN_LOG_DAYS = 30
    for username, age in (("old", 31), ("recent", 29)):
        log = AccessLog.objects.create(username=username, ip_address="127.0.0.1", user_agent="test")
        AccessLog.objects.filter(pk=log.pk).update(attempt_time=timezone.now() - timedelta(days=age))
    assert signin_records_purge() == 1
    assert list(AccessLog.objects.values_list("username", flat=True)) == ["recent"]
