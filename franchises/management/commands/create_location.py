from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from franchises.cli import franchise_from_arg
from franchises.models import Location


class Command(BaseCommand):
    help = "Create a location of a franchise and print its uuid."

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("name")

    def handle(self, *args, franchise: str, name: str, **options):
        found = franchise_from_arg(franchise)
        name = name.strip()
        if not name or len(name) > 200:
            raise CommandError("NAME must be 1 to 200 characters")
        if Location.objects.filter(franchise=found, name=name).exists():
            raise CommandError(f"{found.name} already has a location named {name!r}")
        location = Location.objects.create(franchise=found, name=name)
        self.stdout.write(str(location.pk))
