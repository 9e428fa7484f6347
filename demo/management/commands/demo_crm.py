from __future__ import annotations

import contextlib
import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from contacts.crm.connections import CrmConnectionError, crm_connection_save
from contacts.crm.fake import FakeCrm, FakeCrmServer
from demo.seed import FRANCHISE_NAME
from franchises.models import Franchise


class Command(BaseCommand):
    help = (
        "Serve a fake CRM with a few hundred contacts and connect the demo franchise to it, so a CRM sync can be "
        "watched locally (make run starts it). Without a demo franchise it only serves. Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: any free port)")
        parser.add_argument("--contacts", type=int, default=300, help="how many contacts (default 300)")
        parser.add_argument("--seed", type=int, default=7, help="the generator's seed (same seed, same contacts)")
        parser.add_argument("--site-url", default="", help="where the app runs, to print the CRM page's address")

    def handle(self, *args, port: int, contacts: int, seed: int, site_url: str, **options):
        crm = FakeCrm.create(contacts=contacts, seed=seed)
        try:
            server = FakeCrmServer(crm, "127.0.0.1", port)
        except OSError as exc:
            raise CommandError(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc}") from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        with server:
            served = f"Fake CRM with {contacts} contacts at {server.base_url}"
            # make run stops every part when one ends: a demo that cannot connect still serves, and says why.
            self.stdout.write(f"{served}; {self._connect(crm, server, site_url)}")
            self.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: leave quietly, the server closes
                stop.wait()

    def _connect(self, crm: FakeCrm, server: FakeCrmServer, site_url: str) -> str:
        franchise = Franchise.objects.filter(name=FRANCHISE_NAME).first()
        if franchise is None:
            return "no demo franchise to connect to it (python manage.py seed_demo makes one)"
        try:
            # The same seed gives the same CRM ids each time, so the demo's synced contacts are found
            # again (only the port moves, which makes the next sync a full one).
            crm_connection_save(
                franchise=franchise, base_url=server.base_url, business_id=crm.business_id, api_key=crm.api_key
            )
        except CrmConnectionError as exc:
            return f"{franchise.name} could not be connected to it: {exc}"
        page = f"{site_url.rstrip('/')}/settings/crm/" if site_url else "/settings/crm/"
        return f"{franchise.name} is connected to it (watch a sync: {page})"
