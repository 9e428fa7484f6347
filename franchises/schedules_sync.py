"""The one design for background schedules: each app lists its own in `<app>/schedules.py`
(`SCHEDULES`, dicts of django-q2 `Schedule` fields, `name` and `func` required, every N `minutes`
by default) and `schedules_sync` makes django-q2's table match them. It runs after every
`migrate` (a post_migrate handler) and as `manage.py setup_schedules`, so it is idempotent:
a schedule is created once, changed in place when its entry changes (its next run kept), and
deleted when its entry goes. Names are `<app label>.<what>`; a schedule made by hand in the admin
under any other name is left alone.

Apps are found through the app registry, so this low layer imports none of them.
"""

from __future__ import annotations

import importlib
from typing import Any

from django.apps import apps as global_apps

DEFAULTS = {"schedule_type": "I", "repeats": -1}  # "I": every `minutes` minutes


def declared_schedules() -> dict[str, dict[str, Any]]:
    """Every app's SCHEDULES, by name; the name's first part must be the app's label."""
    found: dict[str, dict[str, Any]] = {}
    for config in global_apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.schedules")
        except ModuleNotFoundError as exc:
            if exc.name != f"{config.name}.schedules":
                raise
            continue
        for entry in getattr(module, "SCHEDULES", []):
            if not entry["name"].startswith(f"{config.label}."):
                raise ValueError(
                    f"schedule {entry['name']!r} of {config.label} must be named {config.label}.<something>"
                )
            found[entry["name"]] = {**DEFAULTS, **entry}
    return found


def schedules_sync(app_registry=global_apps) -> tuple[int, int, int]:
    """Make django-q2's schedules match the declared ones; returns (created, updated, deleted)."""
    schedule_model = app_registry.get_model("django_q", "Schedule")
    declared = declared_schedules()
    labels = {config.label for config in global_apps.get_app_configs()}
    created = updated = deleted = 0
    for name, entry in declared.items():
        fields = {k: v for k, v in entry.items() if k != "name"}
        row = schedule_model.objects.filter(name=name).first()
        if row is None:
            schedule_model.objects.create(name=name, **fields)
            created += 1
        elif any(getattr(row, k) != v for k, v in fields.items()):
            schedule_model.objects.filter(pk=row.pk).update(**fields)
            updated += 1
    for row in schedule_model.objects.exclude(name__in=list(declared)).only("pk", "name"):
        if row.name and row.name.split(".", 1)[0] in labels and "." in row.name:
            row.delete()
            deleted += 1
    return created, updated, deleted
