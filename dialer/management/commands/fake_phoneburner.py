from __future__ import annotations

import contextlib
import signal
import threading

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from config.outbound import outbound_client
from dialer.phoneburner.client import PhoneBurnerError
from dialer.phoneburner.fake import DEFAULT_TOKEN, FakePhoneBurner
from dialer.services import phoneburner_account_link


class Command(BaseCommand):
    help = (
        "Run a fake PhoneBurner (a real HTTP server with its own in-memory state) for development: the "
        "dialer's API routes as the spec shows them, and a dialer page that fires the session callbacks. "
        "make run starts it with --link demo."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, required=True, help="port to listen on (0: any free port)")
        parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
        parser.add_argument(
            "--token",
            action="append",
            default=[],
            metavar="TOKEN[=NAME]",
            help=f"an access token it accepts, with its member's name; repeatable (default {DEFAULT_TOKEN})",
        )
        parser.add_argument(
            "--drop-callbacks", action="store_true", help="never send callbacks (to exercise reconcile)"
        )
        parser.add_argument("--time-zone", default="America/New_York", help="zone of the times it writes")
        parser.add_argument(
            "--link",
            metavar="USERNAME",
            default="",
            help="once listening, link this user's PhoneBurner account to the fake with the first token",
        )

    def handle(
        self, *args, port: int, host: str, token: list[str], drop_callbacks: bool, time_zone: str, link: str, **options
    ):
        tokens: dict[str, str] = {}
        for n, entry in enumerate(token or [DEFAULT_TOKEN]):
            value, _, name = entry.partition("=")
            if not value.strip():
                raise CommandError("--token must not be empty")
            tokens[value.strip()] = name.strip() or ("Pat Dialer" if n == 0 else f"Team Member {n + 1}")
        try:
            fake = FakePhoneBurner(tokens=tokens, time_zone=time_zone, drop_callbacks=drop_callbacks)
            server = fake.serve(host, port, quiet=options["verbosity"] < 2)
        except OSError as error:
            raise CommandError(f"Cannot listen on {host}:{port}: {error.strerror or error}") from None
        except KeyError:
            raise CommandError(f"Unknown time zone {time_zone!r}") from None
        bound_host, bound_port = server.server_address[:2]
        base = f"http://{bound_host}:{bound_port}"
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        thread.start()
        try:
            names = ", ".join(f"{t} ({n})" for t, n in tokens.items())
            line = f"Fake PhoneBurner at {base}/ accepting {names}."
            if drop_callbacks:
                line += " Callbacks are dropped."
            if link:  # make run stops every part when one ends: a link that fails still serves, and says why
                line += f" {self._link(link, base, next(iter(tokens)))}"
            if base != settings.PHONEBURNER_BASE_URL:
                line += f" The app talks to {settings.PHONEBURNER_BASE_URL}: set PHONEBURNER_BASE_URL={base}."
            self.stdout.write(line)
            self.stdout.flush()
            with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: leave quietly, the server closes
                stop.wait()
        finally:
            server.shutdown()
            server.server_close()

    def _link(self, username: str, base: str, token: str) -> str:
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            return f"No user {username!r} to link to it (python manage.py seed_demo makes the demo one)."
        with outbound_client(base_url=base) as http:
            try:
                account = phoneburner_account_link(user=user, token=token, http=http)
            except PhoneBurnerError as error:
                return f"{username} could not be linked to it: {error}"
        return f"{username} is linked to it as {account.member_name}."
