"""Schedules of the calls app, kept in django-q2 by `manage.py setup_schedules` (also run after `migrate`)."""

SCHEDULES = [
    # The safety net under the fetch queued when a delivery commits: retries after backoff, and
    # fetches whose queued task was lost.
    {"name": "calls.recordings_fetch_due", "func": "calls.tasks.recordings_fetch_due", "minutes": 1},
]
