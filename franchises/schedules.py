"""Schedules of the franchises app, kept in django-q2 by `manage.py setup_schedules` (also run after `migrate`)."""

SCHEDULES = [
    # Database counters of the rate limiter outlive their window; Redis counters expire by themselves.
    {"name": "franchises.ratelimit_counters_purge", "func": "franchises.tasks.ratelimit_counters_purge", "minutes": 15},
    # The record of each staff sign-in is kept SIGNIN_LOG_DAYS, not forever.
    {"name": "franchises.signin_records_purge", "func": "franchises.tasks.signin_records_purge", "minutes": 24 * 60},
]
