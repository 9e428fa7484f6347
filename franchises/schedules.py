"""Schedules of the franchises app, kept in django-q2 by `manage.py setup_schedules` (also run after `migrate`)."""

SCHEDULES = [
    # Database counters of the rate limiter outlive their window; Redis counters expire by themselves.
    {"name": "franchises.ratelimit_counters_purge", "func": "franchises.tasks.ratelimit_counters_purge", "minutes": 15},
]
