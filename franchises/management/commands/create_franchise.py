from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from franchises.models import Franchise, validate_timezone


class Command(BaseCommand):
    help = "Create a franchise and print its uuid."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--timezone", default=settings.DEFAULT_FRANCHISE_TIMEZONE, help="IANA time zone")
        parser.add_argument("--region", default=settings.DEFAULT_PHONE_REGION, help="phone region, e.g. US")

    def handle(self, *args, name: str, timezone: str, region: str, **options):
        name = name.strip()
        region = region.strip().upper()
        if not name or len(name) > 200:
            raise CommandError("NAME must be 1 to 200 characters")
        try:
            validate_timezone(timezone)
        except ValidationError as exc:
            raise CommandError(exc.messages[0]) from None
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise CommandError(f"Unknown phone region {region!r}; use an ISO country code such as US")
        if Franchise.objects.filter(name=name).exists():
            raise CommandError(f"A franchise named {name!r} already exists")
        franchise = Franchise.objects.create(name=name, timezone=timezone, phone_region=region)
        self.stdout.write(str(franchise.pk))
