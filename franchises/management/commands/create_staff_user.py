from __future__ import annotations

import os

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from franchises.cli import franchise_from_arg
from franchises.models import Membership
from franchises.roles import staff_user_add


class Command(BaseCommand):
    help = (
        "Create a staff user with a role at a franchise, or add the membership to an existing user. "
        "The password comes from --password or the STAFF_PASSWORD environment variable."
    )

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("--role", required=True, choices=Membership.Role.values)
        parser.add_argument("--password", default=None)
        parser.add_argument("username")

    def handle(self, *args, franchise: str, role: str, password: str | None, username: str, **options):
        found = franchise_from_arg(franchise)
        username = username.strip()
        if not username or len(username) > 150:
            raise CommandError("USERNAME must be 1 to 150 characters")
        password = password or os.environ.get("STAFF_PASSWORD") or None
        try:
            user, created = staff_user_add(username=username, franchise=found, role=role, password=password)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} staff user {user.username}: {role} of {found.name}")
