"""Real django-q2 clusters (`manage.py qcluster`) on the test database and a Redis of the tests' own,
for what only real processes show: a task crossing the broker, a schedule taken by one cluster of two.

Redis: `TEST_REDIS_URL` (default db 9 of the local server), every key under a prefix of the test's own,
deleted afterwards. Without a reachable Redis the tests that need it are skipped, except in CI
(`CI=true`), where a missing Redis is a failure."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress

import pytest

from tests.live_gunicorn import ROOT, database_url

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def redis_client():
    import redis

    return redis.Redis.from_url(REDIS_URL, socket_timeout=2, socket_connect_timeout=2)


def require_redis() -> None:
    try:
        redis_client().ping()
    except Exception as error:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"needs Redis at {REDIS_URL} ({type(error).__name__})")


class Namespace:
    """One test's corner of Redis: the job queue name, the cache and rate-limit prefixes."""

    def __init__(self) -> None:
        self.name = f"breesy-test-{uuid.uuid4().hex[:10]}"

    def environment(self) -> dict[str, str]:
        return {
            "REDIS_URL": REDIS_URL,
            "DJANGO_SETTINGS_MODULE": "tests.live_settings",
            "TEST_Q_NAME": self.name,
            "TEST_CACHE_PREFIX": self.name,
            "API_RATE_LIMIT_REDIS_PREFIX": f"{self.name}:rl:",
            "DATABASE_URL": database_url(),
        }

    def heartbeats(self) -> int:
        """How many clusters of this namespace saved their status in the last 3 s."""
        return len(redis_client().keys(f"django_q:{self.name}:cluster:*"))

    def clean(self) -> None:
        client = redis_client()
        for pattern in (f"django_q:{self.name}:*", f"*{self.name}*"):
            keys = client.keys(pattern)
            if keys:
                client.delete(*keys)


@contextmanager
def redis_namespace() -> Iterator[Namespace]:
    require_redis()
    space = Namespace()
    try:
        yield space
    finally:
        space.clean()


def wait_for(predicate, seconds: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return bool(predicate())


@contextmanager
def job_clusters(environment: dict[str, str]) -> Iterator:
    """Yields `start(**env) -> Popen`; every cluster is stopped as a process manager would: SIGTERM to
    its master, 10 s, then SIGKILL to whatever of its group is left."""
    procs: list[subprocess.Popen] = []

    def start(**env: str) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "qcluster"],
            cwd=ROOT,
            env={**os.environ, **environment, "Q_WORKERS": "1", **env},
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        procs.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=10)
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)


def enqueue(environment: dict[str, str], dotted: str, *args) -> None:
    """Put one task on the queue from another process, as the web app does."""
    code = f"from django_q.tasks import async_task; async_task({dotted!r}, *{args!r})"
    subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**os.environ, **environment},
        check=True,
        capture_output=True,
    )
