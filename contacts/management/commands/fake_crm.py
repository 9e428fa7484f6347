from __future__ import annotations

import signal
import threading
import uuid

from django.core.management.base import BaseCommand, CommandError

from contacts.crm.fake import FakeCrm, FakeCrmServer


class Command(BaseCommand):
    help = (
        "Serve a fake CRM (the contacts route of specs/crm-contacts-api.txt) with generated contacts, "
        "for development and demos. Test switches live under /_fake/ (see contacts/crm/fake.py). "
        "Ctrl-C stops it."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
        parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
        parser.add_argument("--contacts", type=int, default=300, help="how many contacts to generate (default 300)")
        parser.add_argument("--seed", type=int, default=1, help="the generator's seed: same seed, same contacts")
        parser.add_argument("--business-id", default=None, help="the business uuid (default: derived from the seed)")
        parser.add_argument(
            "--api-key", default=None, help="the sk-ak- key it accepts (default: derived from the seed)"
        )

    def handle(self, *args, port: int, host: str, contacts: int, seed: int, business_id, api_key, **options):
        if not 0 <= port <= 65535:
            raise CommandError("--port must be between 0 and 65535")
        if not 0 <= contacts <= 1_000_000:
            raise CommandError("--contacts must be between 0 and 1000000")
        if business_id is not None:
            try:
                business_id = str(uuid.UUID(business_id))
            except ValueError:
                raise CommandError("--business-id must be a uuid") from None
        if api_key is not None and not api_key.startswith("sk-ak-"):
            raise CommandError("--api-key must start with sk-ak-")
        crm = FakeCrm.create(contacts=contacts, seed=seed, business_id=business_id, api_key=api_key)
        try:
            server = FakeCrmServer(crm, host, port, verbose=options["verbosity"] > 1)
        except OSError as e:
            raise CommandError(f"cannot listen on {host}:{port}: {e.strerror or e}") from None
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        server.start()
        self.stdout.write(f"Fake CRM serving {contacts} contacts at {server.base_url}")
        self.stdout.write(f"  business id: {crm.business_id}")
        self.stdout.write(f"  api key:     {crm.api_key}")
        self.stdout.flush()
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            server.stop()
