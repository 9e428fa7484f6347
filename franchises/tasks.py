"""django-q2 tasks of the franchises app."""

from __future__ import annotations

from axes.handlers.database import AxesDatabaseHandler
from django.conf import settings

from franchises.ratelimit import ratelimit_counters_purge as _purge


def ratelimit_counters_purge() -> int:
    """Scheduled: delete the rate limiter's expired database counters; returns how many."""
    return _purge()


def signin_records_purge() -> int:
    """Scheduled: delete the records of staff sign-ins older than SIGNIN_LOG_DAYS; returns how many.
    (Failed attempts need no purge: a later try clears those past their cool-off.)"""
    return AxesDatabaseHandler().reset_logs(age_days=settings.SIGNIN_LOG_DAYS)
