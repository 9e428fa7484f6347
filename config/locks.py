"""A lock held by a live process, released the moment that process dies: `process_lock(name)`.

For work that must never run twice at once (one CRM connection's sync) yet must be taken over at
once when the process doing it is killed. A lease (a row saying "mine until T") would make the
next run wait out T; these locks need no expiry, because the operating system ends them:

- PostgreSQL: a session advisory lock on a connection of its own, opened for the lock alone (not
  Django's pooled connection, which would carry the lock back into the pool). When the holder dies
  its socket closes, the server ends the session and the lock is free.
- SQLite (one machine by design): `flock` on a file beside the database; the kernel drops it
  with the last descriptor of the dead process.

Plumbing: imports no app.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connections

# Django's own parameters that are not libpq connection options.
_DJANGO_ONLY = ("cursor_factory", "context", "prepare_threshold")


class ProcessLock:
    """One named lock of the default database. `acquire()` never waits; `held()` re-checks that the
    lock is still ours (a PostgreSQL restart, say, ends it) so long work can stop rather than go on
    unguarded."""

    def __init__(self, name: str, *, using: str = "default"):
        self.name = name
        self.db = connections[using]
        self._pg: Any = None
        self._fd: int | None = None

    def acquire(self) -> bool:
        if self.db.vendor == "postgresql":
            return self._acquire_pg()
        return self._acquire_file()

    def held(self) -> bool:
        if self._pg is not None:
            try:
                self._pg.execute("SELECT 1")
            except Exception:  # any failure of the lock's own connection means the lock is gone
                return False
            return True
        return self._fd is not None

    def release(self) -> None:
        if self._pg is not None:
            # Closing the session ends its advisory locks; no unlock call can be forgotten.
            self._pg.close()
            self._pg = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def _acquire_pg(self) -> bool:
        import psycopg

        params = {k: v for k, v in self.db.get_connection_params().items() if k not in _DJANGO_ONLY}
        conn = psycopg.connect(**params, autocommit=True, application_name=f"breesy lock {self.name}"[:63])
        # hashtextextended: a 64-bit key from the name, so names need no registry of numbers.
        row = conn.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [self.name]).fetchone()
        if not row[0]:
            conn.close()
            return False
        self._pg = conn
        return True

    def _acquire_file(self) -> bool:
        fd = os.open(self._path(), os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def _path(self) -> Path:
        """A file per (database, lock name): test databases and the dev database never share one."""
        database = str(self.db.settings_dict["NAME"])
        digest = hashlib.sha256(f"{database}\0{self.name}".encode()).hexdigest()[:24]
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).resolve().parent
        else:
            folder = Path(tempfile.gettempdir())
        return folder / f".lock-{digest}"


@contextmanager
def process_lock(name: str, *, wait: float = 0.0, using: str = "default") -> Iterator[ProcessLock | None]:
    """`with process_lock("crm-sync:7") as lock:` — `lock` is None when another live process (or
    another holder in this one) has it; otherwise it is held until the block ends. `wait` seconds
    of retrying cover the moment between a holder's death and the server noticing it."""
    lock = ProcessLock(name, using=using)
    give_up = time.monotonic() + wait
    while not lock.acquire():
        if time.monotonic() >= give_up:
            yield None
            return
        time.sleep(0.05)
    try:
        yield lock
    finally:
        lock.release()
