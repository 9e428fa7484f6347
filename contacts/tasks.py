"""django-q2 tasks of the contacts app: each takes ids, loads rows, calls a service, and is safe to
run twice (a second sync of one connection is refused while the first runs)."""

from __future__ import annotations

import time

from django.conf import settings
from django_q.tasks import async_task

from contacts.crm.sync import SyncBusy, crm_connections_due, crm_sync
from contacts.models import CrmConnection


def _time_budget() -> float:
    """Seconds a sync task may run: well inside the cluster's timeout, after which the worker is
    killed. A longer sync pauses at a page boundary and the next task continues it."""
    return max(30.0, 0.75 * settings.Q_CLUSTER.get("timeout", 120))


def crm_sync_task(connection_id: int, full: bool = False, trigger: str = "schedule") -> str:
    """Sync one connection now (queued by the schedule, or by an owner's "Sync now")."""
    connection = CrmConnection.objects.select_related("franchise").filter(pk=connection_id).first()
    if connection is None:
        return f"CRM connection {connection_id} no longer exists"
    try:
        run = crm_sync(connection=connection, full=full, trigger=trigger, deadline=time.monotonic() + _time_budget())
    except SyncBusy as exc:
        # The running sync serves the request too: the page stops showing it queued.
        CrmConnection.objects.filter(pk=connection_id).update(sync_requested_at=None)
        return str(exc)
    outcome = f"run #{run.pk} {run.status}: {run.counts_line}"
    return f"{outcome} ({run.error})" if run.error else outcome


def crm_syncs_due() -> int:
    """Scheduled every minute: queue a sync of each connection whose 15 minutes are up, and the
    continuation of each paused run. A connection queued twice syncs once (the lock)."""
    ids = crm_connections_due()
    for connection_id in ids:
        async_task("contacts.tasks.crm_sync_task", connection_id)
    return len(ids)
