"""A real gunicorn serving the product on the test database, for what only a real server shows:
limits that hold across worker processes, and recordings sent by sendfile(2)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_url() -> str:
    """The test database, as a URL the server's settings read."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


@contextmanager
def gunicorn_servers() -> Iterator:
    """Yields `start(*options, **env) -> (base URL, process)`; every server started is stopped after."""
    procs: list[subprocess.Popen] = []

    def start(*options: str, **env: str) -> tuple[str, subprocess.Popen]:
        port = free_port()
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url()}
        argv = [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ]
        procs.append(subprocess.Popen([*argv, *options], cwd=ROOT, env={**environment, "REDIS_URL": "", **env}))
        base = f"http://127.0.0.1:{port}"
        for _ in range(150):
            try:
                urllib.request.urlopen(f"{base}/data/openapi.json", timeout=1).close()
                return base, procs[-1]
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not start")

    try:
        yield start
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(timeout=10)


def command_first_line(*argv: str, **env: str) -> tuple[str, int]:
    """Start `manage.py *argv` (a fake server's command) on the test database with `env` added, read the
    first line it prints, stop it; (the line, exit code)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1",
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
        **env,
    }
    process = subprocess.Popen(
        [sys.executable, "manage.py", *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
    finally:
        process.terminate()
        returncode = process.wait(timeout=20)
    return line.rstrip(), returncode
