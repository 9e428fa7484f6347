from __future__ import annotations

from django.core.management.base import BaseCommand

from franchises.schedules_sync import schedules_sync


class Command(BaseCommand):
    help = "Create, update or delete django-q2 schedules to match every app's schedules.py (idempotent)."

    def handle(self, *args, **options):
        created, updated, deleted = schedules_sync()
        self.stdout.write(f"schedules: {created} created, {updated} updated, {deleted} deleted")
