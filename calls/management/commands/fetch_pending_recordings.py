from __future__ import annotations

from django.core.management.base import BaseCommand

from calls.recording_fetch import recordings_fetch_pending


class Command(BaseCommand):
    help = (
        "Attempt every pending recording fetch now, whatever its backoff (after an outage), and print "
        "how the attempts ended."
    )

    def handle(self, *args, **options):
        outcomes = recordings_fetch_pending()
        # "skipped": another worker held it at that moment, so it is still pending.
        pending = outcomes["pending"] + outcomes["skipped"]
        self.stdout.write(f"fetched {outcomes['fetched']}, pending {pending}, failed {outcomes['failed']}")
