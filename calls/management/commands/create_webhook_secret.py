from __future__ import annotations

from django.core.management.base import BaseCommand

from calls.webhooks import webhook_secret_create
from franchises.cli import franchise_from_arg


class Command(BaseCommand):
    help = (
        "Make a new signing secret for the franchise's voice-agent webhook and print it (shown once). "
        "Earlier secrets stay valid until revoked, so the sender can switch over."
    )

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="uuid or exact name")

    def handle(self, *args, franchise: str, **options):
        target = franchise_from_arg(franchise)
        secret, plaintext = webhook_secret_create(franchise=target)
        self.stdout.write(f"Webhook secret {secret.prefix}… of {target.name} (shown only now):")
        self.stdout.write(plaintext)
