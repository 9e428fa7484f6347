from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dialer.phoneburner.fake import DEFAULT_TOKEN, FakePhoneBurner


class Command(BaseCommand):
    help = (
        "Run a fake PhoneBurner (a real HTTP server with its own in-memory state) for development: the "
        "dialer's API routes as the spec shows them, and a dialer page that fires the session callbacks."
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

    def handle(self, *args, port: int, host: str, token: list[str], drop_callbacks: bool, time_zone: str, **options):
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
        names = ", ".join(f"{t} ({n})" for t, n in tokens.items())
        dropping = " Callbacks are dropped." if drop_callbacks else ""
        self.stdout.write(f"Fake PhoneBurner at http://{bound_host}:{bound_port}/ accepting {names}.{dropping}")
        self.stdout.flush()
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
