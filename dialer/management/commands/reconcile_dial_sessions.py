from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dialer.reconcile import dial_sessions_reconcile


class Command(BaseCommand):
    help = (
        "Fill in recent dial sessions from PhoneBurner (calls the callbacks missed, recordings, "
        "PhoneBurner's own times). Safe to run again: nothing changes twice. Prints counts."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--since", type=int, default=2, metavar="DAYS", help="sessions launched in the last DAYS days (default 2)"
        )

    def handle(self, *args, since: int, **options):
        if not 1 <= since <= 90:
            raise CommandError("--since must be between 1 and 90 days")
        counts = dial_sessions_reconcile(since_days=since)
        for error in counts.errors:
            self.stderr.write(error)
        self.stdout.write(str(counts))
