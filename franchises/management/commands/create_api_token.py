from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from franchises.cli import franchise_from_arg
from franchises.models import ApiToken


class Command(BaseCommand):
    help = "Issue a Data Share API token for a franchise and print it (it is shown only this once)."

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("--name", default="", help="a label saying who uses the token")
        parser.add_argument("--expires-in-days", type=int, default=None, help="default: never expires")

    def handle(self, *args, franchise: str, name: str, expires_in_days: int | None, **options):
        found = franchise_from_arg(franchise)
        if expires_in_days is not None and not 1 <= expires_in_days <= 36500:
            raise CommandError("--expires-in-days must be between 1 and 36500")
        if len(name) > 100:
            raise CommandError("--name must be at most 100 characters")
        token, plaintext = ApiToken.issue(franchise=found, label=name, expires_in_days=expires_in_days)
        if options["verbosity"] > 1:
            self.stderr.write(f"Issued {token.prefix}… for {found.name}; store it now, it is not shown again.")
        self.stdout.write(plaintext)
