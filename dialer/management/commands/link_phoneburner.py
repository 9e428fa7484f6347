from __future__ import annotations

import os

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from dialer.phoneburner.client import PhoneBurnerError
from dialer.services import phoneburner_account_link


class Command(BaseCommand):
    help = (
        "Link a staff user's PhoneBurner account: the access token is checked with PhoneBurner, kept "
        "encrypted, and never printed. Prints `linked as <name>`."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--token", default=None, help="the access token (default: $PHONEBURNER_TOKEN)")

    def handle(self, *args, username: str, token: str | None, **options):
        token = (token if token is not None else os.environ.get("PHONEBURNER_TOKEN", "")).strip()
        if not token:
            raise CommandError("No token: give --token or set PHONEBURNER_TOKEN")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username!r}")
        if not user.is_staff:
            raise CommandError(f"{username!r} is not a staff user")
        try:
            account = phoneburner_account_link(user=user, token=token)
        except PhoneBurnerError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"linked as {account.member_name}")
