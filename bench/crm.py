"""The CRM contact sync against the fake CRM: `manage.py crm_sync --full` over 10,000 contacts.

A franchise of its own ("Bench CRM") is connected to a fake CRM served from this process on
127.0.0.1, synced by `manage.py crm_sync` as an operator runs it, then synced again (every contact
unchanged), and deleted with everything the sync made. Contacts per second come from the run's
own record (started to finished: the sync, not the process start).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

CRM_CONTACTS = 10_000
FRANCHISE = "Bench CRM"
ROOT = Path(__file__).resolve().parent.parent


def cleanup() -> None:
    """Delete the bench's CRM franchise and all it holds (also what a crashed run left behind, which
    the data loader would otherwise refuse as a foreign franchise)."""
    from django.db import DatabaseError

    from franchises.models import Franchise

    with contextlib.suppress(DatabaseError):  # a new database, not migrated yet: nothing to delete
        Franchise.objects.filter(name=FRANCHISE).delete()


def _manage(env: dict[str, str], *args: str) -> tuple[str, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600
    )
    if done.returncode:
        raise RuntimeError(f"manage.py {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip().splitlines()[-1], time.perf_counter() - started


def measure_sync(env: dict[str, str]) -> dict:
    from contacts.crm.fake import FakeCrm, FakeCrmServer
    from contacts.models import CrmSyncRun
    from franchises.models import Franchise

    cleanup()
    Franchise.objects.create(name=FRANCHISE)
    crm = FakeCrm.create(contacts=CRM_CONTACTS, seed=11)
    env = {**env, "OUTBOUND_ALLOWED_HOSTS": "127.0.0.1"}
    with FakeCrmServer(crm) as server:
        _manage(env, "crm_connect", "--franchise", FRANCHISE, "--base-url", server.base_url,
                "--business-id", crm.business_id, "--api-key", crm.api_key)  # fmt: skip
        first, first_wall = _manage(env, "crm_sync", "--franchise", FRANCHISE, "--full")
        again, _ = _manage(env, "crm_sync", "--franchise", FRANCHISE, "--full")
    full, resync = CrmSyncRun.objects.filter(connection__franchise__name=FRANCHISE).order_by("started_at")

    def per_second(run: CrmSyncRun) -> float:
        return round(run.processed / (run.finished_at - run.started_at).total_seconds(), 1)

    return {
        "contacts": CRM_CONTACTS,
        "pages": full.pages,
        "seconds": round((full.finished_at - full.started_at).total_seconds(), 2),
        "wall_seconds": round(first_wall, 2),
        "contacts_per_s": per_second(full),
        "output": first,
        "unchanged_resync_per_s": per_second(resync),
        "unchanged_output": again,
    }
