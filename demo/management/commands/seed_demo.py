from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from demo.seed import demo_seed
from franchises.models import Franchise


class Command(BaseCommand):
    help = (
        "Load demo data (a franchise, two locations, calls with recordings, contacts, tags, a staff "
        "login). Safe to run again: it refreshes the same rows."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when the database already has a franchise"
        )
        parser.add_argument("--calls", type=int, default=300, help="how many demo calls (default 300)")

    def handle(self, *args, if_empty: bool, calls: int, verbosity: int, **options):
        # -v 0 says nothing (make run's banner prints the login itself, with demo_login, on every start).
        say = self.stdout.write if verbosity else lambda line: None
        if if_empty and Franchise.objects.exists():
            say("Demo data not loaded: the database already has franchises")
            return
        if not 1 <= calls <= 100_000:
            raise CommandError("--calls must be between 1 and 100000")
        result = demo_seed(calls=calls)
        say(f"Demo data ready: {result.franchise.name}, {result.calls} calls, {result.contacts} contacts.")
        say(result.login_line())
