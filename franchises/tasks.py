"""django-q2 tasks of the franchises app."""

from __future__ import annotations

from franchises.ratelimit import ratelimit_counters_purge as _purge


def ratelimit_counters_purge() -> int:
    """Scheduled: delete the rate limiter's expired database counters; returns how many."""
    return _purge()
