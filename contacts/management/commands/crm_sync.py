from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from contacts.crm.sync import SyncBusy, crm_sync
from contacts.models import CrmConnection, CrmSyncRun
from franchises.cli import franchise_from_arg


class Command(BaseCommand):
    help = (
        "Sync a franchise's contacts from its CRM now, in the foreground: incremental (records updated since the "
        "last sync) unless --full or never synced. Continues an unfinished sync from its last committed page. "
        "Prints `created N, updated M, unchanged U, skipped K`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("--full", action="store_true", help="read every CRM contact, not only the updated ones")

    def handle(self, *args, franchise: str, full: bool, **options):
        found = franchise_from_arg(franchise)
        connection = CrmConnection.objects.filter(franchise=found).select_related("franchise").first()
        if connection is None:
            raise CommandError(f"{found.name} has no CRM connection (connect it with crm_connect)")
        try:
            run = crm_sync(connection=connection, full=full, trigger="command")
        except SyncBusy as exc:
            raise CommandError(str(exc)) from None
        if options["verbosity"] > 1:
            for skip in run.skips:
                self.stderr.write(f"skipped {skip['crm_id'] or '(no id)'}: {skip['reason']}")
        self.stdout.write(run.counts_line)
        if run.status != CrmSyncRun.Status.FINISHED:
            raise CommandError(run.error or f"the sync stopped ({run.status})")
