"""Two "hosts" on one machine, as the design runs at scale: each a gunicorn on its own port with its
own job cluster and its own local media folder, all sharing PostgreSQL, Redis and an S3 bucket.

Each host gets the production profile (`DEBUG=false`, the same SECRET_KEY and field keys, as a
deployment's hosts share them) over plain HTTP on loopback (no HTTPS redirect, no HSTS)."""

from __future__ import annotations

import base64
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.live_cluster import Namespace, job_clusters
from tests.live_gunicorn import ROOT, free_port
from tests.s3 import S3Server


@dataclass
class Host:
    name: str
    base: str
    media: Path
    environment: dict[str, str]
    log: Path

    def manage(self, *argv: str) -> subprocess.CompletedProcess:
        """`manage.py ARGV` run on this host (its environment: database, Redis, bucket)."""
        return subprocess.run(
            [sys.executable, "manage.py", *argv],
            cwd=ROOT,
            env={**os.environ, **self.environment},
            capture_output=True,
            text=True,
            timeout=120,
        )


def production_environment(namespace: Namespace, s3: S3Server, bucket: str) -> dict[str, str]:
    """What every host of one deployment shares."""
    return {
        **namespace.environment(),
        **s3.environment(bucket),
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "FIELD_ENCRYPTION_KEYS": base64.urlsafe_b64encode(os.urandom(32)).decode(),
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        "API_RATE_LIMIT_PER_MINUTE": "60",
        "API_RATE_LIMIT_PER_DAY": "5000",
        "LOG_LEVEL": "WARNING",
        "Q_WORKERS": "1",
    }


def _wait_until_up(base: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited at start:\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(f"{base}/data/openapi.json", timeout=2).close()
            return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()[-3000:]}")


@contextmanager
def hosts(shared: dict[str, str], folder: Path, count: int = 2) -> Iterator[list[Host]]:
    """Start `count` hosts (make serve's gunicorn with 2 workers + a job cluster each); stop them all after."""
    with ExitStack() as stack:
        start_cluster = stack.enter_context(job_clusters(shared))
        started: list[tuple[subprocess.Popen, object]] = []

        def stop_servers() -> None:
            for proc, _ in started:
                proc.send_signal(signal.SIGTERM)
            for proc, log in started:
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=5)
                log.close()

        stack.callback(stop_servers)
        result = []
        for n in range(1, count + 1):
            media = folder / f"host{n}-media"
            media.mkdir()
            port = free_port()
            environment = {**shared, "MEDIA_ROOT": str(media), "SITE_URL": f"http://127.0.0.1:{port}"}
            log_path = folder / f"host{n}.log"
            log = log_path.open("wb")
            # make serve's own gunicorn settings (gthread workers, timeouts), two workers per host.
            argv = [sys.executable, "-m", "gunicorn", "config.wsgi", "--config", "python:config.gunicorn"]
            served = {"HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"}
            proc = subprocess.Popen(
                argv,
                cwd=ROOT,
                env={**os.environ, **environment, **served},
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
            started.append((proc, log))
            start_cluster(**environment)
            result.append(Host(f"host {n}", f"http://127.0.0.1:{port}", media, environment, log_path))
        for host, (proc, _) in zip(result, started, strict=True):
            _wait_until_up(host.base, proc, host.log)
        yield result
