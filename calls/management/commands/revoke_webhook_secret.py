from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from calls.webhooks import WebhookSecretNotFound, webhook_secret_by_prefix, webhook_secret_revoke
from franchises.cli import franchise_from_arg


class Command(BaseCommand):
    help = "Revoke a webhook signing secret, given its displayed prefix (whsec_ and 8 more) or the whole secret."

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="uuid or exact name")
        parser.add_argument("prefix")

    def handle(self, *args, franchise: str, prefix: str, **options):
        target = franchise_from_arg(franchise)
        try:
            secret = webhook_secret_by_prefix(franchise=target, prefix=prefix)
        except WebhookSecretNotFound as exc:
            raise CommandError(str(exc)) from None
        webhook_secret_revoke(secret=secret)
        self.stdout.write(f"Revoked webhook secret {secret.prefix}… of {target.name}")
