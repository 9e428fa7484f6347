from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from franchises.models import TOKEN_DISPLAY_LENGTH, ApiToken, hash_token


class Command(BaseCommand):
    help = "Revoke a Data Share API token, given the token itself or its displayed prefix."

    def add_arguments(self, parser):
        parser.add_argument("token_or_prefix")

    def handle(self, *args, token_or_prefix: str, **options):
        value = token_or_prefix.strip().rstrip("…").rstrip(".")
        token = ApiToken.objects.filter(token_hash=hash_token(value)).select_related("franchise").first()
        if token is None:
            if len(value) != TOKEN_DISPLAY_LENGTH:
                raise CommandError("No such token (give the whole token or its 12-character prefix)")
            matches = list(ApiToken.objects.filter(prefix=value).select_related("franchise")[:2])
            if not matches:
                raise CommandError(f"No token with prefix {value}")
            if len(matches) > 1:
                raise CommandError(f"Several tokens share the prefix {value}; give the whole token")
            token = matches[0]
        if token.revoked_at is not None:
            self.stdout.write(f"Token {token.prefix}… of {token.franchise.name} was already revoked")
            return
        token.revoke()
        self.stdout.write(f"Revoked token {token.prefix}… ({token.label or 'no label'}) of {token.franchise.name}")
