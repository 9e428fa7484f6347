from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from calls.services import calls_import
from franchises.cli import franchise_from_arg


class Command(BaseCommand):
    help = (
        "Import calls from a JSON Lines file (one call per line, in the Data Share API's call shape). "
        "Re-importing a conversation_id updates the call. Bad lines are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("--franchise", required=True, help="franchise uuid or exact name")
        parser.add_argument("file", help="JSON Lines; recording_file paths are relative to its folder")

    def handle(self, *args, franchise: str, file: str, **options):
        found = franchise_from_arg(franchise)
        path = Path(file)
        try:
            handle = path.open(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {file}: {exc.strerror}") from None
        try:
            with handle:
                result = calls_import(franchise=found, lines=handle, base_dir=path.resolve().parent)
        except UnicodeDecodeError:
            raise CommandError(f"{file} is not UTF-8 text") from None
        for line_no, reason in result.errors:
            self.stderr.write(f"line {line_no}: {reason}")
        if result.errors and not result.imported:
            raise CommandError(f"Nothing imported: {result.summary()}")
        self.stdout.write(result.summary())
