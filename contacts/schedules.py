"""Schedules of the contacts app, kept in django-q2 by `manage.py setup_schedules` (also run after `migrate`)."""

SCHEDULES = [
    # Each CRM connection syncs every 15 minutes, counted from when it was connected (its own
    # `next_sync_at`); this dispatcher looks every minute for the ones that are due.
    {"name": "contacts.crm_syncs_due", "func": "contacts.tasks.crm_syncs_due", "minutes": 1},
]
