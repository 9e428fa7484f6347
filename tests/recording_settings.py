"""Settings for a gunicorn started by a test whose recordings must NOT be sendfile-able: the normal
settings with local files handed out the way django-storages' S3 hands them out, as an in-memory copy
with no OS file descriptor behind it. The control for tests/calls/test_recording_sendfile.py."""

import io

from django.core.files import File
from django.core.files.storage import FileSystemStorage

from config.settings import *  # noqa: F403
from config.settings import STORAGES


class InMemoryCopyStorage(FileSystemStorage):
    """Reads like FileSystemStorage, but the opened file is a BytesIO: `fileno()` raises."""

    def _open(self, name, mode="rb"):
        with open(self.path(name), "rb") as f:
            return File(io.BytesIO(f.read()), name=name)


STORAGES = {**STORAGES, "default": {"BACKEND": "tests.recording_settings.InMemoryCopyStorage"}}
