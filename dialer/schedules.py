"""Schedules of the dialer, kept in django-q2 by `manage.py setup_schedules` (also run after `migrate`)."""

SCHEDULES = [
    # Whatever PhoneBurner's callbacks missed (a call, a recording, PhoneBurner's own times), from
    # the sessions of the last two days; safe to run as often as this.
    {"name": "dialer.reconcile_dial_sessions", "func": "dialer.tasks.reconcile_dial_sessions", "minutes": 15},
]
