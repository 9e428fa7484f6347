"""config.locks: a lock only one holder has at a time, free the moment its process dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from config.locks import process_lock
from tests.live_gunicorn import ROOT, database_url

HOLDER = """
import time, django
django.setup()
from config.locks import process_lock
with process_lock("test-lock:1") as lock:
    print("held" if lock else "busy", flush=True)
    time.sleep(120)
"""


@pytest.fixture
def holder_process(transactional_db):
    """A separate process holding "test-lock:1" on the test database until killed."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "DATABASE_URL": database_url()}
    process = subprocess.Popen([sys.executable, "-c", HOLDER], cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "held"
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)
        # The server frees a dead holder's lock when it notices the closed socket: wait for that,
        # so the next test (in any order) finds the lock free.
        with process_lock("test-lock:1", wait=10.0) as freed:
            assert freed is not None


def test_a_second_holder_is_refused_until_the_first_releases(db):
    with process_lock("test-lock:1") as first, process_lock("test-lock:1") as second:
        assert first is not None
        assert second is None
    with process_lock("test-lock:1") as again:
        assert again is not None and again.held()


def test_locks_of_different_names_do_not_block_each_other(db):
    with process_lock("test-lock:1") as one, process_lock("test-lock:2") as two:
        assert one is not None and two is not None


def test_a_lock_held_by_another_process_is_refused_and_freed_at_once_when_that_process_is_killed(holder_process):
    with process_lock("test-lock:1") as while_alive:
        assert while_alive is None
    holder_process.send_signal(signal.SIGKILL)
    holder_process.wait(timeout=10)
    # No lease to wait out: the server (or the kernel) ended the dead process's lock with it; `wait`
    # allows the server a moment to notice the closed socket.
    with process_lock("test-lock:1", wait=2.0) as taken_over:
        assert taken_over is not None and taken_over.held()
