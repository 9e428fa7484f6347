from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contacts.crm.connections import CrmConnectionError, crm_connection_save
from franchises.cli import franchise_from_arg


class Command(BaseCommand):
    help = (
        "Connect a franchise to its CRM (specs/crm-contacts-api.txt), or change the connection. The details are "
        "tested with one request before they are saved; prints `connected`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("--base-url", required=True, help="the CRM's scheme and host, e.g. https://crm.example.com")
        parser.add_argument("--business-id", required=True, help="the franchise's business uuid in the CRM")
        parser.add_argument("--api-key", required=True, help="the CRM's API key, sk-ak-…")

    def handle(self, *args, franchise: str, base_url: str, business_id: str, api_key: str, **options):
        found = franchise_from_arg(franchise)
        try:
            connection = crm_connection_save(
                franchise=found, base_url=base_url, business_id=business_id, api_key=api_key
            )
        except CrmConnectionError as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] > 1:
            self.stderr.write(f"{found.name} → {connection.base_url}, business {connection.business_id}")
        self.stdout.write("connected")
